"""The head of the index: its first rows in list order, so the first screen parses no more.

Opening the record parses and checks every row of the snapshot (0.5 s at 100,000 threads),
yet the first screen shows a page of them. So beside the snapshot lies a small derived file::

    index.head   {"format": "threadtui-head", "version": 1, "schema_version": 3,
                  "base": [GENERATION, [SNAPSHOT INODE, MTIME_NS, SIZE], JOURNAL INODE, END],
                  "more": true if the index has rows beyond these, "rows": [ROW, ...],
                  "meta": {KEY: DOC, ...}}

``rows`` are the first ``HEAD_ROWS`` rows of the index in list order (``tui.core.thread_query``:
pinned, newest, id) and ``meta`` the whole meta table (app state: a few small values), as
they were in the snapshot of that generation and signature with its journal applied up to
byte ``END``. It is written when the snapshot is folded (a new generation) and when a store
that changed the record closes (``tui.core.record_index``), never on the ordinary write path.

Reading it (``read_head``) costs a small file and the journal's tail: the lines appended after
``END`` are applied to the rows, which is what the index would hold, except for rows beyond
the head's last one. A row the head lacks is one the snapshot listed after the head's last
row and the journal never touched, so it still sorts after that row: every merged row that
sorts no later than the head's last row is exactly in its place, and those are the first page.

Derived data, never trusted beyond its checks: a head whose base is not the snapshot and
journal on disk (another process folded it, an older threadtui replaced it, a restore), that
does not parse, or that holds a row the index would refuse, is ignored (``None``): the caller
opens the whole index, and the next close writes a new head.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.files import atomic_write, dumps, file_signature, read_from
from tui.core.journal import decode, parse
from tui.core.migrations import CURRENT_VERSION, META, THREADS, thread_doc_problem
from tui.core.storage import JOURNAL_FORMAT, JournalPosition, Tables, apply_lines
from tui.core.thread_query import newest_first, sort_key

HEAD_NAME = "index.head"
HEAD_FORMAT = "threadtui-head"
HEAD_ROWS = 300
"""Rows kept: the sidebar's first page (200) and room for journal changes that move rows of
it down or out (a row moved below the head's last one leaves the exact part)."""
_HEADER_BYTES = 4096  # the journal's header line is far shorter


@dataclass(slots=True)
class Head:
    """What the head says the index begins with, the journal's tail applied."""

    rows: list[dict[str, Any]]
    """The first rows of the index in list order: exactly those rows, exactly in place."""
    complete: bool
    """``rows`` are every row of the index."""
    meta: dict[str, Any] = field(default_factory=dict)


def head_path(data_dir: Path) -> Path:
    return data_dir / HEAD_NAME


def write_head(path: Path, tmp_dir: Path, data: Tables, position: JournalPosition) -> None:
    """Write the head of ``data``, which is the index at ``position`` (atomically: a reader
    sees the old head or the new one)."""
    threads = data.get(THREADS, {})
    order = newest_first(threads)
    doc = {
        "format": HEAD_FORMAT,
        "version": 1,
        "schema_version": CURRENT_VERSION,
        "base": [position.generation, list(position.snapshot), position.journal_inode,
                 position.journal_end],
        "more": len(order) > HEAD_ROWS,
        "rows": [threads[key] for key in order[:HEAD_ROWS]],
        "meta": data.get(META, {}),
    }
    atomic_write(path, dumps(doc), tmp_dir)


def read_head(data_dir: Path, snapshot: Path, journal: Path) -> Head | None:
    """The first rows of the index as it is on disk now, from the head and the journal's
    tail; None when the head is missing, stale or damaged (then only the whole index can
    tell)."""
    try:
        with open(head_path(data_dir), "rb") as handle:
            raw = handle.read()
        doc = _checked(_decode(raw))
        if doc is None:
            return None
        generation, snapshot_sig, inode, end = doc["base"]
        if file_signature(snapshot) != tuple(snapshot_sig):
            return None
        fd = os.open(journal, os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        if os.fstat(fd).st_ino != inode:
            return None
        header = os.pread(fd, _HEADER_BYTES, 0)
        first = header.find(b"\n")
        if first < 0 or first >= end or not _is_journal_of(decode(header[:first]), generation):
            return None
        tail = parse(read_from(fd, end), end)
    finally:
        os.close(fd)
    if tail.damaged:
        return None  # the whole index reads (and reports) it
    return _merged(doc, tail.values)


def written_position(path: Path) -> JournalPosition | None:
    """The position the head on disk was derived from (None: no usable head)."""
    try:
        doc = _checked(_decode(path.read_bytes()))
    except OSError:
        return None
    if doc is None or _rows(doc) is None or not _meta_usable(doc["meta"]):
        return None
    generation, snapshot, inode, end = doc["base"]
    return JournalPosition(generation, (snapshot[0], snapshot[1], snapshot[2]), inode, end)


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _checked(doc: Any) -> dict[str, Any] | None:
    """The head's document when it has the shape this module writes; else None."""
    if not isinstance(doc, dict) or doc.get("format") != HEAD_FORMAT or doc.get("version") != 1:
        return None
    if doc.get("schema_version") != CURRENT_VERSION:
        return None
    base = doc.get("base")
    if not (isinstance(base, list) and len(base) == 4 and isinstance(base[1], list)
            and len(base[1]) == 3 and all(map(_is_int, [base[0], *base[1], *base[2:]]))):
        return None
    if not (isinstance(doc.get("rows"), list) and isinstance(doc.get("meta"), dict)
            and isinstance(doc.get("more"), bool)):
        return None
    return doc


def _rows(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The head's rows by id, when every one is a row the index would take."""
    threads: dict[str, Any] = {}
    for row in doc["rows"]:
        key = row.get("id") if isinstance(row, dict) else None
        if not isinstance(key, str) or key in threads or thread_doc_problem(key, row):
            return None
        threads[key] = row
    return threads


def _merged(doc: dict[str, Any], lines: list[Any]) -> Head | None:
    rows: list[Any] = doc["rows"]
    threads = _rows(doc)
    if threads is None:
        return None
    last = _key(rows[-1]) if rows else None
    data: Tables = {THREADS: threads, META: dict(doc["meta"])}
    apply_lines(data, lines, None)
    threads = data[THREADS]
    for key, row in threads.items():
        if thread_doc_problem(key, row):
            return None
    if not _meta_usable(data[META]):
        return None
    order = [threads[key] for key in newest_first(threads)]
    if doc["more"]:
        if last is None:
            return None
        order = [row for row in order if _key(row) <= last]
    return Head(order, complete=not doc["more"], meta=data[META])


def _meta_usable(meta: dict[str, Any]) -> bool:
    return all(isinstance(doc, dict) and "value" in doc for doc in meta.values())


def _key(row: dict[str, Any]) -> tuple[bool, float, str]:
    return sort_key(bool(row.get("pinned")), row.get("last_active", 0.0), row["id"])


def _is_journal_of(header: Any, generation: int) -> bool:
    return (isinstance(header, dict) and header.get("format") == JOURNAL_FORMAT
            and header.get("generation") == generation)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
