"""An API gateway in front of Foundry (APIM on its own path) is used as given, like the SDK's base_url."""

from __future__ import annotations

import httpx

from foundry_tui.config.profile import Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.emulator.server import Emulator, EmulatorConfig
from foundry_tui.service.connect import client_for_profile
from foundry_tui.service.events import Done
from foundry_tui.service.messages import MessageRequest


async def test_a_gateway_base_url_sends_to_its_own_path() -> None:
    async with Emulator(EmulatorConfig(pace=0, path_prefix="/gw/claude/")) as emulator:
        assert emulator.base_url.endswith("/gw/claude/")
        network = _RecordingTransport()
        profile = Profile("gw", base_url=emulator.base_url.removesuffix("/"), deployments=["claude-opus-4-5"])
        profile.validate()
        secrets = Secrets(environ={})
        secrets.hold_in_memory("gw", emulator.api_key)
        async with client_for_profile(profile, secrets, transport=network) as client:
            events = [event async for event in client.stream(_hello())]
        assert isinstance(events[-1], Done), events[-1]
        assert network.paths == ["/gw/claude/v1/messages"]


async def test_the_gateway_emulator_has_nothing_under_anthropic() -> None:
    async with Emulator(EmulatorConfig(pace=0, path_prefix="/gw/claude/")) as emulator:
        root = emulator.base_url.removesuffix("/gw/claude/")
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{root}/anthropic/v1/messages", headers={"api-key": emulator.api_key})
        assert answer.status_code == 404


class _RecordingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


def _hello() -> MessageRequest:
    return MessageRequest(model="claude-opus-4-5", messages=[{"role": "user", "content": "hello"}], max_tokens=64)
