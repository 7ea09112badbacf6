"""One TLS context for every client in the process.

Building one loads the CA bundle, 20-40 ms of CPU: done per client, on the event loop, it landed
inside the first turn. The app builds it in its warm-up, on a thread, after the first frame.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR when set), built once."""
    return httpx.create_ssl_context(trust_env=True)
