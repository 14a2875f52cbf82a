"""Fixtures for the reliability suite: faults, kills, two sessions, hostile input, secrets.

The suite reuses the other harnesses rather than copying them: ``app_harness`` (Pilot, a
sandbox-backed config, a real Store) from tests/app and ``pty_terminal`` (the installed
``threadtui`` in a real 80x24 pty, read through pyte) from tests/e2e. Test directories have no
``__init__.py``, so those folders are put on ``sys.path`` here.

Figures worth reading in CI logs (kills, mid-write hits, timings) are collected with the
``figures`` fixture and printed in the terminal summary, even under ``pytest -q``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
for folder in (TESTS / "app", TESTS / "e2e"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from rel_harness import FIGURES  # noqa: E402  (needs the paths above)


@pytest.fixture(autouse=True)
def _utc(utc_timezone: None) -> None:
    """Screens are read as text with message times in them: one zone, as tests/app uses."""


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``figures("3 kills, 2 mid-write")``: a line for the summary, tagged with the test."""

    def note(text: str) -> None:
        FIGURES.append(f"{request.node.name}: {text}")

    return note


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
    if os.environ.get("THREADTUI_RELIABILITY_FIGURES"):
        Path(os.environ["THREADTUI_RELIABILITY_FIGURES"]).write_text("\n".join(FIGURES) + "\n")
