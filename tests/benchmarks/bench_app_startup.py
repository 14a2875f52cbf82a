"""Start-up with 10,000 threads: process start → the sidebar's newest row on screen (headless).

    python tests/benchmarks/bench_app_startup.py           # 10,000 threads, 7 runs each
    python tests/benchmarks/bench_app_startup.py --quick   # 500 threads, 2 runs each

The baseline, measured in the same run, is a bare Textual app showing an OptionList of the same
titles (what any Textual list of 10,000 rows costs). Target: ours ≤ 1.3 × the baseline
(medians). Each run is a fresh subprocess; the parent takes the time before spawning it, the
child prints ``time.time()`` once the first screen with the row has been painted, then exits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 1.3
WORDS = ("alpha", "beta", "gamma", "delta", "report", "plan", "schedule", "trip", "notes",
         "draft", "review", "ideas")


# --------------------------------------------------------------------------- children


def child_bare(data_dir: Path) -> None:
    """The baseline: read the titles and show them in a stock OptionList."""
    from textual.app import App, ComposeResult
    from textual.widgets import OptionList

    titles = json.loads((data_dir / "titles.json").read_text())

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield OptionList(*titles)

        def on_mount(self) -> None:
            self.call_after_refresh(self.report)

        def report(self) -> None:
            option_list = self.query_one(OptionList)
            assert option_list.option_count == len(titles)
            print(json.dumps({"painted": time.time(), "rows": option_list.option_count}))
            self.exit()

    Bare().run(headless=True, size=(80, 24))


def child_app(data_dir: Path) -> None:
    """threadtui itself, with its real store, config loading and themes."""
    from tui.app.app import ThreadApp
    from tui.core.config import load_config
    from tui.core.keys import KeyRing
    from tui.core.store import Store

    class Measured(ThreadApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(self.report)

        def report(self) -> None:
            listing = self.main.sidebar.thread_list
            if not listing.option_count:  # the first page is read off the event loop
                self.set_timer(0.002, self.report)
                return
            first = listing.options[0]
            newest = store.list_threads(limit=1)[0]
            assert first.id == newest.id
            print(json.dumps({"painted": time.time(), "rows": listing.option_count}))
            self.exit()

    config = load_config(data_dir / "config.toml", {})
    store = Store.open(data_dir / "data")
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
            title=" ".join(words[(n * k) % len(words)] for k in range(1, 6)) + f" #{n}",
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


def run_child(kind: str, data_dir: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT), THREADTUI_CONFIG="", THREADTUI_DATA_DIR="")
    started = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(data_dir)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    result = json.loads(lines[-1])
    return float(result["painted"]) - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("THREADTUI_BENCH_QUICK")))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, folder = args.child
        (child_bare if kind == "bare" else child_app)(Path(folder))
        return 0
    threads = args.threads or (500 if args.quick else 10_000)
    runs = args.runs or (2 if args.quick else 7)
    with tempfile.TemporaryDirectory(prefix="bench-app-startup-") as tmp:
        data_dir = Path(tmp)
        make_data(data_dir, threads)
        run_child("bare", data_dir)  # warm the file cache and .pyc files for both
        run_child("app", data_dir)
        bare: list[float] = []
        ours: list[float] = []
        for _ in range(runs):  # interleaved, so drift on a shared machine hits both
            bare.append(run_child("bare", data_dir))
            ours.append(run_child("app", data_dir))
    bare_median = statistics.median(bare)
    ours_median = statistics.median(ours)
    ratio = ours_median / bare_median
    print(f"bench_app_startup ({'quick' if args.quick else 'full'}): {threads:,} threads,"
          f" {runs} runs each, python {sys.version.split()[0]}")
    print(f"  bare OptionList  median {bare_median * 1000:7.0f} ms  "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in bare)})")
    print(f"  threadtui        median {ours_median * 1000:7.0f} ms  "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in ours)})")
    verdict = "ok" if ratio <= TARGET_RATIO else "SLOWER THAN TARGET"
    if args.quick:
        verdict = "(the target is for 10,000 threads; quick mode only exercises the code)"
    print(f"  ratio {ratio:.2f} (target ≤ {TARGET_RATIO}) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
