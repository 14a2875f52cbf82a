"""`threadtui list` of 10,000 rows, next to printing the same lines with no width work (the floor).

    python tests/benchmarks/bench_list.py           # 10,000 threads
    python tests/benchmarks/bench_list.py --quick   # 500 (also $THREADTUI_BENCH_QUICK)

The command runs in this process through the CLI's front door (``tui.cli.main``), its output
going to a string; the floor prints the very lines it printed, one ``print`` each, to the
same kind of sink. A tenth of the titles hold CJK, accents or emoji, so the width rule's slow
path is measured too. Before the width rule lost its per-character Python call (issue 15),
10,000 rows took 0.53 s, two thirds of it in ``safe_text.display_width``.
Target: ≤ 0.15 s at 10,000 rows.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.15
REPEATS = 5
TITLES = ["Quarterly numbers for the board", "表計算の質問", "Café crème brûlée recipe",
          "deploy 🚀 notes", "Straße und Fluß", "Réunion d'équipe ce matin"]


def seed(data_dir: Path, threads: int) -> None:
    from tui.core.records import ThreadRecord
    from tui.core.store import Store, ThreadImport

    rng = random.Random(5)
    items = []
    for n in range(threads):
        title = rng.choice(TITLES) if n % 10 == 0 else f"Thread number {n} about {rng.random()}"
        record = ThreadRecord(
            id=f"conv_{rng.getrandbits(128):032x}", title=title,
            profile=rng.choice(["work", "home"]), organization="org-work",
            project="proj_work", last_active=1.7e9 + n,
        )
        items.append(ThreadImport(record))
    with Store.open(data_dir) as store:
        store.import_threads(items)


def run_list() -> tuple[float, str]:
    from tui import cli

    sink = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(sink):
        status = cli.main(["list", "--all"])
    elapsed = time.perf_counter() - started
    assert status == 0
    return elapsed, sink.getvalue()


def floor(lines: list[str]) -> float:
    sink = io.StringIO()
    started = time.perf_counter()
    for line in lines:
        print(line, file=sink)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("THREADTUI_BENCH_QUICK")))
    args = parser.parse_args(argv)
    threads = 500 if args.quick else 10_000
    print(f"bench_list ({'quick' if args.quick else 'full'}): {threads:,} threads,"
          f" median of {REPEATS}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="bench-list-") as tmp:
        root = Path(tmp)
        (root / "config.toml").write_text('[profiles.work]\napi_key_env = "BENCH_NO_KEY"\n')
        os.environ["THREADTUI_CONFIG"] = str(root / "config.toml")
        os.environ["THREADTUI_DATA_DIR"] = str(root / "data")
        os.environ["COLUMNS"] = "120"
        seed(root / "data", threads)
        runs = [run_list() for _ in range(REPEATS)]
        output = runs[0][1]
        lines = output.splitlines()
        assert len(lines) == threads + 1, len(lines)
        command = statistics.median(elapsed for elapsed, _ in runs)
        bare = statistics.median(floor(lines) for _ in range(REPEATS))
        from tui.core.safe_text import display_width

        cells = [cell for line in lines for cell in line.split("  ")]
        started = time.perf_counter()
        for cell in cells:
            display_width(cell)
        widths = time.perf_counter() - started
    verdict = "ok" if command <= TARGET_S or args.quick else "SLOWER THAN TARGET"
    print(f"  threadtui list ({threads:,} rows): {command:.3f} s (target ≤ {TARGET_S} s at"
          f" 10,000) {verdict}")
    print(f"  floor: printing the same {len(lines):,} lines, no width work: {bare:.3f} s")
    print(f"  display_width over every cell ({len(cells):,} cells): {widths * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
