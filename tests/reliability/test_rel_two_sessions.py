"""Two sessions on one record (two SSH sessions on one machine): nobody loses anything, and
each sees the other's new threads.

The app checks ``store.changed_on_disk()`` every ``STORE_POLL_SECONDS`` (2 s) and reloads the
sidebar, keeping the highlighted thread and the filter. Writes never lose each other's updates:
each is a read-modify-write under one flock after re-reading what the other process wrote.

Two real ``threadtui`` processes in two ptys, and two Pilot apps in one event loop with their
own Store handles (a second handle takes the file lock like another process would).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from app_harness import (
    AppEnv,
    idle,
    make_app_env,
    notification_text,
    open_first,
    wait_until,
)
from pexpect import EOF
from rel_harness import pty_config, pty_env, sidebar_column, start, wait_all

from tui.app.main_screen import STORE_POLL_SECONDS
from tui.core.records import Role, ThreadRecord
from tui.core.store import Store
from tui.sandbox import ACME_KEY, PERSONAL_KEY, Sandbox, reply_text

pytestmark = pytest.mark.timeout(180)


def finished(screen: str) -> bool:
    """A reply is complete on screen: its usage line is shown and esc is no longer offered."""
    return "tokens (in" in screen and "Stop reply" not in screen


@pytest.mark.slow  # two real ptys
def test_two_threadtui_processes_on_one_record(
    sandbox: Sandbox, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    config = pty_config(tmp_path / "config.toml", sandbox.base_url)
    data = tmp_path / "data"
    env = pty_env(tmp_path, REL_ACME_KEY=ACME_KEY, REL_HOME_KEY=PERSONAL_KEY)
    one = start(config, data, env, tmp_path)
    two = start(config, data, env, tmp_path)
    wait_all([(one, "0 threads"), (two, "0 threads")], what="both apps started")

    for first, second in (("alpha one", "beta one"), ("alpha two", "beta two")):
        # At the same moment: a new chat in each session, sent together.
        for term, text in ((one, first), (two, second)):
            term.press("\x0e")  # ctrl+n
            term.type(text)
        one.press("enter")
        two.press("enter")
        wait_all(
            [(one, f"You said: {first}"), (two, f"You said: {second}")], what="both replies"
        )
        wait_all([(one, finished), (two, finished)], what="both replies finished")

    # Within a poll or two each sidebar lists the other session's threads too.
    titles = ("alpha one", "alpha two", "beta one", "beta two")

    def lists_all(screen: str) -> bool:
        # The rows and the "4 threads" status line are painted in separate frames: wait for
        # both rather than asserting the status the moment the rows appear.
        return all(t in sidebar_column(screen) for t in titles) and "4 threads" in screen

    wait_all(
        [(one, lists_all), (two, lists_all)],
        timeout=10 * STORE_POLL_SECONDS,
        what="every thread and '4 threads' in both sidebars",
    )
    for term in (one, two):
        term.press("ctrl+q")
        term.child.expect(EOF, timeout=20)
        term.child.close()
        assert term.child.exitstatus == 0

    with Store.open(data) as store:
        assert store.take_problems() == []
        records = {record.title: record for record in store.list_threads()}
        assert sorted(records) == sorted(titles)
        for title, record in records.items():
            turns = store.transcript(record.id)
            assert [(t.role, t.text) for t in turns] == [
                (Role.USER, title), (Role.ASSISTANT, reply_text(title))
            ]
    figures("2 pty sessions × 2 threads each, sent at the same moment: 4/4 threads and 8/8 "
            "turns recorded; each sidebar listed all 4")


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path):
    made = make_app_env(tmp_path, sandbox.base_url, sandbox)
    yield made
    made.store.close()


async def send(pilot, text: str) -> None:
    app = pilot.app
    await app.main.action_new_thread()
    await pilot.pause()
    app.main.composer.focus()
    app.main.composer.load_text(text)
    await pilot.press("enter")


async def test_two_apps_see_each_others_threads_and_keep_cursor_and_filter(env: AppEnv) -> None:
    for n in range(3):
        env.record(f"conv_seed{n}", f"seed {n}", age_days=n + 1)
    other = Store.open(env.data_dir)
    one, two = env.make_app(), env.make_app(store=other)
    try:
        async with one.run_test(size=(100, 30)) as p1, two.run_test(size=(100, 30)) as p2:
            await idle(p1, one)
            await idle(p2, two)
            # One user is reading the list: the cursor on "seed 1".
            one.main.sidebar.thread_list.focus()
            await p1.press("j")
            assert one.main.sidebar.thread_list.highlighted_id == "conv_seed1"

            # The other session starts two chats; the first sees them without a keypress.
            for text in ("beta one", "beta two"):
                await send(p2, text)
                await idle(p2, two, timeout=15)
            timeout = 5 * STORE_POLL_SECONDS
            await wait_until(p1, lambda: one.main.sidebar.count == 5, timeout=timeout)
            assert one.main.sidebar.thread_list.highlighted_id == "conv_seed1"
            assert [r.title for r in one.main.sidebar.records[:2]] == ["beta two", "beta one"]

            # A filter in force stays in force across a reload.
            await p1.press("slash", *"beta")
            await wait_until(p1, lambda: one.main.sidebar.thread_list.option_count == 2)
            await send(p2, "beta three")
            await idle(p2, two, timeout=15)
            await wait_until(p1, lambda: one.main.sidebar.count == 6, timeout=timeout)
            assert one.main.sidebar.filter_input.value == "beta"
            assert one.main.sidebar.thread_list.option_count == 3

            # Both at once, each in a new chat.
            await p1.press("escape")
            await send(p1, "alpha one")
            await send(p2, "beta four")
            await idle(p1, one, timeout=15)
            await idle(p2, two, timeout=15)
            await wait_until(p1, lambda: one.main.sidebar.count == 8, timeout=timeout)
            await wait_until(p2, lambda: two.main.sidebar.count == 8, timeout=timeout)
    finally:
        other.close()

    with Store.open(env.data_dir) as store:
        threads: list[ThreadRecord] = store.list_threads()
        assert len(threads) == 8
        for record in threads:
            if not record.id.startswith("conv_seed"):
                assert [t.text for t in store.transcript(record.id)] == [
                    record.title, reply_text(record.title)
                ]


@pytest.mark.slow  # a real process, killed
async def test_a_session_killed_mid_reply_is_noticed_by_the_other_within_a_poll(
    env: AppEnv, figures: Callable[[str], None]
) -> None:
    """Session B (a real process) asks in the thread A has open, and is killed before the
    reply is written: A says so, shows the lost reply and offers ctrl+r, without a keypress."""
    import os
    import signal
    import subprocess
    import sys
    import time

    record = env.seeded("shared thread", [("user", "q"), ("assistant", "a")])
    app = env.make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2)
        await idle(pilot, app)
        child = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("lost_reply_child.py")),
             str(env.data_dir), record.id, "ask"],
            stdout=subprocess.PIPE,
        )
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        killed = time.monotonic()
        await wait_until(
            pilot, lambda: "never arrived" in notification_text(app),
            timeout=5 * STORE_POLL_SECONDS,
        )
        noticed = time.monotonic() - killed
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 4, timeout=10)
        await idle(pilot, app)
        lost = app.main.chat.messages[-1]
        assert lost.turn.error and "stopped before the reply arrived" in lost.turn.error
        assert app.main.check_action("retry", ()) is True
        row = app.main.sidebar.thread_list.options[0].prompt.visualize().plain
        assert "interrupted" in row
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.main.replying, timeout=15)
        await idle(pilot, app)
        assert app.main.chat.messages[-1].turn.text == reply_text("will this be answered?")
    figures(f"a session killed mid-reply was noticed by the other after {noticed:.1f} s "
            f"(poll every {STORE_POLL_SECONDS:g} s); ctrl+r there answered it")


async def poll_now(pilot, app) -> None:
    """Run the poll the 2 s timer would run, and wait for what it posts to be applied."""
    app.main._poll()
    await idle(pilot, app)


async def test_another_sessions_changes_rebuild_only_the_rows_it_changed(
    env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll that finds another session's writes rebuilds the rows it names and no other
    (counted: rows made and rows styled, not timed); the highlight, a removed highlighted
    row's neighbour, a filter and the open thread's transcript all follow."""
    from tui.app.widgets import thread_list
    from tui.core.records import Turn

    opened = env.seeded("open me", [("user", "q"), ("assistant", "a")], age_days=0.5)
    for n in range(120):
        beta = " beta" if n % 20 == 0 else ""
        env.record(f"conv_seed{n:03}", f"seed {n:03}{beta}", age_days=n + 1)
    made: list[str] = []
    styled: list[str] = []
    original_init = thread_list.ThreadRow.__init__
    original_build = thread_list.ThreadRow._build

    def counting_init(self, record, *args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(record.id)
        original_init(self, record, *args, **kwargs)

    def counting_build(self, on_cursor):  # type: ignore[no-untyped-def]
        styled.append(self.record.id)
        return original_build(self, on_cursor)

    other = Store.open(env.data_dir)
    app = env.make_app()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await idle(pilot, app)
            sidebar = app.main.sidebar
            listing = sidebar.thread_list
            listing.focus()
            await pilot.press("j", "j", "j")
            assert listing.highlighted_id == "conv_seed002"
            monkeypatch.setattr(thread_list.ThreadRow, "__init__", counting_init)
            monkeypatch.setattr(thread_list.ThreadRow, "_build", counting_build)

            # Another session renames one row, pins another and deletes the highlighted one.
            other.update_thread("conv_seed005", title="renamed five")
            other.update_thread("conv_seed050", pinned=True)
            other.delete("conv_seed002")
            await poll_now(pilot, app)
            assert sidebar.count == 120
            assert sidebar.get("conv_seed005").title == "renamed five"  # type: ignore[union-attr]
            assert sidebar.records[0].id == "conv_seed050"  # pinned: on top
            assert listing.highlighted_id == "conv_seed003"  # the next row, not the top
            assert set(made) == {"conv_seed005", "conv_seed050"}
            assert set(styled) <= {"conv_seed005", "conv_seed050", "conv_seed003"}
            assert "conv_seed004" not in styled  # on screen, unchanged: not styled again

            # With a filter in force: the renamed row leaves it, a new one joins it.
            await pilot.press("slash", *"beta")
            await wait_until(pilot, lambda: listing.option_count == 6)  # 000, 020, … 100
            await pilot.press("down", "down")  # (the first down leaves the filter box)
            assert listing.highlighted_id == "conv_seed020"
            made.clear()
            other.update_thread("conv_seed040", title="gamma")
            other.update_thread("conv_seed070", title="beta again")
            await poll_now(pilot, app)
            assert sidebar.filter_input.value == "beta"
            shown = [option.id for option in listing.options]
            assert "conv_seed040" not in shown and "conv_seed070" in shown
            assert listing.option_count == 6
            assert listing.highlighted_id == "conv_seed020"
            assert set(made) == {"conv_seed070"}  # the one that left is not built at all

            # The open thread: a turn another session added is shown without a keypress.
            await pilot.press("escape", "escape")
            app.main.open_thread(opened.id)
            await idle(pilot, app)
            await wait_until(pilot, lambda: len(app.main.chat.messages) == 2)
            made.clear()
            other.append_turn(opened.id, Turn(role=Role.USER, text="asked elsewhere"))
            await poll_now(pilot, app)
            await wait_until(pilot, lambda: len(app.main.chat.messages) == 3)
            await pilot.pause()
            assert set(made) <= {opened.id}  # made again only if on screen (drawn)
    finally:
        other.close()
