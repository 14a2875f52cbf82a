"""A long reply streamed as fast as the sandbox can send it: correct, prompt, linear.

    python tests/benchmarks/bench_app_stream.py           # 2,000, 20,000, 100,000 tokens, 2 runs
    python tests/benchmarks/bench_app_stream.py --quick   # 200 and 2,000 tokens, 1 run each

The sandbox runs in its own process (``python -m tui.sandbox --delay-ms 0``), as a real server
would; the app runs headless at 80x24 in this process and sends one prompt per run.

Figures, with targets:
- the text on screen equals what was sent: the streamed Markdown's source is the reply, and
  so is its segments' sources joined (``tests/app/test_reply_markdown.py`` compares the
  drawing of a streamed reply with a one-shot render of the same text, SVG to SVG);
- last byte → final paint ≤ 200 ms: from the moment the app holds the complete reply (the
  stream's ``Completed`` event, parsed from the last bytes) to the end of the first screen
  refresh after the pane has finished with it (after one unmeasured warm-up reply);
- cost per 1,000 tokens at the largest size ≤ 1.1 × the cost at the smallest (the floor):
  a flush lays out only the open segment of the reply, so a token costs the same at the
  100,000th as at the 2,000th. Before (one Markdown widget for the reply, issue 15): 107 ms
  per 1,000 tokens at 2k, 95 at 20k, 147 at 100k.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAST_BYTE_TO_PAINT_MS = 200.0
PER_TOKEN_RATIO = 1.1
PROMPT = "benchmark"


@dataclass
class Run:
    tokens: int
    total_s: float  # send → final paint
    tail_ms: float  # last byte → final paint
    chars: int
    correct: bool


class SandboxProcess:
    """``python -m tui.sandbox`` in a subprocess; ``model()`` changes the reply length."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui.sandbox", "--delay-ms", "0"],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        self.url = self.base_url.removesuffix("/v1")

    def model(self, tokens: int) -> None:
        request = urllib.request.Request(
            f"{self.url}/_sandbox/model", method="POST",
            data=json.dumps({"tokens": tokens, "delay_ms": 0}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def one_run(base_url: str, data_dir: Path, tokens: int) -> Run:
    from tui.app.app import ThreadApp
    from tui.app.widgets.message import MessageView
    from tui.core.config import load_config
    from tui.core.keys import KeyRing
    from tui.core.records import Role
    from tui.core.store import Store
    from tui.sandbox import ACME_KEY
    from tui.sandbox.model import reply_text

    config_path = data_dir / "config.toml"
    config_path.write_text(
        f'[profiles.work]\napi_key_env = "BENCH_KEY"\nbase_url = "{base_url}"\n'
    )
    store = Store.open(data_dir / f"data-{tokens}-{time.monotonic_ns()}")
    app = ThreadApp(
        config=load_config(config_path, {}), store=store,
        keyring=KeyRing(environ={"BENCH_KEY": ACME_KEY}), data_dir=data_dir,
        remember_theme=False,
    )
    marks: dict[str, float] = {}
    painted = asyncio.Event()
    original_end = MessageView.end_stream

    async def timed_end(self: MessageView, final_text: str | None = None) -> None:
        marks["last_byte"] = time.perf_counter()
        await original_end(self, final_text)
        app.call_after_refresh(lambda: (marks.setdefault("painted", time.perf_counter()),
                                        painted.set()))

    MessageView.end_stream = timed_end  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            while not any(w.is_running for w in app.workers) and "sk-" not in str(
                app.main.key_hint
            ):
                await pilot.pause(0.01)
            while any(w.is_running for w in app.workers):
                await pilot.pause(0.01)
            app.main.composer.focus()
            app.main.composer.load_text(PROMPT)
            await pilot.pause()
            sent = time.perf_counter()
            await pilot.press("enter")
            await asyncio.wait_for(painted.wait(), timeout=300)
            view = app.main.chat.last_view(Role.ASSISTANT)
            assert view is not None and view.markdown is not None
            expected = reply_text(PROMPT, tokens)
            segments = view.markdown.segments
            correct = (
                view.markdown.source == expected
                and view.turn.text == expected
                and "".join(segment.source for segment in segments) == expected
                and all(segment.children for segment in segments)
            )
            return Run(tokens, marks["painted"] - sent,
                       (marks["painted"] - marks["last_byte"]) * 1000, len(expected), correct)
    finally:
        MessageView.end_stream = original_end  # type: ignore[method-assign]
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("THREADTUI_BENCH_QUICK")))
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args(argv)
    sizes = (200, 2_000) if args.quick else (2_000, 20_000, 100_000)
    small, big = sizes[0], sizes[-1]
    runs = args.runs or (1 if args.quick else 2)
    sandbox = SandboxProcess()
    results: dict[int, list[Run]] = {size: [] for size in sizes}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-app-stream-") as tmp:
            # One unmeasured run first: imports (SDK, Markdown parser, code highlighter) are paid
            # once per process, not per reply.
            sandbox.model(small)
            asyncio.run(one_run(sandbox.base_url, Path(tmp), small))
            for _ in range(runs):
                for tokens in sizes:
                    sandbox.model(tokens)
                    results[tokens].append(asyncio.run(one_run(sandbox.base_url, Path(tmp),
                                                               tokens)))
    finally:
        sandbox.stop()
    print(f"bench_app_stream ({'quick' if args.quick else 'full'}): {runs} run(s) per size,"
          f" 80x24, python {sys.version.split()[0]}")
    ok = True
    for tokens, rows in results.items():
        total = statistics.median(r.total_s for r in rows)
        tail = max(r.tail_ms for r in rows)
        tail_median = statistics.median(r.tail_ms for r in rows)
        correct = all(r.correct for r in rows)
        ok &= correct
        print(f"  {tokens:>7,} tokens ({rows[0].chars:,} chars): send → final paint median"
              f" {total * 1000:6.0f} ms = {total * 1e6 / tokens:5.1f} ms per 1,000 tokens;"
              f" last byte → final paint median {tail_median:4.0f} ms,"
              f" worst {tail:4.0f} ms"
              f" (target ≤ {LAST_BYTE_TO_PAINT_MS:.0f}); text on screen equals the reply:"
              f" {'yes' if correct else 'NO'}")
    def per_token(size: int) -> float:
        return statistics.median(r.total_s for r in results[size]) / size

    ratio = per_token(big) / per_token(small)
    print(f"  cost per 1,000 tokens at {big:,}: {per_token(big) * 1e6:.1f} ms, {ratio:.2f}× the"
          f" cost at {small:,} (the floor: {per_token(small) * 1e6:.1f} ms; target ≤"
          f" {PER_TOKEN_RATIO}×)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
