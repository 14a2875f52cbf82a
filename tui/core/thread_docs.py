"""Index rows in and out, and threads to import: checked before anything is written.

A stored document is never shared with a caller (records are built from copies), and one that
cannot be stored is refused before the transaction that would write it, so that one bad thread
cannot fail a batch halfway (with some transcripts written and the index not).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.core.files import dumps
from tui.core.migrations import thread_doc_problem, turn_problem
from tui.core.records import ThreadRecord, Turn
from tui.core.safe_text import UNSAFE, printable
from tui.core.transcripts import MAX_ID_LENGTH


@dataclass(slots=True)
class ThreadImport:
    """One thread to bring in; ``turns`` None means "no transcript given" (keep any there is)."""

    record: ThreadRecord
    turns: list[Turn] | None = None


@dataclass(slots=True)
class ImportResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (thread id, why)


PreparedImport = tuple[str, dict[str, Any], list[dict[str, Any]] | None]
"""(thread id, checked row, checked turns or None)."""


def to_record(doc: dict[str, Any]) -> ThreadRecord:
    if doc.get("server_meta"):
        doc = {**doc, "server_meta": copy.deepcopy(doc["server_meta"])}
    return ThreadRecord.from_dict(doc)


def to_doc(record: ThreadRecord) -> dict[str, Any]:
    """A fresh, checked document: the stored dict must never be shared with a caller."""
    doc = record.to_dict()
    doc["server_meta"] = copy.deepcopy(doc["server_meta"])
    problem = thread_doc_problem(record.id, doc) or id_problem(record.id)
    if problem:
        raise ValueError(f"thread {printable(record.id)} cannot be stored: {problem}")
    dumps(doc)
    return doc


def prepare_imports(items: Iterable[ThreadImport], result: ImportResult) -> list[PreparedImport]:
    """Check every thread before the transaction; the ones that fail go to ``rejected``."""
    prepared = []
    for item in items:
        try:
            prepared.append((item.record.id, to_doc(item.record), turn_docs(item.turns)))
        except (ValueError, TypeError) as exc:
            result.rejected.append((item.record.id, str(exc)))
    return prepared


def turn_docs(turns: list[Turn] | None) -> list[dict[str, Any]] | None:
    if turns is None:
        return None
    docs = [turn.to_dict() for turn in turns]
    for number, doc in enumerate(docs, 1):
        problem = turn_problem(doc)
        if problem:
            raise ValueError(f"message {number}: {problem}")
    dumps(docs)  # refuses NaN and anything else JSON cannot hold
    return docs


def id_problem(thread_id: str) -> str | None:
    if len(thread_id) > MAX_ID_LENGTH:
        return f"its id is longer than {MAX_ID_LENGTH} characters"
    if UNSAFE.search(thread_id) or thread_id != thread_id.strip():
        return "its id contains control characters or surrounding spaces"
    return None
