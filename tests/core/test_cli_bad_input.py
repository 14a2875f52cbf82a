"""Issue 13: every command, run as a real `threadtui` process, on each kind of bad input.

A bad config (a base_url with a port typo or with credentials, an organization or project id
no HTTP header can carry) stops every command with exit status 2 and the file:line: [table]
key message, no traceback and no key. A bad key (smart quotes, a second line, a key command
printing bytes that are not UTF-8) is told by the commands that resolve keys, again without
a traceback or the key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KEY = "sk-proj-cli-bad-input-0000wxyz"
PLAIN_KEY = "plainkey-cli-bad-input-0000qrst"

BAD_CONFIGS = {
    "port typo": (
        'base_url = "http://127.0.0.1:18299x/v1"',
        "base_url: 'http://127.0.0.1:18299x/v1' is not a usable URL: the port '18299x'",
    ),
    "credentials": (
        f'base_url = "http://user:{KEY}@127.0.0.1:9/v1"',
        "base_url: 'http://***@127.0.0.1:9/v1' holds credentials",
    ),
    "organization with a no-break space": (
        'organization = "org-acme\u00a0"',
        "organization: must be printable ASCII without spaces or quotes: a non-ASCII character"
        " (U+00A0 NO-BREAK SPACE) at position 9",
    ),
    "project with smart quotes": (
        'project = "\u201cproj_acme\u201d"',
        "project: must be printable ASCII without spaces or quotes: a non-ASCII character"
        " (U+201C LEFT DOUBLE QUOTATION MARK) at position 1",
    ),
}

COMMANDS = {
    "config check": ["config", "check"],
    "doctor": ["doctor"],
    "whoami": ["whoami"],
    "list": ["list"],
    "export": ["export", "--format", "json"],
    "import": ["import", "IDS_FILE"],
    "delete": ["delete", "conv_0123456789abcdef", "--yes"],
    "launcher": [],
}


def run_threadtui(tmp_path: Path, config: Path, args: list[str], env: dict[str, str]
                  ) -> subprocess.CompletedProcess[str]:
    ids = tmp_path / "ids.txt"
    ids.write_text("conv_0123456789abcdef an imported chat\n", encoding="utf-8")
    argv = [a if a != "IDS_FILE" else str(ids) for a in args]
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("OPENAI_", "THREADTUI_")) and k != "PYTEST_CURRENT_TEST"}
    clean.update(
        HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"), PYTHONIOENCODING="utf-8", **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "--config", str(config), "--data-dir",
         str(tmp_path / "data"), *argv],
        capture_output=True, text=True, encoding="utf-8", errors="replace", env=clean,
        stdin=subprocess.DEVNULL, timeout=120, check=False,
    )


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("bad", list(BAD_CONFIGS))
def test_every_command_refuses_a_bad_config_with_status_2_and_no_key(
    tmp_path: Path, bad: str, command: str
) -> None:
    line, expected = BAD_CONFIGS[bad]
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.ok]\napi_key_env = "TT_KEY"\n[profiles.work]\napi_key_env = "TT_KEY"\n{line}\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    result = run_threadtui(tmp_path, config, COMMANDS[command], {"TT_KEY": KEY})
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"{config}:5: [profiles.work] {expected}" in output
    assert "Traceback" not in output
    assert KEY not in output and KEY[3:] not in output


BAD_KEYS = {
    "smart quotes": (
        {"api_key_env": "TT_KEY"}, {"TT_KEY": f"\u201c{KEY}\u201d"}, KEY,
        "profile 'work': the key from environment variable TT_KEY has a non-ASCII character"
        " (U+201C LEFT DOUBLE QUOTATION MARK) at position 1",
    ),
    "second line, no sk-": (
        {"api_key_env": "TT_KEY"}, {"TT_KEY": f"{PLAIN_KEY}\nmore-{PLAIN_KEY}"}, PLAIN_KEY,
        f"a control character (U+000A, a line break) at position {len(PLAIN_KEY) + 1}",
    ),
    "command printing bytes that are not UTF-8": (
        {"api_key_cmd": "printf '\\377%s\\n' \"$TT_SECRET\""}, {"TT_SECRET": PLAIN_KEY},
        PLAIN_KEY,
        "profile 'work': api_key_cmd `printf '\\377%s\\n' \"$TT_SECRET\"` printed output that is"
        " not UTF-8 text",
    ),
}


@pytest.mark.parametrize("command", ["config check", "doctor", "whoami"])
@pytest.mark.parametrize("bad", list(BAD_KEYS))
def test_commands_that_resolve_a_bad_key_say_why_without_a_traceback_or_the_key(
    tmp_path: Path, bad: str, command: str
) -> None:
    source, env, secret, expected = BAD_KEYS[bad]
    (name, value), = source.items()
    config = tmp_path / "config.toml"
    config.write_text(
        f"[profiles.work]\n{name} = '''{value}'''\nbase_url = 'http://127.0.0.1:9/v1'\n",
        encoding="utf-8",
    )
    config.chmod(0o600)
    result = run_threadtui(tmp_path, config, COMMANDS[command], env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # the config is fine; this profile has no key
    assert expected in output
    assert "Traceback" not in output
    assert secret not in output and secret[-12:] not in output
