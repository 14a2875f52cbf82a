"""The app's side of SIGHUP, SIGTERM and a closed terminal (issue 14), in process.

The signals themselves, the real terminal and the exit statuses are proven in a real pty by
tests/reliability/test_rel_signals.py; here: the stop cancels the streaming reply, the record
keeps the partial text with the reason, the app leaves through ``App.exit`` with the status,
and the Textual internals ``ThreadDriver`` relies on are still there.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from app_harness import AppEnv, idle, wait_until
from textual.drivers.linux_driver import LinuxDriver

from tui.app.shutdown import Shutdown, Stop, restate_stop
from tui.app.terminal import ThreadDriver
from tui.app.widgets.message import MessageView
from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn
from tui.core.session import STOPPED
from tui.core.store import Store
from tui.sandbox import reply_text


def reply_view(app) -> MessageView:
    view = app.main.chat.last_view(Role.ASSISTANT)
    assert view is not None
    return view


async def send(pilot, text: str) -> None:
    pilot.app.main.composer.focus()
    pilot.app.main.composer.load_text(text)
    await pilot.press("enter")


async def test_a_stop_mid_reply_writes_the_partial_reply_with_its_reason_and_exits(
    app_env: AppEnv,
) -> None:
    app_env.sandbox.model.update(tokens=400, delay_s=0.02)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await send(pilot, "Tell me a long story")
        await wait_until(pilot, lambda: len(reply_view(app).turn.text) > 40, timeout=10)
        shown = reply_view(app).turn.text
        thread_id = app.main.chat.record.id
        app._stop_requested(Stop("SIGTERM asked threadtui to stop", 143))
        await wait_until(pilot, lambda: not app.is_running, timeout=5)
    assert app.return_code == 143
    stored = app_env.store.transcript(thread_id)
    last = stored[-1]
    assert last.role is Role.ASSISTANT and last.interrupted
    assert last.error == f"{STOPPED}: SIGTERM asked threadtui to stop"
    assert last.text.startswith(shown)
    assert reply_text("Tell me a long story", 400).startswith(last.text)
    assert app_env.store.get(thread_id).status is ThreadStatus.INTERRUPTED


async def test_a_stop_with_no_reply_streaming_just_exits(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app._stop_requested(Stop("the terminal closed", 129))
        await wait_until(pilot, lambda: not app.is_running, timeout=5)
    assert app.return_code == 129


def test_restate_stop_touches_only_the_sessions_own_stopped_turn(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.upsert(ThreadRecord(id="conv_a", title="a"))
        store.append_turn("conv_a", Turn(role=Role.USER, text="q"))
        assert not restate_stop(store, "conv_a", "the terminal closed")
        store.append_turn("conv_a", Turn(role=Role.ASSISTANT, text="part", interrupted=True,
                                         error=STOPPED))
        assert restate_stop(store, "conv_a", "the terminal closed")
        assert store.transcript("conv_a")[-1].error == f"{STOPPED}: the terminal closed"
        assert store.transcript("conv_a")[-1].text == "part"
        assert not restate_stop(store, "conv_a", "again")  # already restated


def test_an_uninstalled_shutdown_never_exits_the_process() -> None:
    shutdown = Shutdown()
    shutdown.request(Stop("x", 143))  # no app attached, no handlers: nothing happens
    assert shutdown.stop == Stop("x", 143)


def test_a_second_signal_after_the_app_ended_still_ends_the_process_with_the_stops_status(
) -> None:
    """The app has stopped cleanly for a SIGTERM and handed back the signal handlers, but
    the process is still ending (the record closing, the interpreter's exit): a second
    SIGTERM then must still end it at once with 143, not kill it by the signal. Under load
    the reliability test's second SIGTERM landed there."""
    script = (
        "import asyncio, os, signal, sys\n"
        "from tui.app.shutdown import Shutdown\n"
        "async def main():\n"
        "    with Shutdown(grace=60) as shutdown:\n"
        "        got = asyncio.Event()\n"
        "        shutdown.attach(asyncio.get_running_loop(), lambda stop: got.set())\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        await got.wait()\n"
        "        shutdown.detach()\n"
        "    os.kill(os.getpid(), signal.SIGTERM)  # the app has ended; the process has not\n"
        "    await asyncio.sleep(10)\n"
        "    sys.exit(0)\n"
        "asyncio.run(main())\n"
    )
    ended = subprocess.run([sys.executable, "-c", script], timeout=30)
    assert ended.returncode == 143


def test_after_a_signals_stop_the_launcher_ends_the_process_before_the_interpreters_teardown(
) -> None:
    """Python puts the default handlers back before it tears its modules down (Textual's
    are many: a few hundred ms under load), so a second SIGTERM there killed the process by
    the signal instead of ending it with 143. After a stop, ``launch`` ends the process once
    the app and the record are done; the teardown, where a finaliser here sends the second
    SIGTERM, never comes."""
    script = (
        "import argparse, asyncio, os, signal, sys, time, types\n"
        "from tui.commands import launch as launcher\n"
        "class SecondSignalInTheTeardown:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(5)\n"
        "def app_stopped_by_a_sigterm(*, shutdown, **_):\n"
        "    async def app():\n"
        "        got = asyncio.Event()\n"
        "        shutdown.attach(asyncio.get_running_loop(), lambda stop: got.set())\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        await got.wait()\n"
        "        shutdown.detach()\n"
        "    asyncio.run(app())\n"
        "    print('the app ended', flush=False)\n"
        "    return shutdown.stop.status\n"
        "launcher.run_app = app_stopped_by_a_sigterm\n"
        "keep = SecondSignalInTheTeardown()\n"
        "ctx = types.SimpleNamespace(config=None, data_dir=None, keyring=None)\n"
        "sys.exit(launcher.launch(argparse.Namespace(demo=False), ctx))\n"
    )
    ended = subprocess.run([sys.executable, "-c", script], timeout=30,
                           capture_output=True, text=True)
    assert ended.returncode == 143, ended.stderr
    assert ended.stdout == "the app ended\n"  # buffered output is flushed before the end


def test_the_textual_internals_the_driver_relies_on_are_still_there() -> None:
    source = inspect.getsource(LinuxDriver)
    for needle in ("self._file = sys.__stderr__", "WriterThread(self._file)",
                   "self._must_signal_resume", "def _sigcont_application",
                   "def run_input_thread", "self.exit_event", "self._debug"):
        assert needle in source, needle
    assert issubclass(ThreadDriver, LinuxDriver)
