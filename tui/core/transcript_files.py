"""Transcripts on disk: one file per thread in ``transcripts/``, written atomically.

Each file also carries a copy of its index row as of its last write (``tui.core.transcripts``
holds the format), so that when the index is lost the threads can be rebuilt from here
(``rows``). A damaged file is reported once and set aside; the thread's other data is intact.
Callers hold the store's lock for everything but ``contains``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.core.damage import Damage, ProblemKind
from tui.core.files import CorruptFile, atomic_write, dumps, fsync_dir, parse_json, read_file
from tui.core.migrations import turn_problem
from tui.core.safe_text import printable
from tui.core.search_index import SearchIndex
from tui.core.transcripts import (
    row_from_transcript_file,
    transcript_document,
    transcript_file_name,
    transcript_turns,
)
from tui.core.wording import agree, plural

RowLookup = Callable[[str], "dict[str, Any] | None"]


class TranscriptFiles:
    """The transcript files of one record. ``written`` tells the store's transaction that a
    file changed (it resets the flag when a transaction starts)."""

    def __init__(self, directory: Path, tmp_dir: Path, damage: Damage, row_of: RowLookup):
        self.directory = directory
        self._tmp_dir = tmp_dir
        self._damage = damage
        self._row_of = row_of
        self.written = False
        self.search: SearchIndex | None = None  # told of every write (tui.core.search_index)

    def path(self, thread_id: str) -> Path:
        return self.directory / transcript_file_name(thread_id)

    def load(self, thread_id: str) -> list[dict[str, Any]]:
        """The stored turns (raw); a damaged file is reported and set aside, once."""
        path = self.path(thread_id)
        loaded = read_file(path)
        if loaded is None:
            return []
        try:
            turns = transcript_turns(path, thread_id, parse_json(path, loaded[0]))
        except CorruptFile as exc:
            aside = self._damage.move_aside(path)
            self._damage.report(
                ProblemKind.CORRUPT_TRANSCRIPT,
                f"The transcript of {printable(thread_id)} ({path}) could not be read "
                f"({exc.reason}). It was moved to {aside}; the thread's other data is intact.",
                aside,
            )
            return []
        good = [turn for turn in turns if turn_problem(turn) is None]
        if len(good) != len(turns):
            kept = self._damage.copy_aside(path, "corrupt")
            self._damage.report(
                ProblemKind.DAMAGED_TRANSCRIPT,
                f"{plural(len(turns) - len(good), 'unusable message')} in the transcript of "
                f"{printable(thread_id)} {agree(len(turns) - len(good), 'was', 'were')} left "
                f"out; the file as it was is kept at {kept}.",
                kept,
            )
            if not self._damage.read_only:
                self.write(thread_id, good, self._row_of(thread_id))
        return good

    def write(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any] | None
    ) -> None:
        payload = dumps(transcript_document(thread_id, turns, record))
        with self._noting(thread_id, turns):
            atomic_write(self.path(thread_id), payload, self._tmp_dir)
        self.written = True

    def write_transcript(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any]
    ) -> None:
        """``MigrationIO``: migrations hand over transcripts they take out of the index."""
        self.write(thread_id, turns, record)

    def remove(self, thread_id: str) -> bool:
        try:
            with self._noting(thread_id, None):
                os.unlink(self.path(thread_id))
        except FileNotFoundError:
            return False
        fsync_dir(self.directory)
        self.written = True
        return True

    def _noting(
        self, thread_id: str, turns: list[dict[str, Any]] | None
    ) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext() if self.search is None else self.search.noting(
            thread_id, turns)

    def rows(self) -> dict[str, dict[str, Any]]:
        """The index rows kept in the transcript files: what rebuilds a lost index."""
        rows: dict[str, dict[str, Any]] = {}
        for entry in os.scandir(self.directory):
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                row = row_from_transcript_file(Path(entry.path))
                if row is not None:
                    rows[row["id"]] = row
        return rows

    def contains(self, thread_id: str, needle: str) -> bool:
        """Whether a turn's text contains ``needle`` (casefolded). Lock-free and report-free:
        a search must not stall writers or move files."""
        loaded = read_file(self.path(thread_id))
        if loaded is None:
            return False
        try:
            data = parse_json(self.path(thread_id), loaded[0])
        except CorruptFile:
            return False
        turns = data.get("turns") if isinstance(data, dict) else None
        return any(
            isinstance(turn, dict)
            and isinstance(turn.get("text"), str)
            and needle in turn["text"].casefold()
            for turn in turns or []
        )
