import os
import stat
import tomllib
from pathlib import Path

import pytest
from helpers import write_config

from foundry_tui.config import paths
from foundry_tui.config.book import ProfileBook
from foundry_tui.config.env import env_api_key, env_profile, with_endpoint
from foundry_tui.config.file import Config, config_from_toml, load_config
from foundry_tui.config.profile import (
    GUIDE_DEPLOYMENTS,
    ConfigError,
    EntraOptions,
    Price,
    Profile,
    RequestDefaults,
    normalize_base_url,
    resolve_endpoint,
    validate_arm_endpoint,
    validate_profile_name,
    validate_resource,
)
from foundry_tui.config.secrets import Secrets

ENV = {"ANTHROPIC_FOUNDRY_API_KEY": "k", "ANTHROPIC_FOUNDRY_RESOURCE": "env-resource"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ab", "my-resource", "A1", "x" * 64])
def test_valid_resource_names(name):
    assert validate_resource(name) == name


def test_resource_surrounding_whitespace_is_dropped():
    assert validate_resource("  my-resource \n") == "my-resource"


@pytest.mark.parametrize(
    "name",
    ["https://x.services.ai.azure.com/anthropic/", "x.services.ai.azure.com", "x/anthropic", "http://x"],
)
def test_url_given_as_resource_points_to_base_url(name):
    with pytest.raises(ConfigError) as caught:
        validate_resource(name)
    assert str(caught.value) == f"{name!r} looks like a URL: use it as the base URL instead of the resource name"
    assert "my-resource" in caught.value.hint


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.services.ai.azure.com", "https://x.services.ai.azure.com/anthropic/"),
        ("https://x.services.ai.azure.com/", "https://x.services.ai.azure.com/anthropic/"),
        ("https://x.services.ai.azure.com/anthropic", "https://x.services.ai.azure.com/anthropic/"),
        ("https://x.services.ai.azure.com/anthropic/", "https://x.services.ai.azure.com/anthropic/"),
        ("https://x.services.ai.azure.com/anthropic/v1/messages", "https://x.services.ai.azure.com/anthropic/"),
        ("https://x.services.ai.azure.com/anthropic/v1/messages/", "https://x.services.ai.azure.com/anthropic/"),
        ("https://X.Services.AI.Azure.com/", "https://X.Services.AI.Azure.com/anthropic/"),
        # A gateway (APIM on its own path) or any other host is used as given, like the SDK's base_url.
        ("  HTTPS://x.example.com/proxy  ", "https://x.example.com/proxy/"),
        ("https://gw.example.com/claude/", "https://gw.example.com/claude/"),
        ("https://gw.example.com/claude/v1/messages", "https://gw.example.com/claude/"),
        ("https://gw.example.com", "https://gw.example.com/"),
        ("http://localhost:8080", "http://localhost:8080/"),
        ("http://127.0.0.1:9000/anthropic", "http://127.0.0.1:9000/anthropic/"),
        ("http://[::1]:9000/gw/claude", "http://[::1]:9000/gw/claude/"),
    ],
)
def test_base_url_normalisation(url, expected):
    assert normalize_base_url(url) == expected


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (validate_resource, "a", "resource name 'a' must be 2 to 64 characters long (it is 1)"),
        (validate_resource, "x" * 65, f"resource name '{'x' * 65}' must be 2 to 64 characters long (it is 65)"),
        (validate_resource, "", "resource name '' must be 2 to 64 characters long (it is 0)"),
        (validate_resource, "my_resource", "resource name 'my_resource' may contain only letters, digits and hyphens"),
        (validate_resource, "my resource", "resource name 'my resource' may contain only letters, digits and hyphens"),
        (validate_resource, "-abc", "resource name '-abc' cannot start or end with a hyphen"),
        (validate_resource, "abc-", "resource name 'abc-' cannot start or end with a hyphen"),
        (normalize_base_url, "http://x.services.ai.azure.com", "base URL 'http://x.services.ai.azure.com' must use https://"),
        (normalize_base_url, "http://127.evil.example", "base URL 'http://127.evil.example' must use https://"),
        (normalize_base_url, "ftp://x.example.com", "base URL 'ftp://x.example.com' must start with https://"),
        (normalize_base_url, "x.services.ai.azure.com", "base URL 'x.services.ai.azure.com' must start with https://"),
        (normalize_base_url, "https:///anthropic", "base URL 'https:///anthropic' has no host"),
        (normalize_base_url, "https://h.example.com/?a=1", "base URL 'https://h.example.com/?a=1' must not have a query or fragment"),
        (normalize_base_url, "https://[::1", "the base URL is not a valid URL"),
    ],
)
def test_invalid_resource_names_and_base_urls(check, value, message):
    with pytest.raises(ConfigError) as caught:
        check(value)
    assert str(caught.value) == message


def test_plain_http_hint_mentions_localhost():
    with pytest.raises(ConfigError) as caught:
        normalize_base_url("http://example.com")
    assert "localhost" in caught.value.hint


def test_resolve_endpoint():
    assert resolve_endpoint("my-resource", None) == ("my-resource", None)
    assert resolve_endpoint(None, "https://h/anthropic") == (None, "https://h/anthropic/")
    with pytest.raises(ConfigError) as caught:
        resolve_endpoint("x", "https://y")
    assert str(caught.value) == (
        "set either a resource name or a base URL, not both (resource 'x', base URL 'https://y')"
    )
    with pytest.raises(ConfigError, match="no endpoint: set a resource name or a base URL"):
        resolve_endpoint(None, None)


@pytest.mark.parametrize("name", ["w", "work", "my.profile_2-b", "p" * 64])
def test_valid_profile_names(name):
    assert validate_profile_name(name) == name


@pytest.mark.parametrize("name", ["", "p" * 65, "my profile", "work!", "é"])
def test_invalid_profile_names(name):
    with pytest.raises(ConfigError) as caught:
        validate_profile_name(name)
    assert str(caught.value) == f"invalid profile name {name!r}: use 1 to 64 letters, digits, '-', '_' or '.'"


def test_env_profile_name_is_reserved():
    with pytest.raises(ConfigError, match="'env' is reserved"):
        validate_profile_name("env")


def test_profile_endpoint_and_deployment():
    profile = Profile("work", resource="my-resource", deployments=["a", "b"])
    assert profile.endpoint_url() == "https://my-resource.services.ai.azure.com/anthropic/"
    assert profile.endpoint_host() == "my-resource.services.ai.azure.com"
    assert profile.deployment() == "a"
    profile.default_deployment = "b"
    assert profile.deployment() == "b"
    assert Profile("p", resource="rr").deployment() is None
    local = Profile("local", base_url="http://localhost:8080")
    assert local.endpoint_url() == "http://localhost:8080/"
    assert local.endpoint_host() == "localhost:8080"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"auth": "password"}, "auth must be 'api-key' or 'entra'"),
        ({"entra": EntraOptions(credential="magic")}, "entra.credential must be 'default', 'azure-cli' or 'device-code'"),
        ({"defaults": RequestDefaults(max_tokens=0)}, "defaults.max_tokens must be at least 1"),
        ({"defaults": RequestDefaults(temperature=1.5)}, "defaults.temperature must be between 0 and 1"),
        ({"defaults": RequestDefaults(temperature=-0.1)}, "defaults.temperature must be between 0 and 1"),
        ({"deployments": ["ok", ""]}, "deployment name '' must be non-empty and without spaces"),
        ({"deployments": ["has space"]}, "deployment name 'has space' must be non-empty and without spaces"),
        ({"default_deployment": ""}, "deployment name '' must be non-empty and without spaces"),
        ({"default_deployment": "tab\tbed"}, "deployment name 'tab\\tbed' must be non-empty and without spaces"),
        ({"deployments": ["a", "b"], "default_deployment": "c"}, "default_deployment 'c' is not in deployments (a, b)"),
        ({"prices": {"d": Price(input=-1, output=1)}}, "prices.d.input must not be negative"),
        ({"name": "bad name"}, "invalid profile name 'bad name': use 1 to 64 letters, digits, '-', '_' or '.'"),
        ({"resource": None}, "no endpoint: set a resource name or a base URL"),
    ],
)
def test_profile_validation(changes, message):
    profile = Profile(**{"name": "work", "resource": "my-resource", **changes})
    with pytest.raises(ConfigError) as caught:
        profile.validate()
    assert str(caught.value) == message


def test_valid_profile_passes():
    Profile(
        "work",
        base_url="https://h.example.com",
        auth="entra",
        entra=EntraOptions(credential="device-code", tenant_id="t"),
        deployments=["a"],
        default_deployment="a",
        defaults=RequestDefaults(max_tokens=1, temperature=0.0),
        prices={"a": Price(input=0, output=0)},
    ).validate()
    Profile("p", resource="rr", default_deployment="custom").validate()  # no list: any valid name


# --- paths ------------------------------------------------------------------------------------


def test_paths_under_foundry_tui_home(foundry_home):
    assert paths.home_override() == foundry_home
    assert paths.config_dir() == foundry_home / "config"
    assert paths.data_dir() == foundry_home / "data"
    assert paths.cache_dir() == foundry_home / "cache"
    assert paths.log_dir() == foundry_home / "logs"
    assert paths.config_file() == foundry_home / "config" / "config.toml"
    assert not foundry_home.exists()  # nothing is created just by asking


def test_paths_follow_environment_changes(monkeypatch, tmp_path):
    monkeypatch.setenv("FOUNDRY_TUI_HOME", str(tmp_path / "other"))
    assert paths.config_file() == tmp_path / "other" / "config" / "config.toml"


def test_paths_without_foundry_tui_home(monkeypatch):
    import platformdirs

    monkeypatch.delenv("FOUNDRY_TUI_HOME")
    assert paths.home_override() is None
    assert paths.config_dir() == Path(platformdirs.user_config_dir("foundry-tui", appauthor=False))
    assert paths.data_dir() == Path(platformdirs.user_data_dir("foundry-tui", appauthor=False))
    assert paths.cache_dir() == Path(platformdirs.user_cache_dir("foundry-tui", appauthor=False))
    assert paths.log_dir() == Path(platformdirs.user_log_dir("foundry-tui", appauthor=False))
    assert paths.config_file().name == "config.toml"
    assert "foundry-tui" in str(paths.config_dir())


# --- config file ------------------------------------------------------------------------------


def full_config() -> Config:
    work = Profile(
        "work",
        resource="my-resource",
        auth="entra",
        entra=EntraOptions(credential="azure-cli", tenant_id="tenant"),
        deployments=["claude-sonnet-4-5", "my.custom"],
        default_deployment="claude-sonnet-4-5",
        defaults=RequestDefaults(max_tokens=1000, temperature=0.7, system="Be brief."),
        prices={"my.custom": Price(input=3.0, output=15.0, cache_read=0.3)},
    )
    local = Profile("local", base_url="http://localhost:8080/anthropic/")
    return Config(profiles={"work": work, "local": local}, default_profile="work", theme="foundry-azure")


def test_round_trip():
    config = full_config()
    write_config(config)
    assert load_config() == config
    assert ProfileBook(Secrets(environ={})).load() == config


def test_usage_days_defaults_to_30_is_saved_only_when_changed_and_must_be_positive(foundry_home, tmp_path):
    assert Config().usage_days == 30
    write_config(Config(usage_days=90))
    assert load_config().usage_days == 90
    write_config(Config())
    assert "usage_days" not in (foundry_home / "config" / "config.toml").read_text()
    path = tmp_path / "config.toml"
    path.write_text("usage_days = 0\n")
    with pytest.raises(ConfigError, match="usage_days must be at least 1"):
        load_config(path)


def test_missing_file_is_an_empty_config(tmp_path):
    assert load_config(tmp_path / "nope.toml") == Config()


def test_saved_file_is_tidy_and_private(foundry_home):
    ProfileBook(Secrets(environ={})).add(Profile("p", resource="my-resource"))
    path = foundry_home / "config" / "config.toml"
    assert path.read_text() == 'default_profile = "p"\n\n[profiles.p]\nresource = "my-resource"\n'
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_example_from_docs_loads(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        """
default_profile = "work"
future_option = true
[profiles.work]
base_url = "https://x.services.ai.azure.com/anthropic/v1/messages"
auth = "entra"
something_new = 1
[profiles.work.entra]
credential = "default"
[profiles.work.defaults]
max_tokens = 4096
temperature = 1
[profiles.work.prices.my-deployment]
input = 3
output = 15.0
"""
    )
    profile = load_config(path).select(None)
    assert profile.base_url == "https://x.services.ai.azure.com/anthropic/"
    assert profile.defaults.temperature == 1.0
    assert profile.prices == {"my-deployment": Price(input=3.0, output=15.0)}


def test_broken_toml_is_a_one_line_error_with_path_and_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "x"\n[profiles.work]\nresource = \n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: ")
    assert "\n" not in message and "column" not in message


def test_non_utf8_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'theme = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[profiles.work]\nresource = "r1"\nauth = "password"', "profile 'work': auth must be 'api-key' or 'entra'"),
        ('[profiles.work]\nresource = "r1"\n[profiles.work.defaults]\nmax_tokens = "lots"',
         "profile 'work': defaults.max_tokens must be an integer"),
        ('[profiles.work]\nresource = "r1"\n[profiles.work.defaults]\nmax_tokens = true',
         "profile 'work': defaults.max_tokens must be an integer"),
        ('[profiles.work]\nresource = "r1"\ndeployments = "a"', "profile 'work': deployments must be a list of strings"),
        ('[profiles.work]\nresource = "r1"\nentra = 1', "profile 'work': entra must be a table"),
        ('[profiles.work]\nresource = "r1"\n[profiles.work.prices.d]\ninput = 1',
         "profile 'work': prices.d needs both input and output"),
        ('[profiles.work]\nresource = "r1"\n[profiles.work.prices.d]\ninput = "1"\noutput = 2',
         "profile 'work': prices.d.input must be a number"),
        ('[profiles.work]\nresource = "r1"\nprices = {d = 1}', "profile 'work': prices.d must be a table"),
        ('[profiles.work]\nresource = "https://x.example.com"',
         "profile 'work': 'https://x.example.com' looks like a URL: use it as the base URL instead of the resource name"),
        ('[profiles.work]\nauth = "entra"', "profile 'work': no endpoint: set a resource name or a base URL"),
        ('[profiles.env]\nresource = "r1"', "profile 'env': the profile name 'env' is reserved"),
        ('[profiles."a b"]\nresource = "r1"', "profile 'a b': invalid profile name"),
        ("profiles = 1", "profiles must be a table"),
        ("[profiles]\nwork = 1", "profile 'work': must be a table"),
        ("theme = 3", "theme must be a string"),
        ('usage_days = "30"', "usage_days must be an integer"),
    ],
)
def test_semantic_errors_name_file_profile_and_key(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_unreadable_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)  # a directory


def test_save_refuses_invalid_profiles(foundry_home):
    with pytest.raises(ConfigError, match="^profile 'p': auth must be"):
        ProfileBook(Secrets(environ={})).add(Profile("p", resource="rr", auth="nope"))
    assert not (foundry_home / "config" / "config.toml").exists()


def test_save_refuses_a_profile_named_env():
    with pytest.raises(ConfigError, match="^the profile name 'env' is reserved"):
        ProfileBook(Secrets(environ={})).add(Profile("env", resource="rr"))


def test_save_replaces_a_world_readable_file_with_a_private_one(foundry_home):
    path = foundry_home / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("theme = 'old'\n")
    path.chmod(0o644)
    ProfileBook(Secrets(environ={})).set_theme("new")
    assert mode(path) == 0o600
    assert load_config().theme == "new"
    assert sorted(os.listdir(path.parent)) == ["config.toml", "config.toml.lock"]


def test_save_file_is_private_before_it_is_renamed(monkeypatch, foundry_home):
    modes = []
    real_replace = os.replace

    def spying_replace(source, target):
        modes.append(mode(Path(source)))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", spying_replace)
    ProfileBook(Secrets(environ={})).set_theme("x")
    assert modes == [0o600]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_files(monkeypatch, foundry_home):
    book = ProfileBook(Secrets(environ={}))
    book.set_theme("old")
    path = foundry_home / "config" / "config.toml"

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ConfigError) as caught:
        book.set_theme("new")
    assert str(caught.value) == f"{path}: cannot write: No space left on device"
    assert load_config().theme == "old"
    assert sorted(os.listdir(path.parent)) == ["config.toml", "config.toml.lock"]


# --- selecting a profile ----------------------------------------------------------------------


def two_profiles(**kwargs) -> Config:
    profiles = {name: Profile(name, resource=f"{name}-resource") for name in ("work", "home")}
    return Config(profiles=profiles, **kwargs)


def test_select_by_name_beats_everything():
    assert two_profiles(default_profile="work").select("home", ENV).name == "home"


def test_select_unknown_name_lists_known_ones():
    with pytest.raises(ConfigError) as caught:
        two_profiles().select("play", {})
    assert str(caught.value) == "unknown profile 'play' (known: home, work)"


def test_select_default_profile_beats_env():
    assert two_profiles(default_profile="work").select(None, ENV).name == "work"


def test_select_dangling_default_profile():
    with pytest.raises(ConfigError, match="default_profile names an unknown profile 'gone' \\(known: home, work\\)"):
        two_profiles(default_profile="gone").select(None, {})


def test_select_env_profile_when_no_default():
    assert two_profiles().select(None, ENV).name == "env"


def test_select_the_only_profile():
    config = Config(profiles={"solo": Profile("solo", resource="rr")})
    assert config.select(None, {}).name == "solo"


def test_select_several_profiles_without_default():
    with pytest.raises(ConfigError, match=r"several profiles and no default_profile \(known: home, work\)"):
        two_profiles().select(None, {})


def test_select_nothing_configured():
    with pytest.raises(ConfigError) as caught:
        Config().select(None, {})
    assert str(caught.value) == "no profile configured"
    assert caught.value.hint == (
        "run `foundry-tui` to set one up, or export ANTHROPIC_FOUNDRY_API_KEY and ANTHROPIC_FOUNDRY_RESOURCE"
    )


def test_select_env_by_name():
    assert Config().select("env", ENV).resource == "env-resource"
    assert two_profiles(default_profile="env").select(None, ENV).name == "env"
    with pytest.raises(ConfigError, match="the env profile needs ANTHROPIC_FOUNDRY_API_KEY"):
        Config().select("env", {})


def test_select_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_API_KEY", "k")
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_BASE_URL", "https://h.example.com")
    assert Config().select(None).endpoint_url() == "https://h.example.com/"


# --- environment ------------------------------------------------------------------------------


def test_env_profile():
    profile = env_profile(ENV)
    assert profile == Profile(
        "env",
        resource="env-resource",
        deployments=list(GUIDE_DEPLOYMENTS),
        default_deployment="claude-sonnet-4-5",
    )
    assert profile.deployment() == "claude-sonnet-4-5"


@pytest.mark.parametrize(
    "environ",
    [{}, {"ANTHROPIC_FOUNDRY_API_KEY": "k"}, {"ANTHROPIC_FOUNDRY_RESOURCE": "rr"}, {**ENV, "ANTHROPIC_FOUNDRY_API_KEY": " "}],
)
def test_no_env_profile_without_key_and_endpoint(environ):
    assert env_profile(environ) is None


def test_env_profile_with_base_url():
    profile = env_profile({"ANTHROPIC_FOUNDRY_API_KEY": "k", "ANTHROPIC_FOUNDRY_BASE_URL": "https://h.example.com/anthropic"})
    assert (profile.resource, profile.base_url) == (None, "https://h.example.com/anthropic/")


def test_env_profile_with_both_endpoints_is_an_error():
    with pytest.raises(ConfigError) as caught:
        env_profile({**ENV, "ANTHROPIC_FOUNDRY_BASE_URL": "https://h.example.com"})
    assert str(caught.value) == (
        "both ANTHROPIC_FOUNDRY_RESOURCE ('env-resource') and ANTHROPIC_FOUNDRY_BASE_URL ('https://h.example.com') are set"
    )


def test_env_profile_errors_name_the_variable():
    with pytest.raises(ConfigError, match="^ANTHROPIC_FOUNDRY_RESOURCE: 'https://h.example.com' looks like a URL"):
        env_profile({**ENV, "ANTHROPIC_FOUNDRY_RESOURCE": "https://h.example.com"})
    with pytest.raises(ConfigError, match="^FOUNDRY_TUI_DEPLOYMENT: deployment name 'a b'"):
        env_profile({**ENV, "FOUNDRY_TUI_DEPLOYMENT": "a b"})


def test_env_deployment_goes_first():
    profile = env_profile({**ENV, "FOUNDRY_TUI_DEPLOYMENT": "claude-haiku-4-5"})
    assert profile.deployments == ["claude-haiku-4-5", "claude-opus-4-5", "claude-sonnet-4-5", "claude-opus-4-1"]
    assert profile.deployment() == "claude-haiku-4-5"
    custom = env_profile({**ENV, "FOUNDRY_TUI_DEPLOYMENT": "my-claude"})
    assert custom.deployments == ["my-claude", *GUIDE_DEPLOYMENTS]
    assert custom.deployment() == "my-claude"


def test_env_api_key():
    assert env_api_key({"ANTHROPIC_FOUNDRY_API_KEY": " k \n"}) == "k"
    assert env_api_key({"ANTHROPIC_FOUNDRY_API_KEY": ""}) is None
    assert env_api_key({}) is None


def test_with_endpoint_explicit_base_url_clears_resource():
    profile = env_profile(ENV)
    updated = with_endpoint(profile, base_url="http://localhost:9000/anthropic")
    assert (updated.resource, updated.base_url) == (None, "http://localhost:9000/anthropic/")
    assert profile.resource == "env-resource"  # a copy, not a change


def test_with_endpoint_explicit_resource_clears_base_url():
    profile = Profile("p", base_url="https://h.example.com", deployments=["d"])
    updated = with_endpoint(profile, resource="other")
    assert (updated.resource, updated.base_url, updated.deployments) == ("other", None, ["d"])


def test_with_endpoint_without_flags_validates_and_normalises():
    assert with_endpoint(Profile("p", base_url="https://h.example.com/v1/messages")).base_url == "https://h.example.com/"
    with pytest.raises(ConfigError, match="auth must be"):
        with_endpoint(Profile("p", resource="rr", auth="x"))


def test_with_endpoint_both_flags_is_an_error():
    with pytest.raises(ConfigError, match="not both"):
        with_endpoint(Profile("p", resource="rr"), resource="a1", base_url="https://h.example.com")


def test_with_endpoint_validates_the_flag():
    with pytest.raises(ConfigError, match="cannot start or end with a hyphen"):
        with_endpoint(Profile("p", resource="rr"), resource="bad-")


@pytest.mark.parametrize(
    "call",
    [
        lambda: resolve_endpoint("r1", "https://alice:s3cret@h.example.com/anthropic/"),
        lambda: env_profile({"ANTHROPIC_FOUNDRY_API_KEY": "k", "ANTHROPIC_FOUNDRY_RESOURCE": "r1",
                             "ANTHROPIC_FOUNDRY_BASE_URL": "alice:s3cret@h.example.com"}),
        lambda: validate_arm_endpoint("ftp://alice:s3cret@management.example.com"),
    ],
)
def test_a_url_with_credentials_is_never_echoed(call):
    with pytest.raises(ConfigError) as caught:
        call()
    assert "s3cret" not in str(caught.value) and "alice" not in str(caught.value)
    assert "***@" in str(caught.value)


@pytest.mark.parametrize("value", [0, -1, 4000, '"soon"'])
def test_idle_timeout_must_be_a_sensible_number_of_seconds(value):
    with pytest.raises(ConfigError, match="idle_timeout must"):
        config_from_toml(tomllib.loads(f'[profiles.work]\nresource = "r1"\nidle_timeout = {value}'))


def test_idle_timeout_is_read_and_written_back(foundry_home):
    book = ProfileBook(Secrets(environ={}))
    book.add(Profile(name="work", resource="r1", idle_timeout=300.0))
    assert "idle_timeout = 300.0" in paths.config_file().read_text()
    assert load_config().profiles["work"].idle_timeout == 300.0


def test_prompt_caching_is_on_by_default_and_a_profile_can_turn_it_off(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[profiles.a]\nresource = "xy"\n[profiles.b]\nresource = "xy"\n[profiles.b.defaults]\nprompt_caching = false\n')
    config = load_config(path)
    assert (config.select("a").defaults.prompt_caching, config.select("b").defaults.prompt_caching) == (True, False)

    path.write_text('[profiles.b]\nresource = "xy"\n[profiles.b.defaults]\nprompt_caching = "no"\n')
    with pytest.raises(ConfigError, match="defaults.prompt_caching must be a boolean"):
        load_config(path)
