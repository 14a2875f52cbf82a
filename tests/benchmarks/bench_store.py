"""How the local record holds up at 10,000 threads and 200,000 turns, at 100,000 threads, with
a 100,000-turn thread, and under SIGKILL.

    python tests/benchmarks/bench_store.py           # full: 10k/100k threads, 200 kills
    python tests/benchmarks/bench_store.py --quick   # small, for CI (also $THREADTUI_BENCH_QUICK)

The scale section (issue 15) prints each write next to the floor of one fsync'd small-file
write measured in the same run (targets: at most 2x, the first write after open included),
an append to a long thread next to an append to a 10-turn one (at most 2x), and a reload
after one change by another writer next to a reload that finds nothing.

Prints each figure next to its target, and a baseline measured in the same run on the same
file (plain ``json.load``; TinyDB's stock ``JSONStorage``) with the ratio, because shared
machines are noisy and a ratio travels better than a millisecond. Exit status 1 when a
correctness figure fails (unreadable store, lost write, lost update); timings only warn.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

import store_harness
from tinydb import Query, TinyDB

from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn, Usage
from tui.core.store import Store, ThreadImport


@dataclass(frozen=True)
class Scale:
    threads: int
    turns: int
    kills: int
    repeats: int
    racers: int


FULL = Scale(threads=10_000, turns=200_000, kills=200, repeats=50, racers=300)
QUICK = Scale(threads=300, turns=3_000, kills=5, repeats=5, racers=30)
BIG_FULL, BIG_QUICK = 100_000, 2_000  # threads (and turns of the long thread) at scale
WORDS = ["".join(random.Random(n).choices(string.ascii_lowercase, k=3 + n % 7)) for n in range(500)]


def _title(rng: random.Random) -> str:
    words = []
    while len(" ".join(words)) < 60:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:60].strip().capitalize()


def _record(rng: random.Random, n: int, now: float) -> ThreadRecord:
    profile = rng.choice(["work", "personal", "acme", "lab"])
    return ThreadRecord(
        id=f"conv_{rng.getrandbits(192):048x}",
        profile=profile,
        organization=f"org-{profile}{rng.getrandbits(64):016x}",
        project=f"proj_{rng.getrandbits(96):024x}",
        key_hint=f"sk-…{rng.getrandbits(16):04x}",
        model=rng.choice(["gpt-4.1-mini", "gpt-4.1", "o4-mini"]),
        title=_title(rng),
        owner=rng.choice([None, "alice", "bob"]),
        created_at=now - rng.uniform(0, 3e7),
        last_active=now - rng.uniform(0, 3e6),
        status=rng.choice([ThreadStatus.OK] * 8 + [ThreadStatus.GONE, ThreadStatus.FOREIGN]),
        pinned=n % 500 == 0,
        server_meta={"response_ids": [f"resp_{rng.getrandbits(64):016x}"]},
    )


def _turns(rng: random.Random, count: int, start: float) -> list[Turn]:
    turns = []
    for k in range(count):
        role = Role.USER if k % 2 == 0 else Role.ASSISTANT
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
        usage = Usage(100, 200, 300) if role is Role.ASSISTANT else None
        turns.append(
            Turn(
                role=role,
                text=text,
                at=start + k,
                item_id=f"msg_{rng.getrandbits(64):x}",
                usage=usage,
                response_id=None,
            )
        )
    return turns


def build(data_dir: Path, scale: Scale, seed: int = 7) -> tuple[float, list[str]]:
    """Fill a store through its bulk import (what a restore does); returns (seconds, ids)."""
    rng = random.Random(seed)
    now = time.time()
    per_thread = scale.turns // scale.threads
    items = []
    for n in range(scale.threads):
        record = _record(rng, n, now)
        items.append(ThreadImport(record, _turns(rng, per_thread, record.created_at)))
    started = time.perf_counter()
    with Store.open(data_dir) as store:
        store.import_threads(items)
    return time.perf_counter() - started, [item.record.id for item in items]


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of ``repeats`` calls."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


class Report:
    def __init__(self) -> None:
        self.failed = False

    def line(self, label: str, value: str, target: str = "", ok: bool | None = None) -> None:
        mark = "" if ok is None else ("  ok" if ok else "  OVER TARGET")
        print(f"  {label:<46} {value:>14}  {target}{mark}", flush=True)

    def ms(self, label: str, value: float, target: float | None = None, base: float = 0) -> None:
        extra = f"(x{value / base:.2f} of baseline)" if base else ""
        goal = f"target <= {target:.2f} ms {extra}" if target else extra
        self.line(label, f"{value:9.2f} ms", goal, None if target is None else value <= target)

    def must(self, label: str, value: int, expected: int) -> None:
        ok = value == expected
        self.failed |= not ok
        self.line(label, str(value), f"must be {expected}", ok)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_speed(root: Path, scale: Scale, report: Report) -> None:
    data_dir = root / "big"
    seconds, ids = build(data_dir, scale)
    rng = random.Random(3)
    index = data_dir / "index.json"
    print(f"\n{scale.threads} threads, {scale.turns} turns")
    report.line("bulk import (one transaction)", f"{seconds:9.2f} s")
    report.line("index.json", f"{_size(index) / 1e6:9.2f} MB")
    report.line("index.journal", f"{_size(data_dir / 'index.journal') / 1e6:9.2f} MB")
    report.line("transcripts/", f"{_size(data_dir / 'transcripts') / 1e6:9.2f} MB")

    base_load = timed(lambda: json.loads(index.read_bytes()), scale.repeats // 5 or 1)

    def open_and_page() -> None:
        with Store.open(data_dir) as fresh:
            fresh.list_threads(limit=50)

    report.ms("baseline: json.loads(index.json)", base_load)
    report.ms("open + first page of 50", timed(open_and_page, 5), 100, base_load)

    store = Store.open(data_dir)
    store.list_threads(limit=50)
    base_upsert = _stock_tinydb_upsert(index, root, ids, rng, scale)
    report.ms("baseline: stock TinyDB JSONStorage upsert", base_upsert)

    def upsert() -> None:
        record = store.get(rng.choice(ids))
        assert record is not None
        record.title = _title(rng)
        store.upsert(record)

    report.ms("upsert one thread (median)", timed(upsert, scale.repeats), 40, base_upsert)
    upsert_cold = _first_write_after_open(data_dir, ids, rng)
    report.ms("  first upsert after open (serialises all)", upsert_cold)

    def append() -> None:
        store.append_turn(rng.choice(ids), Turn(role=Role.USER, text=_title(rng)))

    append_full = timed(append, scale.repeats)
    report.ms("append one turn (median)", append_full, 40)
    report.ms(
        "  same index, no other transcripts",
        _append_without_transcripts(root, index, ids, rng, scale),
        40,
    )

    store.list_threads(text="zzz")  # builds the per-row search text once
    needles = [WORDS[5], WORDS[77][:2], "acme", "no such text at all"]
    filt = timed(lambda: store.list_threads(text=rng.choice(needles), limit=50), scale.repeats)
    report.ms("text filter over the index (median)", filt, 30)
    report.ms(
        "  profile filter + page",
        timed(lambda: store.list_threads(profile="work", limit=50), scale.repeats),
    )
    report.ms(
        "  full-text search (reads every transcript)",
        timed(lambda: store.list_threads(text="no such text", full_text=True, limit=50), 1),
    )
    report.ms("changed_on_disk() poll", timed(store.changed_on_disk, scale.repeats))
    store.close()


def _stock_tinydb_upsert(
    index: Path, root: Path, ids: list[str], rng: random.Random, scale: Scale
) -> float:
    """TinyDB's own storage on a copy of the same data (rows keyed by counter, found by id)."""
    copy = root / "stock.json"
    data = store_harness.index_on_disk(index.parent)
    rows = {str(n): doc for n, doc in enumerate(data["threads"].values(), 1)}
    copy.write_text(json.dumps({"threads": rows}))
    db = TinyDB(copy)
    table = db.table("threads")
    thread = Query()

    def upsert() -> None:
        thread_id = rng.choice(ids)
        table.upsert({"id": thread_id, "title": _title(rng)}, thread.id == thread_id)

    result = timed(upsert, max(3, scale.repeats // 5))
    db.close()
    return result


def _first_write_after_open(data_dir: Path, ids: list[str], rng: random.Random) -> float:
    with Store.open(data_dir) as store:
        return timed(lambda: store.mark_status(rng.choice(ids), ThreadStatus.OK), 1)


def _append_without_transcripts(
    root: Path, index: Path, ids: list[str], rng: random.Random, scale: Scale
) -> float:
    bare = root / "bare"
    bare.mkdir()
    shutil.copy(index, bare / "index.json")
    shutil.copy(index.with_name("index.journal"), bare / "index.journal")
    with Store.open(bare) as store:
        store.list_threads(limit=1)
        return timed(
            lambda: store.append_turn(rng.choice(ids), Turn(role=Role.USER, text="x")),
            scale.repeats,
        )


def _small_write(root: Path) -> Callable[[], object]:
    """The floor: one fsync'd small-file write (write, fsync, rename, fsync of the directory)."""
    from tui.core.files import atomic_write

    target = root / "floor.json"
    payload = json.dumps({"id": "conv_x", "title": "x" * 200}).encode()
    return lambda: atomic_write(target, payload, root)


def _interleaved(first: Callable[[], object], second: Callable[[], object], n: int) -> tuple[
    float, float
]:
    """Medians of ``n`` samples of each, taken in turn, so the disk's moods hit both alike."""
    a, b = [], []
    for _ in range(n):
        a.append(timed(first, 1))
        b.append(timed(second, 1))
    return statistics.median(a), statistics.median(b)


def bench_scale(root: Path, big: int, repeats: int, report: Report) -> None:
    """Writes, appends and reloads at ``big`` threads, each next to its floor."""
    data_dir = root / "scale"
    rng = random.Random(5)
    now = time.time()
    records = [_record(rng, n, now) for n in range(big)]
    ids = [r.id for r in records]
    started = time.perf_counter()
    with Store.open(data_dir) as store:
        store.import_threads(ThreadImport(r) for r in records)
        long_id, short_id = ids[0], ids[1]
        store.replace_transcript(long_id, _turns(rng, big, now - big))
        store.replace_transcript(short_id, _turns(rng, 10, now - 10))
    print(f"\n{big:,} threads (rows only), a {big:,}-turn thread")
    report.line("built in", f"{time.perf_counter() - started:9.2f} s")
    report.line("index.json", f"{_size(data_dir / 'index.json') / 1e6:9.2f} MB")
    os.sync()  # the build's writeback would otherwise land in the first samples

    small_write = _small_write(root)
    floors, firsts = [], []
    for _ in range(3):
        with Store.open(data_dir) as fresh:
            floors.append(timed(small_write, 1))
            firsts.append(timed(lambda: fresh.mark_status(rng.choice(ids), ThreadStatus.OK), 1))
    floor = statistics.median(floors)
    report.ms("floor: one fsync'd small-file write", floor)
    report.ms(f"first write after open at {big:,}", statistics.median(firsts), 2 * floor, floor)
    with Store.open(data_dir) as store:

        def write() -> None:
            store.update_thread(rng.choice(ids), title=_title(rng))

        floor, written = _interleaved(small_write, write, 2 * repeats)
        report.ms("floor: one fsync'd small-file write", floor)
        report.ms(f"a write (update_thread) at {big:,}", written, 2 * floor, floor)

        def append_to(thread_id: str) -> Callable[[], None]:
            return lambda: store.append_turn(thread_id, Turn(role=Role.USER, text=_title(rng)))

        append_to(long_id)()  # reads the long thread once; each append after reads nothing
        short, long = _interleaved(append_to(short_id), append_to(long_id), 2 * repeats)
        report.ms("append a turn to a 10-turn thread", short)
        report.ms(f"append a turn to a {big:,}-turn thread", long, 2 * short, short)
        store.search.build()  # as in the app, which builds it at start: each append keeps it
        short, long = _interleaved(append_to(short_id), append_to(long_id), 2 * repeats)
        report.ms("append to 10 turns, with the search index", short)
        report.ms(f"append to {big:,} turns, with the search index", long,
                  2 * short, short)

        with Store.open(data_dir) as other:  # a second writer: its own lock handle and files
            store.reload()
            poll = timed(store.reload, repeats)
            report.ms("floor: reload that finds nothing (poll)", poll)

            def reload_one() -> None:
                other.update_thread(rng.choice(ids), title=_title(rng))
                started = time.perf_counter()
                changes = store.reload()
                samples.append((time.perf_counter() - started) * 1000)
                assert len(changes.changed) == 1 and not changes.everything

            samples: list[float] = []
            for _ in range(repeats):
                reload_one()
            report.ms(f"reload after one change elsewhere at {big:,}",
                      statistics.median(samples), None, poll)


def bench_crash(root: Path, scale: Scale, report: Report) -> None:
    """Kill a writer of a full-size index, so that each write is long enough to be hit."""
    data_dir = root / "kill"
    data_dir.mkdir()
    shutil.copy(root / "big" / "index.json", data_dir / "index.json")
    shutil.copy(root / "big" / "index.journal", data_dir / "index.journal")
    print(f"\nSIGKILL loop: {scale.kills} kills of a writer at random moments")
    result = store_harness.kill_loop(data_dir, scale.kills, seed=11)
    report.line("acknowledged writes", str(result.acknowledged))
    report.line("kills that hit a write in progress", str(result.mid_write))
    report.must("unreadable stores after a kill", result.unreadable, 0)
    report.must("acknowledged writes lost", len(result.lost), 0)
    report.must("problems reported on reopen", len(result.problems), 0)
    report.line("kill loop time", f"{result.seconds:9.2f} s")
    for line in (result.lost + result.problems)[:5]:
        print(f"    {line}")


def bench_race(root: Path, scale: Scale, report: Report) -> None:
    data_dir = root / "race"
    print(f"\nTwo processes adding {scale.racers} threads each at the same time")
    started = time.perf_counter()
    count = store_harness.race_adders(data_dir, scale.racers)
    report.must("threads at the end", count, 2 * scale.racers)
    report.line("time", f"{time.perf_counter() - started:9.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    args = parser.parse_args(argv)
    quick = args.quick or bool(os.environ.get("THREADTUI_BENCH_QUICK"))
    scale = QUICK if quick else FULL
    report = Report()
    print(f"bench_store ({'quick' if quick else 'full'}), python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        root = Path(tmp)
        bench_speed(root, scale, report)
        bench_scale(root, BIG_QUICK if quick else BIG_FULL, scale.repeats, report)
        bench_crash(root, scale, report)
        bench_race(root, scale, report)
    print("\nFAILED" if report.failed else "\nall correctness figures hold")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
