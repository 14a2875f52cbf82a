"""Keys never reach a file, a log or the screen, whatever happens in a session.

A scripted session in a real pty uses keys from the environment and from a command
(``api_key_cmd``), and meets failures: a 401 from the sandbox (which echoes a masked key),
a key the server does not know, a key command that fails and prints the key on stderr, and
one that hangs. Afterwards every file under the test's folder (the record, the config, the
Markdown export from the palette, ``threadtui export`` in both formats, anything else), every
byte the app sent to the terminal, and the CLI's output are searched: no key appears, only
masks like ``sk-…acme``. The Pilot tests do the same with screenshots, and check that a hung
key command is stopped by the timeout while the app keeps answering keys.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from app_harness import idle, wait_until
from pexpect import EOF
from rel_harness import files_containing, notifications, pty_env, screen_text, start

from tui.cli import main
from tui.core.config import load_config
from tui.core.keys import KeyRing
from tui.core.store import Store
from tui.sandbox import ACME_KEY, PERSONAL_KEY, Fault, Sandbox

pytestmark = pytest.mark.timeout(180)

WRONG_KEY = "sk-proj-rel-unknown-0000wxyz"  # shaped like a key, known to no tenant
CMD_SECRET_ENV = "REL_CMD_SECRET"  # the command reads its key from here (never the config)
SECRETS = (ACME_KEY, PERSONAL_KEY, WRONG_KEY)


def secret_config(path: Path, base_url: str, timeout: float = 1.0) -> Path:
    """Profiles: env key, command key, unknown key, failing command, hanging command."""
    path.write_text(
        f'default_profile = "acme"\nkey_command_timeout = {timeout}\n'
        f'[profiles.acme]\napi_key_env = "REL_ACME_KEY"\nbase_url = "{base_url}"\n'
        f'[profiles.cmd]\napi_key_cmd = \'printf "%s\\n" "${CMD_SECRET_ENV}"\'\n'
        f'base_url = "{base_url}"\n'
        f'[profiles.wrong]\napi_key_env = "REL_WRONG_KEY"\nbase_url = "{base_url}"\n'
        f'[profiles.broken]\napi_key_cmd = \'echo "vault says ${CMD_SECRET_ENV} expired" >&2;'
        f' exit 3\'\nbase_url = "{base_url}"\n'
        f'[profiles.hung]\napi_key_cmd = "sleep 30"\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return path


def secret_env(tmp_path: Path) -> dict[str, str]:
    return pty_env(
        tmp_path, REL_ACME_KEY=ACME_KEY, REL_WRONG_KEY=WRONG_KEY, **{CMD_SECRET_ENV: PERSONAL_KEY}
    )


def run_cli(env: dict[str, str], *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return out.getvalue() + err.getvalue()


@pytest.mark.slow  # a real pty
def test_a_session_with_env_and_command_keys_and_failures_leaves_no_key_anywhere(
    sandbox: Sandbox, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    config = secret_config(tmp_path / "config.toml", sandbox.base_url)
    data = tmp_path / "data"
    env = secret_env(tmp_path)
    raw = bytearray()
    screens: list[str] = []
    term = start(config, data, env, tmp_path)
    feed = term.stream.feed

    def record(chunk: bytes) -> None:
        raw.extend(chunk)
        feed(chunk)
        screens.append(term.text)

    term.stream.feed = record  # type: ignore[method-assign]

    def switch(profile: str) -> None:
        term.press("ctrl+o")
        term.wait_for("Switch profile", what="the profile picker")
        term.type(profile)
        term.press("enter")
        term.wait_for(lambda s: s.splitlines()[0].lstrip().startswith(profile),
                      what=f"profile {profile} in the bar")

    def chat(text: str) -> None:
        term.press("\x0e")
        term.type(text)
        term.press("enter")

    term.wait_for("sk-…acme", what="the masked env key in the bar")
    chat("env key question")
    term.wait_for("You said: env key question")
    sandbox.faults.next(Fault.unauthorized(), path=r"/responses$")
    term.press("escape")
    chat("revoked key question")
    term.wait_for("Reply failed", what="the 401")
    term.wait_for("was rejected", what="what the 401 means")

    switch("cmd")
    term.wait_for("sk-…pers", what="the masked command key in the bar")
    chat("command key question")
    term.wait_for("You said: command key question")

    switch("wrong")
    term.wait_for("sk-…wxyz", what="the unknown key, masked")
    for profile in ("broken", "hung"):  # the command fails / is stopped after 1 s
        switch(profile)
        term.wait_for(lambda s: "no key" in s.splitlines()[0], timeout=15,
                      what=f"profile {profile} without a key")
    switch("acme")
    term.press("escape")

    # Export the open thread to Markdown from the palette (into the folder it offers).
    term.press("\x10")  # ctrl+p
    term.type("Export thread")
    term.wait_for("Export thread to Markdown")
    term.press("enter")
    term.wait_for("into which folder", what="the export asking where")
    term.press("enter")  # the offered folder
    term.wait_for("Exported to", what="the export notification")
    term.press("ctrl+q")
    term.child.expect(EOF, timeout=20)

    # The CLI over the same record: listings, exports in both formats, config check.
    base = ("--config", str(config), "--data-dir", str(data))
    cli_output = "".join([
        run_cli(env, *base, "list", "--all"),
        run_cli(env, *base, "export", "--format", "json", "-o", str(tmp_path / "backup.json")),
        run_cli(env, *base, "export", "-o", str(tmp_path / "all.md"),
                *[r.id for r in Store.open(data).list_threads()]),
        run_cli(env, *base, "config", "check"),
        run_cli(env, *base, "whoami", "--profile", "wrong"),
    ])
    assert "sk-…pers" in cli_output and "sk-…wxyz" in cli_output  # masks, as promised

    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    exports = [p for p in written if p.suffix == ".md"]
    assert len(exports) == 2 and (tmp_path / "backup.json").exists()
    assert files_containing([tmp_path], SECRETS) == []
    for secret in SECRETS:
        assert secret.encode() not in raw
        assert secret not in cli_output
        assert not any(secret in screen for screen in screens)
        assert secret[3:] not in "".join(screens)  # not even without its sk- prefix
    shown = "".join(screens)
    assert "sk-…acme" in shown and "sk-…pers" in shown
    figures(
        f"{len(written)} files ({sum(p.stat().st_size for p in written):,} bytes), "
        f"{len(raw):,} bytes of terminal output in {len(screens):,} screens, and "
        f"{len(cli_output):,} characters of CLI output searched for 3 keys: 0 found"
    )


async def test_pilot_screenshots_and_notifications_hold_masks_only(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = load_config(secret_config(tmp_path / "config.toml", sandbox.base_url), {})
    data = tmp_path / "data"
    from app_harness import AppEnv

    store = Store.open(data)
    env = AppEnv(sandbox, tmp_path, config, store, data)
    keyring = KeyRing(timeout=1.0, environ=secret_env(tmp_path))
    app = env.make_app(keyring=keyring)
    shots = tmp_path / "shots"
    shots.mkdir()
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await idle(pilot, app)
            for n, profile in enumerate(("acme", "cmd", "wrong", "broken")):
                app.main.activate_profile(profile)
                await idle(pilot, app)
                if profile in ("acme", "cmd"):
                    sandbox.faults.next(Fault.unauthorized(), path=r"/responses$")
                    await app.main.action_new_thread()
                    await pilot.pause()
                    app.main.composer.load_text(f"question {n}")
                    app.main.composer.focus()
                    await pilot.press("enter")
                    await wait_until(pilot, lambda: not app.main.replying, timeout=15)
                    await idle(pilot, app)
                app.save_screenshot(f"{profile}.svg", path=str(shots))
                assert not any(s in screen_text(app) for s in SECRETS)
        told = notifications(app)
        assert any("sk-…acme" in n and "rejected" in n for n in told)
        assert any("sk-…pers" in n and "rejected" in n for n in told)
        assert any("exit status 3" in n and "sk-…pers" in n for n in told), told
        assert not any(s in n for n in told for s in SECRETS)
        assert len(list(shots.iterdir())) == 4
        assert files_containing([tmp_path], SECRETS) == []
    finally:
        store.close()


async def test_a_hung_key_command_is_stopped_and_the_app_answers_meanwhile(
    sandbox: Sandbox, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    pid_file = tmp_path / "helper.pid"
    config_path = tmp_path / "config.toml"
    config_path.write_text(
        "key_command_timeout = 3\n"
        f'[profiles.hung]\napi_key_cmd = "echo $$ > {pid_file}; sleep 60"\n'
        f'base_url = "{sandbox.base_url}"\n'
    )
    config = load_config(config_path, {})
    data = tmp_path / "data"
    store = Store.open(data)
    from app_harness import AppEnv

    env = AppEnv(sandbox, tmp_path, config, store, data)
    env.record("conv_old", "an old chat", profile="hung")  # not a first run
    app = env.make_app(keyring=KeyRing(timeout=3.0, environ={}))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, pid_file.exists, timeout=10)
            started = time.monotonic()
            # The helper is running: the app still takes keys and draws.
            shown = app.main.sidebar.display
            await pilot.press("ctrl+b")
            assert app.main.sidebar.display is not shown
            app.main.composer.focus()
            await pilot.press(*"still here")
            answered = time.monotonic() - started
            assert app.main.composer.text == "still here"
            await wait_until(
                pilot, lambda: any("did not finish within 3 s" in n for n in notifications(app)),
                timeout=20,
            )
            waited = time.monotonic() - started
            helper = int(pid_file.read_text())
            with pytest.raises(ProcessLookupError):  # stopped with its whole process group
                os.kill(helper, 0)
            assert "no key" in screen_text(app).splitlines()[0]
            assert app.is_running
    finally:
        store.close()
    figures(f"hung api_key_cmd: keys answered {answered:.2f} s into the wait, the helper "
            f"stopped by the 3 s timeout ({waited:.1f} s) with its process group")


PLAIN_KEY = "plainkey-rel-0000-ghij-qrst"  # a self-hosted server's key: no sk- prefix
URL_SECRET = "urlpass-rel-0000-klmn"  # a proxy password inside OPENAI_BASE_URL


def test_keys_without_sk_and_credentials_in_urls_reach_no_output_and_no_file(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """No config file: the profile comes from OPENAI_*; the key has no `sk-` shape to match
    and the URL carries `user:password@`. The commands that show the server, the key or an
    error, and a record written with that URL, hold neither."""
    url = sandbox.base_url.replace("://", f"://reluser:{URL_SECRET}@", 1)
    data = tmp_path / "data"
    env = pty_env(tmp_path, OPENAI_API_KEY=PLAIN_KEY, OPENAI_BASE_URL=url)
    env["THREADTUI_CONFIG"] = str(tmp_path / "absent.toml")
    from tui.core.records import ThreadRecord

    with Store.open(data) as store:  # what session.create_and_record copies from the profile
        store.upsert(ThreadRecord(id="conv_rel_url", profile="default", base_url=url))
    base = ("--data-dir", str(data))
    cli_output = "".join([
        run_cli(env, *base, "config", "check"),
        run_cli(env, *base, "whoami"),
        run_cli(env, *base, "doctor"),
        run_cli(env, *base, "list", "--json"),
        run_cli(env, *base, "export", "--format", "json", "-o", str(tmp_path / "backup.json")),
        run_cli(env, *base, "export", "-o", str(tmp_path / "one.md"), "conv_rel_url"),
    ])
    assert "…qrst" in cli_output  # the key's mask, as promised
    assert "reluser" not in cli_output
    for secret in (PLAIN_KEY, URL_SECRET):
        assert secret not in cli_output
    assert (tmp_path / "backup.json").exists() and (tmp_path / "one.md").exists()
    assert files_containing([tmp_path], (PLAIN_KEY, URL_SECRET, "reluser:")) == []
