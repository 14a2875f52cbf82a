"""Hostile input: broken configs, bad ids, text full of escapes and markup, 1 MB messages,
damaged store files, theme files that are not TOML. Each gets a clear message, loses nothing
and crashes nothing; text is shown as text, never run as markup or terminal control.

Where the screen is checked it is the real one: Pilot's SVG export (what a screenshot shows)
or a real ``threadtui`` in a pty read through pyte, which interprets escape sequences as a
terminal would; a title sequence that got through would change ``screen.title``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from app_harness import AppEnv, idle, make_app_env, open_first, wait_until
from pexpect import EOF
from rel_harness import (
    notifications,
    pty_config,
    pty_env,
    pump_now,
    raw_svg,
    screen_text,
    sidebar_column,
    start,
)
from textual import events
from textual.containers import VerticalScroll

from tui.cli import main
from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import Store
from tui.sandbox import ACME_KEY, PERSONAL_KEY, Fault, Sandbox, reply_text

pytestmark = pytest.mark.timeout(180)

# Escape sequences a terminal would act on: retitle the window, clear the screen, colour,
# the 8-bit CSI, and a bidi override that makes text read backwards.
OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
RED = "\x1b[31mRED\x1b[0m"
C1_CSI = "\x9b2J"
RLO = "\u202e"
CONTROLS = ("\x1b", "\x07", "\x9b", RLO, "\x00")
MARKUP = "[bold]b[/bold] [/oops] [link=x]l[/link]"
EMOJI_RTL = "🦄 שלום עולם مرحبا"
HOSTILE = f"{OSC_TITLE}{CLEAR}{RED} {MARKUP} {EMOJI_RTL} {C1_CSI} {RLO}evil"


def run_cli(*args: str) -> tuple[int | str, str, str]:
    """``threadtui ARGS`` in this process: exit status, stdout, stderr (never a traceback)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def plain(text: str) -> bool:
    return not any(c in text for c in CONTROLS) and "Traceback" not in text


# ---------------------------------------------------------------------------- configs

BAD_CONFIGS = {
    "wrong-types": (
        'default_profile = 5\nkey_command_timeout = "ten"\ntheme = []\nkeymap = "x"\n'
        "[profiles.a]\napi_key_env = 42\nbase_url = true\n",
        ["default_profile: must be a string, not an integer",
         "key_command_timeout: must be a number of seconds", "theme: must be a string",
         "keymap: must be a table", "[profiles.a] api_key_env: must be a string"],
    ),
    "huge-values": (
        f'[profiles.a]\napi_key_env = "X"\nmodel = "{"m" * 200_000}"\n'
        "[profiles.b]\napi_key_env = \"Y\"\n" + 'default_profile = "a"\n' * 0
        + "",
        ["[profiles.a] model: is 200000 characters long (at most 4096)"],
    ),
    "huge-number": (
        'key_command_timeout = 1e308\n[profiles.a]\napi_key_env = "X"\n',
        ["key_command_timeout: must be between 0 and 600 seconds"],
    ),
    "unknown-default-profile": (
        'default_profile = "nope"\n[profiles.a]\napi_key_env = "X"\n',
        ["default_profile: 'nope' names no profile; profiles are: a"],
    ),
    "escape-in-profile-name": (
        '[profiles."\\u001b]0;pwned\\u0007\\u001b[2J"]\napi_key_env = "X"\n',
        ["a profile name must be 1-64 characters of plain text", "\\x1b]0;pwned\\x07"],
    ),
    "escape-in-key": (
        '[profiles.a]\napi_key_env = "X"\n"\\u009b31m" = 1\nmodel = "m\\u202e"\n',
        ["[profiles.a] \\x9b31m: unknown key", "[profiles.a] model: contains control"],
    ),
    "nested-too-deeply": ("a = " + "[" * 3000 + "]" * 3000 + "\n", ["nested too deeply"]),
    "not-toml": ("[profiles.a\napi_key_env = \n", ["TOML syntax error"]),
    "not-text": (b"\xff\xfe\x00\x01binary".decode("latin-1"), ["cannot read the file"]),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
@pytest.mark.parametrize("command", [["config", "check"], []], ids=["config-check", "app"])
def test_a_bad_config_is_a_clear_message_and_exit_2_before_anything_is_written(
    name: str, command: list[str], tmp_path: Path
) -> None:
    text, expected = BAD_CONFIGS[name]
    config = tmp_path / "config.toml"
    if name == "not-text":
        config.write_bytes(b"\xff\xfe\x00\x01binary")
    else:
        config.write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    status, out, err = run_cli("--config", str(config), "--data-dir", str(data), *command)
    assert status == 2
    assert "the config cannot be used" in err and str(config) in err
    for words in expected:
        assert words in err, err[:2000]
    assert plain(out + err)
    assert not data.exists()  # the app never started: nothing written, nothing lost


def test_an_unknown_profile_on_the_command_line_names_the_known_ones(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.work]\napi_key_env = "X"\n[profiles.home]\napi_key_env = "Y"\n')
    data = tmp_path / "data"
    status, _out, err = run_cli("--config", str(config), "--data-dir", str(data),
                                "--profile", f"nope{OSC_TITLE}")
    assert status == 2
    assert "no profile named 'nope\\x1b]0;pwned\\x07' (profiles: home, work)" in err
    assert plain(err) and not data.exists()


# ---------------------------------------------------------------------------- import


def test_import_reports_each_bad_id_by_line_and_records_the_good_ones(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.work]\napi_key_env = "X"\n')
    data = tmp_path / "data"
    ids = tmp_path / "ids.txt"
    lines = [
        "conv_good1  a fine note",
        f"conv_{OSC_TITLE}x",
        "conv_" + "x" * 10_000,
        f"thread_good2 {CLEAR}title",
        f"conv_rtl {RLO}evil",
        f"conv_good3 {MARKUP} {EMOJI_RTL}",
        "\x00\x01binary",
        "not-an-id at all",
    ]
    ids.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n")
    base = ("--config", str(config), "--data-dir", str(data))
    status, out, err = run_cli(*base, "import", str(ids))
    assert status == 1
    assert plain(out + err)
    for line in (2, 3, 4, 5, 7, 8, 9):
        assert f"ids.txt:{line}:" in err, err
    assert "10005 characters long (the limit is 200)" in err
    assert "added 2, skipped 0, rejected 7" in out

    status, out, err = run_cli(*base, "list")
    assert status == 0 and plain(out + err)
    assert f"{MARKUP} {EMOJI_RTL}"[:12] in out  # markup and right-to-left text, as text
    with Store.open(data) as store:
        assert sorted(r.id for r in store.list_threads()) == ["conv_good1", "conv_good3"]
        assert store.get("conv_good3").title == f"{MARKUP} {EMOJI_RTL}"


def test_a_backup_with_hostile_ids_and_a_deeply_nested_file_are_refused_cleanly(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.work]\napi_key_env = "X"\n')
    data = tmp_path / "data"
    base = ("--config", str(config), "--data-dir", str(data))
    deep = tmp_path / "deep.json"
    deep.write_text('{"threads": ' + "[" * 100_000 + "]" * 100_000 + "}")
    status, out, err = run_cli(*base, "import", str(deep))
    assert status == 1 and "nested too deeply" in err and plain(out + err)

    backup = {
        "format": "threadtui-backup", "version": 1, "schema_version": 2,
        "threads": [
            {"record": {"id": f"conv_{OSC_TITLE}", "title": "x"}, "turns": []},
            {"record": {"id": "conv_" + "y" * 10_000, "title": "y"}, "turns": []},
            {"record": {"id": "conv_fine", "title": HOSTILE},
             "turns": [{"role": "user", "text": HOSTILE, "at": 1.0}]},
        ],
    }
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(backup))
    status, out, err = run_cli(*base, "import", str(path))
    assert status == 1 and plain(out + err)
    assert "added 1" in out and "rejected 2" in out
    status, out, err = run_cli(*base, "list")
    assert status == 0 and plain(out + err) and "conv_fine" in out
    status, out, err = run_cli(*base, "export", "conv_fine")  # Markdown to the terminal
    assert status == 0 and plain(out + err) and "\\x1b]0;pwned\\x07" in out


# ---------------------------------------------------------------------------- the app


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path):
    made = make_app_env(tmp_path, sandbox.base_url, sandbox)
    yield made
    made.store.close()


async def test_hostile_titles_and_messages_are_text_in_every_part_of_the_app(
    env: AppEnv,
) -> None:
    long_title = "L" * 10_000
    env.record("conv_long", long_title, age_days=2)
    record = env.seeded(HOSTILE, [("user", HOSTILE), ("assistant", HOSTILE)], age_days=1)
    app = env.make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await idle(pilot, app)
        # Sidebar: both rows, the hostile one as text (what is left of the escapes is their
        # printable tail, shown, not obeyed).
        screen = screen_text(app)
        assert "]0;pwned" in screen and "RED" in screen and "LLLL" in screen, screen
        # Chat pane: the user's text verbatim (markup kept as typed), the reply as Markdown.
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2)
        await idle(pilot, app)
        screen = screen_text(app)
        assert screen.count("[bold]b[/bold] [/oops]") >= 2, screen  # the header, the message
        assert "🦄" in screen and "שלום" in screen and "مرحبا" in screen, screen
        # Notifications: a thread title and a server error text full of escapes and markup.
        app.main.action_copy_thread_id()
        env.sandbox.faults.next(Fault.fail(after=2, message=HOSTILE), path=r"/responses$")
        app.main.composer.focus()
        app.main.composer.load_text(f"again {MARKUP}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.main.replying, timeout=15)
        await idle(pilot, app)
        assert any("Reply failed" in n and "[/oops]" in n for n in notifications(app))
        app.notify(HOSTILE, title=HOSTILE)  # whatever a caller passes: no control survives
        assert all(plain(n) for n in notifications(app)), notifications(app)
        # Help and the switcher bar.
        await pilot.press("f1")
        await pilot.pause()
        help_screen = screen_text(app)
        assert "chat.retry" in help_screen
        await pilot.press("escape")
        svg = raw_svg(app)
        assert not any(c in svg for c in CONTROLS)
        assert app.is_running
        turns = env.store.transcript(record.id)
        assert turns[0].text == HOSTILE and turns[1].text == HOSTILE  # stored exactly


async def test_markup_and_unicode_in_profile_names_and_keymap_are_shown_literally(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'default_profile = "[b]w[/oops] 🦄"\n'
        f'[profiles."[b]w[/oops] 🦄"]\napi_key_env = "TT_WORK_KEY"\n'
        f'base_url = "{sandbox.base_url}"\n'
        'model = "[i]model[/i]"\norganization = "[red]org"\n'
        '[keymap]\n"chat.copy" = "c"\n"sidebar.pin" = "[/oops]"\n'
    )
    from tui.core.config import load_config

    data = tmp_path / "data"
    store = Store.open(data)
    env = AppEnv(sandbox, tmp_path, load_config(config, {}), store, data)
    try:
        app = env.make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await idle(pilot, app)
            bar = screen_text(app).splitlines()[0]
            assert "[b]w[/oops] 🦄" in bar and "[i]model[/i]" in bar
            await pilot.press("f1")
            await pilot.pause()
            help_text = screen_text(app)
            for scroll in app.screen.query(VerticalScroll):  # every page of a long help
                for _page in range(50):
                    if scroll.scroll_y >= scroll.max_scroll_y:
                        break
                    scroll.scroll_page_down(animate=False)
                    await pilot.pause()
                    help_text += screen_text(app)
            assert "chat.copy" in help_text and "[/oops]" in help_text, help_text
            await pilot.press("escape", "ctrl+o")
            await pilot.pause()
            assert "[b]w[/oops] 🦄" in screen_text(app)
            assert app.is_running
    finally:
        store.close()


async def test_a_one_megabyte_message_is_sent_stored_and_answered(env: AppEnv) -> None:
    big = ("0123456789" * 7 + "\n") * 14_000  # ~1 MB, 14,000 lines
    env.sandbox.model.update(tokens=50)
    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.main.composer.focus()
        app.main.composer.post_message(events.Paste(big))
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.main.replying, timeout=60)
        await idle(pilot, app, timeout=30)
        turns = env.store.transcript(app.main.chat.record.id)
        assert turns[0].text == big and turns[1].text == reply_text(big, 50)
        await pilot.press("ctrl+n")  # still answering keys
        await pilot.pause()
        assert app.main.chat.record is None


# ---------------------------------------------------------------------------- damaged files


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
async def test_a_damaged_index_is_moved_aside_named_and_every_thread_rebuilt(
    damage: str, env: AppEnv
) -> None:
    for n in range(5):
        env.record(f"conv_t{n}", f"thread {n}", age_days=n + 1,
                   turns=[("user", f"q{n}"), ("assistant", f"a{n}")])
    env.store.close()
    index = env.data_dir / "index.json"
    raw = index.read_bytes()
    index.write_bytes({"truncated": raw[: len(raw) // 2], "garbage": os.urandom(4096),
                       "empty": b""}[damage])
    env.store = Store.open(env.data_dir)
    app = env.make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await idle(pilot, app)
        assert app.main.sidebar.count == 5
        told = " ".join(notifications(app))
        if damage == "empty":
            assert "5 threads were rebuilt from their transcripts" in told
        else:
            aside = [p for p in env.data_dir.iterdir() if ".corrupt-" in p.name]
            assert len(aside) == 1 and aside[0].read_bytes() == index_bytes(damage, raw, aside)
            assert str(aside[0]) in told and "5 threads were recovered" in told
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2)
        assert app.is_running
    for n in range(5):
        assert [t.text for t in env.store.transcript(f"conv_t{n}")] == [f"q{n}", f"a{n}"]


def index_bytes(damage: str, raw: bytes, aside: list[Path]) -> bytes:
    """What the moved-aside file must hold: the damaged bytes exactly (garbage is random)."""
    return raw[: len(raw) // 2] if damage == "truncated" else aside[0].read_bytes()


async def test_a_garbage_transcript_is_moved_aside_and_named_the_rest_kept(env: AppEnv) -> None:
    gone = ThreadStatus.GONE  # local only: no server to ask
    env.record("conv_bad", "bad transcript", age_days=1, turns=[("user", "lost?")], status=gone)
    env.record("conv_ok", "good transcript", age_days=2, turns=[("user", "kept")], status=gone)
    env.store.transcript_path("conv_bad").write_bytes(b"\x00garbage{{{" * 100)
    app = env.make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)  # the newest: the damaged one
        await idle(pilot, app)
        aside = list(env.store.transcripts_dir.glob("*.corrupt-*"))
        assert len(aside) == 1
        assert any(str(aside[0]) in n for n in notifications(app))
        assert app.is_running and app.main.sidebar.count == 2
    assert [t.text for t in env.store.transcript("conv_ok")] == ["kept"]
    assert env.store.get("conv_bad") is not None


async def test_theme_files_that_are_not_toml_are_named_and_the_app_runs(env: AppEnv) -> None:
    themes = env.tmp / "themes"
    themes.mkdir()
    (themes / "garbage.toml").write_bytes(os.urandom(512))
    (themes / "broken.toml").write_text("name = \n[[[")
    (themes / "deep.toml").write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    app = env.make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await idle(pilot, app)
        told = notifications(app)
        for name in ("garbage.toml", "broken.toml", "deep.toml"):
            assert sum(name in n for n in told) == 1, told
        assert any("nested too deeply" in n for n in told)
        await pilot.press("ctrl+n")
        assert app.is_running


# ---------------------------------------------------------------------------- real terminal


@pytest.mark.slow  # a real pty
def test_a_real_terminal_is_never_retitled_cleared_or_coloured_by_stored_text(
    sandbox: Sandbox, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    config = pty_config(tmp_path / "config.toml", sandbox.base_url)
    data = tmp_path / "data"
    with Store.open(data) as store:
        for n, title in enumerate((HOSTILE, f"{MARKUP} {EMOJI_RTL}", "L" * 10_000)):
            thread_id = sandbox.seed_conversation(ACME_KEY, title="t", turns=[("user", title)])
            store.upsert(ThreadRecord(id=thread_id, title=title, profile="acme",
                                      last_active=1e9 + n, status=ThreadStatus.GONE))
            store.append_turn(thread_id, Turn(role=Role.USER, text=title, at=1e9 + n))
    env = pty_env(tmp_path, REL_ACME_KEY=ACME_KEY, REL_HOME_KEY=PERSONAL_KEY)
    raw = bytearray()
    term = start(config, data, env, tmp_path)
    feed = term.stream.feed
    term.stream.feed = lambda data: (raw.extend(data), feed(data))[1]  # type: ignore[method-assign]
    term.wait_for("3 threads", what="the sidebar")
    term.press("escape")  # to the list (a lone ESC: let it stand alone)
    term.settle(0.3)
    term.press("G", "enter")  # the oldest row: the hostile one
    term.wait_for("[/oops]", what="the hostile transcript")
    term.settle(0.5)
    screen = term.text
    assert "pwned" not in (term.screen.title or "")
    assert b"pwned\x07" not in raw and b"\x1b[31mRED" not in raw and b"\xc2\x9b2J" not in raw
    assert term.line(0).lstrip().startswith("acme")  # the bar was not cleared or overwritten
    assert "[bold]b[/bold] [/oops]" in screen and "🦄 שלום עולם مرحبا" in screen, screen
    assert "[bold]b[/bold] [/oops]" in sidebar_column(screen, 30), screen
    term.press("ctrl+q")
    term.child.expect(EOF, timeout=20)

    # `threadtui list` on the same terminal type: escapes spelt out, nothing acted on.
    status, out, err = run_cli("--config", str(config), "--data-dir", str(data), "list", "--all")
    assert status == 0 and plain(out + err)
    assert "\\x1b]0;pwne" in out  # spelt out (and cut to the column), not obeyed
    figures(f"pty: {len(raw):,} bytes of screen output, none carrying a stored escape")


@pytest.mark.slow  # a real pty
def test_a_one_megabyte_paste_in_a_real_terminal_is_sent_and_stored(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.model.update(tokens=50)
    config = pty_config(tmp_path / "config.toml", sandbox.base_url)
    data = tmp_path / "data"
    env = pty_env(tmp_path, REL_ACME_KEY=ACME_KEY, REL_HOME_KEY=PERSONAL_KEY)
    term = start(config, data, env, tmp_path)
    term.wait_for("0 threads")
    term.press("\x0e")
    big = ("0123456789" * 7 + "\n") * 14_000
    payload = memoryview(f"\x1b[200~{big}\x1b[201~".encode())
    while payload:  # bracketed paste, as a terminal sends it
        written = os.write(term.child.child_fd, payload[:4096])
        payload = payload[written:]
        pump_now(term)
    term.wait_for("paste 1", what="the paste kept aside in the composer")
    term.press("enter")
    term.wait_for("tokens (in", timeout=60, what="the reply")
    term.press("ctrl+q")
    term.child.expect(EOF, timeout=20)
    with Store.open(data) as store:
        (record,) = store.list_threads()
        turns = store.transcript(record.id)
        assert turns[0].text == big and turns[1].text == reply_text(big, 50)


@pytest.mark.slow  # a real pty
def test_a_server_error_full_of_escapes_reaches_a_real_terminal_as_text(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = pty_config(tmp_path / "config.toml", sandbox.base_url)
    data = tmp_path / "data"
    env = pty_env(tmp_path, REL_ACME_KEY=ACME_KEY, REL_HOME_KEY=PERSONAL_KEY)
    raw = bytearray()
    term = start(config, data, env, tmp_path)
    feed = term.stream.feed
    term.stream.feed = lambda data: (raw.extend(data), feed(data))[1]  # type: ignore[method-assign]
    term.wait_for("0 threads")
    sandbox.faults.next(Fault.fail(after=2, message=HOSTILE), path=r"/responses$")
    term.press("\x0e")
    term.type("hello")
    term.press("enter")
    term.wait_for("Reply failed", what="the failure notification")
    term.settle(0.5)
    assert "pwned" not in (term.screen.title or "")
    assert b"pwned\x07" not in raw and b"\x1b[31mRED" not in raw and b"\xc2\x9b2J" not in raw
    assert term.line(0).lstrip().startswith("acme")
    term.press("ctrl+q")
    term.child.expect(EOF, timeout=20)
    with Store.open(data) as store:
        (record,) = store.list_threads()
        error = store.transcript(record.id)[-1].error or ""
        assert plain(error) and "\\x1b]0;pwned\\x07" in error
