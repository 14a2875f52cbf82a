"""Filter keystrokes: key press → list updated and painted (p95 ≤ 30 ms at 100,000 threads).

    python tests/benchmarks/bench_app_filter.py           # 10,000 and 100,000 threads
    python tests/benchmarks/bench_app_filter.py --quick   # 1,000 threads, 40 keystrokes

The app runs headless at 80x24 with a real store. Each sample is one key typed into the filter
box (letters, then backspaces, so the list both shrinks and grows), timed from the key press to
the end of the screen refresh that follows the list update (the key is handed to the app's
driver, as a terminal's would be; Pilot's ``press`` sleeps 40 ms per key and is not used).
Each sample is checked: the list shows exactly the matching threads.

The floor, measured in the same run on the same rows and queries, is the match rule alone
(``thread_query.keep_matching`` over every row's haystack, no widget, no narrowing from
the previous keystroke's answer): what any filter of these
rows costs before anything is drawn. Also printed: how many rows the list made an option for
(it makes them only for rows it draws).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from textual import events

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_keys import keys_for, p95  # what the benchmarks that type share

TARGET_P95_MS = 30.0
WORDS = ("alpha", "beta", "gamma", "delta", "report", "plan", "schedule", "trip", "notes",
         "draft", "review", "ideas")
QUERIES = ("report plan", "trip 12", "notes draft 7", "acme", "zz no match")


def make_store(data_dir: Path, threads: int) -> None:
    from tui.core.records import ThreadRecord
    from tui.core.store import Store, ThreadImport

    now = time.time()
    words = WORDS
    with Store.open(data_dir) as store:
        store.import_threads(
            ThreadImport(
                ThreadRecord(
                    id=f"conv_{n:048x}",
                    profile=("work", "home")[n % 2],
                    organization=("acme-corp", "personal")[n % 2],
                    title=" ".join(words[(n * k) % len(words)] for k in range(1, 6))
                    + f" #{n}",
                    created_at=now - n * 60,
                    last_active=now - n * 60,
                )
            )
            for n in range(threads)
        )


def floor(data_dir: Path, keystrokes: int) -> list[float]:
    """The match rule alone over every row, for the same sequence of filter texts (ms)."""
    from tui.core.store import Store
    from tui.core.thread_query import keep_matching, query_words, record_haystack

    with Store.open(data_dir / "data") as store:
        rows = [(r.id, record_haystack(r)) for r in store.list_threads()]
    text = ""
    samples = []
    for key in keys_for(QUERIES, keystrokes):
        text = text[:-1] if key == "backspace" else text + (" " if key == "space" else key)
        words = query_words(text)
        started = time.perf_counter()
        keep_matching(rows, words)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure(data_dir: Path, keystrokes: int) -> tuple[list[float], int, int]:
    from tui.app.app import ThreadApp
    from tui.core.config import load_config
    from tui.core.keys import KeyRing
    from tui.core.store import Store
    from tui.core.thread_query import matches, query_words, record_haystack

    config_path = data_dir / "config.toml"
    config_path.write_text('[profiles.work]\napi_key_env = "BENCH_NO_KEY"\n'
                           'base_url = "http://127.0.0.1:9/v1"\n')
    store = Store.open(data_dir / "data")
    app = ThreadApp(config=load_config(config_path, {}), store=store,
                    keyring=KeyRing(environ={}), data_dir=data_dir, remember_theme=False)
    everything = store.list_threads()
    hay = [(r.id, record_haystack(r)) for r in everything]
    samples: list[float] = []
    checked = 0
    made = 0
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            while app.main.sidebar.count < len(everything):
                await pilot.pause(0.01)
            await pilot.pause(0.2)
            app.main.action_to_threads()  # from the composer to the list, then "/"
            await pilot.pause()
            await pilot.press("slash")
            listing = app.main.sidebar.thread_list
            painted = asyncio.Event()
            original = app.main.sidebar.refresh_rows

            def refresh_rows() -> None:
                original()
                app.call_after_refresh(painted.set)

            app.main.sidebar.refresh_rows = refresh_rows  # type: ignore[method-assign]
            for key in keys_for(QUERIES, keystrokes):
                painted.clear()
                started = time.perf_counter()
                character = {"space": " ", "backspace": None}.get(key, key)
                app._driver.send_message(events.Key(key, character))
                await asyncio.wait_for(painted.wait(), timeout=10)
                samples.append((time.perf_counter() - started) * 1000)
                words = query_words(app.main.sidebar.filter_input.value)
                expected = [i for i, h in hay if matches(words, h)]
                shown = [r.id for r in listing.shown_records]
                if shown != expected:
                    raise AssertionError(f"filter {words!r}: {len(shown)} shown,"
                                         f" {len(expected)} expected")
                checked += 1
            made = len(app.main.sidebar._options)
    finally:
        store.close()
    return samples, checked, made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("THREADTUI_BENCH_QUICK")))
    parser.add_argument("--threads", type=int, action="append")
    args = parser.parse_args(argv)
    sizes, keystrokes = ((1_000,), 40) if args.quick else ((10_000, 100_000), 200)
    sizes = tuple(args.threads or sizes)
    print(f"bench_app_filter ({'quick' if args.quick else 'full'}): {keystrokes} keystrokes"
          f" per size, 80x24, python {sys.version.split()[0]}")
    for threads in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-app-filter-") as tmp:
            make_store(Path(tmp) / "data", threads)
            rule = floor(Path(tmp), keystrokes)
            samples, checked, made = asyncio.run(measure(Path(tmp), keystrokes))
        ours = p95(samples)
        verdict = "ok" if ours <= TARGET_P95_MS else "SLOWER THAN TARGET"
        print(f"  {threads:,} threads ({checked} keystrokes checked; options made for"
              f" {made:,} rows):")
        print(f"    key → list updated and painted: median {statistics.median(samples):6.1f} ms,"
              f" p95 {ours:6.1f} ms (target ≤ {TARGET_P95_MS:.0f}), max {max(samples):6.1f} ms"
              f" {verdict}")
        print(f"    floor, the match rule alone:     median {statistics.median(rule):6.1f} ms,"
              f" p95 {p95(rule):6.1f} ms, max {max(rule):6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
