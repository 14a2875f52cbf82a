"""Transcripts on disk: one file per thread in ``transcripts/``, grown by appending.

A file is checksummed JSON lines (``tui.core.journal``)::

    {"format": "threadtui-transcript", "version": 2, "thread_id": ID, "file": RANDOM}
                               the header (``file`` tells this version of the file from a
                               later rewrite that happens to get the same inode)
    {"record": ROW}            a copy of the thread's index row (the last one counts)
    {"turn": TURN}             a turn, appended
    {"turn": TURN, "replaces": N}   a turn that takes the place of turn N (a checkpoint's
                                    final text, a retried write): never a second copy

A new turn costs one appended line and one fsync, whatever the thread already holds. The file
is rewritten whole (atomically) when it is first written, when it was in the old format (one
JSON document ``{"format", "version": 1, "thread_id", "record", "turns"}``, still read), when
the turns were replaced or merged as a whole, and when superseded lines outnumber the live
ones. ``thread_id`` lets a file be checked against the thread asking for it (and found again
without the index); the ``record`` copy lets a lost index be rebuilt from the transcripts
(``rows``), its ``last_active`` brought up to the newest turn. A torn last line (a kill in the
middle of an append) was never acknowledged and is dropped; a damaged line is reported once,
the file kept aside, and the rest rewritten.

The parsed turns of recently used threads are kept in memory with the size they were read
at, so an append reads nothing but a ``stat`` (and, after another process's append, the new
lines). Callers hold the store's lock for everything but ``contains``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.damage import Damage, ProblemKind
from tui.core.files import (
    CorruptFile,
    append_durably,
    atomic_write,
    fsync_dir,
    open_appendable,
    parse_json,
    read_file,
)
from tui.core.journal import decode, encode, looks_like_lines, parse
from tui.core.migrations import thread_doc_problem, turn_problem
from tui.core.safe_text import printable
from tui.core.search_index import SearchIndex
from tui.core.thread_query import normalise
from tui.core.transcripts import (
    TRANSCRIPT_FORMAT,
    row_from_transcript,
    transcript_file_name,
    transcript_turns,
)
from tui.core.wording import agree, plural

RowLookup = Callable[[str], "dict[str, Any] | None"]
LINES_VERSION = 2
_CACHED_THREADS = 16


@dataclass(slots=True)
class Transcript:
    """A transcript as read from one version of its file."""

    thread_id: str
    turns: list[dict[str, Any]] = field(default_factory=list)
    record: dict[str, Any] | None = None
    lines: bool = True  # in the line format (False: an old whole-JSON file)
    inode: int = -1
    mtime: int = -1  # st_mtime_ns when last read or written by us
    header: bytes = b""  # the header line, which names this version of the file
    end: int = 0  # just past the last intact line
    turn_lines: int = 0  # turn lines in the file, superseded ones included
    damaged: int = 0  # lines (or turns) that could not be used
    items: dict[str, int] = field(default_factory=dict)  # item_id -> position

    def apply(self, value: Any) -> None:
        """Take one line in; a line that does not fit is counted as damaged."""
        if not isinstance(value, dict):
            self.damaged += 1
            return
        if "record" in value:
            self.record = value["record"] if isinstance(value["record"], dict) else self.record
            return
        turn, position = value.get("turn"), value.get("replaces")
        if turn_problem(turn) is not None or not (
            position is None
            or (type(position) is int and 0 <= position < len(self.turns))
        ):
            self.damaged += 1
            return
        assert isinstance(turn, dict)
        self.turn_lines += 1
        self.put(turn, position)

    def put(self, turn: dict[str, Any], position: int | None) -> None:
        if position is None:
            position = len(self.turns)
            self.turns.append(turn)
        else:
            old = self.turns[position].get("item_id")
            if old and self.items.get(old) == position:
                del self.items[old]
            self.turns[position] = turn
        item = turn.get("item_id")
        if item:
            self.items[item] = position


class TranscriptFiles:
    """The transcript files of one record. ``written`` tells the store's transaction that a
    file changed (it resets the flag when a transaction starts)."""

    def __init__(self, directory: Path, tmp_dir: Path, damage: Damage, row_of: RowLookup):
        self.directory = directory
        self._tmp_dir = tmp_dir
        self._damage = damage
        self._row_of = row_of
        self._cache: OrderedDict[str, Transcript] = OrderedDict()
        self.written = False
        self.search: SearchIndex | None = None  # told of every write (tui.core.search_index)

    def path(self, thread_id: str) -> Path:
        return self.directory / transcript_file_name(thread_id)

    # -- reading ---------------------------------------------------------------------------
    def load(self, thread_id: str) -> list[dict[str, Any]]:
        """The stored turns (raw, a list the caller may change); a damaged file is reported
        and set aside, once."""
        return list(self.current(thread_id).turns)

    def current(self, thread_id: str) -> Transcript:
        """The transcript as the file holds it now (the cached copy: do not change it)."""
        path = self.path(thread_id)
        cached = self._cache.get(thread_id)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            self._cache.pop(thread_id, None)
            return Transcript(thread_id)
        if cached is not None and cached.inode == stat.st_ino:
            if (stat.st_size, stat.st_mtime_ns) == (cached.end, cached.mtime):
                self._cache.move_to_end(thread_id)
                return cached
            if stat.st_size >= cached.end and self._read_tail(path, cached):
                self._cache.move_to_end(thread_id)
                return cached
        found = self._read(path, thread_id)
        if found.damaged:
            self._repair(path, found)
        self._remember(found)
        return found

    def position_of_item(self, thread_id: str, item_id: str | None) -> int | None:
        """Where the turn with ``item_id`` is (None: no id, or not there)."""
        return self.current(thread_id).items.get(item_id) if item_id else None

    def _read(self, path: Path, thread_id: str) -> Transcript:
        loaded = read_file(path)
        if loaded is None:
            return Transcript(thread_id)
        raw, sig = loaded
        try:
            found = _parse_file(path, thread_id, raw)
        except CorruptFile as exc:
            aside = self._damage.move_aside(path)
            self._damage.report(
                ProblemKind.CORRUPT_TRANSCRIPT,
                f"The transcript of {printable(thread_id)} ({path}) could not be read "
                f"({exc.reason}). It was moved to {aside}; the thread's other data is intact.",
                aside,
            )
            return Transcript(thread_id)
        found.inode, found.mtime = sig[0], sig[1]
        return found

    def _read_tail(self, path: Path, cached: Transcript) -> bool:
        """Take in the complete lines appended since we read (another process's turns).
        False when the file is not the one we read (replaced: its header's random ``file``
        differs) or the new lines do not fit: then it is read whole."""
        try:
            with open(path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                if stat.st_ino != cached.inode or handle.read(len(cached.header)) != cached.header:
                    return False
                handle.seek(cached.end)
                raw = handle.read()
        except FileNotFoundError:
            return False
        found = parse(raw, cached.end)
        damaged = cached.damaged
        for value in found.values:
            cached.apply(value)
        if found.damaged or cached.damaged != damaged:
            return False
        cached.end, cached.mtime = found.end, stat.st_mtime_ns
        return True

    def _repair(self, path: Path, found: Transcript) -> None:
        kept = self._damage.copy_aside(path, "corrupt")
        self._damage.report(
            ProblemKind.DAMAGED_TRANSCRIPT,
            f"{plural(found.damaged, 'unusable message')} in the transcript of "
            f"{printable(found.thread_id)} {agree(found.damaged, 'was', 'were')} left "
            f"out; the file as it was is kept at {kept}.",
            kept,
        )
        found.damaged = 0
        if not self._damage.read_only:
            self.write(found.thread_id, found.turns, self._row_of(found.thread_id))

    def _remember(self, found: Transcript) -> None:
        if not found.lines or found.inode < 0:
            return
        self._cache[found.thread_id] = found
        self._cache.move_to_end(found.thread_id)
        while len(self._cache) > _CACHED_THREADS:
            self._cache.popitem(last=False)

    # -- writing ---------------------------------------------------------------------------
    def put_turn(
        self,
        thread_id: str,
        turn: dict[str, Any],
        position: int | None,
        record: dict[str, Any] | None,
    ) -> None:
        """Store ``turn`` at the end, or in place of turn ``position``: one appended line
        (and a ``record`` line when the row changed in more than its ``last_active``)."""
        state = self.current(thread_id)
        superseded = state.turn_lines - len(state.turns)
        if not state.lines or state.inode < 0 or superseded > max(32, len(state.turns)):
            turns = list(state.turns)
            if position is None:
                turns.append(turn)
            else:
                turns[position] = turn
            self.write(thread_id, turns, record)
            return
        value: dict[str, Any] = {"turn": turn}
        if position is not None:
            value["replaces"] = position
        payload = encode(value)
        if record is not None and not _same_row(record, state.record):
            payload = encode({"record": record}) + payload
        path = self.path(thread_id)
        at = len(state.turns) if position is None else position
        with self._noting(thread_id, lambda: state.turns, at):
            fd = open_appendable(path)
            try:
                if os.fstat(fd).st_ino != state.inode:
                    raise RuntimeError(f"{path} was replaced without the lock")
                state.end = append_durably(fd, payload, state.end, sync=True, name=path)
                state.mtime = os.fstat(fd).st_mtime_ns
            finally:
                os.close(fd)
            if record is not None and not _same_row(record, state.record):
                state.record = record
            state.turn_lines += 1
            state.put(turn, position)
        self.written = True

    def write(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any] | None
    ) -> None:
        """Replace the whole transcript (atomically), in the line format."""
        header = encode({
            "format": TRANSCRIPT_FORMAT, "version": LINES_VERSION, "thread_id": thread_id,
            "file": secrets.token_hex(8),
        })
        lines = [header]
        if record is not None:
            lines.append(encode({"record": record}))
        lines.extend(encode({"turn": turn}) for turn in turns)
        payload = b"".join(lines)
        path = self.path(thread_id)
        self._cache.pop(thread_id, None)
        with self._noting(thread_id, lambda: turns, 0):
            sig = atomic_write(path, payload, self._tmp_dir)
        self.written = True
        state = Transcript(
            thread_id, record=record, inode=sig[0], mtime=sig[1], header=header, end=len(payload)
        )
        for turn in turns:
            state.turn_lines += 1
            state.put(turn, None)
        self._remember(state)

    def write_transcript(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any]
    ) -> None:
        """``MigrationIO``: migrations hand over transcripts they take out of the index."""
        self.write(thread_id, turns, record)

    def remove(self, thread_id: str) -> bool:
        self._cache.pop(thread_id, None)
        try:
            with self._noting(thread_id, None, 0):
                os.unlink(self.path(thread_id))
        except FileNotFoundError:
            return False
        fsync_dir(self.directory)
        self.written = True
        return True

    def _noting(
        self, thread_id: str, turns: Callable[[], Sequence[dict[str, Any]]] | None, first: int
    ) -> contextlib.AbstractContextManager[None]:
        """The search index's hook around a write (``turns``: the turns once written, all
        unchanged before ``first``) or a removal (None)."""
        if self.search is None:
            return contextlib.nullcontext()
        return self.search.noting(thread_id, turns, first)

    # -- without the index ----------------------------------------------------------------
    def rows(self) -> dict[str, dict[str, Any]]:
        """The index rows kept in the transcript files: what rebuilds a lost index."""
        rows: dict[str, dict[str, Any]] = {}
        for entry in os.scandir(self.directory):
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                row = _row_from_file(Path(entry.path))
                if row is not None:
                    rows[row["id"]] = row
        return rows

    def contains(self, thread_id: str, needles: Sequence[str]) -> bool:
        """Whether every one of ``needles`` (normalised: ``thread_query.normalise``) is in
        some turn's text. Lock-free and report-free: a search must not stall writers or move
        files; it reads each line's text and nothing else (no checks of the other fields: a
        search only looks)."""
        path = self.path(thread_id)
        loaded = read_file(path)
        if loaded is None:
            return False
        raw = loaded[0]
        texts: list[str] = []
        if not looks_like_lines(raw):
            try:
                texts = [t["text"] for t in _parse_file(path, thread_id, raw).turns]
            except CorruptFile:
                return False
            return _holds_all(texts, needles)
        for line in raw.split(b"\n")[1:]:
            value = decode(line)
            turn = value.get("turn") if isinstance(value, dict) else None
            text = turn.get("text") if isinstance(turn, dict) else None
            if not isinstance(text, str):
                continue
            position = value.get("replaces")
            if type(position) is int and 0 <= position < len(texts):
                texts[position] = text
            else:
                texts.append(text)
        return _holds_all(texts, needles)


def _holds_all(texts: Sequence[str], needles: Sequence[str]) -> bool:
    """Whether every needle is in some text; texts are folded one by one, and the reading
    stops once all are found."""
    left = set(needles)
    for text in texts:
        folded = normalise(text)
        left = {needle for needle in left if needle not in folded}
        if not left:
            return True
    return not left


def _parse_file(path: Path, thread_id: str, raw: bytes) -> Transcript:
    """A transcript file of either format; CorruptFile when it is not one of this thread."""
    if not looks_like_lines(raw):
        data = parse_json(path, raw)
        turns = transcript_turns(path, thread_id, data)
        found = Transcript(thread_id, lines=False, end=len(raw))
        found.record = data.get("record") if isinstance(data.get("record"), dict) else None
        for turn in turns:
            if turn_problem(turn) is None:
                found.put(turn, None)
            else:
                found.damaged += 1
        return found
    lines = parse(raw)
    header = lines.values[0] if lines.values else None
    if not isinstance(header, dict) or header.get("format") != TRANSCRIPT_FORMAT:
        raise CorruptFile(path, "not a threadtui transcript")
    if header.get("thread_id") != thread_id:
        raise CorruptFile(path, f"it belongs to another thread ({header.get('thread_id')!r})")
    found = Transcript(thread_id, end=lines.end, damaged=lines.damaged)
    found.header = raw[: raw.find(b"\n") + 1]
    for value in lines.values[1:]:
        found.apply(value)
    return found


def _row_from_file(path: Path) -> dict[str, Any] | None:
    """An index row for a transcript found without one: its stored copy, else a stub."""
    loaded = read_file(path)
    if loaded is None:
        return None
    raw = loaded[0]
    try:
        if looks_like_lines(raw):
            values = parse(raw[: raw.find(b"\n") + 1]).values
            header = values[0] if values and isinstance(values[0], dict) else {}
            thread_id = header.get("thread_id")
        else:
            data = parse_json(path, raw)
            thread_id = data.get("thread_id") if isinstance(data, dict) else None
        if not isinstance(thread_id, str) or transcript_file_name(thread_id) != path.name:
            return None
        found = _parse_file(path, thread_id, raw)
    except CorruptFile:
        return None
    record = found.record
    if record is not None and thread_doc_problem(thread_id, record) is not None:
        record = None
    return row_from_transcript(thread_id, record, found.turns)


def _same_row(new: dict[str, Any], old: dict[str, Any] | None) -> bool:
    """Equal but for ``last_active``, which the turns carry (``rows`` folds it back in)."""
    if old is None or len(new) != len(old):
        return False
    return all(k == "last_active" or old.get(k, new) == v for k, v in new.items())
