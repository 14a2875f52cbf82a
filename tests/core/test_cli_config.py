"""`threadtui config path|check|init`, and bad config: exit status 2 and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main

KEY = "sk-cli-check-key-0000wxyz"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("THREADTUI_CONFIG", raising=False)
    monkeypatch.delenv("THREADTUI_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return tmp_path


def test_config_path_defaults_to_platform_dirs(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "path"]) == 0
    out = capsys.readouterr().out
    assert f"config: {env / 'xdg-config' / 'threadtui' / 'config.toml'} (not created yet" in out
    assert f"data:   {env / 'xdg-data' / 'threadtui'}" in out


def test_config_path_flags_and_environment(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        main(["config", "path", "--config", str(env / "c.toml"), "--data-dir", str(env / "d")]) == 0
    )
    out = capsys.readouterr().out
    assert f"config: {env / 'c.toml'}" in out and f"data:   {env / 'd'}" in out
    monkeypatch.setenv("THREADTUI_CONFIG", str(env / "from-env.toml"))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(env / "data-env"))
    assert main(["--config", str(env / "c.toml"), "config", "path"]) == 0
    out = capsys.readouterr().out
    assert f"config: {env / 'from-env.toml'}" in out and f"data:   {env / 'data-env'}" in out


def test_config_check_masks_keys(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = env / "c.toml"
    config.write_text(
        'default_profile = "work"\n[profiles.work]\napi_key_env = "WORK_KEY"\n'
        'organization = "org-work"\n[profiles.home]\napi_key_cmd = "echo sk-home-key-0000home"\n'
    )
    monkeypatch.setenv("WORK_KEY", KEY)
    assert main(["config", "check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "OK, 2 profile(s), default 'work'" in out
    assert "sk-…wxyz from $WORK_KEY" in out
    assert "sk-…home from command `echo sk-…home`" in out
    assert KEY not in out and "sk-home-key-0000home" not in out
    assert "org-work" in out


def test_config_check_reports_unusable_key(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = env / "c.toml"
    config.write_text('[profiles.work]\napi_key_env = "MISSING_KEY_VAR"\n')
    monkeypatch.delenv("MISSING_KEY_VAR", raising=False)
    assert main(["config", "check", "--config", str(config)]) == 1
    captured = capsys.readouterr()
    assert (
        "UNAVAILABLE: profile 'work': environment variable MISSING_KEY_VAR is not set"
        in captured.out
    )
    assert "1 profile(s) have no usable key" in captured.err


def test_config_init_writes_example_once(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    target = env / "new" / "config.toml"
    assert main(["config", "init", "--config", str(target)]) == 0
    assert "[profiles.work]" in target.read_text()
    assert target.stat().st_mode & 0o077 == 0
    assert main(["config", "init", "--config", str(target)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_invalid_config_exits_2_without_traceback(env: Path) -> None:
    config = env / "c.toml"
    config.write_text('[profiles.work]\napi_key_env = "K"\nmodle = "x"\n')
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--config", str(config), "config", "check"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(env)},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        f"{config}:3: [profiles.work] modle: unknown key (did you mean 'model'?)" in result.stderr
    )


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("threadtui ")


def test_config_init_keeps_a_working_openai_api_key_setup(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_mine")
    target = env / "config.toml"
    assert main(["config", "init", "--config", str(target)]) == 0
    assert "kept your OPENAI_API_KEY setup as profile `default`" in capsys.readouterr().out
    assert target.stat().st_mode & 0o077 == 0
    assert main(["config", "check", "--config", str(target)]) == 0
    out = capsys.readouterr().out
    assert "OK, 1 profile(s), default 'default'" in out
    assert "sk-…wxyz from $OPENAI_API_KEY" in out and "project:      proj_mine" in out
    assert "# [profiles.work]" in target.read_text()  # the examples, commented out


def test_config_check_reports_unknown_keymap_ids_themes_and_broken_theme_files(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("K", KEY)
    config = env / "c.toml"
    config.write_text(
        '# mine\ntheme = "threadtui-snad"\n[profiles.a]\napi_key_env = "K"\n\n[keymap]\n'
        '"sidebar.delete" = "delete"\n"sidebar.delte" = "x"\n'
    )
    (env / "themes").mkdir()
    (env / "themes" / "bad.toml").write_text('name = "bad"\nprimary = "nocolour"\n')
    assert main(["config", "check", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert "3 setting(s) the app would ignore" in captured.out
    assert (f"{config}:8: [keymap] sidebar.delte: no binding has this id (did you mean "
            "'sidebar.delete'?)") in captured.err
    assert f"{config}:2: theme: no theme named 'threadtui-snad' (did you mean 'threadtui-sand'" \
        in captured.err
    assert f"{env / 'themes' / 'bad.toml'}: \"primary\" is not a colour" in captured.err
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"✗ {config}:8: [keymap] sidebar.delte" in out


def test_subcommands_other_than_config_check_do_not_load_textual(env: Path) -> None:
    code = "import sys; from tui.cli import main; main(['list']); print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().endswith("False")
