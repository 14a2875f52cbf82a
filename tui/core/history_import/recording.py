"""Writing imported history into the record: new threads in one write, known ones updated.

Importing the same export twice must not make two copies, and must not undo what the user
did since: a thread already recorded keeps its pin and, when the user renamed it, their title;
its transcript is merged the way a server's is (``merge_turns``): the source's messages in the
source's order, and turns added here since (a continuation) kept after the turn they followed.
A thread whose row and transcript would come out the same is not written at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tui.core.history_import.batch import Progress, no_progress
from tui.core.records import ThreadRecord
from tui.core.store import Store
from tui.core.thread_docs import ThreadImport
from tui.core.transcripts import merge_turns


@dataclass
class HistoryResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (thread id, why)


def record_history(
    store: Store, items: list[ThreadImport], progress: Progress = no_progress
) -> HistoryResult:
    result = HistoryResult()
    fresh = [item for item in items if item.record.id not in store]
    known = [item for item in items if item.record.id in store]
    if fresh:
        written = store.import_threads(fresh)
        result.added += written.added
        result.rejected += written.rejected
    progress(len(fresh), len(items))
    for done, item in enumerate(known, len(fresh) + 1):
        _update(store, item, result)
        progress(done, len(items))
    return result


def _update(store: Store, item: ThreadImport, result: HistoryResult) -> None:
    thread_id = item.record.id
    current = store.get(thread_id)
    if current is None:  # forgotten by another session meanwhile: bring it back
        written = store.import_threads([item])
        result.added += written.added
        result.rejected += written.rejected
        return
    row = _merged_row(current, item.record)
    local = store.transcript(thread_id)
    turns = merge_turns(local, item.turns or [])
    if row == current and turns == local:
        result.unchanged.append(thread_id)
        return
    written = store.import_threads([ThreadImport(row, turns)], replace=True)
    result.updated += written.replaced
    result.rejected += written.rejected


def _merged_row(current: ThreadRecord, imported: ThreadRecord) -> ThreadRecord:
    renamed = current.title != current.server_meta.get("imported_title", current.title)
    return replace(
        imported,
        title=current.title if renamed else imported.title,
        pinned=current.pinned,
        status=current.status,
        profile=current.profile,
        created_at=min(current.created_at, imported.created_at or current.created_at),
        last_active=max(current.last_active, imported.last_active),
        server_meta={**current.server_meta, **imported.server_meta},
    )
