"""Relayout of a reply holding a very wide Markdown table, next to a narrow table's (the floor).

    python tests/benchmarks/bench_wide_table.py           # 10,000 columns, 60 and 500 wide
    python tests/benchmarks/bench_wide_table.py --quick   # 2,000 columns

A thread whose reply is a table of N columns is opened in the real app (headless); each
relayout is a resize of the terminal (what ctrl+b, a window resize or reopening cause),
timed until the next paint. The floor is the same thread with a 3-column table, measured in
the same run. Memory is tracemalloc's peak across the relayouts. Before the table bounds
(tui/app/markdown_bounds.py) a 10,000-column table took 18-36 s and 1.7 GB per relayout.
Target: ≤ 0.2 s per relayout at 10,000 columns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

TARGET_S = 0.2
RELAYOUTS = 4


def table(columns: int, rows: int = 3) -> str:
    header = "|" + "|".join(f"column {i}" for i in range(columns)) + "|"
    delimiter = "|" + "|".join("---" for _ in range(columns)) + "|"
    body = ["|" + "|".join(f"{r}.{i}" for i in range(columns)) + "|" for r in range(rows)]
    return "Here is the table:\n\n" + "\n".join([header, delimiter, *body]) + "\n\nDone.\n"


async def measure(directory: Path, reply: str, width: int) -> tuple[list[float], float]:
    from tui.app.app import ThreadApp
    from tui.core.config import load_config
    from tui.core.keys import KeyRing
    from tui.core.records import Role, ThreadRecord, Turn
    from tui.core.store import Store

    config_path = directory / "config.toml"
    config_path.write_text('[profiles.work]\napi_key_env = "BENCH_NO_KEY"\n'
                           'base_url = "http://127.0.0.1:9/v1"\n')
    store = Store.open(directory / f"data-{width}-{len(reply)}")
    store.upsert(ThreadRecord(id="chat_wide", title="Wide", profile="work", api="chat"))
    store.append_turn("chat_wide", Turn(role=Role.USER, text="a table please"))
    store.append_turn("chat_wide", Turn(role=Role.ASSISTANT, text=reply))
    app = ThreadApp(config=load_config(config_path, {}), store=store,
                    keyring=KeyRing(environ={}), data_dir=directory, remember_theme=False)
    samples: list[float] = []
    try:
        async with app.run_test(size=(width, 30)) as pilot:
            app.main.open_thread("chat_wide")
            while len(app.main.chat.messages) < 2:
                await pilot.pause(0.01)
            await pilot.pause(0.2)
            tracemalloc.start()
            for index in range(RELAYOUTS):
                started = time.perf_counter()
                await pilot.resize_terminal(width + (1 if index % 2 == 0 else 0), 30)
                await pilot.pause()
                samples.append(time.perf_counter() - started)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        store.close()
    return samples, peak / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("THREADTUI_BENCH_QUICK")))
    args = parser.parse_args(argv)
    columns = 2_000 if args.quick else 10_000
    print(f"bench_wide_table ({'quick' if args.quick else 'full'}): {columns:,}-column table,"
          f" {RELAYOUTS} relayouts each, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="bench-wide-table-") as tmp:
        for width in (60, 500):
            floor, floor_mb = asyncio.run(measure(Path(tmp), table(3), width))
            wide, wide_mb = asyncio.run(measure(Path(tmp), table(columns), width))
            ratio = statistics.median(wide) / statistics.median(floor)
            verdict = "ok" if max(wide) <= TARGET_S else "SLOWER THAN TARGET"
            print(f"  {width:>3} columns wide: relayout median {statistics.median(wide):.3f} s,"
                  f" max {max(wide):.3f} s (target ≤ {TARGET_S}) {verdict}; floor (3-column"
                  f" table) {statistics.median(floor):.3f} s, ×{ratio:.2f};"
                  f" peak memory {wide_mb:.1f} MB (floor {floor_mb:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
