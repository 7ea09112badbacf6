"""A history.db the user cannot write is still read; writing says why, with a hint (issue #9).

The tests run as root, which ignores file modes: `make_read_only` (helpers.py) says how the
non-root case is simulated.
"""

from __future__ import annotations

import pytest
from helpers import make_read_only

from foundry_tui.cli import main
from foundry_tui.store.conversations import FinishedReply
from foundry_tui.store.db import default_path
from foundry_tui.store.errors import StoreError
from foundry_tui.store.store import Store


@pytest.fixture
def read_only_history(monkeypatch):
    """A history with one answered turn, then made not writable."""
    with Store.open() as store:
        turn = store.conversations.start_turn("What is WAL?", profile="work", deployment="claude-x")
        store.conversations.finish_reply(turn.reply_message_id, FinishedReply("complete", "Write-ahead logging.", []))
    make_read_only(monkeypatch, default_path())
    return default_path()


def test_a_read_only_history_is_read(read_only_history):
    with Store.open() as store:
        assert store.db.read_only
        [summary] = store.conversations.recent()
        assert summary.title == "What is WAL?"
        assert store.conversations.load(summary.id).messages[1].text == "Write-ahead logging."


def test_writing_a_read_only_history_says_why_with_a_hint(read_only_history):
    with Store.open() as store:
        [summary] = store.conversations.recent()
        with pytest.raises(StoreError) as raised:
            store.conversations.rename(summary.id, "new title")
    assert "read-only" in raised.value.message and str(read_only_history) in raised.value.message
    assert raised.value.hint and "writable" in raised.value.hint


def test_history_and_usage_commands_read_a_read_only_history(read_only_history, capsys):
    assert main(["history"]) == 0
    assert "What is WAL?" in capsys.readouterr().out
    assert main(["usage"]) == 0


async def test_the_app_shows_a_read_only_history_and_says_new_turns_are_not_saved(read_only_history, make_app):
    from helpers import SIZE, answered, wait_until

    from foundry_tui.ui.widgets.turn import TurnView

    app = make_app()
    notices: dict[str | None, str] = {}
    notify = app.notify
    app.notify = lambda message, **options: notices.update({options.get("title"): message}) or notify(message, **options)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.screen.query(TurnView)) == 1)  # the latest chat reopens
        assert app.screen.query_one(TurnView).reply_source == "Write-ahead logging."
        assert "History is read-only" in notices
        turn = await answered(pilot, "hello")
        assert turn.reply_source  # the chat works; the turn is not saved, and the app says why
        await wait_until(pilot, lambda: "This turn is not saved" in notices)
        assert "read-only" in notices["This turn is not saved"]
