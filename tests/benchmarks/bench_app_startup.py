"""Start-up: process start → first screen with the newest row, → every row listed; memory.

    python tests/benchmarks/bench_app_startup.py           # 10,000 and 100,000 threads
    python tests/benchmarks/bench_app_startup.py --quick   # 500 threads, 2 runs each
    python tests/benchmarks/bench_app_startup.py --pty-only  # only the real-terminal figures

Two ways of measuring, each next to a floor taken in the same run:

- **In a real terminal** (the first-screen target): the installed ``threadtui`` is spawned in
  a pseudo-terminal of 80x24 (pexpect), its output played on an emulated screen (pyte), and
  the time taken from just before the spawn to the arrival of the output that puts the newest
  thread's title on that screen. Floors, the same way: a bare Textual app showing an
  OptionList of the first page's titles (``--child bare-pty``; the first screen of any
  Textual list, which shows only as much), and a process that only imports
  ``textual.app`` (to its exit).
- **Headless** (every row, memory): each run a fresh subprocess (80x24); the parent takes the
  time before spawning it, the child prints ``time.time()`` once the first screen with the
  newest row has been painted, again once every row is in the list and painted, and its
  peak resident memory. Also the event loop's longest stall after the first paint (keys
  typed then wait that long): while the record's thread reads the whole index, next to the
  index parsed by ``json.loads`` alone (one call that holds the GIL throughout); and from
  the rows' arrival in the list until each is ready for the filter, next to what it would be
  without chunks (every row's filter text made in one go).
  The baseline is the same bare OptionList app, headless: its first screen already holds
  every row.

Targets (issue 15, at 100,000 threads): first screen in a real terminal ≤ 0.35 s; every row
listed ≤ 0.8 × the bare OptionList's time; peak memory (ru_maxrss) ≤ 1.5 × the bare app's.
The children run with bytecode caching on, as an installed threadtui does.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_FIRST_SCREEN_S = 0.35
TARGET_ALL_ROWS_RATIO = 0.8
TARGET_MEMORY_RATIO = 1.5
COLUMNS, LINES = 80, 24
FIRST_PAGE = 200  # tui.app.work.FIRST_PAGE: the rows the first screen is built from
NEWEST_TITLE = "the newest thread"
"""Short enough to fit the sidebar of an 80-column terminal whole, and found nowhere else."""
WORDS = ("alpha", "beta", "gamma", "delta", "report", "plan", "schedule", "trip", "notes",
         "draft", "review", "ideas")


# --------------------------------------------------------------------------- children


def peak_rss_kb() -> int:
    """Peak resident memory of this process, in KiB (Linux's ru_maxrss unit)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def child_bare(data_dir: Path, *, headless: bool = True) -> None:
    """The baseline: read the titles and show them in a stock OptionList (headless: report
    and exit once painted; in a terminal: run until ctrl+q, the parent watches the screen)."""
    from textual.app import App, ComposeResult
    from textual.widgets import OptionList

    titles = json.loads((data_dir / "titles.json").read_text())
    if not headless:  # the first screen's floor: any Textual list of one page of titles
        titles = titles[:FIRST_PAGE]

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield OptionList(*titles)

        def on_mount(self) -> None:
            if headless:
                self.call_after_refresh(self.report)

        def report(self) -> None:
            option_list = self.query_one(OptionList)
            assert option_list.option_count == len(titles)
            now = time.time()
            print(json.dumps({"painted": now, "all": now, "rows": option_list.option_count,
                              "rss_kb": peak_rss_kb()}))
            self.exit()

    if headless:
        Bare().run(headless=True, size=(80, 24))
    else:
        Bare().run()


def child_app(data_dir: Path) -> None:
    """threadtui itself, with its real store, config loading and themes, started as the
    console script starts it (``tui.entry``: the cyclic GC paused until the first paint)."""
    from tui.core.gc_pause import pause_start

    pause_start()
    from tui.app.app import ThreadApp
    from tui.commands.launch import open_record
    from tui.core.config import load_config
    from tui.core.keys import KeyRing
    from tui.core.thread_query import record_haystack

    expected = len(json.loads((data_dir / "titles.json").read_text()))
    first: dict[str, float] = {}

    class Measured(ThreadApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(self.report)

        def report(self) -> None:
            listing = self.main.sidebar.thread_list
            if not listing.option_count:  # the first page is read off the event loop
                self.set_timer(0.002, self.report)
                return
            first["painted"] = time.time()
            newest = store.list_threads(limit=1)[0]
            assert listing.highlighted_id == newest.id or listing.shown_records[0].id == newest.id
            self.run_worker(self.longest_stall(), exit_on_error=False)
            self.wait_for_all()

        async def longest_stall(self) -> None:
            """The longest the event loop went without a turn (keys typed then wait that
            long), from the first paint: while the record's thread reads the whole index
            ("reading"), and from the stall in which every row arrived in the list until
            each is ready for the filter ("listing"); then what the listing's stall would be
            without chunks: every row's filter text made in one go, on the loop."""
            sidebar = self.main.sidebar
            last, longest = time.perf_counter(), {"reading": 0.0, "listing": 0.0}
            while not (sidebar.count >= expected and sidebar.filter_ready):
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                phase = "listing" if sidebar.count >= expected else "reading"  # what ended it
                longest[phase], last = max(longest[phase], now - last), now
            rows = list(sidebar.thread_list.shown_records)  # every row: no filter
            started = time.perf_counter()
            for record in rows:
                record_haystack(record)
            first.update(stall_reading=longest["reading"], stall_listing=longest["listing"],
                         one_go=time.perf_counter() - started)

        def wait_for_all(self) -> None:
            if self.main.sidebar.count < expected:
                self.set_timer(0.005, self.wait_for_all)
                return
            self.call_after_refresh(self.every_row_painted)

        def every_row_painted(self) -> None:
            first["all"] = time.time()
            self.report_all()

        def report_all(self) -> None:
            if "one_go" not in first:
                self.set_timer(0.005, self.report_all)
                return
            print(json.dumps({"painted": first["painted"], "all": first["all"],
                              "store_open": first["store_open"],
                              "stall_reading": first["stall_reading"],
                              "stall_listing": first["stall_listing"], "one_go": first["one_go"],
                              "rows": self.main.sidebar.thread_list.option_count,
                              "rss_kb": peak_rss_kb()}))
            self.exit()

    config = load_config(data_dir / "config.toml", {})
    opening = time.perf_counter()
    store, _read_only = open_record(data_dir / "data")  # as `threadtui` opens it: lazily
    first["store_open"] = time.perf_counter() - opening
    app = Measured(
        config=config,
        store=store,
        keyring=KeyRing(environ={}),
        data_dir=data_dir / "data",
        remember_theme=False,
    )
    app.run(headless=True, size=(80, 24))
    store.close()


# --------------------------------------------------------------------------- parent


def make_data(data_dir: Path, threads: int) -> None:
    from tui.core.records import ThreadRecord
    from tui.core.store import Store, ThreadImport

    now = time.time()
    words = WORDS
    records = [
        ThreadRecord(
            id=f"conv_{n:048x}",
            profile=("work", "home")[n % 2],
            organization=("acme-corp", "personal")[n % 2],
            title=NEWEST_TITLE if n == 0 else
            " ".join(words[(n * k) % len(words)] for k in range(1, 6)) + f" #{n}",
            created_at=now - n * 60,
            last_active=now - n * 60,
        )
        for n in range(threads)
    ]
    with Store.open(data_dir / "data") as store:
        store.import_threads(ThreadImport(record) for record in records)
    (data_dir / "titles.json").write_text(json.dumps([r.title for r in records]))
    # No key for the profile: start-up must not wait for one (and the child never goes online).
    (data_dir / "config.toml").write_text(
        '[profiles.work]\napi_key_env = "BENCH_NO_SUCH_KEY"\nbase_url = "http://127.0.0.1:9/v1"\n'
    )


def child_env(**extra: str) -> dict[str, str]:
    """The children's environment: this checkout first, bytecode cached as when installed."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), THREADTUI_CONFIG="", THREADTUI_DATA_DIR="")
    env.update(extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_child(kind: str, data_dir: Path) -> dict[str, float]:
    """One run: seconds to the first screen and to every row, and peak memory in MB."""
    env = child_env()
    started = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(data_dir)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    result = json.loads(lines[-1])
    return {"first": float(result["painted"]) - started, "all": float(result["all"]) - started,
            "mb": result["rss_kb"] / 1024, "store_open": float(result.get("store_open", 0.0)),
            "stall_reading": float(result.get("stall_reading", 0.0)),
            "stall_listing": float(result.get("stall_listing", 0.0)),
            "one_go": float(result.get("one_go", 0.0))}


# --------------------------------------------------------------------------- a real terminal


def installed_threadtui() -> str:
    """The console script of this environment (what ``pip install`` made), as a user runs it."""
    beside = Path(sys.executable).with_name("threadtui")
    found = str(beside) if beside.exists() else shutil.which("threadtui")
    if not found:
        raise RuntimeError("the threadtui console script is not installed in this environment")
    return found


def pty_first_screen(argv: list[str], env: dict[str, str], text: str,
                     timeout: float = 60.0) -> float:
    """Seconds from just before spawning ``argv`` in an 80x24 pseudo-terminal to the arrival
    of the output that puts ``text`` on the emulated screen; then the process is stopped."""
    import pexpect
    import pyte

    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.ByteStream(screen)
    started = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(LINES, COLUMNS))
    try:
        while time.perf_counter() - started < timeout:
            try:
                data = child.read_nonblocking(1 << 16, timeout=0.5)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                break
            arrived = time.perf_counter()  # the screen's own parsing is not the app's time
            stream.feed(data)
            if any(text in line for line in screen.display):
                return arrived - started
    finally:
        child.close(force=True)
    shown = "\n".join(screen.display)
    raise RuntimeError(f"{argv[0]} never showed {text!r}; last screen:\n{shown}")


def process_seconds(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``argv`` to its exit (a floor: a process that only imports)."""
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - started


def pty_env(data_dir: Path) -> dict[str, str]:
    home = data_dir / "home"
    home.mkdir(exist_ok=True)
    return child_env(
        THREADTUI_CONFIG=str(data_dir / "config.toml"), THREADTUI_DATA_DIR=str(data_dir / "data"),
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"), TERM="xterm-256color", LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )


def run_pty(kind: str, data_dir: Path) -> float:
    """One real-terminal run of ``kind``: threadtui, the bare OptionList, or the import."""
    env = pty_env(data_dir)
    if kind == "import":
        return process_seconds([sys.executable, "-c", "import textual.app"], env)
    if kind == "bare":
        argv = [sys.executable, __file__, "--child", "bare-pty", str(data_dir)]
    else:
        argv = [installed_threadtui()]
    return pty_first_screen(argv, env, NEWEST_TITLE)


def measure_pty(data_dir: Path, runs: int) -> dict[str, list[float]]:
    kinds = ("import", "bare", "app")
    for kind in kinds:  # warm the file cache and the .pyc files
        run_pty(kind, data_dir)
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(runs):  # interleaved, so drift on a shared machine hits all three
        for kind in kinds:
            samples[kind].append(run_pty(kind, data_dir))
    return samples


def report_pty(threads: int, samples: dict[str, list[float]]) -> None:
    def figure(kind: str) -> str:
        runs = samples[kind]
        return (f"median {statistics.median(runs) * 1000:4.0f} ms (min {min(runs) * 1000:.0f},"
                f" max {max(runs) * 1000:.0f})")

    first = statistics.median(samples["app"])
    judged = threads >= 100_000
    verdict = ("ok" if first <= TARGET_FIRST_SCREEN_S else "MISSES THE TARGET") if judged else ""
    print(f"    real terminal 80x24, spawn → newest title on screen ({len(samples['app'])} runs):")
    print(f"      threadtui:          {figure('app')}  (target ≤"
          f" {TARGET_FIRST_SCREEN_S * 1000:.0f}) {verdict}")
    print(f"      floor, bare OptionList of the first {FIRST_PAGE} titles: {figure('bare')}")
    print(f"      floor, python -c 'import textual.app':     {figure('import')}")


def median_of(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("THREADTUI_BENCH_QUICK")))
    parser.add_argument("--threads", type=int, action="append")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--pty-only", action="store_true",
                        help="only the real-terminal figures (no headless every-row runs)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, folder = args.child
        if kind == "app":
            child_app(Path(folder))
        else:
            child_bare(Path(folder), headless=kind == "bare")
        return 0
    sizes = tuple(args.threads or ((500,) if args.quick else (10_000, 100_000)))
    runs = args.runs or (2 if args.quick else 5)
    print(f"bench_app_startup ({'quick' if args.quick else 'full'}): {runs} runs each,"
          f" python {sys.version.split()[0]}")
    for threads in sizes:
        note = "" if threads >= 100_000 else " (the targets are for 100,000 threads)"
        print(f"  {threads:,} threads{note}:")
        with tempfile.TemporaryDirectory(prefix="bench-app-startup-") as tmp:
            data_dir = Path(tmp)
            make_data(data_dir, threads)
            report_pty(threads, measure_pty(data_dir, runs))
            if not args.pty_only:
                report_headless(threads, *measure_headless(data_dir, runs))
    return 0


def measure_headless(
    data_dir: Path, runs: int
) -> tuple[list[dict[str, float]], list[dict[str, float]], list[float]]:
    run_child("bare", data_dir)  # warm the file cache and .pyc files for both
    run_child("app", data_dir)
    bare: list[dict[str, float]] = []
    ours: list[dict[str, float]] = []
    parses: list[float] = []
    for _ in range(runs):  # interleaved, so drift on a shared machine hits both
        bare.append(run_child("bare", data_dir))
        ours.append(run_child("app", data_dir))
        parses.append(index_parse_seconds(data_dir))
    return bare, ours, parses


def index_parse_seconds(data_dir: Path) -> float:
    """The floor of the loop's longest stall: ``json.loads`` of the whole index, the
    record's one call that holds the GIL throughout (the app pauses the GC for it too)."""
    raw = (data_dir / "data" / "index.json").read_bytes()
    gc.disable()
    try:
        started = time.perf_counter()
        json.loads(raw.decode("utf-8"))
        return time.perf_counter() - started
    finally:
        gc.enable()


def report_headless(
    threads: int, bare: list[dict[str, float]], ours: list[dict[str, float]],
    parses: list[float],
) -> None:
    first = median_of(ours, "first")
    all_ratio = median_of(ours, "all") / median_of(bare, "all")
    memory_ratio = median_of(ours, "mb") / median_of(bare, "mb")
    judged = threads >= 100_000

    def verdict(ok: bool) -> str:
        return ("ok" if ok else "MISSES THE TARGET") if judged else ""

    def runs_of(samples: list[dict[str, float]]) -> str:
        return ", ".join(f"{run['all'] * 1000:.0f}" for run in samples)

    print(f"    headless 80x24 ({len(ours)} runs):")
    print(f"      bare OptionList, every row: median {median_of(bare, 'all') * 1000:6.0f} ms,"
          f" {median_of(bare, 'mb'):5.0f} MB  (runs: {runs_of(bare)})")
    print(f"      threadtui first screen:     median {first * 1000:6.0f} ms"
          f" (headless: no terminal to write to); of it Store.open"
          f" {median_of(ours, 'store_open') * 1000:.0f} ms (the record's)")
    print(f"      threadtui every row:        median {median_of(ours, 'all') * 1000:6.0f} ms,"
          f" {median_of(ours, 'mb'):5.0f} MB  (runs: {runs_of(ours)})")
    print(f"      ratios to the bare OptionList: every row {all_ratio:.2f}"
          f" (target ≤ {TARGET_ALL_ROWS_RATIO}) {verdict(all_ratio <= TARGET_ALL_ROWS_RATIO)},"
          f" memory {memory_ratio:.2f} (target ≤ {TARGET_MEMORY_RATIO})"
          f" {verdict(memory_ratio <= TARGET_MEMORY_RATIO)}")
    def stall(key: str) -> str:
        runs = ", ".join(f"{run[key] * 1000:.0f}" for run in ours)
        return f"median {median_of(ours, key) * 1000:4.0f} ms (runs: {runs})"

    print("      the loop's longest stall after the first paint (keys typed then wait that long):")
    print(f"        while the whole index is read:  {stall('stall_reading')};"
          f" floor, json.loads of the index alone: {statistics.median(parses) * 1000:.0f} ms")
    print(f"        rows listed → ready to filter:  {stall('stall_listing')};"
          f" without chunks, every row's filter text in one go:"
          f" {median_of(ours, 'one_go') * 1000:.0f} ms")

if __name__ == "__main__":
    sys.exit(main())
