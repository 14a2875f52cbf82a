"""The local trash: a deleted or forgotten thread stays restorable here for 30 days.

The server's copy of a deleted thread cannot come back, and a forgotten id cannot be found
again (the API lists nothing), so ``Store.delete`` moves the row and the transcript here
instead of dropping them. One file per thread, ``trash/<transcript file name>``, holding the
row, the turns, when and why::

    {"format": "threadtui-trash", "version": 1, "thread_id", "reason", "trashed_at",
     "record", "turns"}

Crash safety, with the store's lock held for every change (``tui.core.store``):

- moving in: the trash file is written (``atomic_write``, fsynced) *before* the transcript and
  row are removed, so a kill in between leaves the thread where it was plus an entry;
- restoring: the transcript and row are written first, the trash file removed after;
- an entry whose thread is in the index is therefore a leftover of one of those two kills: it
  is not listed, and ``purge`` removes it. Entries older than ``KEEP_SECONDS`` go too (the
  store purges when it opens).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from tui.core.damage import Damage, ProblemKind
from tui.core.files import CorruptFile, atomic_write, dumps, fsync_dir, parse_json, read_file
from tui.core.migrations import thread_doc_problem, turn_problem
from tui.core.safe_text import printable
from tui.core.transcripts import transcript_file_name

TRASH_DIR = "trash"
KEEP_DAYS = 30
KEEP_SECONDS = KEEP_DAYS * 24 * 3600
FORMAT = "threadtui-trash"
VERSION = 1


class TrashReason(StrEnum):
    """Why a thread left the record."""

    DELETED = "deleted"  # deleted on the server: a restored record is marked gone
    FORGOTTEN = "forgotten"  # forgotten locally only: the server copy (if any) is untouched

    @property
    def words(self) -> str:
        return "deleted on the server" if self is TrashReason.DELETED else "forgotten locally"


@dataclass(frozen=True, slots=True)
class TrashEntry:
    thread_id: str
    reason: TrashReason
    trashed_at: float
    record: dict[str, Any]
    turns: list[dict[str, Any]]

    @property
    def title(self) -> str:
        title = self.record.get("title")
        return title if isinstance(title, str) else ""


class TrashFiles:
    """The trash directory of one record. Callers hold the store's lock for every change."""

    def __init__(self, directory: Path, tmp_dir: Path, damage: Damage) -> None:
        self.directory = directory
        self._tmp_dir = tmp_dir
        self._damage = damage

    def path(self, thread_id: str) -> Path:
        return self.directory / transcript_file_name(thread_id)

    def put(
        self,
        thread_id: str,
        record: dict[str, Any] | None,
        turns: list[dict[str, Any]],
        reason: TrashReason,
        at: float,
    ) -> None:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "thread_id": thread_id,
            "reason": str(reason),
            "trashed_at": at,
            "record": record or {"id": thread_id},
            "turns": turns,
        }
        atomic_write(self.path(thread_id), dumps(doc), self._tmp_dir)

    def get(self, thread_id: str) -> TrashEntry | None:
        return self._read(self.path(thread_id), report=True)

    def remove(self, thread_id: str) -> bool:
        return self._unlink(self.path(thread_id))

    def entries(self) -> list[TrashEntry]:
        """Every readable entry, newest first (unreadable ones are reported and set aside)."""
        found = []
        for path in self._files():
            entry = self._read(path, report=True)
            if entry is not None:
                found.append(entry)
        found.sort(key=lambda e: (-e.trashed_at, e.thread_id))
        return found

    def purge(
        self,
        now: float,
        live: Collection[str],
        *,
        everything: bool = False,
        leftover: Callable[[TrashEntry], None] | None = None,
    ) -> int:
        """Remove entries older than ``KEEP_SECONDS`` (all with ``everything``) and leftovers
        whose thread is in the index (``live``), after handing each leftover to ``leftover``
        (which puts back a transcript an interrupted move took away); the number of threads
        removed for good."""
        removed = 0
        for path in self._files():
            entry = self._read(path, report=True)
            if entry is None:
                continue
            if entry.thread_id in live:
                if leftover is not None:
                    leftover(entry)
                self._unlink(path)
            elif everything or now - entry.trashed_at > KEEP_SECONDS:
                removed += self._unlink(path)
        return removed

    # -- internals -------------------------------------------------------------------------
    def _files(self) -> list[Path]:
        try:
            with os.scandir(self.directory) as entries:
                return [
                    Path(e.path) for e in entries
                    if e.name.endswith(".json") and not e.name.startswith(".")
                    and e.is_file(follow_symlinks=False)
                ]
        except FileNotFoundError:
            return []

    def _unlink(self, path: Path) -> bool:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        with contextlib.suppress(OSError):
            fsync_dir(self.directory)
        return True

    def _read(self, path: Path, *, report: bool) -> TrashEntry | None:
        loaded = read_file(path)
        if loaded is None:
            return None
        try:
            return _entry(path, parse_json(path, loaded[0]))
        except CorruptFile as exc:
            if report:
                aside = self._damage.move_aside(path)
                self._damage.report(
                    ProblemKind.CORRUPT_TRANSCRIPT,
                    f"The trash entry {path} could not be read ({exc.reason}). "
                    f"It was moved to {aside}.",
                    aside,
                )
            return None


def _entry(path: Path, data: Any) -> TrashEntry:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CorruptFile(path, "not a threadtui trash entry")
    if data.get("version") != VERSION:
        raise CorruptFile(path, f"trash entry version {data.get('version')!r} is not {VERSION}")
    thread_id = data.get("thread_id")
    record = data.get("record")
    turns = data.get("turns")
    at = data.get("trashed_at")
    if not isinstance(thread_id, str) or not isinstance(record, dict):
        raise CorruptFile(path, "its thread id or record is missing")
    if not isinstance(turns, list) or isinstance(at, bool) or not isinstance(at, int | float):
        raise CorruptFile(path, "its turns or time are missing")
    try:
        reason = TrashReason(str(data.get("reason")))
    except ValueError:
        raise CorruptFile(path, f"unknown reason {printable(str(data.get('reason')))}") from None
    good_turns = [t for t in turns if turn_problem(t) is None]
    return TrashEntry(thread_id, reason, float(at), record, good_turns)


def restorable_row(entry: TrashEntry, stub: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """The row to put back: the stored one, or ``stub(id)`` when it no longer checks out."""
    row = dict(entry.record)
    row["id"] = entry.thread_id
    if thread_doc_problem(entry.thread_id, row) is not None:
        return stub(entry.thread_id)
    return row
