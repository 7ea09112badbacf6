"""Files in the app: the picker, a pasted path, `@path`, chips that can be removed, refusals, reopened chats."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from helpers import SIZE, TINY_GIF, answered, send, tiny_pdf, tiny_png, wait_until
from textual import events
from textual.widgets import DirectoryTree

from foundry_tui.ui.screens.attach_file import AttachFileScreen
from foundry_tui.ui.screens.chat import ChatScreen
from foundry_tui.ui.widgets.attachments import AttachmentChip, AttachmentChips
from foundry_tui.ui.widgets.prompt import PromptInput
from foundry_tui.ui.widgets.turn import TurnView


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "red.png").write_bytes(tiny_png())
    (folder / "doc.pdf").write_bytes(tiny_pdf())
    (folder / "anim.gif").write_bytes(TINY_GIF)
    monkeypatch.chdir(folder)
    return folder


def chips(chat: ChatScreen) -> list[str]:
    return [chip.attachment.name for chip in chat.query(AttachmentChip)]


def received(turn: TurnView) -> str:
    return turn.reply_source.split("\n\n")[0]


async def test_the_picker_starts_in_the_working_directory_and_attaches_the_file_chosen(make_app, files):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, AttachFileScreen))
        tree = app.screen.query_one(DirectoryTree)
        assert Path(tree.path) == files
        await wait_until(pilot, lambda: len(tree.root.children) == 3)
        tree.move_cursor(next(node for node in tree.root.children if str(node.label) == "red.png"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: chips(chat) == ["red.png"])
        assert app.screen is chat and chat.query_one(AttachmentChips).display
        turn = await answered(pilot, "what is it")
        assert [a.name for a in turn.attachments] == ["red.png"]
        assert "red.png · PNG image" in str(turn.query_one(".turn-attachments").render())
        assert received(turn).startswith("Received: image (image/png,")
        assert chips(chat) == [] and not chat.query_one(AttachmentChips).display


async def test_a_pasted_path_and_an_at_path_attach_and_leave_the_prompt_text(make_app, files):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        prompt = chat.query_one(PromptInput)
        prompt.post_message(events.Paste(f"'{files / 'anim.gif'}'"))
        await wait_until(pilot, lambda: chips(chat) == ["anim.gif"])
        assert prompt.text == ""
        turn = await send(pilot, "compare @doc.pdf with this")
        assert turn.prompt == "compare with this"
        assert [a.name for a in turn.attachments] == ["anim.gif", "doc.pdf"]
        await wait_until(pilot, lambda: turn.state == "done")
        assert received(turn).startswith("Received: image (image/gif,") and "application/pdf" in received(turn)


async def test_a_chip_removed_before_sending_is_not_sent(make_app, files):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        for name in ("red.png", "doc.pdf"):
            chat.query_one(PromptInput).post_message(events.Paste(str(files / name)))
            await wait_until(pilot, lambda name=name: name in chips(chat))
        chat.query(AttachmentChip).first().press()
        await wait_until(pilot, lambda: chips(chat) == ["doc.pdf"])
        turn = await answered(pilot, "read it")
        assert received(turn).startswith("Received: document (application/pdf,") and "image" not in received(turn)


async def test_an_over_size_image_is_refused_and_the_prompt_kept(make_app, files):
    (files / "huge.png").write_bytes(tiny_png() + bytes(4 * 1024 * 1024))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        prompt = chat.query_one(PromptInput)
        prompt.insert("look at @huge.png please")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("per image" in str(n.message) for n in app._notifications))
        assert prompt.text == "look at @huge.png please"
        assert not chat.query(TurnView) and chips(chat) == []


async def test_a_reopened_conversation_shows_and_sends_its_attachments_again(make_app, files):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        turn = await answered(pilot, "what is it @red.png")
        conversation_id = chat.session.conversation_id
        await pilot.press("ctrl+n")
        await chat.open_conversation(conversation_id)
        reopened = chat.query(TurnView).first()
        assert [a.name for a in reopened.attachments] == ["red.png"] and reopened is not turn
        assert "red.png" in str(reopened.query_one(".turn-attachments").render())
        follow_up = await answered(pilot, "and its colour?")
        assert received(follow_up).startswith("Received: image (image/png,")


async def test_a_large_pdf_is_read_off_the_event_loop(make_app, files):
    (files / "big.pdf").write_bytes(tiny_pdf() + bytes(20 * 1024 * 1024))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        longest = 0.0
        last = time.monotonic()

        async def tick() -> None:
            nonlocal longest, last
            while True:
                await asyncio.sleep(0.005)
                now = time.monotonic()
                longest, last = max(longest, now - last), now

        ticker = asyncio.create_task(tick())
        chat.query_one(PromptInput).post_message(events.Paste(str(files / "big.pdf")))
        await wait_until(pilot, lambda: chips(chat) == ["big.pdf"], timeout=30)
        ticker.cancel()
        assert longest < 0.25  # the loop kept turning while 20 MB were read and checked


async def test_retry_sends_the_attachments_again(demo_app, files):
    app = demo_app(deployment="fault-stream-error")
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        failed = await send(pilot, "what is it @red.png")
        await wait_until(pilot, lambda: failed.state == "failed")
        await pilot.press("f5")
        await wait_until(pilot, lambda: len(chat.query(TurnView)) == 2)
        again = chat.query(TurnView).last()
        await wait_until(pilot, lambda: again.state == "failed")
        assert [a.name for a in again.attachments] == ["red.png"]
        assert again.reply_source.startswith("Received: image")


@pytest.mark.parametrize("word", ["@" + "a" * 300, "@~nosuchuser4242/notes.md"])
async def test_an_at_word_that_cannot_be_a_path_is_sent_as_text(make_app, files, word):
    """A name too long for the file system, or a `~user` that does not exist, is just text: never a crash."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await answered(pilot, f"what about {word}")
        assert turn.prompt == f"what about {word}" and chips(app.screen) == []


@pytest.mark.parametrize("text", ["/" + "a" * 300, "~nosuchuser4242/red.png"])
async def test_a_paste_that_cannot_be_a_path_is_pasted_as_text(make_app, files, text):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        prompt = app.screen.query_one(PromptInput)
        app.post_message(events.Paste(text))  # as a terminal's paste arrives: to the app, then the focused prompt
        await wait_until(pilot, lambda: prompt.text == text)
        assert chips(app.screen) == []
