"""The store benchmark in its quick mode, so that it cannot rot between full runs by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).with_name("bench_store.py")


@pytest.mark.slow  # a benchmark
def test_bench_store_runs_quick_and_its_correctness_figures_hold() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unreadable stores after a kill" in result.stdout
    assert "all correctness figures hold" in result.stdout
