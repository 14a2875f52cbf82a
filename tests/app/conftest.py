"""Fixtures for Pilot tests; the helpers they use live in app_harness.py, importable by tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from app_harness import AppEnv, make_app_env

from tui.app.widgets.progress_strip import ProgressStrip
from tui.sandbox import Sandbox

Step = tuple[str, str, int, "int | None"]


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[Step]:
    """Every step the progress strip was given (kind, label, done, total), and
    (kind, "end …", 0, None) when a job ended, with its error if it failed. The kind is the
    job's name without its serial (``export#3``: ``export``)."""
    steps: list[Step] = []
    real_show, real_end = ProgressStrip.show, ProgressStrip.end

    def show(self: ProgressStrip, job: str, label: str, done: int, total: int | None) -> None:
        steps.append((job.partition("#")[0], label, done, total))
        real_show(self, job, label, done, total)

    def end(self: ProgressStrip, job: str, error: str | None = None) -> None:
        steps.append((job.partition("#")[0], f"end {error or ''}".strip(), 0, None))
        real_end(self, job, error)

    monkeypatch.setattr(ProgressStrip, "show", show)
    monkeypatch.setattr(ProgressStrip, "end", end)
    return steps


@pytest.fixture(autouse=True)
def _fixed_timezone(utc_timezone: None) -> None:
    """Snapshots show message times: the same everywhere only in one zone (tests/conftest.py)."""


@pytest.fixture
def app_env(sandbox: Sandbox, tmp_path: Path) -> Iterator[AppEnv]:
    env = make_app_env(tmp_path, sandbox.base_url, sandbox)
    try:
        yield env
    finally:
        env.store.close()


@pytest.fixture
def make_env(sandbox: Sandbox, tmp_path: Path) -> Iterator[Callable[..., AppEnv]]:
    """For a test that needs its own config (a keymap, say)."""
    made: list[AppEnv] = []

    def make(**config: Any) -> AppEnv:
        env = make_app_env(tmp_path, sandbox.base_url, sandbox, **config)
        made.append(env)
        return env

    yield make
    for env in made:
        env.store.close()
