"""The index snapshot, a row to a line (``tui.core.snapshot_layout``): read a batch of rows
at a time, and still whatever ``json.loads`` of the whole text says, for any text.

The differential test mutates a snapshot the way a disk, a bad copy or a hand edit might
(characters dropped, doubled or added, lines lost, swapped or joined, commas gone) and
compares the reader with ``json.loads`` on each: the same value in the same order, or the
same error at the same place.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tui.core import snapshot_layout
from tui.core.files import dumps
from tui.core.records import ThreadRecord
from tui.core.snapshot_layout import ROWS_PER_BATCH, dumps_tables, loads_tables
from tui.core.store import Store, ThreadImport


def snapshot(rows: int, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "_store": {"1": {"schema_version": 3, "generation": 4}},
        "threads": {
            f"conv_{n:05d}": {"id": f"conv_{n:05d}", "title": f"thread {n}", "pinned": n % 7 == 0,
                              "last_active": 1_790_000_000.5 + n, "server_meta": {"n": [n, None]}}
            for n in range(rows)
        },
        "meta": meta if meta is not None else {"draft": "half a question"},
    }


def same(text: str) -> None:
    """The reader says what ``json.loads`` says: the same value in the same order, or the
    same error at the same place."""
    try:
        expected: Any = json.loads(text)
    except json.JSONDecodeError as error:
        with pytest.raises(json.JSONDecodeError) as raised:
            loads_tables(text)
        assert (raised.value.msg, raised.value.pos) == (error.msg, error.pos), repr(text)
        return
    got = loads_tables(text)
    assert json.dumps(got) == json.dumps(expected), repr(text)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"threads": {}},
        {"_store": {}, "threads": {}, "meta": {}},
        snapshot(3),
        snapshot(ROWS_PER_BATCH * 2 + 17),
        {"threads": {
            'quote " and \\ back': {"title": "line\nbreak\u2028and\ttab"},
            "lone \ud800 surrogate": {"title": "emoji \U0001f600", "n": -0.0},
            "": {"": [[], {}, "", 0, 1e300]},
            "not a dict": 5,
        }, "meta": {"x": None}},
    ],
    ids=["empty", "one empty table", "empty tables", "three rows", "three batches", "hostile"],
)
def test_a_snapshot_reads_back_the_same_in_batches_and_whole(data: dict[str, Any]) -> None:
    raw = dumps_tables(data)
    text = raw.decode("ascii")
    assert loads_tables(text) == data
    assert json.loads(text) == data  # an older threadtui reads it whole, as it always did
    assert json.dumps(loads_tables(text)) == json.dumps(data)  # order too
    rows = sum(len(table) for table in data.values())
    assert text.count("\n") == (rows + len(data) if data else 0)  # a row to a line


def test_the_rows_are_read_a_batch_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ``json.loads`` holds the GIL throughout: a batch is one call, never the file."""
    calls: list[str] = []
    real = json.loads

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(text)
        return real(text, *args, **kwargs)

    data = snapshot(ROWS_PER_BATCH * 3 + 1)
    text = dumps_tables(data).decode()
    monkeypatch.setattr(snapshot_layout.json, "loads", counting)
    assert loads_tables(text) == data
    assert max(map(len, calls)) < len(text) / 3  # no call read the whole file, nor a third
    assert sum(call.startswith('{"conv_') for call in calls) == 4  # the threads' 4 batches


def test_any_other_layout_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """An older threadtui's snapshot (compact, one line) and a pretty-printed one."""
    data = snapshot(50)
    for text in (dumps(data).decode(), json.dumps(data, indent=2),
                 dumps_tables(data).decode() + "\n"):
        assert loads_tables(text) == data


@pytest.mark.parametrize("seed", range(6))
def test_a_damaged_snapshot_reads_as_json_loads_reads_it(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_layout, "ROWS_PER_BATCH", 3)  # batch edges everywhere
    rng = random.Random(seed)
    base = dumps_tables(snapshot(11, meta={"a": 1, "b": [1, 2]})).decode()
    alphabet = '{}[],:"\n\\ x1-.eE'
    for _ in range(400):
        text = base
        for _ in range(rng.choice((1, 1, 2, 3))):
            text = mutate(text, rng, alphabet)
        same(text)


def mutate(text: str, rng: random.Random, alphabet: str) -> str:
    lines = text.split("\n")
    kind = rng.randrange(9)
    at = rng.randrange(len(text) + 1)
    line = rng.randrange(len(lines))
    if kind == 0 and text:  # a character lost
        return text[:at] + text[at + 1:]
    if kind == 1:  # a character added
        return text[:at] + rng.choice(alphabet) + text[at:]
    if kind == 2 and text:  # a character doubled
        return text[:at] + text[at:at + 1] * 2 + text[at + 1:]
    if kind == 3:  # a line lost
        return "\n".join(lines[:line] + lines[line + 1:])
    if kind == 4:  # a line doubled
        return "\n".join(lines[:line + 1] + lines[line:])
    if kind == 5 and line + 1 < len(lines):  # two lines swapped
        lines[line], lines[line + 1] = lines[line + 1], lines[line]
        return "\n".join(lines)
    if kind == 6 and line + 1 < len(lines):  # two lines joined
        return "\n".join([*lines[:line], lines[line] + lines[line + 1], *lines[line + 2:]])
    if kind == 7:  # a comma gone
        commas = [i for i, ch in enumerate(text) if ch == ","]
        if commas:
            cut = rng.choice(commas)
            return text[:cut] + text[cut + 1:]
    return text[:at]  # cut short


def test_the_record_writes_a_row_to_a_line_and_reads_an_older_compact_one(
    data_dir: Path,
) -> None:
    store = Store.open(data_dir)
    store.import_threads(
        ThreadImport(ThreadRecord(id=f"conv_{n:04d}", title=f"thread {n}", profile="work",
                                  last_active=1_790_000_000.0 - n))
        for n in range(ROWS_PER_BATCH + 5)
    )
    store.close()
    index = data_dir / "index.json"
    text = index.read_text()
    threads = json.loads(text)["threads"]
    assert len(threads) == ROWS_PER_BATCH + 5
    assert sum(line.startswith('"conv_') for line in text.split("\n")) == len(threads)

    index.write_bytes(dumps(json.loads(text)))  # as an older threadtui wrote it: one line
    (data_dir / "index.head").unlink(missing_ok=True)
    reopened = Store.open(data_dir)
    try:
        assert [r.id for r in reopened.list_threads()] == [f"conv_{n:04d}" for n in
                                                         range(ROWS_PER_BATCH + 5)]
    finally:
        reopened.close()
