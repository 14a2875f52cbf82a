"""The local record: every thread the user made, kept safe across kills and shared by processes.

The API cannot list threads, so this record is the only place a thread id survives. Hence:

- nothing acknowledged is lost: a call returns only after its data is fsynced and renamed into
  place (see ``tui.core.storage``); a SIGKILL at any moment leaves the old state or the new;
- two processes (two SSH sessions) never lose each other's updates: every change is a
  read-modify-write under one ``flock``, after re-reading what another process wrote;
- the sidebar stays fast at 10,000 threads: the index holds rows only; each transcript is its
  own small file, so listing never reads a transcript and appending a turn costs the same
  whatever the other threads hold;
- damage is reported, never silently dropped: an unreadable file is moved aside, a fresh one is
  started, and a ``StoreProblem`` names where the old one went.

On disk, in the data directory (created 0700, files 0600)::

    index.json            TinyDB file: tables threads (keyed by thread id), meta, _store
    index.lock            flock target and change counters; never replaced
    transcripts/<id>.json one per thread: {"format", "version", "thread_id", "record", "turns"}
    .tmp/                 temporary files of writes in progress (swept when opening)

Each transcript file also carries a copy of its index row as of its last write, so that when
the index is lost the threads can be rebuilt from their transcripts.

Reads are served from a snapshot in memory; ``changed_on_disk()`` (one stat and one 64-byte
read) tells an app that another process wrote, and ``reload()`` takes it in. Writes always see
the latest data, because they re-read under the lock when the file changed.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Table

from tui.core.files import (
    CorruptFile,
    atomic_write,
    dumps,
    ensure_private_dir,
    fsync_dir,
    parse_json,
    read_file,
)
from tui.core.locks import InterProcessLock, ReplyMarks
from tui.core.migrations import (
    CURRENT_VERSION,
    META,
    THREADS,
    check_tables,
    empty_index,
    migrate,
    schema_version,
    split_valid_threads,
    thread_doc_problem,
    turn_problem,
)
from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn
from tui.core.safe_text import UNSAFE, printable
from tui.core.storage import AtomicJSONStorage
from tui.core.thread_query import doc_haystack, matches, newest_first, query_words
from tui.core.transcripts import (
    MAX_ID_LENGTH,
    dialect_for_id,
    merge_turns,
    row_from_transcript_file,
    transcript_document,
    transcript_file_name,
    transcript_turns,
)

__all__ = [
    "ImportResult",
    "ProblemKind",
    "Store",
    "StoreError",
    "StoreProblem",
    "StoreTooNew",
    "ThreadImport",
    "UnknownThread",
    "dialect_for_id",
    "merge_turns",
    "transcript_file_name",
]

INDEX_NAME = "index.json"
LOCK_NAME = "index.lock"
TRANSCRIPTS_DIR = "transcripts"
TMP_DIR = ".tmp"
REPLIES_DIR = "replies"
NO_REPLY = "threadtui stopped before the reply arrived; nothing of it was kept"
"""The error of the turn put after a question whose reply was lost with its process."""
_KEEP_STATUS = frozenset({ThreadStatus.GONE, ThreadStatus.FOREIGN})
_RECORD_FIELDS = {f.name for f in fields(ThreadRecord)}


class ProblemKind(StrEnum):
    CORRUPT_INDEX = "corrupt-index"
    DAMAGED_INDEX = "damaged-index"
    REBUILT_INDEX = "rebuilt-index"
    CORRUPT_TRANSCRIPT = "corrupt-transcript"
    DAMAGED_TRANSCRIPT = "damaged-transcript"
    UPGRADED = "upgraded"
    UNANSWERED = "unanswered"


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """Something the user must hear about; ``path`` is where the original file now is."""

    kind: ProblemKind
    message: str
    path: Path | None = None

    def __str__(self) -> str:
        return self.message


class StoreError(Exception):
    """The record cannot do what was asked; the message is meant for the user."""


class StoreTooNew(StoreError):
    """The file was written by a newer threadtui; writing it with this one could lose data."""


class UnknownThread(StoreError, LookupError):
    def __init__(self, thread_id: str) -> None:
        super().__init__(f"no thread {thread_id!r} in the local record")
        self.thread_id = thread_id


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


class _KeyedTable(Table):
    """A TinyDB table keyed by our own ids (thread id, meta key) instead of TinyDB's counter.

    Changes replace whole documents, never edit one in place: the storage caches each
    document's JSON by identity, and the query cache is off because another process can change
    the data under it.
    """

    document_id_class = str  # type: ignore[assignment]
    default_query_cache_capacity = 0

    def _update_table(self, updater: Callable[[dict[Any, Any]], None]) -> None:
        """TinyDB's version, without converting every key to ``document_id_class`` and back:
        our keys are already strings, and the two passes cost 5 ms a write at 10,000 rows.

        The updater works on a copy, so one that fails halfway leaves the snapshot whole.
        """
        tables = self._storage.read() or {}
        table = dict(tables.get(self.name, {}))
        updater(table)
        tables[self.name] = table
        self._storage.write(tables)
        self.clear_cache()

    def put_many(self, docs: Mapping[str, dict[str, Any]]) -> None:
        def updater(table: dict[Any, Any]) -> None:
            table.update(docs)

        if docs:
            self._update_table(updater)

    def delete_many(self, keys: Collection[str]) -> None:
        def updater(table: dict[Any, Any]) -> None:
            for key in keys:
                table.pop(key, None)

        if keys:
            self._update_table(updater)


class _RecordDB(TinyDB):
    table_class = _KeyedTable


class Store:
    """The record in one data directory. Open with ``Store.open(data_dir)``; close when done."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.index_path = data_dir / INDEX_NAME
        self.transcripts_dir = data_dir / TRANSCRIPTS_DIR
        self._tmp_dir = data_dir / TMP_DIR
        replies_dir = data_dir / REPLIES_DIR
        for directory in (data_dir, self.transcripts_dir, self._tmp_dir, replies_dir):
            ensure_private_dir(directory)
        self._replies = ReplyMarks(replies_dir)
        self.problems: list[StoreProblem] = []
        self._reported = 0
        self._lock = InterProcessLock(data_dir / LOCK_NAME)
        self._storage = AtomicJSONStorage(self.index_path, self._lock, self._tmp_dir)
        self._db = _RecordDB(storage=lambda: self._storage)
        self._files_written = False
        self._seen_commits = 0
        self._order: tuple[int, list[str]] = (-1, [])
        self._haystacks: dict[str, tuple[dict[str, Any], str]] = {}

    # -- opening and closing ---------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: Path | str) -> Store:
        """Open (creating, upgrading or repairing) the record; read ``problems`` afterwards.

        Raises ``StoreTooNew`` for a record written by a newer threadtui, ``OSError`` when the
        directory cannot be used.
        """
        store = cls(Path(data_dir))
        try:
            with store._transaction():
                store._sweep_tmp()
            store._seen_commits = store._lock.counters()[0]
            store.recover_unanswered()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self._lock.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_problems(self) -> list[StoreProblem]:
        """Problems not handed out before: for a caller that reports after every operation."""
        new = self.problems[self._reported :]
        self._reported = len(self.problems)
        return new

    # -- reading the index -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._threads_data())

    def __contains__(self, thread_id: object) -> bool:
        return thread_id in self._threads_data()

    def get(self, thread_id: str) -> ThreadRecord | None:
        doc = self._threads_data().get(thread_id)
        return None if doc is None else _to_record(doc)

    def list_threads(
        self,
        *,
        profile: str | None = None,
        owner: str | None = None,
        text: str | None = None,
        full_text: bool = False,
        statuses: Collection[ThreadStatus] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[ThreadRecord]:
        """Threads in list order (``tui.core.thread_query``: pinned, newest, id), filtered and
        paged.

        ``text`` is a filter query (``thread_query``: every word in some of title, id, profile,
        organization, project, owner; any case); with ``full_text`` a thread whose transcript
        contains ``text`` also matches (which reads them: slower).
        """
        ids = self._matching_ids(profile, owner, text, full_text, statuses)
        end = None if limit is None else offset + limit
        threads = self._threads_data()
        return [_to_record(threads[thread_id]) for thread_id in ids[offset:end]]

    def count_threads(
        self,
        *,
        profile: str | None = None,
        owner: str | None = None,
        text: str | None = None,
        full_text: bool = False,
        statuses: Collection[ThreadStatus] | None = None,
    ) -> int:
        return len(self._matching_ids(profile, owner, text, full_text, statuses))

    # -- changing the index ----------------------------------------------------------------
    def upsert(self, record: ThreadRecord) -> None:
        """Write the whole row. For an edit of a few fields use ``update_thread``, which cannot
        undo another process's concurrent change to the fields it does not name."""
        doc = _to_doc(record)
        with self._transaction():
            self._threads.put_many({record.id: doc})

    def update_thread(self, thread_id: str, **changes: Any) -> ThreadRecord:
        unknown = set(changes) - _RECORD_FIELDS or ({"id"} & set(changes))
        if unknown:
            raise TypeError(f"cannot change {', '.join(sorted(unknown))} of a thread")
        with self._transaction():
            record = replace(self._require(thread_id), **changes)
            self._threads.put_many({thread_id: _to_doc(record)})
        return record

    def mark_status(self, thread_id: str, status: ThreadStatus | str) -> ThreadRecord:
        return self.update_thread(thread_id, status=ThreadStatus(status))

    def delete(self, thread_id: str) -> bool:
        """Forget a thread here (the transcript first: a kill between leaves a visible row to
        delete again, never an invisible transcript). False when there was nothing."""
        with self._transaction():
            had_transcript = self._remove_transcript(thread_id)
            had_row = thread_id in self._threads_data()
            if had_row:
                self._threads.delete_many([thread_id])
        return had_row or had_transcript

    def import_threads(
        self, items: Iterable[ThreadImport], *, replace: bool = False
    ) -> ImportResult:
        """Bring many threads in with one index write; existing ones only with ``replace``.

        A replaced thread keeps its transcript when the import gives none (``turns`` None).
        Threads that cannot be stored are listed in ``rejected`` and do not stop the others.
        """
        result = ImportResult()
        prepared = _prepare_imports(items, result)
        with self._transaction():
            existing = self._threads_data()
            rows: dict[str, dict[str, Any]] = {}
            for thread_id, doc, turns in prepared:
                if thread_id in rows or (thread_id in existing and not replace):
                    result.skipped.append(thread_id)
                    continue
                rows[thread_id] = doc
                (result.replaced if thread_id in existing else result.added).append(thread_id)
                if turns is not None:
                    self._write_turns(thread_id, turns, doc)
            self._threads.put_many(rows)
        return result

    # -- transcripts -----------------------------------------------------------------------
    def transcript(self, thread_id: str) -> list[Turn]:
        """The turns of a thread, oldest first; empty when none were recorded (or unreadable,
        in which case a ``StoreProblem`` says where the file went)."""
        with self._transaction():
            return [Turn.from_dict(turn) for turn in self._load_turns(thread_id)]

    def append_turn(self, thread_id: str, turn: Turn) -> None:
        """Record one turn and move the thread's ``last_active`` up to it.

        A turn with an ``item_id`` already in the transcript replaces that turn (a retried
        write, or a partial reply completed later) instead of duplicating it.
        """
        with self._transaction():
            doc = self._require_doc(thread_id)
            turns = self._load_turns(thread_id)
            new = turn.to_dict()
            position = _index_of_item(turns, turn.item_id)
            if position is None:
                turns.append(new)
            else:
                turns[position] = new
            self._save_turns(thread_id, doc, turns, bump_to=turn.at)

    def replace_transcript(self, thread_id: str, turns: Iterable[Turn]) -> None:
        with self._transaction():
            doc = self._require_doc(thread_id)
            self._write_turns(thread_id, [turn.to_dict() for turn in turns], doc)

    def merge_transcript(self, thread_id: str, server_turns: Iterable[Turn]) -> list[Turn]:
        """Take the server's view of a transcript without losing what only we have.

        The server's turns, in the server's order, win for text; a local turn with the same
        ``item_id`` (or, lacking one, the same role and text) lends what the server does not
        report (our time, usage, response id). Local turns the server does not have (an
        interrupted reply, an error) stay, after the local turn they followed. Returns the
        merged transcript, which is also what is stored.
        """
        with self._transaction():
            doc = self._require_doc(thread_id)
            local = [Turn.from_dict(turn) for turn in self._load_turns(thread_id)]
            merged = merge_turns(local, list(server_turns))
            latest = max((turn.at for turn in merged), default=0.0)
            self._save_turns(thread_id, doc, [t.to_dict() for t in merged], bump_to=latest)
        return merged

    # -- replies in flight -----------------------------------------------------------------
    @contextlib.contextmanager
    def reply_in_flight(self, thread_id: str) -> Iterator[None]:
        """Tell every process (this one too) that a reply to ``thread_id`` is awaited here.

        Enter before the user's turn is written and leave after the reply's turn is: then a
        transcript that ends with the user's turn while nobody holds the mark is a question
        whose reply died with its process (kill -9, a crash, a lost SSH session), and
        ``recover_unanswered`` can say so instead of showing the question as if still asked.
        """
        with self._replies.hold(_reply_mark(thread_id), thread_id):
            yield

    def recover_unanswered(self, thread_id: str | None = None) -> list[str]:
        """Mark replies that can no longer arrive; the ids of the threads marked.

        After a kill mid-reply the transcript ends with the user's turn and the partial reply
        (kept only in the dead process's memory) is lost. Such a thread gets an empty
        assistant turn marked ``interrupted`` with ``NO_REPLY`` as its error, dated at the
        question (the thread does not jump to the top), and the status ``interrupted`` (gone
        and foreign threads keep theirs); a ``StoreProblem`` says so once.

        Only a mark left behind proves a lost reply: a transcript may end with a question for
        other reasons (a server conversation whose last item is the user's, an import).
        With ``thread_id``: that thread's mark (opening it calls this). Without: every
        abandoned mark (``Store.open`` calls this; so can a timer: it costs one ``scandir``
        when nothing is in flight). A reply still awaited by a live process, in this one or
        another, is never touched.
        """
        if thread_id is not None:
            name = _reply_mark(thread_id)
            if not self._replies.exists(name):
                return []  # the common case: opening a thread costs one stat() here
            marks: dict[str, str | None] = {name: thread_id}
        elif self._replies.pending():
            marks = self._replies.abandoned()
        else:
            return []
        marked: list[str] = []
        for name, candidate in marks.items():
            # The store's lock first, then the mark (never waited for): a sender takes its
            # mark before it writes the question, so a question on disk whose mark can be
            # claimed has no live sender.
            with self._transaction(), self._replies.claim(name) as lost:
                title = self._mark_unanswered(candidate) if lost and candidate else None
            if candidate is not None and title is not None:
                marked.append(candidate)
                self._report(
                    ProblemKind.UNANSWERED,
                    f"The reply to your last message in {title} ({printable(candidate)}) never "
                    "arrived: threadtui stopped before it was received. The thread is marked "
                    "interrupted; open it to ask again.",
                )
        return marked

    def _mark_unanswered(self, thread_id: str) -> str | None:
        """Under the lock: the thread's title when it was marked, else None."""
        doc = self._threads_data().get(thread_id)
        if doc is None:
            return None
        turns = self._load_turns(thread_id)
        if not turns or turns[-1].get("role") != str(Role.USER):
            return None  # the reply was written before its process died: nothing was lost
        lost = Turn(
            role=Role.ASSISTANT, text="", at=turns[-1].get("at", 0.0), interrupted=True,
            error=NO_REPLY,
        )
        turns.append(lost.to_dict())
        if doc.get("status") not in _KEEP_STATUS:
            doc = {**doc, "status": str(ThreadStatus.INTERRUPTED)}
            self._threads.put_many({thread_id: doc})
        self._write_turns(thread_id, turns, doc)
        title = doc.get("title")
        return repr(printable(title)) if isinstance(title, str) and title else "a thread"

    # -- app state -------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        doc = self._storage_data().get(META, {}).get(key)
        if not isinstance(doc, dict) or "value" not in doc:
            return default
        return copy.deepcopy(doc["value"])

    def set_meta(self, key: str, value: Any) -> None:
        """Remember a JSON value (refused before anything is written if it is not JSON)."""
        doc = {"value": copy.deepcopy(value)}
        dumps(doc)
        with self._transaction():
            self._meta.put_many({key: doc})

    def delete_meta(self, key: str) -> bool:
        with self._transaction():
            present = key in self._storage_data().get(META, {})
            if present:
                self._meta.delete_many([key])
        return present

    def import_meta(self, values: Mapping[str, Any], *, replace: bool = False) -> list[str]:
        """Bring in app state from a backup in one write; returns the keys taken."""
        docs = {key: {"value": copy.deepcopy(value)} for key, value in values.items()}
        dumps(docs)
        with self._transaction():
            present = self._storage_data().get(META, {})
            taken = {k: doc for k, doc in docs.items() if replace or k not in present}
            self._meta.put_many(taken)
        return list(taken)

    def meta_items(self) -> dict[str, Any]:
        return {
            key: copy.deepcopy(doc["value"])
            for key, doc in self._storage_data().get(META, {}).items()
            if isinstance(doc, dict) and "value" in doc
        }

    # -- other processes -------------------------------------------------------------------
    def changed_on_disk(self) -> bool:
        """Whether another process wrote since we last loaded: cheap enough to poll."""
        return self._lock.counters()[0] != self._seen_commits or self._storage.changed_on_disk()

    def reload(self) -> bool:
        """Take in other processes' writes; True when there were any (re-read transcripts too)."""
        if not self.changed_on_disk():
            return False
        with self._transaction():
            self._seen_commits = self._lock.counters()[0]
        return True

    # == internals =========================================================================
    @property
    def _threads(self) -> _KeyedTable:
        table: _KeyedTable = self._db.table(THREADS)  # type: ignore[assignment]
        return table

    @property
    def _meta(self) -> _KeyedTable:
        table: _KeyedTable = self._db.table(META)  # type: ignore[assignment]
        return table

    def _storage_data(self) -> dict[str, dict[str, Any]]:
        if not self._storage.loaded:
            with self._transaction():
                pass
        data = self._storage.read()
        assert data is not None
        return data

    def _threads_data(self) -> dict[str, dict[str, Any]]:
        return self._storage_data().get(THREADS, {})

    def _require_doc(self, thread_id: str) -> dict[str, Any]:
        doc = self._threads_data().get(thread_id)
        if doc is None:
            raise UnknownThread(thread_id)
        return doc

    def _require(self, thread_id: str) -> ThreadRecord:
        return _to_record(self._require_doc(thread_id))

    def _report(self, kind: ProblemKind, message: str, path: Path | None = None) -> None:
        self.problems.append(StoreProblem(kind, message, path))

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """Lock, catch up with other processes, run the change, write once, publish."""
        with self._lock.hold() as outermost:
            if not outermost:
                yield
                return
            self._files_written = False
            index_written = False
            try:
                self._refresh_locked()
                yield
                if self._storage.dirty:
                    self._storage.flush()
                    index_written = True
            except BaseException:
                if self._storage.dirty:
                    self._storage.discard()
                raise
            finally:
                if index_written or self._files_written:
                    self._publish(index_written)

    def _publish(self, index_written: bool) -> None:
        before = self._lock.counters()[0]
        commits, index_writes = self._lock.bump(index=index_written)
        if index_written:
            self._storage.note_index_writes(index_writes)
        if before == self._seen_commits:
            self._seen_commits = commits

    def _refresh_locked(self) -> None:
        if self._storage.loaded and not self._storage.changed_on_disk():
            return
        loaded = self._storage.load()
        if loaded is None or not loaded[0].strip():
            self._start_fresh(loaded[1] if loaded else None, missing=True)
            return
        raw, file_sig = loaded
        try:
            data, changed = self._prepare(parse_json(self.index_path, raw))
        except CorruptFile as exc:
            # Damaged under a running session: what this session last read is worth keeping.
            kept = self._storage.read() if self._storage.loaded else None
            aside = self._move_aside(self.index_path)
            count = self._start_fresh(None, missing=False, kept=kept)
            self._report(
                ProblemKind.CORRUPT_INDEX,
                f"The thread index {self.index_path} could not be read ({exc.reason}). "
                f"It was moved to {aside} and a new index was started"
                + (f"; {count} thread(s) were recovered." if count else "."),
                aside,
            )
            return
        self._storage.adopt(data, file_sig)
        if changed:
            self._storage.write(data)

    def _start_fresh(
        self, file_sig: Any, *, missing: bool, kept: dict[str, Any] | None = None
    ) -> int:
        """Begin a new index with every thread that still has a transcript (and whatever an
        earlier good read in this session had)."""
        data = empty_index()
        data[THREADS] = self._rows_from_transcripts()
        if kept:
            data[THREADS].update(kept.get(THREADS, {}))
            data[META].update(kept.get(META, {}))
        self._storage.adopt(data, file_sig)
        self._storage.write(data)
        if missing and data[THREADS]:
            self._report(
                ProblemKind.REBUILT_INDEX,
                f"The thread index {self.index_path} was missing or empty; "
                f"{len(data[THREADS])} thread(s) were rebuilt from their transcripts.",
            )
        return len(data[THREADS])

    def _prepare(self, data: Any) -> tuple[dict[str, Any], bool]:
        """Check, upgrade and clean a parsed index; (data, whether it must be written back)."""
        problem = check_tables(data)
        version = schema_version(data) if problem is None else -1
        if problem is not None or version < 1:
            raise CorruptFile(self.index_path, problem or "its schema_version is malformed")
        if version > CURRENT_VERSION:
            raise StoreTooNew(
                f"{self.index_path} was written by a newer threadtui (schema v{version}; this "
                f"one knows v{CURRENT_VERSION}). Upgrade threadtui to use this record."
            )
        changed = False
        if version < CURRENT_VERSION:
            backup = self._copy_aside(self.index_path, f"pre-v{CURRENT_VERSION}")
            data, _ = migrate(data, self)
            self._report(
                ProblemKind.UPGRADED,
                f"The record in {self.data_dir} was upgraded from schema v{version} to "
                f"v{CURRENT_VERSION}; the old index is kept at {backup}.",
                backup,
            )
            changed = True
        return data, self._drop_bad_rows(data) or changed

    def _drop_bad_rows(self, data: dict[str, Any]) -> bool:
        good, bad = split_valid_threads(data.get(THREADS, {}))
        meta = data.get(META, {})
        good_meta = {k: v for k, v in meta.items() if isinstance(v, dict) and "value" in v}
        bad_meta = len(meta) - len(good_meta)
        data[THREADS], data[META] = good, good_meta
        if not bad and not bad_meta:
            return False
        copy_path = self._copy_aside(self.index_path, "corrupt")
        examples = "; ".join(f"{printable(k)}: {why}" for k, why in list(bad.items())[:3])
        self._report(
            ProblemKind.DAMAGED_INDEX,
            f"{len(bad) + bad_meta} unusable row(s) in {self.index_path} were left out"
            + (f" ({examples})" if examples else "")
            + f". The file as it was is kept at {copy_path}.",
            copy_path,
        )
        return True

    def _sweep_tmp(self) -> None:
        """Remove temporary files of writers that were killed (we hold the lock: no writer is
        mid-write)."""
        for entry in os.scandir(self._tmp_dir):
            if entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)

    def _move_aside(self, path: Path) -> Path:
        target = _aside_name(path, "corrupt")
        os.rename(path, target)
        fsync_dir(path.parent)
        return target

    def _copy_aside(self, path: Path, label: str) -> Path:
        target = _aside_name(path, label)
        shutil.copy2(path, target)
        os.chmod(target, 0o600)
        return target

    # -- transcript files ------------------------------------------------------------------
    def transcript_path(self, thread_id: str) -> Path:
        return self.transcripts_dir / transcript_file_name(thread_id)

    def _load_turns(self, thread_id: str) -> list[dict[str, Any]]:
        """The stored turns (raw); a damaged file is reported and set aside, once."""
        path = self.transcript_path(thread_id)
        loaded = read_file(path)
        if loaded is None:
            return []
        try:
            turns = transcript_turns(path, thread_id, parse_json(path, loaded[0]))
        except CorruptFile as exc:
            aside = self._move_aside(path)
            self._report(
                ProblemKind.CORRUPT_TRANSCRIPT,
                f"The transcript of {printable(thread_id)} ({path}) could not be read "
                f"({exc.reason}). It was moved to {aside}; the thread's other data is intact.",
                aside,
            )
            return []
        good = [turn for turn in turns if turn_problem(turn) is None]
        if len(good) != len(turns):
            kept = self._copy_aside(path, "corrupt")
            self._report(
                ProblemKind.DAMAGED_TRANSCRIPT,
                f"{len(turns) - len(good)} unusable message(s) in the transcript of "
                f"{printable(thread_id)} were left out; the file as it was is kept at {kept}.",
                kept,
            )
            self._write_turns(thread_id, good, self._threads_data().get(thread_id))
        return good

    def _save_turns(
        self, thread_id: str, doc: dict[str, Any], turns: list[dict[str, Any]], bump_to: float
    ) -> None:
        """Write a transcript, then move the row's ``last_active`` up if the turns are newer.

        Transcript first: a kill between the two leaves the turn recorded and only the sort
        order stale.
        """
        if bump_to > doc.get("last_active", 0.0):
            doc = {**doc, "last_active": bump_to}
            self._write_turns(thread_id, turns, doc)
            self._threads.put_many({thread_id: doc})
        else:
            self._write_turns(thread_id, turns, doc)

    def _write_turns(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any] | None
    ) -> None:
        payload = dumps(transcript_document(thread_id, turns, record))
        atomic_write(self.transcript_path(thread_id), payload, self._tmp_dir)
        self._files_written = True

    def write_transcript(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any]
    ) -> None:
        """``MigrationIO``: migrations hand over transcripts they take out of the index."""
        self._write_turns(thread_id, turns, record)

    def _remove_transcript(self, thread_id: str) -> bool:
        try:
            os.unlink(self.transcript_path(thread_id))
        except FileNotFoundError:
            return False
        fsync_dir(self.transcripts_dir)
        self._files_written = True
        return True

    def _rows_from_transcripts(self) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for entry in os.scandir(self.transcripts_dir):
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                row = row_from_transcript_file(Path(entry.path))
                if row is not None:
                    rows[row["id"]] = row
        return rows

    # -- queries ---------------------------------------------------------------------------
    def _ordered_ids(self) -> list[str]:
        version, order = self._order
        if version != self._storage.version:
            threads = self._threads_data()
            order = newest_first(threads)
            self._order = (self._storage.version, order)
            if len(self._haystacks) > 2 * len(threads) + 100:  # rows deleted since built
                self._haystacks = {k: v for k, v in self._haystacks.items() if k in threads}
        return order

    def _matching_ids(
        self,
        profile: str | None,
        owner: str | None,
        text: str | None,
        full_text: bool,
        statuses: Collection[ThreadStatus] | None,
    ) -> list[str]:
        threads = self._threads_data()
        ids = self._ordered_ids()
        if profile is not None:
            ids = [i for i in ids if threads[i].get("profile", "") == profile]
        if owner is not None:
            ids = [i for i in ids if threads[i].get("owner") == owner]
        if statuses is not None:
            wanted = {str(status) for status in statuses}
            ids = [i for i in ids if threads[i].get("status", "ok") in wanted]
        words = query_words(text)
        if words:
            needle = (text or "").casefold()
            ids = [
                i
                for i in ids
                if matches(words, self._haystack(i, threads[i]))
                or (full_text and self._transcript_contains(i, needle))
            ]
        return ids

    def _haystack(self, thread_id: str, doc: dict[str, Any]) -> str:
        cached = self._haystacks.get(thread_id)
        if cached is not None and cached[0] is doc:
            return cached[1]
        text = doc_haystack(doc)
        self._haystacks[thread_id] = (doc, text)
        return text

    def _transcript_contains(self, thread_id: str, needle: str) -> bool:
        """Lock-free and report-free: a search must not stall writers or move files."""
        loaded = read_file(self.transcript_path(thread_id))
        if loaded is None:
            return False
        try:
            data = parse_json(self.transcript_path(thread_id), loaded[0])
        except CorruptFile:
            return False
        turns = data.get("turns") if isinstance(data, dict) else None
        return any(
            isinstance(turn, dict)
            and isinstance(turn.get("text"), str)
            and needle in turn["text"].casefold()
            for turn in turns or []
        )


# -- module helpers ------------------------------------------------------------------------


def _index_of_item(turns: list[dict[str, Any]], item_id: str | None) -> int | None:
    if not item_id:
        return None
    for position, turn in enumerate(turns):
        if turn.get("item_id") == item_id:
            return position
    return None


def _to_record(doc: dict[str, Any]) -> ThreadRecord:
    if doc.get("server_meta"):
        doc = {**doc, "server_meta": copy.deepcopy(doc["server_meta"])}
    return ThreadRecord.from_dict(doc)


def _to_doc(record: ThreadRecord) -> dict[str, Any]:
    """A fresh, checked document: the stored dict must never be shared with a caller."""
    doc = record.to_dict()
    doc["server_meta"] = copy.deepcopy(doc["server_meta"])
    problem = thread_doc_problem(record.id, doc) or _id_problem(record.id)
    if problem:
        raise ValueError(f"thread {printable(record.id)} cannot be stored: {problem}")
    dumps(doc)
    return doc


def _prepare_imports(
    items: Iterable[ThreadImport], result: ImportResult
) -> list[tuple[str, dict[str, Any], list[dict[str, Any]] | None]]:
    """Check every thread before the transaction, so one bad thread cannot fail the batch
    halfway (with some transcripts written and the index not)."""
    prepared = []
    for item in items:
        try:
            prepared.append((item.record.id, _to_doc(item.record), _turn_docs(item.turns)))
        except (ValueError, TypeError) as exc:
            result.rejected.append((item.record.id, str(exc)))
    return prepared


def _turn_docs(turns: list[Turn] | None) -> list[dict[str, Any]] | None:
    if turns is None:
        return None
    docs = [turn.to_dict() for turn in turns]
    for number, doc in enumerate(docs, 1):
        problem = turn_problem(doc)
        if problem:
            raise ValueError(f"message {number}: {problem}")
    dumps(docs)  # refuses NaN and anything else JSON cannot hold
    return docs


def _id_problem(thread_id: str) -> str | None:
    if len(thread_id) > MAX_ID_LENGTH:
        return f"its id is longer than {MAX_ID_LENGTH} characters"
    if UNSAFE.search(thread_id) or thread_id != thread_id.strip():
        return "its id contains control characters or surrounding spaces"
    return None


def _reply_mark(thread_id: str) -> str:
    """The in-flight mark's file name: the transcript's, which no id can escape or share."""
    return transcript_file_name(thread_id).removesuffix(".json") + ".reply"


def _aside_name(path: Path, label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{label}-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{label}-{stamp}-{counter}")
        counter += 1
    return candidate
