"""The search benchmark in its quick mode, so that it cannot rot between full runs by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).with_name("bench_search.py")


@pytest.mark.slow  # a benchmark
def test_bench_search_runs_quick_and_prints_each_figure_next_to_its_floor() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300,
        env={**os.environ, "THREADTUI_BENCH_QUICK": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("floor (raw FTS5 MATCH)") == 7
    assert "scan without the index, rare word" in result.stdout
    every = next(line for line in result.stdout.splitlines() if "word in every thread" in line)
    assert " 500 threads:" in every  # the index found them all
