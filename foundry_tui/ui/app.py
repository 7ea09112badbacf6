"""The Textual app: owns the config, the secrets and one Foundry client per profile.

Screens ask the app for what they need (`client()`, `use_profile()`, `run_check()`); the app asks
the service layer, which never sees a widget.
"""

from __future__ import annotations

import asyncio
import importlib
import signal
import tempfile
from collections.abc import Callable, Coroutine, Iterable
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from foundry_tui.config.file import Config
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.safetext import terminal_line
from foundry_tui.ui.check_memory import CheckMemory
from foundry_tui.ui.heap import freeze_long_lived
from foundry_tui.ui.markdown_blocks import block_parser, parser
from foundry_tui.ui.screens.chat import ChatScreen
from foundry_tui.ui.teardown import TeardownDeadline
from foundry_tui.ui.widgets.markdown_view import warm_up_rendering
from foundry_tui.ui.widgets.problem import problem_notice

if TYPE_CHECKING:  # httpx and the client load on first use, keeping start-up lean
    import httpx

    from foundry_tui.config.book import ProfileBook
    from foundry_tui.service.auth import DeviceCodePrompt
    from foundry_tui.service.check import CheckResult
    from foundry_tui.service.client import FoundryClient
    from foundry_tui.store.async_store import AsyncStore
    from foundry_tui.ui.screens.device_code import DeviceCodeScreen

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
# What the first turn needs and start-up does not: imported in idle time after the first frame
# (~0.25 s of imports, on a thread), so the first reply is not waiting for them. httpx loads its
# transport (httpcore, h11) with the first client and anyio its event-loop backend with the first
# connection.
WARM_UP_MODULES = (
    "foundry_tui.service.connect",
    "foundry_tui.session.turn",
    "httpcore",
    "anyio._backends._asyncio",
    "rich.markdown",
    "rich.syntax",
)


class FoundryApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "foundry-tui"
    BINDINGS = [
        Binding("f1", "help", "Help", key_display="F1"),
        Binding("f3", "profiles", "Profiles", show=False),
        # priority: the prompt (a TextArea) would take F6/F7 as "select line"/"select all"
        Binding("ctrl+l,f6", "conversations", "Chats", key_display="^l", priority=True),
        Binding("f7", "usage", "Usage", show=False, priority=True),
        Binding("f8", "show_device_code", "Sign-in code", show=False),
    ]

    def __init__(
        self,
        *,
        config: Config,
        secrets: Secrets,
        profile: Profile | None,
        deployment: str | None = None,
        persist: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        start_backend: Callable[[], None] | None = None,
    ) -> None:
        """`persist=False` (the demo) keeps every change in memory; `transport` replaces the network.
        `start_backend` (the demo's emulator) is called on a thread once the first frame is out: a
        request made before it serves waits in its socket's backlog.

        With `persist`, `config` is what was loaded from the config file: every change goes through
        `self.book`, which re-reads the file, so changes made meanwhile by another process stay.
        """
        super().__init__()
        self.config = config
        self.secrets = secrets
        self.profile = profile
        self.deployment = deployment or (profile.deployment() if profile else None)
        self.persist = persist
        self._transport = transport
        self._start_backend = start_backend
        self.theme_errors: list[str] = []
        self.store: AsyncStore | None = None  # the history; None until opened, or when it cannot be
        self._history_opened = asyncio.Event()
        self._history_started = False
        self._last_writes: set[asyncio.Task[None]] = set()
        self._scratch: tempfile.TemporaryDirectory[str] | None = None  # the history of a persist=False app
        self._clients: dict[str, FoundryClient] = {}
        self._device_code_screen: DeviceCodeScreen | None = None
        self._device_code_prompt: DeviceCodePrompt | None = None  # until the sign-in ends: F8 shows it again
        self.check_memory = CheckMemory()  # the picker's last checks, kept while the profile stays
        self._teardown_deadline: TeardownDeadline | None = None  # set by `run()`, when the app owns the process

    @cached_property
    def book(self) -> ProfileBook:
        """The config's one writer, made on first use: start-up does without tomlkit (~6 ms). Every
        change goes through it, so a book in memory still starts from the config given."""
        from foundry_tui.config.book import ProfileBook

        return ProfileBook(self.secrets) if self.persist else ProfileBook.in_memory(self.secrets, self.config)

    def run(self, *args: Any, **kwargs: Any) -> None:
        """Run as the process's app: a teardown stuck on a dead terminal then ends the process
        (see `teardown`). Apps under `run_test` share the test's process and are never ended."""
        self._teardown_deadline = TeardownDeadline(lambda: self.return_code or 0)
        try:
            return super().run(*args, **kwargs)  # what `exit(result)` was given (snapshot tests pass an SVG)
        finally:
            self._teardown_deadline.disarm()

    def get_default_screen(self) -> ChatScreen:
        return ChatScreen()

    def get_css_variables(self) -> dict[str, str]:
        """Under NO_COLOR every colour turns grey: text set apart by colour alone (an error's title,
        a hint) takes the foreground's contrast, and its bold style marks it instead."""
        variables = super().get_css_variables()
        if self.no_color:
            for name in ("text-error", "text-warning", "text-success"):
                variables[name] = variables["foreground"]
            self.theme_variables = variables
        return variables

    def on_mount(self) -> None:
        from foundry_tui.ui.themes import register_themes

        self.theme_errors = register_themes(self)
        for problem in self.theme_errors:
            self.notify(problem, title="Theme file skipped", severity="warning", timeout=8)
        if self.config.theme and self.config.theme in self.available_themes:
            self.theme = self.config.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.call_after_refresh(self._start_history)  # once the first frame is out: start-up stays lean
        if not self.is_headless:  # tests drive `exit_on_signal` directly rather than signal themselves
            loop = asyncio.get_running_loop()
            for signum in EXIT_SIGNALS:
                loop.add_signal_handler(signum, self.exit_on_signal, signum)
        if self.profile is None:
            self.action_profiles()
        elif self.profile.auth == "api-key" and self.persist:
            self.run_worker(self._say_which_key(self.profile), exit_on_error=False)

    async def _say_which_key(self, profile: Profile) -> None:
        """Say once at start where the key comes from when that is worth knowing (or that there is none)."""
        from foundry_tui.ui.screens.profiles import key_in_effect

        found = await asyncio.to_thread(self.secrets.get_api_key, profile.name)  # the keyring may be slow
        notice = key_in_effect(profile.name, found[1] if found else None)
        if notice is not None:
            self.notify(notice[0], title="API key", severity=notice[1], markup=False, timeout=10)

    async def on_unmount(self) -> None:
        try:
            await self._save_and_close()
        finally:  # Textual's teardown comes next, and may hang on a dead terminal
            if self._teardown_deadline is not None:
                self._teardown_deadline.arm()

    async def _save_and_close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        if self._history_started:
            await self._history_opened.wait()  # an app closed at once may still be opening it
        # A reply still streaming is cancelled here, before the store closes, so it is saved as such.
        turns = [worker for worker in self.workers if worker.group == "turn"]
        for worker in turns:
            worker.cancel()
        await asyncio.gather(*(worker.wait() for worker in turns), return_exceptions=True)
        await asyncio.gather(*self._last_writes, return_exceptions=True)
        if self.store is not None:
            await self.store.aclose()
        if self._scratch is not None:
            self._scratch.cleanup()

    def exit_on_signal(self, signum: int) -> None:
        """SIGTERM/SIGHUP leave through the normal exit, like a quit: a reply still streaming is saved
        as cancelled and the terminal is restored. The exit status is the shell's, 128 + signal."""
        self.exit(return_code=128 + signum)

    # -- history -----------------------------------------------------------------------------------

    def _start_history(self) -> None:
        freeze_long_lived()  # everything built so far lives as long as the app
        self.run_worker(self._open_history(), name="history", exit_on_error=False)
        self.run_worker(self._warm_up(), name="warm-up", exit_on_error=False)

    async def _warm_up(self) -> None:
        """Load what the first turn needs, off the event loop, after the first frame."""
        if self._start_backend is not None:
            try:
                await asyncio.to_thread(self._start_backend)
            except Exception as error:  # nothing would ever answer: say so rather than let prompts wait
                self.notify(terminal_line(str(error)), title="The demo's emulator did not start", severity="error")
        for module in WARM_UP_MODULES:
            await asyncio.to_thread(importlib.import_module, module)
        from foundry_tui.service.tls import tls_context

        await asyncio.to_thread(tls_context)  # the CA bundle, loaded before the first request needs it
        parser()  # built once, here rather than under the first reply
        block_parser()
        await asyncio.to_thread(warm_up_rendering, self.current_theme.dark)

    async def _open_history(self) -> None:
        """Off the first frame: open the store, mark turns a killed run left, reopen the latest chat."""
        self._history_started = True
        from foundry_tui.store.async_store import AsyncStore
        from foundry_tui.store.errors import StoreError

        path = None
        if not self.persist:  # the demo writes nothing outside a temporary folder
            self._scratch = tempfile.TemporaryDirectory(prefix="foundry-tui-", ignore_cleanup_errors=True)
            path = Path(self._scratch.name) / "history.sqlite3"
        try:
            self.store = await AsyncStore.open(path, prune_days=self.config.usage_days)
            if await self.store.call(lambda store: store.db.read_only):
                self.notify(
                    "Chats are shown but not saved. Make history.db writable to save them.",
                    title="History is read-only", severity="warning", timeout=10,
                )  # fmt: skip
            else:
                await self.store.call(lambda store: store.conversations.mark_interrupted())
            latest = await self.store.call(lambda store: store.conversations.latest())
        except StoreError as error:
            self.store = None
            notice = f"{problem_notice(error)}\nChats still work but are not saved."
            self.notify(notice, title="History is off", severity="warning", timeout=10, markup=False)
            latest = None
        finally:
            self._history_opened.set()
        if latest is not None and latest.messages:
            await self.chat_screen().show_conversation(latest)

    async def history(self) -> AsyncStore | None:
        """The store once it is open (a prompt sent in the first instant waits for it)."""
        await self._history_opened.wait()
        return self.store

    def finish_before_exit(self, write: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a history write that must land even if the app is quitting (a cancelled turn's)."""
        task = asyncio.ensure_future(write)
        self._last_writes.add(task)
        task.add_done_callback(self._last_writes.discard)
        return task

    def chat_screen(self) -> ChatScreen:
        return next(screen for screen in self.screen_stack if isinstance(screen, ChatScreen))

    # -- state the screens share -----------------------------------------------------------------

    def client(self, profile: Profile | None = None) -> FoundryClient:
        """One pooled client per profile; raises ConfigError when it cannot be built (no key)."""
        profile = profile or self.profile
        if profile is None:
            raise ConfigError("no profile selected", hint="press F3 to set one up")
        if profile.name not in self._clients:
            from foundry_tui.service.connect import client_for_profile

            self._clients[profile.name] = client_for_profile(
                profile, self.secrets, on_device_code=self.show_device_code, transport=self._transport
            )
        return self._clients[profile.name]

    def forget_client(self, profile_name: str) -> None:
        """The profile or its key changed: the next request builds a fresh client."""
        client = self._clients.pop(profile_name, None)
        if client is not None:
            self.run_worker(client.aclose(), exit_on_error=False)

    def use_profile(self, profile: Profile, deployment: str | None = None) -> None:
        self.profile = profile
        self.deployment = deployment or profile.deployment()
        self._refresh_status()

    def use_deployment(self, deployment: str) -> None:
        self.deployment = deployment
        self._refresh_status()

    def config_changed(self, config: Config) -> None:
        """A ProfileBook operation succeeded: show its config, with the new copy of the profile in use."""
        self.config = config
        if self.profile is not None and self.profile.name in config.profiles:
            self.profile = config.profiles[self.profile.name]
        self._refresh_status()

    async def run_check(self, profile: Profile, deployments: list[str], timeout: float = 30.0) -> list[CheckResult]:
        """The same check as `foundry-tui check`, over the profile's pooled connection."""
        from foundry_tui.service.check import check_all
        from foundry_tui.service.retry import RetryPolicy

        client = self.client(profile)
        return await check_all(client.with_retry(RetryPolicy(max_retries=0)), profile.name, deployments, timeout=timeout)

    def copy_with_notice(self, text: str, label: str, *, show: bool = True) -> None:
        """OSC 52 gets no answer and some terminals ignore it, so also show what was copied."""
        self.copy_to_clipboard(text)
        body = f"{text}" if show else f"{len(text)} characters"
        self.notify(body, title=f"Copied {label}", markup=False, timeout=8)

    # -- Entra device code -------------------------------------------------------------------------

    def show_device_code(self, prompt: DeviceCodePrompt) -> None:
        from foundry_tui.ui.screens.device_code import DeviceCodeScreen

        self._device_code_prompt = prompt
        self._device_code_screen = DeviceCodeScreen(prompt)
        self.push_screen(self._device_code_screen)
        turn = self.chat_screen().streaming_turn()
        if turn is not None:
            turn.waiting_for_sign_in(prompt, "F8")

    def action_show_device_code(self) -> None:
        """Show a sign-in code that was hidden with esc again (there is none once the sign-in ended)."""
        if self._device_code_prompt is None:
            self.notify("No sign-in is waiting for a code.", severity="information")
        elif self._device_code_screen is None or not self._device_code_screen.is_attached:
            self.show_device_code(self._device_code_prompt)

    def close_device_code(self) -> None:
        if self._device_code_screen is not None and self._device_code_screen.is_attached:
            self._device_code_screen.dismiss()
        self._device_code_screen = None
        self._device_code_prompt = None

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): Textual's own commands plus ours."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Profiles", "Create, edit, test, delete or switch profiles (F3)", self.action_profiles)
        yield SystemCommand("Deployment", "Pick the deployment for the next turn (ctrl+o)", self.action_pick_deployment)
        yield SystemCommand("Help", "All key bindings (F1)", self.action_help)
        yield SystemCommand("Conversations", "Open, search (words or a request-id), rename, delete, export (ctrl+l)", self.action_conversations)
        yield SystemCommand("Usage", f"Tokens, cost, latency and errors of the last {self.config.usage_days} days (F7)", self.action_usage)
        for name, profile in self.config.profiles.items():
            if self.profile is None or name != self.profile.name:
                yield SystemCommand(f"Switch profile: {name}", profile.endpoint_url(), partial(self.use_profile, profile))
        if self.profile is not None:
            for deployment in self.profile.deployments:
                yield SystemCommand(f"Use deployment: {deployment}", f"in profile {self.profile.name}", partial(self.use_deployment, deployment))
        if isinstance(screen, ChatScreen):
            yield SystemCommand("New chat", "Start a new conversation (ctrl+n)", screen.action_new_chat)
            yield SystemCommand("Copy request ids", "request-id and apim-request-id of the turn (ctrl+r)", screen.action_copy_ids)
            yield SystemCommand("Copy request-id", "Only the request-id header", partial(screen.copy_one_id, "request_id"))
            yield SystemCommand("Copy apim-request-id", "Only the apim-request-id header", partial(screen.copy_one_id, "apim_request_id"))
            yield SystemCommand("Copy reply", "The reply's Markdown source (ctrl+g)", screen.action_copy_reply)
            yield SystemCommand("Chat settings", "System prompt, max tokens, temperature, thinking (F4)", screen.action_chat_settings)
            yield SystemCommand(
                "Check deployments", "Run the auth check on every deployment", partial(self.action_pick_deployment, check_all=True)
            )

    # -- actions -----------------------------------------------------------------------------------

    def action_help(self) -> None:
        from foundry_tui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_conversations(self) -> None:
        from foundry_tui.ui.screens.conversations import ConversationsScreen

        self._toggle_screen(ConversationsScreen)

    def action_usage(self) -> None:
        from foundry_tui.ui.screens.usage import UsageScreen

        self._toggle_screen(UsageScreen)

    def _toggle_screen(self, screen_type: type[Screen[Any]]) -> None:
        """The key that opens a dialog closes it too (these keys have priority over the prompt)."""
        if isinstance(self.screen, screen_type):
            self.screen.dismiss()
        else:
            self.push_screen(screen_type())

    def action_profiles(self) -> None:
        from foundry_tui.ui.screens.profiles import ProfilesScreen

        self.push_screen(ProfilesScreen())

    def action_pick_deployment(self, check_all: bool = False) -> None:
        from foundry_tui.ui.screens.deployments import DeploymentPicker

        if self.profile is None:
            self.notify("Set up a profile first (F3).", severity="warning")
            return
        self.push_screen(DeploymentPicker(self.profile, check_all_on_open=check_all), self._deployment_picked)

    def _deployment_picked(self, deployment: str | None) -> None:
        if deployment:
            self.use_deployment(deployment)

    def open_chat_settings(self, chat: ChatScreen) -> None:
        from foundry_tui.ui.screens.chat_settings import ChatSettingsScreen

        self.push_screen(ChatSettingsScreen(chat))

    def _refresh_status(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):
                screen.refresh_status()

    def _remember_theme(self, theme: object) -> None:
        if self.config.theme == self.theme:
            return
        try:
            self.config_changed(self.book.set_theme(self.theme))
        except ConfigError as error:
            self.notify(f"{error.message}", title="Theme not saved", severity="warning", markup=False, timeout=8)
