"""What the index file looks like at each schema version, and how to bring an old one forward.

Version history (the number lives in table ``_store``, document ``"1"``, key ``schema_version``):

- **v1**: one TinyDB file, ``index.json``. Table ``threads`` keyed by TinyDB's own counter
  (``"1"``, ``"2"`` …); every document held the thread's fields *and* its whole transcript
  inline under ``turns``. So the sidebar loaded every message ever written, and appending one
  turn rewrote all of them. A file without ``_store`` is a v1 file.
- **v2**: table ``threads`` keyed by the thread id, no transcripts in it; each transcript is its
  own file under ``transcripts/`` (see ``tui.core.store``); a ``meta`` table keyed by name for
  app state (``{"value": …}``).
- **v3**: ``index.json`` is a snapshot and ``index.journal`` holds the changes made since, one
  checksummed line each (``tui.core.storage``); ``_store`` also holds the snapshot's
  ``generation``, which the journal's header names. Transcripts are checksummed JSON lines
  that grow by appending (``tui.core.transcript_files``); a v2 transcript (one JSON document)
  is still read, and rewritten as lines the first time it is written. The index file's data
  is unchanged, so the step only stamps the version: a v2 threadtui, which would not read the
  journal, refuses the record instead of silently missing the changes in it.

``MIGRATIONS[n - 1]`` takes version ``n`` to ``n + 1``. A migration gets the raw data and a
``MigrationIO`` for what lives outside the index file, must be safe to run twice (a kill in the
middle re-runs it from the untouched old file) and returns the new data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from tui.core.records import Dialect, Role, ThreadStatus

CURRENT_VERSION = 3
STORE_TABLE = "_store"
STORE_DOC = "1"
THREADS = "threads"
META = "meta"

_THREAD_STATUSES = {str(status) for status in ThreadStatus}
_DIALECTS = {str(dialect) for dialect in Dialect}
_ROLES = {str(role) for role in Role}
_OPTIONAL_TEXT = ("organization", "project", "key_hint", "base_url", "model", "owner")


class MigrationIO(Protocol):
    def write_transcript(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any]
    ) -> None: ...


Migration = Callable[[dict[str, Any], MigrationIO], dict[str, Any]]


def schema_version(data: dict[str, Any]) -> int:
    """The version a file claims; -1 when the claim itself is malformed."""
    store_table = data.get(STORE_TABLE)
    if store_table is None:
        return 1
    if not isinstance(store_table, dict):
        return -1
    doc = store_table.get(STORE_DOC)
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return -1
    return version


def empty_index() -> dict[str, Any]:
    return {
        STORE_TABLE: {STORE_DOC: {"schema_version": CURRENT_VERSION}},
        THREADS: {},
        META: {},
    }


def _v1_to_v2(data: dict[str, Any], io: MigrationIO) -> dict[str, Any]:
    """Move inline transcripts out to their own files and key the index by thread id."""
    merged: dict[str, dict[str, Any]] = {}
    turns_by_id: dict[str, list[dict[str, Any]]] = {}
    for doc in _v1_documents(data):
        thread_id = doc["id"]
        turns = [turn for turn in doc.pop("turns", None) or [] if isinstance(turn, dict)]
        turns_by_id.setdefault(thread_id, []).extend(turns)
        kept = merged.get(thread_id)
        if kept is None or _number(doc.get("last_active")) >= _number(kept.get("last_active")):
            merged[thread_id] = doc
    for thread_id, doc in merged.items():
        turns = sorted(turns_by_id[thread_id], key=lambda turn: _number(turn.get("at")))
        if turns:
            io.write_transcript(thread_id, turns, doc)
    new = {key: value for key, value in data.items() if key not in (THREADS, STORE_TABLE)}
    new[THREADS] = merged
    new.setdefault(META, {})
    new[STORE_TABLE] = {STORE_DOC: {"schema_version": 2}}
    return new


def _v1_documents(data: dict[str, Any]) -> list[dict[str, Any]]:
    """v1 thread documents with a usable id; duplicates (v1 allowed them) are merged later."""
    table = data.get(THREADS) or {}
    if not isinstance(table, dict):
        return []
    return [
        dict(doc)
        for doc in table.values()
        if isinstance(doc, dict) and isinstance(doc.get("id"), str) and doc["id"]
    ]


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _v2_to_v3(data: dict[str, Any], io: MigrationIO) -> dict[str, Any]:
    """Stamp the version (generation 0: no journal yet); the first write starts the journal."""
    new = dict(data)
    new[STORE_TABLE] = {STORE_DOC: {"schema_version": 3, "generation": 0}}
    new.setdefault(META, {})
    return new


MIGRATIONS: list[Migration] = [_v1_to_v2, _v2_to_v3]


def migrate(data: dict[str, Any], io: MigrationIO) -> tuple[dict[str, Any], int]:
    """Run every migration from the file's version to ``CURRENT_VERSION``; returns (data, from)."""
    start = schema_version(data)
    version = start
    while version < CURRENT_VERSION:
        data = MIGRATIONS[version - 1](data, io)
        version += 1
    return data, start


# -- the shape of a current file ---------------------------------------------------------


_NONE = type(None)
_TEXT, _MAYBE_TEXT, _TIME = (str,), (str, _NONE), (int, float)
# What each known field may hold, checked by exact type: one dict lookup per field keeps the
# check of 10,000 rows at open within a few milliseconds. (bool is not an int here.)
_THREAD_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "id": (_TEXT, "text"),
    "api": (_TEXT, "text"),
    "status": (_TEXT, "text"),
    "profile": (_TEXT, "text"),
    "title": (_TEXT, "text"),
    **{name: (_MAYBE_TEXT, "text") for name in _OPTIONAL_TEXT},
    "created_at": (_TIME, "a time"),
    "last_active": (_TIME, "a time"),
    "pinned": ((bool,), "true/false"),
    "instructions": ((str, type(None)), "text"),
    "server_meta": ((dict,), "an object"),
}


def thread_doc_problem(key: str, doc: Any) -> str | None:
    """Why a document cannot be a ``ThreadRecord`` row (None when it can)."""
    if type(doc) is not dict:
        return "not an object"
    if doc.get("id") != key or not key:
        return "its id does not match its key"
    for name, value in doc.items():
        expected = _THREAD_FIELDS.get(name)
        if expected is not None and type(value) not in expected[0]:
            return f"{name} is not {expected[1]}"
    if doc.get("api", "conversations") not in _DIALECTS:
        return f"unknown api {doc.get('api')!r}"
    if doc.get("status", "ok") not in _THREAD_STATUSES:
        return f"unknown status {doc.get('status')!r}"
    for name in ("created_at", "last_active"):
        if not math.isfinite(doc.get(name, 0.0)):
            return f"{name} is not a time"
    return None


def turn_problem(turn: Any, depth: int = 0) -> str | None:
    """Why a transcript entry cannot be a ``Turn`` (None when it can)."""
    if not isinstance(turn, dict):
        return "not an object"
    if turn.get("role") not in _ROLES:
        return f"unknown role {turn.get('role')!r}"
    if not isinstance(turn.get("text"), str):
        return "text is not text"
    if not _is_time(turn.get("at", 0.0)):
        return "at is not a time"
    for name in ("response_id", "item_id", "error"):
        if not isinstance(turn.get(name), str | None):
            return f"{name} is not text"
    usage = turn.get("usage")
    if usage is not None and not (
        isinstance(usage, dict) and all(_is_count(v) for v in usage.values())
    ):
        return "usage is not a set of counts"
    if not isinstance(turn.get("interrupted", False), bool):
        return "interrupted is not true/false"
    return _alternatives_problem(turn.get("alternatives", []), depth)


MAX_ALTERNATIVE_DEPTH = 32
"""Branches of branches: deep enough for any real history, shallow enough that a hostile
file cannot make the reader recurse until it fails."""


def _alternatives_problem(alternatives: Any, depth: int) -> str | None:
    if not isinstance(alternatives, list) or not all(isinstance(a, list) for a in alternatives):
        return "alternatives is not a list of turn lists"
    if alternatives and depth >= MAX_ALTERNATIVE_DEPTH:
        return f"alternatives are nested more than {MAX_ALTERNATIVE_DEPTH} deep"
    for alternative in alternatives:
        for turn in alternative:
            problem = turn_problem(turn, depth + 1)
            if problem:
                return f"an alternative's {problem}"
    return None


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def check_tables(data: Any) -> str | None:
    """Why a parsed index file is not a TinyDB file of our tables (None when it is)."""
    if not isinstance(data, dict):
        return "the top level is not an object"
    for name, table in data.items():
        if not isinstance(table, dict):
            return f"table {name!r} is not an object"
    return None


def split_valid_threads(
    threads: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Sort rows into (usable, {key: why not}) so one bad row does not cost all the others."""
    good: dict[str, dict[str, Any]] = {}
    bad: dict[str, str] = {}
    for key, doc in threads.items():
        problem = thread_doc_problem(key, doc)
        if problem is None:
            good[key] = doc
        else:
            bad[key] = problem
    return good, bad
