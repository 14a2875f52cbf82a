"""Keys are resolved lazily, from env or a command, and failures never show the key."""

from __future__ import annotations

import sys
import time

import pytest

from tui.core.keys import KeyResolutionError, KeyRing, resolve_api_key
from tui.core.records import Profile
from tui.core.secrets import mask_key, scrub

KEY = "sk-test-resolve-0000wxyz"


def test_key_from_environment() -> None:
    profile = Profile(name="a", api_key_env="A_KEY")
    assert resolve_api_key(profile, environ={"A_KEY": f" {KEY}\n"}) == KEY


def test_missing_env_var_names_profile_and_variable() -> None:
    profile = Profile(name="work", api_key_env="WORK_KEY")
    with pytest.raises(KeyResolutionError) as caught:
        resolve_api_key(profile, environ={})
    assert "profile 'work'" in str(caught.value)
    assert "WORK_KEY is not set" in str(caught.value)


def test_key_from_command() -> None:
    profile = Profile(name="a", api_key_cmd=f"printf '%s\\n' {KEY}")
    assert resolve_api_key(profile, environ={"PATH": "/usr/bin:/bin"}) == KEY


def test_failing_command_reports_status_and_masked_stderr() -> None:
    command = f"echo 'vault locked, tried {KEY}' >&2; exit 3"
    profile = Profile(name="a", api_key_cmd=command)
    with pytest.raises(KeyResolutionError) as caught:
        resolve_api_key(profile, environ={"PATH": "/usr/bin:/bin"})
    message = str(caught.value)
    assert "exit status 3" in message
    assert "vault locked" in message
    assert KEY not in message.replace(command, "")
    assert "sk-…wxyz" in message


def test_command_printing_nothing() -> None:
    profile = Profile(name="a", api_key_cmd="true")
    with pytest.raises(KeyResolutionError, match="printed no key"):
        resolve_api_key(profile, environ={"PATH": "/usr/bin:/bin"})


def test_hanging_command_is_stopped_by_the_timeout() -> None:
    # The child sleeps too: the whole process group must die, or communicate() would hang.
    profile = Profile(name="slow", api_key_cmd=f"{sys.executable} -c 'import time; time.sleep(60)'")
    started = time.monotonic()
    with pytest.raises(KeyResolutionError, match=r"did not finish within 0\.5 s"):
        resolve_api_key(profile, timeout=0.5, environ={"PATH": "/usr/bin:/bin"})
    assert time.monotonic() - started < 30  # generous: only proves it did not wait 60 s


def test_keyring_runs_a_command_once(tmp_path) -> None:
    counter = tmp_path / "count"
    profile = Profile(name="a", api_key_cmd=f"echo x >> {counter}; echo {KEY}")
    ring = KeyRing(environ={"PATH": "/usr/bin:/bin"})
    assert ring.key_for(profile) == ring.key_for(profile) == KEY
    assert counter.read_text().count("x") == 1
    assert ring.known_keys() == [KEY]


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("sk-proj-abcdefghijklmnop1234", "sk-…1234"),
        ("sk-abcdefghijkl9876", "sk-…9876"),
        ("other-token-abcdefgh", "…efgh"),
        ("sk-short", "sk-…"),
        ("", "(none)"),
        (None, "(none)"),
    ],
)
def test_mask_key(key: str | None, masked: str) -> None:
    assert mask_key(key) == masked


def test_scrub_removes_known_and_key_shaped_strings() -> None:
    text = f"bad key {KEY} and sk-unknown-0123456789zz and literal hunter2secret"
    cleaned = scrub(text, ["hunter2secret"])
    assert KEY not in cleaned and "sk-unknown-0123456789zz" not in cleaned
    assert "hunter2secret" not in cleaned
    assert "sk-…wxyz" in cleaned and "sk-…89zz" in cleaned
