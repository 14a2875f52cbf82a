"""The start-up benchmark in its quick mode, so that it cannot rot between full runs by hand:
the installed `threadtui` in a real pseudo-terminal next to its floors, then headless. No
timing is asserted, only that every figure was measured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).with_name("bench_app_startup.py")


@pytest.mark.slow  # a benchmark
def test_bench_app_startup_runs_quick_in_a_real_terminal_and_headless() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH)], capture_output=True, text=True, timeout=600,
        env={**os.environ, "THREADTUI_BENCH_QUICK": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "bench_app_startup (quick)" in out
    assert "real terminal 80x24, spawn → newest title on screen" in out
    assert "floor, bare OptionList of the first 200 titles: median" in out
    assert "floor, python -c 'import textual.app':     median" in out
    assert "threadtui every row:" in out and "ratios to the bare OptionList" in out
    assert "the loop's longest stall after the first paint" in out
    assert "floor, json.loads of the index alone:" in out
    assert "rows listed → ready to filter:" in out and "every row's filter text in one go:" in out
