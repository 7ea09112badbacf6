"""Regenerate the SVG screenshots in screenshots/ from the real app running on the emulator.

    python scripts/screenshots.py              # all of them
    python scripts/screenshots.py help chat    # only these

Each screen is driven the way a user would get there (keys, not internals) at 120x40.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

PNG = bytes.fromhex(  # a 1×1 red PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000"
    "000c49444154789c63f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (120, 40)


async def shoot(name: str, make_app: Callable[[], object], drive: Callable[[object, object], Awaitable[None]]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await drive(app, pilot)
        await pilot.pause(0.2)
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"screenshots/{name}.svg")


async def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("screen did not get there")
        await asyncio.sleep(0.02)


async def type_prompt(pilot, text: str) -> None:
    await pilot.press(*("space" if char == " " else char for char in text))
    await pilot.press("enter")


async def main() -> None:
    os.environ["FOUNDRY_TUI_HOME"] = tempfile.mkdtemp(prefix="foundry-tui-shots-")  # no real config touched
    from foundry_tui.config.file import Config
    from foundry_tui.config.secrets import Secrets
    from foundry_tui.demo import start_demo
    from foundry_tui.service.auth import DeviceCodePrompt
    from foundry_tui.ui.app import FoundryApp
    from foundry_tui.ui.widgets.turn import TurnView

    demos = []

    def demo_app(pace: float = 0, deployment: str | None = None, azure: bool = False) -> Callable[[], FoundryApp]:
        def make() -> FoundryApp:
            demo = start_demo(pace=pace, azure=azure)
            demos.append(demo)
            return FoundryApp(config=demo.config, secrets=demo.secrets, profile=demo.profile, deployment=deployment, persist=False)

        return make

    def newest_turn(app) -> TurnView:
        return app.screen.query(TurnView).last()

    async def setup(app, pilot) -> None:
        await pilot.press(*"work")

    async def chat_done(app, pilot) -> None:
        await type_prompt(pilot, "Show me a python example and a table")
        await wait_until(lambda: newest_turn(app).state == "done")

    async def chat_mid_stream(app, pilot) -> None:
        await type_prompt(pilot, "Write a long report with code and a table")
        await wait_until(lambda: len(newest_turn(app).reply_source) > 2500)

    async def chat_error(app, pilot) -> None:
        await type_prompt(pilot, "hello")
        await wait_until(lambda: newest_turn(app).state == "failed")

    async def picker(app, pilot) -> None:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("a")
        await asyncio.sleep(1.0)

    async def picker_azure(app, pilot) -> None:
        await pilot.press("ctrl+o")
        await wait_until(lambda: bool(app.screen.discovered))
        await pilot.press("a")
        await asyncio.sleep(1.0)

    async def device_code(app, pilot) -> None:
        expires = datetime.now(UTC) + timedelta(minutes=15, seconds=1)
        app.show_device_code(DeviceCodePrompt("https://microsoft.com/devicelogin", "F7KQ-2XWD", expires))

    async def history_screen(key: str):
        async def drive(app, pilot) -> None:
            for prompt in ("Show me a python example and a table", "Explain caching in one paragraph"):
                await type_prompt(pilot, prompt)
                await wait_until(lambda: newest_turn(app).state == "done")
            await app.workers.wait_for_complete()
            await pilot.press(key)
            await asyncio.sleep(0.5)

        return drive

    async def chat_attachments(app, pilot) -> None:
        from textual import events

        from foundry_tui.ui.widgets.prompt import PromptInput

        folder = Path(tempfile.mkdtemp(prefix="foundry-tui-files-"))
        (folder / "notes.md").write_text("# Release notes\n\n- faster streaming\n- files in prompts\n")
        (folder / "diagram.png").write_bytes(PNG)
        (folder / "spec.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n")
        os.chdir(folder)
        app.screen.query_one(PromptInput).post_message(events.Paste(str(folder / "diagram.png")))
        await asyncio.sleep(0.3)
        await type_prompt(pilot, "@notes.md What do these show?")
        await wait_until(lambda: newest_turn(app).state == "done")
        await pilot.press("ctrl+home")  # the turn's files and prompt, at its top
        app.screen.query_one(PromptInput).post_message(events.Paste(str(folder / "spec.pdf")))
        await asyncio.sleep(0.3)

    async def help_screen(app, pilot) -> None:
        await pilot.press("f1")

    async def profiles(app, pilot) -> None:
        await pilot.press("f3")

    shots = {
        "setup": (lambda: FoundryApp(config=Config(), secrets=Secrets(), profile=None), setup),
        "chat": (demo_app(pace=400), chat_done),
        "chat-mid-stream": (demo_app(pace=150), chat_mid_stream),
        "chat-error": (demo_app(deployment="fault-unknown-deployment"), chat_error),
        "chat-attachments": (demo_app(pace=400), chat_attachments),
        "picker": (demo_app(), picker),
        "picker-azure": (demo_app(azure=True), picker_azure),
        "device-code": (demo_app(), device_code),
        "help": (demo_app(), help_screen),
        "profiles": (demo_app(), profiles),
        "conversations": (demo_app(pace=400), await history_screen("ctrl+l")),
        "usage": (demo_app(pace=400), await history_screen("f7")),
    }
    OUT.mkdir(exist_ok=True)
    try:
        for name, (make, drive) in shots.items():
            if not sys.argv[1:] or name in sys.argv[1:]:
                await shoot(name, make, drive)
    finally:
        for demo in demos:
            demo.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
