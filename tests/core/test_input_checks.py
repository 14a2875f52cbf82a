"""Issue 13: input is checked where it enters, with a message naming where it came from.

A base_url with a port typo or credentials, an organization or project id with a character
no HTTP header can carry, a key pasted with smart quotes or with a second line, a key command
that prints bytes that are not UTF-8 or leaves a child holding its output open: each is told
as a ConfigError (file:line: [table] key) or a KeyResolutionError (profile, source, position
and kind of the bad character), and never shows the key.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from tui.core.api.identity import identity_from_headers
from tui.core.api.servers import server_url
from tui.core.config import ConfigError, load_config
from tui.core.keys import KeyResolutionError, KeyRing, resolve_api_key
from tui.core.records import Identity, Profile, ThreadRecord
from tui.core.secrets import mask_key, redact_url, scrub
from tui.core.store import Store

KEY = "sk-proj-input-check-0000wxyz"
PLAIN_KEY = "plainkey-input-check-0000qrst"  # a self-hosted server's key: no sk- prefix
PATH_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def problems(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    return [str(p) for p in caught.value.problems]


# ---------------------------------------------------------------- base_url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:18299x/v1", "the port '18299x' is not a number from 1 to 65535"),
        ("http://127.0.0.1:0/v1", "the port '0' is not a number from 1 to 65535"),
        ("http://127.0.0.1:65536/v1", "the port '65536' is not a number from 1 to 65535"),
        ("http://127.0.0.1 :8080/v1", "it has a space at position 17"),
        ("http://api.example.com/v1\u00a0", "it has a space at position 26"),
        ("ftp://127.0.0.1/v1", "it must start with http:// or https://"),
        ("127.0.0.1:8080/v1", "it must start with http:// or https://"),
        ("http:///v1", "it has no host"),
        ("http://[::1/v1", "unexpected text after the IPv6 address"),
    ],
)
def test_a_base_url_that_does_not_parse_names_file_line_and_key(
    tmp_path: Path, url: str, why: str
) -> None:
    path = write(tmp_path, f'[profiles.work]\napi_key_env = "K"\nbase_url = "{url}"\n')
    [message] = problems(path)
    assert message.startswith(f"{path}:3: [profiles.work] base_url: ")
    assert message.endswith(f"is not a usable URL: {why}")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:11434/v1", "https://api.openai.com/v1", "http://[::1]:8080/v1",
     "http://localhost/v1/", "https://proxy.example.com:443/openai/v1?api-version=1"],
)
def test_usable_base_urls_pass(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f'[profiles.work]\napi_key_env = "K"\nbase_url = "{url}"\n')
    assert load_config(path, environ={}).profiles["work"].base_url == url


def test_credentials_in_base_url_are_refused_and_shown_masked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[profiles.a]\napi_key_env = "K"\n[profiles.work]\napi_key_env = "K"\n'
        f'base_url = "http://user:{KEY}@proxy.example.com:8080/v1"\n',
    )
    [message] = problems(path)
    assert message.startswith(f"{path}:5: [profiles.work] base_url: ")
    assert "'http://***@proxy.example.com:8080/v1' holds credentials" in message
    assert KEY not in message and "//user" not in message


def test_base_url_from_the_environment_is_checked_when_there_is_no_config(
    tmp_path: Path,
) -> None:
    absent = tmp_path / "absent.toml"
    [message] = problems(absent, {"OPENAI_BASE_URL": "http://127.0.0.1:18299x/v1"})
    assert message.startswith(f"{absent}: OPENAI_BASE_URL (from the environment): ")
    assert "the port '18299x' is not a number" in message
    # Credentials from the environment are the environment's business: kept for requests,
    # removed from everything shown (see the redaction tests below).
    with_credentials = f"http://user:{KEY}@127.0.0.1:9/v1"
    config = load_config(absent, environ={"OPENAI_BASE_URL": with_credentials})
    assert config.profile().base_url == with_credentials
    assert server_url(config.profile().base_url) == "http://127.0.0.1:9/v1"


# ---------------------------------------------------------------- organization / project


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("organization", "org-acme\u00a0", "a non-ASCII character (U+00A0 NO-BREAK SPACE) at"
         " position 9"),
        ("project", "\u201cproj_acme\u201d", "a non-ASCII character (U+201C LEFT DOUBLE QUOTATION"
         " MARK) at position 1"),
        ("project", "proj acme", "a space at position 5"),
        ("organization", "'org-acme'", "a single quote (') at position 1"),
    ],
)
def test_organization_and_project_must_be_printable_ascii(
    tmp_path: Path, key: str, value: str, why: str
) -> None:
    path = write(tmp_path, f'[profiles.work]\napi_key_env = "K"\n{key} = "{value}"\n')
    [message] = problems(path)
    assert message == (
        f"{path}:3: [profiles.work] {key}: must be printable ASCII without spaces or quotes:"
        f" {why}"
    )


def test_organization_from_the_environment_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "x"\n')  # a file without profiles: the environment's
    [message] = problems(path, {"OPENAI_PROJECT_ID": "proj_acme\u00a0"})
    assert message.startswith(f"{path}: OPENAI_PROJECT_ID (from the environment): ")
    assert "U+00A0 NO-BREAK SPACE) at position 10" in message


# ---------------------------------------------------------------- keys


def key_error(profile: Profile, environ: dict[str, str], timeout: float = 10.0) -> str:
    with pytest.raises(KeyResolutionError) as caught:
        resolve_api_key(profile, timeout=timeout, environ=environ)
    assert caught.value.profile == profile.name
    return str(caught.value)


def test_a_key_pasted_with_smart_quotes_is_refused_without_showing_it() -> None:
    message = key_error(Profile("work", api_key_env="WORK_KEY"),
                        {"WORK_KEY": f"\u201c{KEY}\u201d"})
    assert message.startswith("profile 'work': the key from environment variable WORK_KEY has"
                              " a non-ASCII character (U+201C LEFT DOUBLE QUOTATION MARK) at"
                              " position 1;")
    assert KEY not in message and KEY[3:] not in message and "\u201c" not in message


def test_a_key_without_sk_and_with_a_second_line_is_refused() -> None:
    message = key_error(Profile("local", api_key_env="LOCAL_KEY"),
                        {"LOCAL_KEY": f"{PLAIN_KEY}\nsecond-line-of-it"})
    assert "profile 'local': the key" in message and "environment variable LOCAL_KEY" in message
    assert f"a control character (U+000A, a line break) at position {len(PLAIN_KEY) + 1}" \
        in message
    assert PLAIN_KEY not in message and "second-line-of-it" not in message


def test_a_key_from_a_command_with_smart_quotes_names_the_command() -> None:
    profile = Profile("vault", api_key_cmd=f"printf '\\342\\200\\234%s\\342\\200\\235\\n' {KEY}")
    message = key_error(profile, PATH_ENV)
    assert "profile 'vault': the key (sk-…wxyz" not in message  # its tail is the quote
    assert "the key from the output of api_key_cmd `printf" in message
    assert "U+201C LEFT DOUBLE QUOTATION MARK) at position 1" in message
    assert KEY not in message


def test_a_literal_key_with_a_quote_is_refused() -> None:
    message = key_error(Profile("lit", api_key=f'"{KEY}"'), {})
    assert "the key from api_key in the config file has a double quote (\") at position 1" \
        in message
    assert KEY not in message


def test_key_command_output_that_is_not_utf8_names_profile_and_command_only() -> None:
    profile = Profile("bin", api_key_cmd="printf 'sk-\\377\\376%s\\n' \"$SECRET_FOR_TEST\"")
    message = key_error(profile, {**PATH_ENV, "SECRET_FOR_TEST": PLAIN_KEY})
    assert message.startswith("profile 'bin': api_key_cmd `printf")
    assert "printed output that is not UTF-8 text (a byte that cannot be decoded at byte 4)" \
        in message
    assert PLAIN_KEY not in message and "SECRET_FOR_TEST=" not in message


def test_a_key_command_leaving_a_child_on_its_output_returns_at_once(tmp_path: Path) -> None:
    """`echo sk-…; setsid sleep 40 &`: the child holds stdout in another process group."""
    pid_file = tmp_path / "child.pid"
    command = f"echo {KEY}; setsid sh -c 'echo $$ > {pid_file}; exec sleep 40' &"
    started = time.monotonic()
    try:
        key = resolve_api_key(Profile("leaky", api_key_cmd=command), timeout=3.0,
                              environ=PATH_ENV)
        took = time.monotonic() - started
        assert key == KEY
        assert took < 12, f"waited {took:.1f} s for the child"  # 4x the timeout, not 40 s
    finally:
        _kill_pid_in(pid_file)


def test_a_hung_key_command_with_a_setsid_child_is_stopped_at_the_deadline(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "child.pid"
    command = f"setsid sh -c 'echo $$ > {pid_file}; exec sleep 40' & sleep 40"
    started = time.monotonic()
    try:
        message = key_error(Profile("hung", api_key_cmd=command), PATH_ENV, timeout=2.0)
        took = time.monotonic() - started
        assert "did not finish within 2 s and was stopped" in message
        assert took < 8, f"waited {took:.1f} s"  # 4x the timeout, not the child's 40 s
    finally:
        _kill_pid_in(pid_file)


def test_keyring_stop_ends_a_running_key_command_at_once(tmp_path: Path) -> None:
    """What quitting the app does (BackendPool.aclose): nothing waits for a password manager."""
    pid_file = tmp_path / "cmd.pid"
    ring = KeyRing(timeout=120.0, environ=PATH_ENV)
    profile = Profile("slow", api_key_cmd=f"echo $$ > {pid_file}; exec sleep 60")
    outcome: list[BaseException | str] = []

    def resolve() -> None:
        try:
            outcome.append(ring.key_for(profile))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the key command never started"
        time.sleep(0.05)
    ring.stop()
    worker.join(timeout=30)
    assert not worker.is_alive()
    [error] = outcome
    assert isinstance(error, KeyResolutionError) and "was stopped" in str(error)
    with pytest.raises(ProcessLookupError):  # its process group was killed
        os.kill(int(pid_file.read_text()), 0)


def _kill_pid_in(pid_file: Path) -> None:
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_file.exists() and pid_file.read_text().strip():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


# ---------------------------------------------------------------- masks and redaction


def test_scrub_masks_known_keys_of_any_shape_and_bearer_tokens() -> None:
    text = (
        f"LocalProtocolError: Illegal header value b'Bearer {PLAIN_KEY}' while sending"
        f" {{'Authorization': 'Bearer \"{KEY}\"'}}; key was {PLAIN_KEY}"
    )
    cleaned = scrub(text, [PLAIN_KEY])
    assert PLAIN_KEY not in cleaned and KEY not in cleaned
    assert cleaned.count(mask_key(PLAIN_KEY)) == 2 and mask_key(PLAIN_KEY) == "…qrst"
    assert "Bearer \"sk-…wxyz\"" in cleaned
    # A bearer token we never resolved is masked too, whatever its shape.
    assert "opaque-token-000abcd" not in scrub("Authorization: Bearer opaque-token-000abcd")


def test_scrub_and_redact_url_remove_credentials_from_urls() -> None:
    url = f"http://user:{KEY}@127.0.0.1:9/v1?q=a@b"
    assert redact_url(url) == "http://127.0.0.1:9/v1?q=a@b"
    assert redact_url(url, "***") == "http://***@127.0.0.1:9/v1?q=a@b"
    assert redact_url("https://api.openai.com/v1") == "https://api.openai.com/v1"
    cleaned = scrub(f"cannot reach {url} (ConnectError)")
    assert "user" not in cleaned and KEY not in cleaned and KEY[3:] not in cleaned
    assert "http://***@127.0.0.1:9/v1" in cleaned


def test_records_and_identities_never_hold_url_credentials(tmp_path: Path) -> None:
    url = f"http://user:{PLAIN_KEY}@127.0.0.1:9/v1"
    profile = Profile("env", api_key_env="K", base_url=url)
    identity = identity_from_headers(profile, "…qrst", {"openai-organization": "acme"})
    assert identity.base_url == "http://127.0.0.1:9/v1"
    assert Identity(profile="env", key_hint="…", base_url=url).base_url == identity.base_url
    record = ThreadRecord(id="conv_1", profile="env", base_url=url)
    assert record.base_url == "http://127.0.0.1:9/v1"
    record.base_url = url  # assigned later: still not written
    assert record.to_dict()["base_url"] == "http://127.0.0.1:9/v1"
    assert ThreadRecord.from_dict({"id": "conv_2", "base_url": url}).base_url == record.to_dict()[
        "base_url"]
    with Store.open(tmp_path / "data") as store:
        store.upsert(record)
    written = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert PLAIN_KEY.encode() not in written and b"user:" not in written


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("process groups are POSIX")
