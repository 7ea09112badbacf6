"""`foundry-tui export ID`: a saved conversation on stdout, as Markdown or JSON."""

from __future__ import annotations

import argparse
import sys

from foundry_tui import exitcodes
from foundry_tui.commands.storage import open_store
from foundry_tui.safetext import terminal_text, visible_bidi
from foundry_tui.store.export import to_json_text, to_markdown


def run(args: argparse.Namespace) -> int:
    with open_store() as store:
        conversation = store.conversations.load(store.conversations.resolve(args.id))
    text = to_markdown(conversation) if args.format == "md" else to_json_text(conversation)
    # A file or a pipe gets the exact bytes; a terminal gets no escape sequences and no hidden reordering.
    sys.stdout.write(visible_bidi(terminal_text(text)) if sys.stdout.isatty() else text)
    return exitcodes.OK
