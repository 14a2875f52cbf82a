"""The key-echo benchmark (a second process writing the record) in its quick mode, so that it
cannot rot between full runs by hand; no timing is asserted, only that it measured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).with_name("bench_app_echo.py")


@pytest.mark.slow  # a benchmark
def test_bench_app_echo_runs_quick_with_a_second_writer() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH)], capture_output=True, text=True, timeout=300,
        env={**os.environ, "THREADTUI_BENCH_QUICK": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "bench_app_echo (quick)" in out
    assert "key → echo painted, second writer" in out and "floor, no second writer" in out
    assert "the writer made 0 writes" not in out  # the second process really wrote
    assert "Sidebar.apply_changes on the UI loop (the sidebar's part): none" not in out
