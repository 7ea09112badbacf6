"""`foundry-tui history`: the saved conversations, most recent first, or the messages matching a search."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from foundry_tui import exitcodes
from foundry_tui.commands.output import print_table
from foundry_tui.commands.storage import open_store
from foundry_tui.safetext import terminal_line
from foundry_tui.store.conversations import ConversationSummary, SearchHit
from foundry_tui.store.export import iso_time, local_time


def run(args: argparse.Namespace) -> int:
    with open_store() as store:
        if args.search is None:
            found: list[ConversationSummary] | list[SearchHit] = store.conversations.recent(limit=args.limit)
        else:
            found = store.conversations.search(args.search, limit=args.limit)
    if args.json:
        print_json(found)
    elif args.search is None:
        print_conversations([item for item in found if isinstance(item, ConversationSummary)])
    else:
        print_hits([item for item in found if isinstance(item, SearchHit)], args.search)
    return exitcodes.OK


def print_json(items: list[ConversationSummary] | list[SearchHit]) -> None:
    print(json.dumps([with_iso_times(asdict(item)) for item in items], ensure_ascii=False, indent=2))


def with_iso_times(data: dict[str, Any]) -> dict[str, Any]:
    return {key: iso_time(value) if key.endswith("_at") else value for key, value in data.items()}


def print_conversations(conversations: list[ConversationSummary]) -> None:
    if not conversations:
        print('No conversations yet: `foundry-tui ask "…"` or the app starts one.')
        return
    rows = [
        [c.id, local_time(c.updated_at), str(c.turns), c.last_state or "", terminal_line(c.deployment or ""), terminal_line(c.title)]
        for c in conversations
    ]
    print_table(["ID", "UPDATED", "TURNS", "LAST REPLY", "DEPLOYMENT", "TITLE"], rows, right={2})


def print_hits(hits: list[SearchHit], query: str) -> None:
    """Two lines a hit: the conversation, then the matching text (model text: sanitized)."""
    if not hits:
        print(f"No message matches {terminal_line(repr(query))}.")
        return
    for hit in hits:
        print(f"{hit.conversation_id}  {local_time(hit.created_at)}  {terminal_line(hit.title)}")
        print(f"    {'you' if hit.role == 'user' else 'claude'}: {terminal_line(hit.excerpt)}")
