"""The conversations dialog (ctrl+l), driven like a user would, on a real app and its real store."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from helpers import SIZE, answered, damage_history, wait_until
from textual import events
from textual.widgets import Input, Static

from foundry_tui.format import ago
from foundry_tui.store.conversations import FinishedReply, ReplyDetails
from foundry_tui.store.store import Store
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.chat import ChatScreen
from foundry_tui.ui.screens.conversations import (
    SEARCH_DELAY,
    ConversationsScreen,
    ConversationTable,
    SearchInput,
)
from foundry_tui.ui.screens.export import ExportDialog, export_dir, export_name
from foundry_tui.ui.widgets.dialog import ConfirmationModal
from foundry_tui.ui.widgets.turn import TurnView

HOUR = 3600.0
SEEDED = [  # prompts, hours ago, how the last reply ended; most recent first
    (["Translate this email to French", "Make it more formal"], 0.1, "interrupted"),
    (["Plan the Q3 offsite", "Add a budget", "Now a packing list for 40 people"], 2.5, "complete"),
    (["Why is my SQL query slow?"], 26.5, "failed"),
    (["Refactor the billing module into smaller services"], 75.5, "cancelled"),
]


def seed(store: Store) -> list[str]:
    """Conversations as the chat writes them, at fixed distances from now; returns their ids."""
    now = time.time()
    ids = []
    for number, (prompts, hours_ago, last_state) in enumerate(SEEDED, start=1):
        conversation_id = None
        for turn_number, prompt in enumerate(prompts, start=1):
            at = now - hours_ago * HOUR - (len(prompts) - turn_number) * 60
            turn = store.conversations.start_turn(
                prompt, profile="work", deployment="claude-sonnet-4-5", conversation_id=conversation_id, now=at
            )
            conversation_id = turn.conversation_id
            state = last_state if turn_number == len(prompts) else "complete"
            request_ids = f"req_{number}{turn_number}seeded", f"0000000{number}-0000-4000-8000-00000000000{turn_number}"
            store.conversations.set_request_ids(turn.reply_message_id, *request_ids)
            if state == "interrupted":  # a stream whose process died: the heartbeat stopped long ago
                store.conversations.checkpoint(turn.reply_message_id, "Bonjour, je vous écris", now=at)
                continue
            reply = FinishedReply(
                state, f"Reply {turn_number} about {prompt.lower()}", [],
                ReplyDetails(model="claude-sonnet-4-5", status=429 if state == "failed" else 200,
                             error={"kind": "rate_limit", "message": "slow down"} if state == "failed" else None),
            )  # fmt: skip
            store.conversations.finish_reply(turn.reply_message_id, reply, now=at)
        ids.append(conversation_id)
    return ids


async def seeded(app: FoundryApp, pilot) -> list[str]:
    """The seeded ids, once the app has opened its history and reopened the latest chat."""
    store = await app.history()
    ids = await store.call(seed)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return ids


@asynccontextmanager
async def seeded_list(make_app) -> AsyncIterator[tuple[FoundryApp, object, list[str], ConversationsScreen]]:
    """A running app with SEEDED in its history and the conversations dialog open: (app, pilot, ids, screen)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        ids = await seeded(app, pilot)
        yield app, pilot, ids, await open_list(app, pilot)


async def open_list(app: FoundryApp, pilot) -> ConversationsScreen:
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
    await settled(app, pilot)
    return app.screen


async def settled(app: FoundryApp, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def rows(screen: ConversationsScreen) -> list[list[str]]:
    table = screen.query_one(ConversationTable)
    return [[cell.plain for cell in table.get_row_at(index)] for index in range(table.row_count)]


def note(screen: ConversationsScreen) -> str:
    return str(screen.query_one("#note", Static).content)


async def search(screen: ConversationsScreen, pilot, text: str) -> None:
    """Paste into the search box like a user, and wait past the debounce for the results."""
    await pilot.press("slash")
    box = screen.query_one(SearchInput)
    assert screen.focused is box
    box.post_message(events.Paste(text))
    await pilot.pause(SEARCH_DELAY + 0.05)
    await settled(screen.app, pilot)


def test_times_read_as_how_long_ago_then_as_dates():
    now = time.time()
    readings = [ago(now - seconds, now) for seconds in (5, 125, 2.5 * HOUR, 50 * HOUR)]
    assert readings == ["just now", "2 min ago", "2 h ago", "2 d ago"]
    assert ago(now - 30 * 24 * HOUR, now) == time.strftime("%Y-%m-%d", time.localtime(now - 30 * 24 * HOUR))


def test_export_names_are_a_slug_of_the_title_and_the_id():
    assert export_name("Plan the Q3 offsite!", "ab12", "md") == "plan-the-q3-offsite-ab12.md"
    assert export_name("Café ☕ + crème", "ab12", "json") == "café-crème-ab12.json"
    assert export_name("???", "ab12", "md") == "conversation-ab12.md"


async def test_lists_the_conversations_most_recent_first_and_enter_resumes_one(make_app):
    async with seeded_list(make_app) as (app, pilot, ids, screen):
        assert rows(screen) == [
            ["Translate this email to French", "work › claude-sonnet-4-5", "2", "6 min ago", "⚠ interrupted"],
            ["Plan the Q3 offsite", "work › claude-sonnet-4-5", "3", "2 h ago", ""],
            ["Why is my SQL query slow?", "work › claude-sonnet-4-5", "1", "1 d ago", "✗ failed"],
            [SEEDED[3][0][0], "work › claude-sonnet-4-5", "1", "3 d ago", "◼ cancelled"],
        ]
        assert screen.query_one("#conversations").border_subtitle == "4 conversations"
        assert screen.focused is screen.query_one(ConversationTable)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await settled(app, pilot)
        chat = app.screen
        assert [turn.prompt for turn in chat.query(TurnView)] == SEEDED[1][0]
        assert chat.session.conversation_id == ids[1]


async def test_a_word_search_finds_messages_and_an_id_search_finds_its_turn(make_app):
    async with seeded_list(make_app) as (app, pilot, _, screen):
        await search(screen, pilot, "packing")
        assert [row[0] for row in rows(screen)] == ["Plan the Q3 offsite", "Plan the Q3 offsite"]
        assert [row[2:] for row in rows(screen)] == [
            ["claude", "Reply 3 about now a packing list for 40 people"],
            ["you", "Now a packing list for 40 people"],
        ]
        screen.query_one("#search", Input).value = "req_22seeded"
        await wait_until(pilot, lambda: len(rows(screen)) == 1 and len(rows(screen)[0]) == 5)
        assert rows(screen)[0][:4] == ["Plan the Q3 offsite", "2 h ago", "claude", "req_22seeded"]
        assert str(screen.query_one(ConversationTable).ordered_columns[3].label) == "request-id"
        screen.query_one("#search", Input).value = "nothing-like-this"
        await wait_until(pilot, lambda: not rows(screen))
        assert note(screen) == "No message matches 'nothing-like-this'."
        screen.query_one("#search", Input).value = ""
        await wait_until(pilot, lambda: len(rows(screen)) == len(SEEDED))


async def test_a_request_id_pasted_into_the_search_opens_the_turns_conversation(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await seeded(app, pilot)
        turn = await answered(pilot, "Write a short list")
        chat = app.screen
        saved_id = chat.session.conversation_id
        await pilot.press("ctrl+n")
        assert not chat.query(TurnView)
        screen = await open_list(app, pilot)
        assert rows(screen)[0][0] == "Write a short list"
        await search(screen, pilot, turn.request_id)
        assert rows(screen)[0][3] == turn.request_id
        await pilot.press("enter", "enter")  # to the hits, then open
        await wait_until(pilot, lambda: app.screen is chat)
        await settled(app, pilot)
        [shown] = chat.query(TurnView)
        assert shown.prompt == "Write a short list" and shown.request_id == turn.request_id
        assert chat.session.conversation_id == saved_id
        assert [m["role"] for m in chat.session.messages] == ["user", "assistant"]  # continuing sends them


async def test_rename_saves_the_new_title_and_escape_keeps_the_old(make_app):
    async with seeded_list(make_app) as (app, pilot, ids, screen):
        await pilot.press("down", "r")
        title = screen.query_one("#title", Input)
        assert title.display and screen.focused is title and title.value == "Plan the Q3 offsite"
        await pilot.press("escape")
        assert not title.display and screen.focused is screen.query_one(ConversationTable)
        await pilot.press("r")
        title.value = "  Offsite   planning "
        await pilot.press("enter")
        await settled(app, pilot)
        assert rows(screen)[1][0] == "Offsite planning"
        assert screen.query_one(ConversationTable).cursor_row == 1 and not title.display  # still on it
        loaded = await app.store.call(lambda s: s.conversations.load(ids[1]))
        assert loaded.title == "Offsite planning"
        await pilot.press("r")
        title.value = "   "
        await pilot.press("enter")
        await settled(app, pilot)
        assert note(screen).startswith("✗ a conversation's title cannot be empty\nhint: ")
        assert title.display
        await pilot.press("escape", "ctrl+l")  # the key that opens the dialog closes it
        assert isinstance(app.screen, ChatScreen)


async def test_delete_asks_first_n_keeps_and_y_deletes_and_clears_the_chat_showing_it(make_app):
    async with seeded_list(make_app) as (app, pilot, ids, screen):
        chat = app.chat_screen()
        await chat.open_conversation(ids[1])
        await pilot.press("down", "d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        question = app.screen.query_one("#confirm-question", Static)
        assert str(question.content) == "Delete “Plan the Q3 offsite” and its 3 turns?"
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert len(rows(screen)) == len(SEEDED)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.press("y")
        await settled(app, pilot)
        assert [row[0] for row in rows(screen)] == [SEEDED[0][0][0], SEEDED[2][0][0], SEEDED[3][0][0]]
        assert screen.query_one(ConversationTable).cursor_row == 1  # on the next one
        remaining = await app.store.call(lambda s: [c.id for c in s.conversations.recent()])
        assert ids[1] not in remaining and len(remaining) == len(SEEDED) - 1
        assert chat.session.conversation_id is None and not chat.query(TurnView)  # its next turn would be saved nowhere


async def test_export_asks_where_with_a_default_and_says_where_it_went(make_app, foundry_home):
    async with seeded_list(make_app) as (app, pilot, ids, _):
        notices = []
        app.notify = lambda message, **options: notices.append(message)
        await pilot.press("down", "m")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        markdown = export_dir() / f"plan-the-q3-offsite-{ids[1]}.md"
        assert export_dir() == foundry_home / "data" / "exports"  # the data dir, when there are no documents
        assert app.screen.query_one(Input).value == str(markdown)
        await pilot.press("enter")
        await settled(app, pilot)
        assert markdown.read_text().startswith("# Plan the Q3 offsite\n")
        assert "## You\n\nAdd a budget\n" in markdown.read_text() and "`req_22seeded`" in markdown.read_text()
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        elsewhere = foundry_home / "picked" / "offsite.json"
        app.screen.query_one(Input).value = str(elsewhere)
        await pilot.press("enter")
        await settled(app, pilot)
        data = json.loads(elsewhere.read_text())
        assert data["id"] == ids[1] and len(data["messages"]) == 6
        assert [turn["request_id"] for turn in data["turns"]] == ["req_21seeded", "req_22seeded", "req_23seeded"]
        assert notices == [str(markdown), str(elsewhere)]  # where they went, in full
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)


async def test_export_never_replaces_a_file_without_asking(make_app, foundry_home):
    async with seeded_list(make_app) as (app, pilot, ids, _):
        notices = []
        app.notify = lambda message, **options: notices.append(message)
        existing = export_dir() / f"plan-the-q3-offsite-{ids[1]}.md"
        existing.parent.mkdir(parents=True)
        existing.write_text("my notes")
        await pilot.press("down", "m")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        assert "Replace" in str(app.screen.query_one("#confirm-question", Static).content)
        await pilot.press("n")
        await settled(app, pilot)
        assert existing.read_text() == "my notes" and notices == ["Nothing was written."]
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.press("y")
        await settled(app, pilot)
        assert existing.read_text().startswith("# Plan the Q3 offsite") and notices[-1] == str(existing)


async def test_escape_in_the_export_dialog_writes_nothing(make_app, foundry_home):
    async with seeded_list(make_app) as (app, pilot, ids, _):
        await pilot.press("down", "m")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("escape")
        await settled(app, pilot)
        assert isinstance(app.screen, ConversationsScreen) and not export_dir().exists()


@pytest.mark.parametrize("typed", ["a" * 300 + ".md", "~nosuchuser4242/chat.md"])
async def test_an_impossible_export_path_is_said_and_nothing_is_written(make_app, foundry_home, typed):
    async with seeded_list(make_app) as (app, pilot, ids, _):
        await pilot.press("down", "m")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        field = app.screen.query_one("#export-path", Input)
        field.value = typed
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog) and app.screen.query_one("#export-problem").display
        assert not export_dir().exists()


async def test_a_damaged_history_is_said_instead_of_a_list(make_app):
    damage_history()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(app, pilot)
        assert note(screen).startswith("✗ history is unavailable\nhint: ")
        assert not rows(screen)


def snapshot(snap_compare, make_app, query: str = "") -> bool:
    """The seeded conversations (all within a week, so every 'ago' reads the same on every run),
    searched for `query` if any, with the list focused."""
    app = make_app()

    async def seed_open_and_search(pilot) -> None:
        await seeded(app, pilot)
        screen = await open_list(app, pilot)
        if query:
            await search(screen, pilot, query)
            await pilot.press("down")

    return snap_compare(app, terminal_size=SIZE, run_before=seed_open_and_search)


def test_snapshot_conversation_list(snap_compare, make_app):
    assert snapshot(snap_compare, make_app)


def test_snapshot_search_results(snap_compare, make_app):
    assert snapshot(snap_compare, make_app, "plan")



def test_snapshot_export_dialog(snap_compare, make_app):
    async def ask_where(pilot):
        default = Path("/home/you/Documents/foundry-tui/plan-the-q3-offsite-ab12.md")
        pilot.app.push_screen(ExportDialog(default, "md"))
        await pilot.pause()
        pilot.app.screen.query_one(Input).cursor_blink = False

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ask_where)
