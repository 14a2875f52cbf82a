"""The GC pause of start-up and of reading the index: holds nest, the last one ends it."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

from tui.core.gc_pause import end_start, pause_start, paused


def test_holds_nest_and_the_last_one_turns_the_collector_back_on() -> None:
    assert gc.isenabled()
    pause_start()
    try:
        assert not gc.isenabled()
        with paused():  # the index read while the app starts: its end is not the start's
            assert not gc.isenabled()
        assert not gc.isenabled()
        pause_start()  # once per process: a second start hold is none
    finally:
        end_start()
    assert gc.isenabled()
    end_start()  # ending it again (the app after its first paint, then at its end): nothing
    assert gc.isenabled()


def test_a_pause_on_another_thread_outlives_the_end_of_start_up() -> None:
    inside, leave = threading.Event(), threading.Event()

    def load() -> None:
        with paused():
            inside.set()
            leave.wait(5)

    pause_start()
    worker = threading.Thread(target=load)
    worker.start()
    try:
        inside.wait(5)
        end_start()  # the first paint, while the record is still being read
        assert not gc.isenabled()
    finally:
        leave.set()
        worker.join()
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_console_script_runs_commands_with_the_collector_on(tmp_path) -> None:
    """`threadtui list` through the console script's entry: the pause ends before it runs."""
    code = (
        "import gc, sys\n"
        "from tui.commands import list_cmd\n"
        "seen = []\n"
        "def spy(args, ctx):\n"
        "    seen.append(gc.isenabled())\n"
        "    return 0\n"
        "list_cmd.run_list = spy\n"
        "from tui.entry import main\n"
        "sys.argv = ['threadtui', 'list']\n"
        "main()\n"
        "print(seen, gc.isenabled())\n"
    )
    env = {"THREADTUI_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path),
           "THREADTUI_CONFIG": str(tmp_path / "none.toml"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.stdout.strip() == "[True] True", out.stdout + out.stderr
