"""Fixtures for the end-to-end tests (the terminal itself is in pty_terminal.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pty_terminal import Terminal


@pytest.fixture
def terminal_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no user config or data, no real keys, a terminal like SSH gives."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


@pytest.fixture
def run_threadtui(tmp_path: Path) -> Iterator[Callable[[list[str], dict[str, str]], Terminal]]:
    started: list[Terminal] = []

    def run(args: list[str], env: dict[str, str]) -> Terminal:
        terminal = Terminal(args, env, tmp_path)
        started.append(terminal)
        return terminal

    yield run
    for terminal in started:
        terminal.close()
