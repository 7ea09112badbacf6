"""`foundry-tui deployments` end to end: a fake `az` on PATH, the emulator as Resource Manager."""

import json
import os
import time
from pathlib import Path

from helpers import foundry

from foundry_tui.config.file import load_config
from foundry_tui.emulator.arm import EMULATOR_RESOURCE, EMULATOR_RESOURCE_GROUP, SUBSCRIPTIONS

FAKE_AZ = """#!/bin/sh
# azure-identity runs: az account get-access-token --output json --resource <ARM>
echo '{"accessToken": "%s", "expires_on": %d, "tokenType": "Bearer"}'
"""


def fake_az_path(tmp_path: Path, token: str) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "az"
    script.write_text(FAKE_AZ % (token, int(time.time()) + 3600))
    script.chmod(0o755)
    return f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"


def add_profile(name: str = "work") -> None:
    added = foundry("profile", "add", name, "--resource", EMULATOR_RESOURCE, "--deployment", "claude-sonnet-4-5")
    assert added.returncode == 0, added.stderr


def test_lists_claude_deployments_found_in_the_second_subscription_and_pins_them(emulator, tmp_path):
    add_profile()
    env = {"PATH": fake_az_path(tmp_path, emulator.api_key), "FOUNDRY_TUI_ARM_ENDPOINT": emulator.arm_url}
    result = foundry("deployments", "-p", "work", "--json", env=env)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [d["name"] for d in listed] == ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"]
    assert {d["format"] for d in listed} == {"Anthropic"}
    assert listed[1] | {"capacity": 250, "version": "1", "subscription": SUBSCRIPTIONS[1]} == listed[1]
    assert "Azure CLI" in result.stderr  # an API-key profile says which credential it borrowed
    pinned = load_config().profiles["work"].azure
    assert (pinned.subscription, pinned.resource_group) == (SUBSCRIPTIONS[1], EMULATOR_RESOURCE_GROUP)

    table = foundry("deployments", "-p", "work", "--all-formats", env=env)
    assert table.returncode == 0, table.stderr
    assert "gpt-4o" in table.stdout and "CAPACITY" in table.stdout


def test_a_key_profile_without_any_azure_sign_in_exits_4_and_names_az_login(emulator, tmp_path):
    add_profile()
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"PATH": f"{empty}{os.pathsep}/usr/bin{os.pathsep}/bin", "FOUNDRY_TUI_ARM_ENDPOINT": emulator.arm_url}
    result = foundry("deployments", "-p", "work", env=env)
    assert result.returncode == 4
    assert "az login" in result.stderr
    assert "Traceback" not in result.stderr and "Attempted credentials" not in result.stderr


def test_a_forbidden_identity_exits_4_with_the_reader_hint_and_request_id(emulator, tmp_path):
    add_profile()
    env = {"PATH": fake_az_path(tmp_path, emulator.api_key), "FOUNDRY_TUI_ARM_ENDPOINT": emulator.arm_url + "/fault-403"}
    result = foundry("deployments", "-p", "work", env=env)
    assert result.returncode == 4
    assert "AuthorizationFailed" in result.stderr and "Reader role" in result.stderr
    assert "x-ms-request-id: " in result.stderr


def test_plain_http_arm_endpoint_off_loopback_is_a_config_error():
    add_profile()
    result = foundry("deployments", "-p", "work", env={"FOUNDRY_TUI_ARM_ENDPOINT": "http://management.example.com"})
    assert result.returncode == 3 and "https://" in result.stderr


def test_deployments_help_is_fast():
    started = time.perf_counter()
    result = foundry("deployments", "--help")
    assert result.returncode == 0 and "Reader role" in result.stdout
    assert time.perf_counter() - started < 1.0
