"""Start-up: the first-run screen instead of a traceback, store problems, --theme, --demo."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from app_harness import AppEnv, idle, notification_text, notifications, wait_until

from tui.app.app import ThreadApp
from tui.app.screens.first_run import FirstRunScreen
from tui.commands import launch as launch_module
from tui.commands.context import CliContext
from tui.core.config import ConfigError
from tui.core.records import ThreadStatus
from tui.core.store import Store


async def test_no_key_and_no_threads_opens_the_first_run_screen(make_env) -> None:
    env = make_env(default_profile="nokey")
    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        await pilot.pause()
        text = str(app.screen.query_one(".first-run-box Static").render())
        assert "TT_NEVER_SET_KEY" in text
        assert str(env.config.path) in text
        assert "threadtui --demo" in text
        await pilot.press("ctrl+o")  # other profiles are one key away
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "ProfilePicker")
        await pilot.press(*"work", "enter")
        await idle(pilot, app)
        assert not isinstance(app.screen, FirstRunScreen)  # picking a profile closes it
        assert app.main.profile_name == "work" and "sk-…acme" in app.main.bar.render().plain


async def test_q_on_the_first_run_screen_quits(make_env) -> None:
    env = make_env(default_profile="nokey")
    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_no_key_with_threads_shows_them_and_says_what_is_missing(make_env) -> None:
    env = make_env(default_profile="nokey")
    env.record("conv_a", "Readable", status=ThreadStatus.GONE, profile="nokey")
    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        assert not isinstance(app.screen, FirstRunScreen)
        assert app.main.sidebar.thread_list.option_count == 1
        assert "TT_NEVER_SET_KEY" in notification_text(app)


async def test_store_problems_are_notified_at_start(app_env: AppEnv) -> None:
    data_dir = app_env.tmp / "broken"
    data_dir.mkdir()
    (data_dir / "index.json").write_text("{ not json")
    store = Store.open(data_dir)
    try:
        app = app_env.make_app(store=store, data_dir=data_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            messages = [n.message for n in notifications(app)]
            assert any("corrupt" in m.lower() or "moved" in m.lower() for m in messages)
    finally:
        store.close()


def _args(**values: Any) -> argparse.Namespace:
    base = {"profile": None, "config": None, "data_dir": None, "demo": False, "theme": None,
            "func": None}
    base.update(values)
    return argparse.Namespace(**base)


@pytest.fixture
def captured_app(monkeypatch: pytest.MonkeyPatch) -> list[ThreadApp]:
    """Replace ThreadApp.run: keep the app that would have run, and note the sandbox state."""
    apps: list[ThreadApp] = []

    def fake_run(self: ThreadApp, *args: Any, **kwargs: Any) -> None:
        apps.append(self)

    monkeypatch.setattr(ThreadApp, "run", fake_run)
    return apps


def test_launch_uses_the_config_the_data_dir_and_theme_flag(
    app_env: AppEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured_app
) -> None:
    monkeypatch.delenv("THREADTUI_CONFIG", raising=False)
    monkeypatch.delenv("THREADTUI_DATA_DIR", raising=False)
    data_dir = tmp_path / "launch-data"
    args = _args(config=str(app_env.config.path), data_dir=str(data_dir),
                 theme="threadtui-paper", profile="home")
    assert launch_module.launch(args, CliContext(args)) == 0
    (app,) = captured_app
    assert app.theme == "threadtui-paper"  # --theme wins over the config for the run
    assert app.main.profile_name == "home"
    assert app.data_dir == data_dir and (data_dir / "index.json").exists()


def test_launch_lets_config_errors_through(tmp_path: Path, monkeypatch, captured_app) -> None:
    monkeypatch.delenv("THREADTUI_CONFIG", raising=False)
    bad = tmp_path / "bad.toml"
    bad.write_text("[profiles.x\n")
    args = _args(config=str(bad), data_dir=str(tmp_path / "d"))
    with pytest.raises(ConfigError):
        launch_module.launch(args, CliContext(args))
    assert captured_app == []


def test_launch_demo_uses_the_demo_world_and_stops_its_sandbox(
    monkeypatch: pytest.MonkeyPatch, captured_app, tmp_path: Path
) -> None:
    import tui.commands.demo as demo

    seen: list[Any] = []
    original = demo.demo_environment

    def spying(*args: Any, **kwargs: Any):
        manager = original(*args, **kwargs)

        class Wrapper:
            def __enter__(self):
                env = manager.__enter__()
                seen.append(env)
                return env

            def __exit__(self, *exc: Any):
                return manager.__exit__(*exc)

        return Wrapper()

    monkeypatch.setattr(demo, "demo_environment", spying)
    monkeypatch.setenv("THREADTUI_CONFIG", str(tmp_path / "never-read.toml"))
    args = _args(demo=True)
    assert launch_module.launch(args, CliContext(args)) == 0
    (app,) = captured_app
    (env,) = seen
    assert app.config.path == env.config_path and app.data_dir == env.data_dir
    assert set(app.config.profiles) >= {"acme", "personal"}
    assert not env.sandbox.running
    assert not app.theme_start.memory.state_dir  # a demo never remembers a theme


def test_launch_reports_an_unusable_record_without_a_traceback(
    app_env: AppEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured_app, capsys
) -> None:
    monkeypatch.delenv("THREADTUI_CONFIG", raising=False)
    monkeypatch.delenv("THREADTUI_DATA_DIR", raising=False)
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    args = _args(config=str(app_env.config.path), data_dir=str(not_a_dir / "data"))
    assert launch_module.launch(args, CliContext(args)) == 2
    assert "cannot open the local record" in capsys.readouterr().err
    assert captured_app == []
