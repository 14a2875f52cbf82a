"""Real processes against one store: a writer to SIGKILL, and adders that race each other.

Shared by the crash and concurrency tests (a few dozen kills) and by
``tests/benchmarks/bench_store.py`` (hundreds). Run as a script, it is the worker:

    python store_harness.py writer DATA_DIR SEED [BOUND]     # writes until killed, acks
    python store_harness.py adder DATA_DIR PREFIX N [BOUND]  # adds N threads once DATA_DIR/go

``BOUND`` makes the index journal fold into a new snapshot once it passes that many bytes
(``tui.core.storage.JOURNAL_MIN_BOUND``), so that kills and races hit compactions too.
    python store_harness.py trasher DATA_DIR SEED [N] # forgets and restores (N steps or forever)

A writer prints an acknowledgement line only after the store call has returned, so every
acknowledged change must be found after the kill, whatever moment the kill hit.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.records import Role, ThreadRecord, Turn
from tui.core.store import CHECKPOINT, Store

HERE = Path(__file__).resolve()
HEAD_CHECK_PAGE = 100
"""After each kill, a lazy open's first page (``tui.core.index_head``) is checked against
the whole index's: a head that survived the kill, with the journal the kill left, or none."""


@dataclass
class KillReport:
    kills: int = 0
    acknowledged: int = 0
    mid_write: int = 0  # kills that left a temporary file behind: they hit a write
    unreadable: int = 0
    lost: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    from_head: int = 0  # checks whose lazy open took its first page from the index's head


# -- workers ----------------------------------------------------------------------------------


def _ack(line: str) -> None:
    os.write(1, (line + "\n").encode())


def _set_bound(bound: int | None) -> None:
    if bound is not None:
        from tui.core import storage

        storage.JOURNAL_MIN_BOUND = bound


def run_writer(data_dir: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store.open(data_dir)
    mine: list[str] = [r.id for r in store.list_threads(limit=20)]
    store.set_meta(f"counter{seed}", 0)  # the first write serialises every row: done before
    _ack("ready")  # the kill window opens, so that the window is spent in ordinary writes
    step = 0
    while True:
        step += 1
        choice = rng.random()
        if choice < 0.45 or not mine:
            thread_id = f"conv_k{seed}x{step}"
            store.upsert(ThreadRecord(id=thread_id, title=f"kill test {seed}/{step}", profile="p"))
            mine.append(thread_id)
            _ack(f"T {thread_id}")
        elif choice < 0.75:
            thread_id = rng.choice(mine)
            text = f"turn {seed}/{step}"
            store.append_turn(thread_id, Turn(role=Role.USER, text=text))
            _ack(f"U {thread_id} {text}")
        elif choice < 0.85:
            # A reply streamed with checkpoints, then stored in place of the last one.
            thread_id = rng.choice(mine)
            text = f"reply {seed}/{step}"
            at = time.time()
            for part in range(3):
                store.put_reply(thread_id, Turn(role=Role.ASSISTANT, text=text[: 3 + part],
                                                at=at, interrupted=True, error=CHECKPOINT), at)
            store.put_reply(thread_id, Turn(role=Role.ASSISTANT, text=text, at=at), at)
            _ack(f"U {thread_id} {text}")
        else:
            store.set_meta(f"counter{seed}", step)
            _ack(f"M counter{seed} {step}")


def run_adder(data_dir: Path, prefix: str, count: int) -> None:
    store = Store.open(data_dir)
    _ack("ready")
    while not (data_dir / "go").exists():
        time.sleep(0.001)
    for n in range(count):
        store.upsert(ThreadRecord(id=f"conv_{prefix}{n}", title=f"{prefix} {n}", profile=prefix))
    store.close()


TRASH_THREADS = [f"conv_t{n}" for n in range(6)]


def trash_texts(thread_id: str) -> list[str]:
    return [f"{thread_id} question", f"{thread_id} answer"]


def run_trasher(data_dir: Path, seed: int, steps: int | None) -> None:
    """Moves the ``TRASH_THREADS`` in and out of the trash; acks each move once it returned."""
    from tui.core.store import TrashReason

    rng = random.Random(seed)
    store = Store.open(data_dir)
    for thread_id in TRASH_THREADS:
        if thread_id not in store and store.trash_entry(thread_id) is None:
            store.upsert(ThreadRecord(id=thread_id, title=thread_id, profile="p"))
            for role, text in zip((Role.USER, Role.ASSISTANT), trash_texts(thread_id),
                                  strict=True):
                store.append_turn(thread_id, Turn(role=role, text=text))
    _ack("ready")
    step = 0
    while steps is None or step < steps:
        step += 1
        thread_id = rng.choice(TRASH_THREADS)
        if thread_id in store:
            store.delete(thread_id, reason=rng.choice(list(TrashReason)))
            _ack(f"D {thread_id}")
        else:
            store.restore(thread_id)
            _ack(f"R {thread_id}")
    store.close()


def trash_kill_loop(
    data_dir: Path, kills: int, seed: int = 1, max_delay: float = 0.3
) -> KillReport:
    """SIGKILL a trasher ``kills`` times; after each, every thread must be whole somewhere."""
    rng = random.Random(seed)
    report = KillReport()
    for round_number in range(kills):
        worker = _spawn("trasher", str(data_dir), str(seed * 100_000 + round_number))
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != b"ready":
            raise RuntimeError("the trasher did not start")
        time.sleep(rng.uniform(0.0, max_delay))
        worker.send_signal(signal.SIGKILL)
        output = worker.stdout.read()
        worker.wait()
        report.kills += 1
        report.acknowledged += len(output.decode().split("\n")[:-1])
        with Store.open(data_dir) as store:
            report.problems.extend(str(p) for p in store.take_problems())
            for thread_id in TRASH_THREADS:
                if thread_id in store:
                    found = [t.text for t in store.transcript(thread_id)]
                else:
                    entry = store.trash_entry(thread_id)
                    found = [] if entry is None else [str(t["text"]) for t in entry.turns]
                if found != trash_texts(thread_id):
                    report.lost.append(f"{thread_id} after kill {round_number}: {found}")
    return report


# -- reading the files without the store ------------------------------------------------------


def index_on_disk(data_dir: Path) -> dict[str, Any]:
    """The index as the files say, replayed here without the store's code: the snapshot,
    then every intact line of a journal of the snapshot's generation (a torn last line, with
    no newline or a wrong checksum, was never acknowledged)."""
    data = json.loads((data_dir / "index.json").read_bytes())
    generation = data["_store"]["1"].get("generation", 0)
    journal = data_dir / "index.journal"
    raw = journal.read_bytes() if journal.exists() else b""
    lines = []
    for line in raw.split(b"\n")[:-1]:
        crc, _, body = line.partition(b" ")
        if int(crc, 16) == zlib.crc32(body):
            lines.append(json.loads(body))
    if not lines or lines[0].get("generation") != generation:
        return data
    for line in lines[1:]:
        for table, key, doc in line["c"]:
            if doc is None:
                data.setdefault(table, {}).pop(key, None)
            else:
                data.setdefault(table, {})[key] = doc
    return data


# -- drivers ----------------------------------------------------------------------------------


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(HERE), *args], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )


def kill_loop(
    data_dir: Path, kills: int, seed: int = 1, max_delay: float = 0.3, bound: int | None = None
) -> KillReport:
    """SIGKILL a writer ``kills`` times at random moments; check the store after each kill.
    ``bound``: the writers' journal bound (small: compactions are hit too)."""
    rng = random.Random(seed)
    report = KillReport()
    started = time.perf_counter()
    pending: list[str] = []
    for round_number in range(kills):
        worker = _spawn(
            "writer", str(data_dir), str(seed * 100_000 + round_number),
            *([] if bound is None else [str(bound)]),
        )
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != b"ready":
            raise RuntimeError("the writer did not start")
        time.sleep(rng.uniform(0.0, max_delay))
        worker.send_signal(signal.SIGKILL)
        output = worker.stdout.read()
        worker.wait()
        report.kills += 1
        report.mid_write += any((data_dir / ".tmp").iterdir())
        complete = output.decode().split("\n")[:-1]  # a torn last line was not acknowledged
        pending.extend(complete)
        report.acknowledged += len(complete)
        _check_after_kill(data_dir, pending, report)
    report.seconds = time.perf_counter() - started
    return report


def _check_after_kill(data_dir: Path, acks: list[str], report: KillReport) -> None:
    try:
        json.loads((data_dir / "index.json").read_bytes())
    except (OSError, ValueError) as exc:
        report.unreadable += 1
        report.problems.append(f"index.json unreadable: {exc}")
    with Store.open(data_dir, lazy=True) as lazy:  # before the full open rewrites the head
        page = lazy.list_threads(limit=HEAD_CHECK_PAGE)
        report.from_head += not lazy.fully_open
        counters = {key: lazy.get_meta(key) for key in _meta_keys(acks)}
    with Store.open(data_dir) as store:
        report.problems.extend(str(p) for p in store.take_problems())
        report.lost.extend(_missing(store, acks))
        if page != store.list_threads(limit=HEAD_CHECK_PAGE):
            report.problems.append("the first page opened from the head is not the index's")
        if counters != {key: store.get_meta(key) for key in counters}:
            report.problems.append("app state opened from the head is not the index's")


def _meta_keys(acks: list[str]) -> set[str]:
    return {line.split(" ")[1] for line in acks if line.startswith("M ")}


def _missing(store: Store, acks: list[str]) -> list[str]:
    lost = []
    transcripts: dict[str, set[str]] = {}
    meta_floor: dict[str, int] = {}
    for line in acks:
        kind, _, rest = line.partition(" ")
        if kind == "T" and rest not in store:
            lost.append(line)
        elif kind == "U":
            thread_id, _, text = rest.partition(" ")
            if thread_id not in transcripts:
                transcripts[thread_id] = {t.text for t in store.transcript(thread_id)}
            if text not in transcripts[thread_id]:
                lost.append(line)
        elif kind == "M":
            key, _, value = rest.partition(" ")
            meta_floor[key] = max(meta_floor.get(key, 0), int(value))
    for key, floor in meta_floor.items():
        # A later write may have landed without its ack being printed: never less, maybe more.
        if int(store.get_meta(key, 0)) < floor:
            lost.append(f"M {key} {floor}")
    return lost


def race_adders(data_dir: Path, count: int = 300, bound: int | None = None) -> int:
    """Two processes add ``count`` threads each at the same moment; returns the final count."""
    Store.open(data_dir).close()
    extra = [] if bound is None else [str(bound)]
    workers = [_spawn("adder", str(data_dir), prefix, str(count), *extra) for prefix in ("a", "b")]
    for worker in workers:
        assert worker.stdout is not None
        worker.stdout.readline()
    (data_dir / "go").touch()
    for worker in workers:
        if worker.wait(timeout=300) != 0:
            raise RuntimeError("an adder failed")
    with Store.open(data_dir) as store:
        return len(store)


def main(argv: list[str]) -> None:
    if argv[0] == "writer":
        _set_bound(int(argv[3]) if len(argv) > 3 else None)
        run_writer(Path(argv[1]), int(argv[2]))
    elif argv[0] == "adder":
        _set_bound(int(argv[4]) if len(argv) > 4 else None)
        run_adder(Path(argv[1]), argv[2], int(argv[3]))
    elif argv[0] == "trasher":
        run_trasher(Path(argv[1]), int(argv[2]), int(argv[3]) if len(argv) > 3 else None)
    else:
        raise SystemExit(f"unknown worker {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
