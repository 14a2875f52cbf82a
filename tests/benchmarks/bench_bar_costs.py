"""The bar's costs after a reply, at 100,000 threads: what a refresh costs with ``CostTally``.

    python tests/benchmarks/bench_bar_costs.py           # 100,000 threads, 3,000 this month
    python tests/benchmarks/bench_bar_costs.py --quick   # 2,000 (also $THREADTUI_BENCH_QUICK)

The bar is summed again after every reply, on a profile switch and when another process
wrote. Measured on a real record in a temp directory: ``threadtui usage`` over the whole
record (every transcript read), ``usage --since month`` (the month's transcripts read), the
tally's first count, and its refresh after one new reply. The floor, measured in the same
run, is what any refresh must do after a reply: find the month's rows in the record as it now is
(one pass over the rows; a walk in list order would first sort every id again after the
write) and read the one transcript that changed.
Target: a refresh ≤ 3 × the floor. It runs on the record's thread, never the event loop.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

TARGET_RATIO = 3.0
REPEATS = 5
DAY = 86400.0


def seed(data_dir: Path, threads: int, active: int, now: float) -> list[str]:
    """``threads`` threads of two turns; the newest ``active`` were replied to this month."""
    from tui.core.records import Role, ThreadRecord, Turn, Usage
    from tui.core.store import Store, ThreadImport

    rng = random.Random(11)
    month = datetime.fromtimestamp(now).replace(day=1, hour=0, minute=0, second=0).timestamp()
    items = []
    for n in range(threads):
        at = (now - rng.uniform(0, now - month - 60)) if n < active else (
            month - rng.uniform(DAY, 400 * DAY))
        record = ThreadRecord(id=f"conv_{n:08d}", profile=rng.choice(["work", "home"]),
                              organization=rng.choice(["org-a", "org-b"]),
                              model=rng.choice(["gpt-4.1-mini", "gpt-4o", "local-llama"]),
                              title=f"Thread {n}", created_at=at - 60, last_active=at)
        turns = [Turn(Role.USER, "question " * 20, at=at - 1),
                 Turn(Role.ASSISTANT, "answer " * 80, at=at,
                      usage=Usage(1_000 + n, 300, 1_300 + n))]
        items.append(ThreadImport(record, turns))
    with Store.open(data_dir) as store:
        store.import_threads(items)
    return [item.record.id for item in items[:active]]


def timed(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median milliseconds of ``repeats`` calls."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tui.core.bar_costs import CostTally, month_start
    from tui.core.pricing import builtin_prices
    from tui.core.records import Role, Turn, Usage
    from tui.core.store import Store
    from tui.core.usage_report import UsageBy, usage_report

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("THREADTUI_BENCH_QUICK")))
    args = parser.parse_args(argv)
    threads, active = (2_000, 100) if args.quick else (100_000, 3_000)
    now = time.time()
    prices = builtin_prices()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        ids = seed(data_dir, threads, active, now)
        print(f"bench_bar_costs ({'quick' if args.quick else 'full'}): {threads:,} threads, "
              f"{active:,} active this month (seeded in {time.perf_counter() - started:.1f} s)")
        with Store.open(data_dir) as store:
            since = month_start(now)
            whole = timed(lambda: usage_report(store, prices, UsageBy.PROFILE), 1)
            month = timed(lambda: usage_report(store, prices, UsageBy.PROFILE, since))
            tally = CostTally()
            first = timed(lambda: tally.costs(store, prices, now, "work", "org-a"), 1)
            reads_before = tally.reads
            counter = [0]

            def one_reply_then_refresh() -> None:
                counter[0] += 1
                store.append_turn(ids[counter[0]], Turn(
                    Role.ASSISTANT, "more", at=now, usage=Usage(10, 10, 20)))
                started = time.perf_counter()
                tally.costs(store, prices, now, "work", "org-a")
                samples.append((time.perf_counter() - started) * 1000)

            samples: list[float] = []
            for _ in range(REPEATS):
                one_reply_then_refresh()
            refresh = statistics.median(samples)
            reads = (tally.reads - reads_before) / REPEATS

            floors: list[float] = []
            for _ in range(REPEATS):  # after a write, as a refresh is: the list order moved
                counter[0] += 1
                store.append_turn(ids[counter[0]], Turn(
                    Role.ASSISTANT, "more", at=now, usage=Usage(10, 10, 20)))
                started = time.perf_counter()
                store.active_since(since)
                store.transcript(ids[counter[0]])
                floors.append((time.perf_counter() - started) * 1000)
            floor = statistics.median(floors)
    print(f"  usage, whole record (every transcript)      {whole:9.1f} ms")
    print(f"  usage --since month (the month's transcripts){month:8.1f} ms")
    print(f"  bar: first count                            {first:9.1f} ms")
    print(f"  bar: refresh after a reply                  {refresh:9.1f} ms"
          f"  ({reads:.0f} transcript read per refresh)")
    print(f"  floor: the month's rows + one transcript    {floor:9.1f} ms")
    ratio = refresh / floor if floor else float("inf")
    verdict = "ok" if ratio <= TARGET_RATIO or args.quick else "SLOWER THAN TARGET"
    print(f"  refresh / floor = {ratio:.2f} (target ≤ {TARGET_RATIO}): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
