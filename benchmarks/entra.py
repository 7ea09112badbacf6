"""6. Entra: over 100 requests within one token lifetime, the credential is called once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from benchmarks.common import Figure
from benchmarks.parse import BASE_URL, _transport
from benchmarks.recorded import recording
from foundry_tui.service.auth import EntraAuth
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.events import Done
from foundry_tui.service.messages import MessageRequest


@dataclass
class AccessToken:
    token: str
    expires_on: int


class CountingCredential:
    """Stands in for azure-identity: a token good for an hour, and a count of the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls += 1
        time.sleep(0.05)  # a real credential takes a while; concurrent requests must still share one call
        return AccessToken(f"token-{self.calls}", int(time.time()) + 3600)


async def run(quick: bool) -> list[Figure]:
    credential = CountingCredential()
    rec = recording(50)
    client = FoundryClient(BASE_URL, EntraAuth(credential, "https://cognitiveservices.azure.com/.default"), transport=_transport(rec))
    request = MessageRequest(model="claude-sonnet-4-5", messages=[{"role": "user", "content": "hi"}])

    async def one() -> bool:
        async for event in client.stream(request):
            if isinstance(event, Done):
                return True
        return False

    async with client:
        concurrent = await asyncio.gather(*(one() for _ in range(50)))
        sequential = [await one() for _ in range(50)]
    answered = sum(concurrent) + sum(sequential)
    return [
        Figure("entra: requests answered (50 concurrent + 50 in turn)", answered, "", "= 100", answered == 100),
        Figure("entra: credential calls for those 100 requests", credential.calls, "", "= 1", credential.calls == 1),
    ]
