"""Entra ID from the shell: the Azure CLI credential end to end, and sign-in failures said honestly.

A fake `az` on PATH answers exactly what azure-identity's AzureCliCredential runs
(`az account get-access-token --output json --resource …`) and parses (`accessToken`, `expires_on`).
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from helpers import foundry, write_config

from foundry_tui import exitcodes
from foundry_tui.config.file import Config
from foundry_tui.config.profile import EntraOptions, Profile

SIGNED_IN = """
token = {{"accessToken": {token!r}, "expires_on": int(time.time()) + 3600, "tokenType": "Bearer"}}
print(json.dumps(token))
"""
NOT_SIGNED_IN = """
print("ERROR: Please run 'az login' to setup account.", file=sys.stderr)
sys.exit(1)
"""
AZURE_LOG_MARKERS = ("get_token failed", "AzureCliCredential.get_token", "DeviceCodeCredential.get_token")


def fake_az(folder: Path, body: str) -> dict[str, str]:
    """An `az` that logs its arguments to az.log, then runs `body`; returns the environment that finds it."""
    folder.mkdir(exist_ok=True)
    script = folder / "az"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys, time\n"
        f"open({str(folder / 'az.log')!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n{body}"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def entra_profile(emulator, credential: str) -> None:
    profile = Profile(
        "lab", base_url=emulator.base_url, auth="entra", entra=EntraOptions(credential=credential),
        deployments=["claude-haiku-4-5"],
    )
    write_config(Config(profiles={"lab": profile}, default_profile="lab"))


def assert_no_azure_log_lines(stderr: str) -> None:
    assert not any(marker in stderr for marker in AZURE_LOG_MARKERS), stderr


def test_azure_cli_credential_end_to_end(emulator, tmp_path):
    entra_profile(emulator, "azure-cli")
    path = fake_az(tmp_path / "bin", SIGNED_IN.format(token=emulator.api_key))
    result = foundry("check", env=path)
    assert result.returncode == exitcodes.OK, result.stdout + result.stderr
    assert "AzureCliCredential" in result.stdout
    calls = (tmp_path / "bin" / "az.log").read_text().splitlines()
    assert calls == ["account get-access-token --output json --resource https://cognitiveservices.azure.com"]
    answer = foundry("ask", "hello", env=path)
    assert answer.returncode == exitcodes.OK and answer.stdout.strip()
    assert_no_azure_log_lines(answer.stderr)


def test_azure_cli_not_signed_in_is_an_auth_failure_that_says_az_login(emulator, tmp_path):
    entra_profile(emulator, "azure-cli")
    path = fake_az(tmp_path / "bin", NOT_SIGNED_IN)
    result = foundry("check", env=path)
    assert result.returncode == exitcodes.AUTH
    assert "az login" in result.stdout
    assert_no_azure_log_lines(result.stderr)
    answer = foundry("ask", "hello", env=path)
    assert answer.returncode == exitcodes.AUTH
    assert "az login" in answer.stderr and "Traceback" not in answer.stderr
    assert_no_azure_log_lines(answer.stderr)


@pytest.mark.parametrize("command", ["check", "ask"])
def test_sign_in_without_network_is_a_network_failure(emulator, command):
    entra_profile(emulator, "device-code")
    offline = {"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}
    args = ["check"] if command == "check" else ["ask", "hello"]
    result = foundry(*args, env=offline, timeout=60)
    assert result.returncode == exitcodes.NETWORK, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert_no_azure_log_lines(result.stderr)
