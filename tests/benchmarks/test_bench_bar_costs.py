"""The bar-costs benchmark in its quick mode, so that it cannot rot between full runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).with_name("bench_bar_costs.py")


@pytest.mark.slow  # a benchmark
def test_bench_bar_costs_runs_quick_and_prints_its_floor() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300,
        env={**os.environ, "THREADTUI_BENCH_QUICK": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bar: refresh after a reply" in result.stdout
    assert "(1 transcript read per refresh)" in result.stdout
    assert "floor: the month's rows + one transcript" in result.stdout
