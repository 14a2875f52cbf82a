"""The app benchmarks run in quick mode, so they cannot rot; no timing is asserted here.

What is asserted is what each benchmark checks itself: the streamed reply on screen equals
what the server sent, the filtered list holds exactly the matching threads, the find bar
counts exactly the matches of its rule, and both start-up children show the newest thread.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # a benchmark
@pytest.mark.parametrize(
    "name", ["bench_app_startup", "bench_app_stream", "bench_app_filter", "bench_wide_table",
             "bench_app_find"]
)
def test_benchmark_runs_in_quick_mode(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert load(name).main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert f"{name} (quick)" in out
    if name == "bench_app_stream":
        assert "equals the reply: NO" not in out
