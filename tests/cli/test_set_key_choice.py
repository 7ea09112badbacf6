"""`profile set-key` without a keyring offers the choice on a terminal, as gh does: a 0600 file, or the shell's session."""

from __future__ import annotations

import builtins
import io
import stat

import pytest

from foundry_tui.commands import profile as profile_command
from foundry_tui.config.book import ProfileBook
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.config.secrets import Secrets, plaintext_key_file

SECRET = "sk-test-" + "7" * 30


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_keyring_terminal(no_keyring: None, monkeypatch: pytest.MonkeyPatch) -> ProfileBook:
    monkeypatch.setattr(profile_command.sys, "stdin", Terminal())
    monkeypatch.setattr(profile_command.getpass, "getpass", lambda prompt: SECRET)
    book = ProfileBook(Secrets(environ={}))
    book.add(Profile("work", resource="my-resource"))
    return book


def test_yes_keeps_the_key_in_an_owner_only_file(
    no_keyring_terminal: ProfileBook, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(builtins, "input", lambda prompt: "y")
    assert profile_command.set_key(no_keyring_terminal, "work", insecure_plaintext_file=False) == 0
    out, err = capsys.readouterr()
    assert "no keyring" in err and "this session only" in err and str(plaintext_key_file()) in err
    assert "UNENCRYPTED" in out and SECRET not in out + err
    assert stat.S_IMODE(plaintext_key_file().stat().st_mode) == 0o600
    assert Secrets(environ={}).get_api_key("work") is not None


@pytest.mark.parametrize("answer", ["", "n", "no"])
def test_anything_but_yes_writes_nothing_and_says_how_to_keep_it_for_the_session(
    no_keyring_terminal: ProfileBook, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    monkeypatch.setattr(builtins, "input", lambda prompt: answer)
    with pytest.raises(ConfigError) as caught:
        profile_command.set_key(no_keyring_terminal, "work", insecure_plaintext_file=False)
    assert caught.value.hint is not None and "ANTHROPIC_FOUNDRY_API_KEY" in caught.value.hint
    assert not plaintext_key_file().exists()
