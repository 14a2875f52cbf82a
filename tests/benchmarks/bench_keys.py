"""What the app benchmarks that type share: the keys they type and the figure they report.

Imported by path's neighbour (each benchmark puts its own folder on ``sys.path``), since the
benchmarks run as scripts and are loaded by path from ``tests/app/test_bench_app.py``.
"""

from __future__ import annotations

from collections.abc import Sequence


def keys_for(queries: Sequence[str], keystrokes: int) -> list[str]:
    """The keys typed: each query letter by letter, then backspaced away, until there are
    ``keystrokes`` of them."""
    keys: list[str] = []
    query_index = 0
    while len(keys) < keystrokes:
        query = queries[query_index % len(queries)]
        query_index += 1
        keys += [*("space" if ch == " " else ch for ch in query), *["backspace"] * len(query)]
    return keys[:keystrokes]


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank, the lower one): what a typist feels at worst but
    for a rare hiccup."""
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]
