"""The shape of the app, held by behaviour: dialogs outlive the workers that asked for them,
workers never touch a screen that is gone, and the record is never written on the event loop.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from app_harness import (
    ENV,
    AppEnv,
    answer_prompt,
    answer_question,
    idle,
    open_first,
    owner_prompt,
    to_list,
    wait_until,
)

from tui.core.config import load_config
from tui.core.keys import KeyRing
from tui.core.record_access import THREAD_NAME
from tui.core.records import ThreadStatus

TWENTY_RUNS = [pytest.param(run, marks=pytest.mark.slow) if run else run for run in range(20)]
"""Both regressions were races: each is run 20 times (the first one in the quick loop too)."""


@pytest.mark.parametrize("run", TWENTY_RUNS)
async def test_ctrl_n_with_the_404_prompt_open_leaves_nothing_stale(
    app_env: AppEnv, run: int
) -> None:
    """The prompt used to be a dialog awaited inside the open worker: ctrl+n cancelled that
    worker, the dialog stayed on screen and y did nothing. Now the prompt belongs to the
    thread on screen: ctrl+n takes both away, y is text, and reopening asks again."""
    record = app_env.seeded("Sourdough", [("user", "feed?"), ("assistant", "Friday")],
                            profile="home")
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
        await pilot.press("ctrl+n", "y")
        await pilot.pause()
        assert owner_prompt(app) is None and app.main.chat.record is None
        assert app.main.composer.text == "y" and app.main.profile_name == "work"
        await open_first(pilot, app)
        await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
        await answer_prompt(pilot, app, "y")
        await wait_until(pilot, lambda: app.main.profile_name == "home", timeout=10)
        await wait_until(
            pilot,
            lambda: app.main.chat.record is not None and app.main.chat.record.id == record.id,
            timeout=10,
        )
        await idle(pilot, app, timeout=10)
        assert [v.turn.text for v in app.main.chat.messages] == ["feed?", "Friday"]
        assert app_env.store.get(record.id).status is ThreadStatus.OK


@pytest.mark.parametrize("run", TWENTY_RUNS)
async def test_a_key_command_finishing_after_quit_is_harmless(
    app_env: AppEnv, tmp_path: Path, run: int
) -> None:
    """The connect worker used to redraw the bar after teardown (NoMatches, a crash at
    exit). Now it posts a message, and a message to a screen that is gone is dropped."""
    assert app_env.sandbox is not None
    config_path = tmp_path / "slow.toml"
    config_path.write_text(
        app_env.config.path.read_text()
        + f"""
[profiles.slow]
api_key_cmd = "sleep 0.4; echo sk-proj-sandbox-personal-pers"
base_url = "{app_env.sandbox.base_url}"
"""
    )
    config = load_config(config_path, {})
    app = app_env.make_app(config=config, keyring=KeyRing(environ={**os.environ, **ENV}))
    errors: list[BaseException] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.main.activate_profile("slow")
            await pilot.pause()
            await pilot.press("ctrl+q")
        await _sleep(0.8)  # the key command finishes after the app is gone
    finally:
        threading.excepthook = previous_hook
    assert app.return_code == 0
    assert errors == []


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_no_write_to_the_record_happens_on_the_event_loop(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file the record writes (index journal, transcripts: appended, fsynced, or
    replaced) is written from the record's own thread: send, reply, rename, pin and delete
    never make the screen wait on a disk."""
    data_dir = str(app_env.data_dir)
    writers: list[str] = []
    real_replace, real_write, real_fsync = os.replace, os.write, os.fsync

    def note(path: str) -> None:
        if path.startswith(data_dir):
            writers.append(threading.current_thread().name)

    def of_fd(fd: int) -> str:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return ""

    def spying_replace(src: object, dst: object, *args: object, **kwargs: object) -> None:
        note(str(dst))
        real_replace(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    def spying_write(fd: int, data: bytes) -> int:
        note(of_fd(fd))
        return real_write(fd, data)

    def spying_fsync(fd: int) -> None:
        note(of_fd(fd))
        real_fsync(fd)

    app_env.seeded("Old", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        monkeypatch.setattr(os, "replace", spying_replace)
        monkeypatch.setattr(os, "write", spying_write)
        monkeypatch.setattr(os, "fsync", spying_fsync)
        await pilot.press("ctrl+n")
        await pilot.press(*"what is two plus two", "enter")
        await wait_until(
            pilot, lambda: len(app.main.chat.messages) == 2 and not app.main.replying, timeout=15
        )
        await idle(pilot, app, timeout=10)
        await to_list(pilot, app)
        await pilot.press("p")
        await idle(pilot, app)
        await pilot.press("r", "ctrl+a")
        await pilot.press(*"Renamed", "enter")
        await idle(pilot, app, timeout=10)
        await to_list(pilot, app)
        await pilot.press("d")
        await answer_question(pilot, app, "y")
        await idle(pilot, app, timeout=10)
    assert len(writers) >= 5, writers
    assert all(name.startswith(THREAD_NAME) for name in writers), writers
