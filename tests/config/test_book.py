"""ProfileBook: every operation re-reads the file, keeps what it does not change, and undoes a key move that failed."""

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import memory_keyring
import pytest
from helpers import write_config

from foundry_tui.config.book import ProfileBook
from foundry_tui.config.file import MAX_FILE_BYTES, Config, load_config
from foundry_tui.config.paths import config_file
from foundry_tui.config.profile import ConfigError, Profile, normalize_base_url
from foundry_tui.config.secrets import SERVICE, Secrets

HAND_WRITTEN = """\
# my profiles, edited by hand
future_setting = "kept"   # a key this version does not know

[profiles.work]
resource = "work-resource"  # the lab's resource
deployments = ["claude-sonnet-4-5"]
colour = "blue"

[profiles.home]
resource = "home-resource"
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def book() -> ProfileBook:
    config_file().parent.mkdir(parents=True)
    config_file().write_text(HAND_WRITTEN)
    return ProfileBook(Secrets(environ={}))


def stored_keys() -> dict[str, str]:
    return {name: key for (service, name), key in memory_keyring.MemoryKeyring.store.items() if service == SERVICE}


OPERATIONS = {
    "add": lambda book: book.add(Profile("lab", resource="lab-resource")),
    "replace": lambda book: book.replace("home", Profile("home", resource="home-resource", deployments=["d1"])),
    "rename": lambda book: book.rename("home", "house"),
    "remove": lambda book: book.remove("home"),
    "set_default": lambda book: book.set_default("home"),
    "add_deployment": lambda book: book.add_deployment("work", "my-haiku"),
    "remove_deployment": lambda book: book.remove_deployment("work", "claude-sonnet-4-5"),
    "set_theme": lambda book: book.set_theme("foundry-paper"),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_keeps_comments_unknown_keys_and_order(book, operation):
    OPERATIONS[operation](book)
    text = config_file().read_text()
    for kept in ("# my profiles, edited by hand", 'future_setting = "kept"', "# a key this version does not know",
                 "# the lab's resource", 'colour = "blue"'):
        assert kept in text
    assert text.index("future_setting") < text.index("[profiles.work]")
    assert mode(config_file()) == 0o600


def test_add_makes_the_first_profile_the_default_and_refuses_a_taken_name(book):
    config = book.add(Profile("lab", resource="lab-resource")).config
    assert config.default_profile == "lab" and list(config.profiles) == ["work", "home", "lab"]
    assert book.add(Profile("spare", resource="spare-resource")).config.default_profile == "lab"
    with pytest.raises(ConfigError, match="a profile named 'work' already exists"):
        book.add(Profile("work", resource="other-resource"))
    with pytest.raises(ConfigError, match="reserved"):
        book.add(Profile("env", resource="other-resource"))


def test_add_refuses_an_invalid_profile_and_writes_nothing(book):
    with pytest.raises(ConfigError, match="^profile 'lab': auth must be"):
        book.add(Profile("lab", resource="lab-resource", auth="nope"))
    assert config_file().read_text() == HAND_WRITTEN


def test_replace_edits_in_place_and_keeps_what_it_does_not_know(book):
    edited = Profile("work", base_url="https://gw.example.com/anthropic/", deployments=["a", "b"], default_deployment="b")
    config = book.replace("work", edited).config
    assert config.profiles["work"] == edited
    text = config_file().read_text()
    assert "resource" not in text.split("[profiles.home]")[0] and 'colour = "blue"' in text
    assert load_config() == config


def test_rename_moves_the_key_keeps_the_position_and_the_default(book):
    book.set_default("home")
    Secrets(environ={}).set_api_key("home", "sk-home")
    saved = book.rename("home", "house")
    assert list(saved.config.profiles) == ["work", "house"] and saved.config.default_profile == "house"
    assert saved.key_source is not None and saved.key_source.where == "keyring"
    assert stored_keys() == {"house": "sk-home"}


def test_replace_with_a_typed_key_stores_it(book):
    saved = book.replace("work", load_config().profiles["work"], api_key="sk-new")
    assert saved.key_source is not None and saved.key_source.where == "keyring"
    assert stored_keys() == {"work": "sk-new"}


def test_a_failed_write_rolls_back_the_key_move(book, monkeypatch):
    secrets = Secrets(environ={})
    secrets.set_api_key("home", "sk-home")
    secrets.set_api_key("work", "sk-work")

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ConfigError, match="cannot write: No space left on device"):
        book.rename("home", "house")
    with pytest.raises(ConfigError, match="cannot write"):
        book.replace("work", load_config().profiles["work"], api_key="sk-typed")
    with pytest.raises(ConfigError, match="cannot write"):
        book.add(Profile("lab", resource="lab-resource"), api_key="sk-lab")
    assert stored_keys() == {"home": "sk-home", "work": "sk-work"}
    assert config_file().read_text() == HAND_WRITTEN


def test_remove_passes_the_default_and_deletes_the_key(book):
    book.set_default("work")
    Secrets(environ={}).set_api_key("work", "sk-work")
    config, problem = book.remove("work", prefer_default="home")
    assert problem is None and list(config.profiles) == ["home"] and config.default_profile == "home"
    assert stored_keys() == {}
    config, _ = book.remove("home")
    assert config.default_profile is None and "default_profile" not in config_file().read_text()
    with pytest.raises(ConfigError, match=r"no profile named 'home' \(known: none\)"):
        book.remove("home")


def test_deployments_and_default_deployment(book):
    config = book.add_deployment("work", "my-haiku")
    assert config.profiles["work"].deployments == ["claude-sonnet-4-5", "my-haiku"]
    with pytest.raises(ConfigError, match="already in profile 'work'"):
        book.add_deployment("work", "my-haiku")
    book.replace("work", Profile("work", resource="work-resource", deployments=["claude-sonnet-4-5", "my-haiku"],
                                 default_deployment="my-haiku"))
    config = book.remove_deployment("work", "my-haiku")
    assert (config.profiles["work"].deployments, config.profiles["work"].default_deployment) == (["claude-sonnet-4-5"], None)


def test_set_theme_and_default(book):
    assert book.set_theme("foundry-paper").theme == "foundry-paper"
    assert book.set_default("home").default_profile == "home"
    with pytest.raises(ConfigError, match="no profile named 'nope'"):
        book.set_default("nope")


def test_changes_made_by_another_writer_since_loading_are_kept(book):
    loaded = book.load()
    ProfileBook(Secrets(environ={})).add(Profile("p2", resource="p2-resource"))  # another writer
    config = book.add_deployment("work", "my-haiku")
    assert set(config.profiles) == {"work", "home", "p2"} and set(loaded.profiles) == {"work", "home"}
    assert set(load_config().profiles) == {"work", "home", "p2"}


WRITER = """
import sys
from foundry_tui.config.book import ProfileBook
from foundry_tui.config.secrets import Secrets
book = ProfileBook(Secrets(environ={}))
for number in range(8):
    book.add_deployment("work", f"{sys.argv[1]}-{number}")
"""


def test_concurrent_processes_lose_no_change(book):
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, name]) for name in ("a", "b")]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    deployments = load_config().profiles["work"].deployments
    assert sorted(deployments) == sorted(["claude-sonnet-4-5", *(f"{n}-{i}" for n in "ab" for i in range(8))])


def test_a_book_in_memory_writes_no_file(foundry_home):
    book = ProfileBook.in_memory(Secrets(environ={}), Config(profiles={"demo": Profile("demo", resource="demo-res")}))
    saved = book.add(Profile("lab", resource="lab-resource"), api_key="sk-lab")
    assert saved.key_source is not None and saved.key_source.where == "memory"
    assert set(book.set_theme("x").profiles) == {"demo", "lab"}
    assert not foundry_home.exists() and stored_keys() == {}


# --- issue #9: hostile files, permissions, credentials in URLs -------------------------------------


def test_a_config_file_over_the_limit_is_refused_with_a_hint(foundry_home):
    write_config(Config(theme="x"))
    with config_file().open("a") as stream:
        stream.write("#" * MAX_FILE_BYTES)
    with pytest.raises(ConfigError, match="larger than 1 MiB") as caught:
        load_config()
    assert caught.value.hint
    with pytest.raises(ConfigError, match="larger than 1 MiB"):
        ProfileBook(Secrets(environ={})).set_theme("y")


def test_a_config_symlinked_to_dev_zero_is_refused_quickly(foundry_home):
    config_file().parent.mkdir(parents=True)
    config_file().symlink_to("/dev/zero")
    started = time.monotonic()
    with pytest.raises(ConfigError, match="larger than 1 MiB"):
        load_config()
    assert time.monotonic() - started < 2


def test_folders_created_under_umask_000_are_private(foundry_home):
    previous = os.umask(0)
    try:
        ProfileBook(Secrets(environ={})).set_theme("x")
    finally:
        os.umask(previous)
    assert mode(foundry_home) == 0o700 and mode(config_file().parent) == 0o700
    assert mode(config_file()) == 0o600


def test_a_base_url_with_credentials_is_refused_without_echoing_them(book):
    for url in ("https://user:s3cret@gw.example.com/anthropic/", "https://s3cret@gw.example.com/"):
        with pytest.raises(ConfigError) as caught:
            normalize_base_url(url)
        assert "user name or password" in caught.value.message and caught.value.hint
        assert "s3cret" not in caught.value.message + caught.value.hint
    with pytest.raises(ConfigError, match="user name or password"):
        book.add(Profile("lab", base_url="https://user:s3cret@gw.example.com/"))
    assert "s3cret" not in config_file().read_text()


def test_prompt_caching_off_is_written_and_back_on_is_removed(book):
    from foundry_tui.config.profile import RequestDefaults

    book.replace("home", Profile("home", resource="home-resource", defaults=RequestDefaults(prompt_caching=False)))
    assert "prompt_caching = false" in config_file().read_text()
    assert load_config().profiles["home"].defaults.prompt_caching is False

    book.replace("home", Profile("home", resource="home-resource"))
    assert "prompt_caching" not in config_file().read_text()
