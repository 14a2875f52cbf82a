"""The index snapshot's text: one row to a line, so that it can be read a batch at a time.

``json.loads`` of the whole snapshot is one call that holds the GIL throughout: at 100,000
threads, 250-300 ms in which the app's event loop cannot run (after the first paint, and
whenever another session folds the journal and this one reads the snapshot again), so keys
typed then wait. Parsing each row on its own would free the GIL between rows, but the
decoder shares a key's string only within one call, and 100,000 copies of every field name
cost more memory than the list itself.

So the snapshot puts each table's rows on lines of their own, and the reader parses them
``ROWS_PER_BATCH`` at a time, each batch one ``json.loads``: the GIL is free between batches
and the field names are shared within each::

    {"_store":{
    "1":{"schema_version":3,"generation":7}
    },"threads":{
    "conv_a":{...},
    "conv_b":{...}
    },"meta":{
    }}

It is still one JSON document, whitespace aside the same as ``files.dumps`` writes: an older
threadtui reads it as it always did. JSON strings never hold a raw newline (``dumps``
escapes it), so a line is a row or a table's edge. Text laid out any other way (an older
threadtui's snapshot, a file edited by hand) is parsed whole by ``json.loads``, and so is
text whose batches do not parse: what this reader returns or raises is always what
``json.loads`` of the whole text would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tui.core.files import encode_compact

ROWS_PER_BATCH = 1_000
"""Rows per ``json.loads`` call: about 2.5 ms each at 430 bytes a row."""

_TABLE_START = re.compile(r'(?:\{|\},)("(?:[^"\\]|\\.)*"):\{')
"""A line that opens a table: ``{"threads":{``, or ``},"meta":{`` after the one before."""

_END = "}}"


def dumps_tables(data: Mapping[str, Mapping[str, Any]]) -> bytes:
    """The snapshot's bytes: ``files.encode_compact`` JSON, a row to a line."""
    if not data:
        return b"{}"
    lines: list[str] = []
    for number, (table, rows) in enumerate(data.items()):
        lines.append(("{" if number == 0 else "},") + encode_compact(table) + ":{")
        lines.append(",\n".join(
            encode_compact(key) + ":" + encode_compact(row) for key, row in rows.items()
        ))
    lines.append(_END)
    return "\n".join(line for line in lines if line).encode("ascii")


def loads_tables(text: str) -> Any:
    """What ``json.loads(text)`` returns (or raises), reading a snapshot laid out by
    ``dumps_tables`` a batch of rows at a time."""
    tables = _tables_by_lines(text)
    if tables is None:
        return json.loads(text)
    data: dict[str, Any] = {}
    try:
        for name, rows in tables:
            table: dict[str, Any] = {}
            for start in range(0, len(rows), ROWS_PER_BATCH):
                batch = "".join(rows[start:start + ROWS_PER_BATCH])
                table.update(json.loads("{" + batch.removesuffix(",") + "}"))
            data[json.loads(name)] = table
    except (ValueError, RecursionError):  # not the layout after all: the whole text says
        return json.loads(text)
    return data


def _tables_by_lines(text: str) -> list[tuple[str, list[str]]] | None:
    """Each table's quoted name and row lines, when ``text`` is laid out as ``dumps_tables``
    lays it out (commas included: between rows, never after a table's last); else None."""
    lines = text.split("\n")
    if len(lines) < 2 or lines[-1] != _END:
        return None
    tables: list[tuple[str, list[str]]] = []
    for index, line in enumerate(lines[:-1]):
        start = _TABLE_START.fullmatch(line)
        if start is not None and (line[0] == "{") == (index == 0):
            tables.append((start.group(1), []))
        elif not tables or not line:
            return None
        else:
            tables[-1][1].append(line)
    for _name, rows in tables:
        if rows and (rows[-1].endswith(",") or not all(row.endswith(",") for row in rows[:-1])):
            return None
    return tables

