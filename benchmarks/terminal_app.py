"""The flood's app, run for real (Textual's own driver) so `benchmarks.terminal` can watch it in tmux.

    python -m benchmarks.terminal_app URL KEY DELTAS
"""

from __future__ import annotations

import sys

from benchmarks.flood import network_app


def main(argv: list[str]) -> None:
    url, key, deltas = argv
    network_app(url, key, {"x-emulator-reply-tokens": str(int(deltas))}).run()


if __name__ == "__main__":
    main(sys.argv[1:])
