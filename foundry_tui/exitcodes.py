"""Exit codes of the headless commands, so scripts can tell failures apart."""

from __future__ import annotations

OK = 0
OTHER = 1
USAGE = 2  # argparse's own
CONFIG = 3
AUTH = 4
NOT_FOUND = 5
RATE_LIMITED = 6
NETWORK = 7
INTERRUPTED = 130

BY_ERROR_KIND = {
    "config": CONFIG,
    "auth": AUTH,
    "permission": AUTH,
    "not_found": NOT_FOUND,
    "rate_limit": RATE_LIMITED,
    "connection": NETWORK,
    "timeout": NETWORK,
}

EXIT_CODES_HELP = """exit codes:
  0  success
  1  other failure (server error, overloaded, bad request, cut stream)
  2  usage error
  3  configuration error (profile, endpoint, missing key)
  4  authentication or permission (401, 403, Entra sign-in)
  5  not found (404: deployment or endpoint)
  6  rate limited (429)
  7  network (DNS, connection, timeout)
130  interrupted"""


def for_error_kind(kind: str) -> int:
    return BY_ERROR_KIND.get(kind, OTHER)
