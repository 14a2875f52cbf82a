"""The local record: every thread the user made, kept safe across kills and shared by processes.

The API cannot list threads, so this record is the only place a thread id survives. Hence:

- nothing acknowledged is lost: a call returns only after its change is fsynced; a SIGKILL at
  any moment leaves the change whole or absent, never half-made;
- a change costs what it changes: one checksummed line appended to the index journal, one to
  a transcript (``tui.core.journal``), not a rewrite of everything before it, so a write costs
  the same at 100 threads or 100,000 and a turn the same in a new thread or a long one;
- two processes (two SSH sessions) never lose each other's updates: every change is a
  read-modify-write under one ``flock``, after taking in the lines another process appended
  (``tui.core.record_index``);
- the sidebar stays fast: the index holds rows only; each transcript is its own file, so
  listing never reads a transcript;
- damage is reported, never silently dropped: an unreadable file is moved aside, a fresh one is
  started, and a ``StoreProblem`` names where the old one went (``tui.core.damage``).

On disk, in the data directory (created 0700, files 0600), schema v3::

    index.json            the snapshot: a TinyDB JSON file (stock TinyDB reads it) with the
                          tables threads (keyed by thread id), meta ({"value": ...} by name)
                          and _store ({"schema_version": 3, "generation": G})
    index.journal         the changes since the snapshot, one line each (below)
    index.lock            flock target and change counters; never replaced
    index.head            derived: the first rows in list order and the app state, with the
                          snapshot and journal position they were read at, so an app opens
                          on its first page without reading every row
                          (``tui.core.index_head``; ignored and rewritten when stale)
    transcripts/<id>.json one per thread, checksummed JSON lines (below)
    replies/              one mark per reply being received (``tui.core.locks.ReplyMarks``)
    trash/<id>.json       deleted and forgotten threads, restorable for 30 days (``tui.core.trash``)
    .tmp/                 temporary files of atomic replacements in progress (swept when opening)

Every line of the journal and of a transcript is ``CRC32-HEX SPACE JSON NEWLINE``; a reader
takes only complete lines whose checksum holds. A torn last line (a kill mid-append) was never
acknowledged and is dropped; an append the disk refuses is cut back off before the error is
raised, so it can never be read back as a change; a damaged line elsewhere is left out and
reported, the file kept aside.

- ``index.journal``: a header ``{"format": "threadtui-journal", "version": 1,
  "generation": G}``, then one line per committed change ``{"c": [[TABLE, KEY, DOC or
  null], ...]}`` (null: removed). The index is the snapshot with every line of a journal of
  the same generation applied in order. Past a bound (a quarter of the snapshot, at least
  256 KB) the journal is folded: snapshot G+1 is renamed into place, then a fresh journal
  with header G+1; a kill between leaves a journal of generation G, ignored (the snapshot
  holds it all) and replaced at the next write. ``tui.core.storage`` has the details.
- ``transcripts/<id>.json``: a header ``{"format": "threadtui-transcript", "version": 2,
  "thread_id": ID, "file": RANDOM}``, then ``{"record": ROW}`` (a copy of the index row, the
  last one counts, so a lost index can be rebuilt from the transcripts; ``last_active`` comes
  from the newest turn), ``{"turn": TURN}`` appended, ``{"turn": TURN, "replaces": N}`` in
  place of turn N (a
  checkpoint's final text). Rewritten whole, atomically, when created, when replaced or merged
  as a whole, and when superseded lines outnumber live ones. A v2 record's transcripts (one
  JSON document ``{"format", "version": 1, "thread_id", "record", "turns"}``) are still read
  and are rewritten as lines at their first write; the v2 index is upgraded at open, a copy
  kept (``tui.core.migrations``).

A sent message costs one fsync of its transcript; the row's ``last_active`` moves up in a
journal line that is not fsynced on its own (it is derived from the transcript, and rides on
the next fsync of the journal). Reads are served from memory; ``changed_on_disk()`` (one
64-byte read and two ``stat`` calls) tells an app that another process wrote, and
``reload()`` takes in the lines it appended and says which threads they changed. Writes
always see the latest data, because they catch up under the lock first.

This module is the public face (``Store`` and the names callers use with it); the listing
rule and order are ``tui.core.thread_query``'s, checked documents come from
``tui.core.thread_docs``.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from tui.core.damage import (
    WRITE_ERRNOS,
    Damage,
    ProblemKind,
    RecordBusy,
    RecordWriteFailed,
    StoreError,
    StoreProblem,
    StoreTooNew,
    UnknownThread,
    sweep_tmp,
)
from tui.core.files import dumps, ensure_private_dir
from tui.core.index_head import Head, read_head
from tui.core.locks import ReplyMarks
from tui.core.record_changes import RecordChanges
from tui.core.record_index import RecordIndex
from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn
from tui.core.safe_text import printable
from tui.core.search_index import SearchIndex
from tui.core.store_queries import ThreadQueries
from tui.core.thread_docs import (
    ImportResult,
    ThreadImport,
    prepare_imports,
    to_doc,
    to_record,
    turn_docs,
)
from tui.core.transcript_files import TranscriptFiles
from tui.core.transcripts import dialect_for_id, merge_turns, transcript_file_name
from tui.core.trash import TRASH_DIR, TrashEntry, TrashFiles, TrashReason, restorable_row

__all__ = [
    "CHECKPOINT",
    "KEPT_TO_CHECKPOINT",
    "NO_REPLY",
    "ImportResult",
    "ProblemKind",
    "RecordBusy",
    "RecordWriteFailed",
    "Store",
    "StoreError",
    "StoreProblem",
    "StoreTooNew",
    "ThreadImport",
    "TrashEntry",
    "TrashReason",
    "UnknownThread",
    "dialect_for_id",
    "merge_turns",
    "transcript_file_name",
]

TRANSCRIPTS_DIR = "transcripts"
TMP_DIR = ".tmp"
REPLIES_DIR = "replies"
NO_REPLY = "threadtui stopped before the reply arrived; nothing of it was kept"
"""The error of the turn put after a question whose reply was lost with its process."""
CHECKPOINT = "the reply was still arriving when this was saved; more may follow"
"""The error of a checkpoint: the partial text of a reply still streaming (an assistant turn
marked ``interrupted``), written every few seconds or KB so a kill -9 loses at most that much.
The final turn replaces it (``Store.put_reply``)."""
KEPT_TO_CHECKPOINT = (
    "threadtui stopped while the reply arrived; the text was kept up to the last checkpoint"
)
"""The error a checkpoint turn gets once its sender is known to be gone (``recover_unanswered``)."""
_KEEP_STATUS = frozenset({ThreadStatus.GONE, ThreadStatus.FOREIGN})
_RECORD_FIELDS = {f.name for f in fields(ThreadRecord)}


class Store:
    """The record in one data directory. Open with ``Store.open(data_dir)``; close when done."""

    def __init__(
        self,
        data_dir: Path,
        clock: Callable[[], float] = time.time,
        *,
        lock_timeout: float | None = None,
        read_only: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.read_only = read_only
        self.transcripts_dir = data_dir / TRANSCRIPTS_DIR
        tmp_dir = data_dir / TMP_DIR
        replies_dir = data_dir / REPLIES_DIR
        trash_dir = data_dir / TRASH_DIR
        if not read_only:
            with self._writing("open the record"):
                for directory in (data_dir, self.transcripts_dir, tmp_dir, replies_dir,
                                  trash_dir):
                    ensure_private_dir(directory)
        elif not data_dir.is_dir():
            raise StoreError(f"no record in {data_dir}")
        self._clock = clock
        self._tmp_dir = tmp_dir
        self._replies = ReplyMarks(replies_dir)
        self._damage = Damage(read_only=read_only)
        self.problems: list[StoreProblem] = self._damage.problems
        self._transcripts = TranscriptFiles(
            self.transcripts_dir,
            tmp_dir,
            self._damage,
            lambda thread_id: self._index.threads_data().get(thread_id),
        )
        opening = contextlib.nullcontext() if read_only else self._writing("open the record")
        with opening:
            self._index = RecordIndex(
                data_dir, tmp_dir, self._damage, self._transcripts,
                lock_timeout=lock_timeout, read_only=read_only,
            )
        self._trash = TrashFiles(trash_dir, tmp_dir, self._damage)
        self.index_path = self._index.path
        self.search = SearchIndex(data_dir, self.transcripts_dir, self._damage,
                                  read_only=read_only)
        self._transcripts.search = self.search
        self._queries = ThreadQueries(self._transcripts.contains, self.search.search)
        self._head: Head | None = None
        """While a lazy open is not finished: the first rows, read from the index's head."""

    # -- opening and closing ---------------------------------------------------------------
    @classmethod
    def open(
        cls,
        data_dir: Path | str,
        *,
        clock: Callable[[], float] = time.time,
        lock_timeout: float | None = None,
        lazy: bool = False,
    ) -> Store:
        """Open (creating, upgrading or repairing) the record; read ``problems`` afterwards.

        Trash entries older than 30 days are removed for good here. ``clock`` dates trash
        entries (tests inject one). ``lock_timeout``: how long any change waits for another
        process's hold on the record (``tui.core.locks.DEFAULT_LOCK_TIMEOUT``). Raises
        ``StoreTooNew`` for a record written by a newer threadtui, ``RecordWriteFailed`` when
        the directory cannot be written (then ``open_read_only`` can still read it),
        ``RecordBusy`` when another process holds the record past the bound, ``OSError`` when
        the directory cannot be used at all. A full disk does not stop it opening: the
        housekeeping that could not be written is reported as a problem and done next time.

        ``lazy`` (the app): when the head of the index (``tui.core.index_head``) is current,
        only it is read now, and ``list_threads`` of a first page and ``get_meta`` are
        answered from it; the rest of the opening (the whole index, checked, and the
        housekeeping above) is done by the first call that needs more, before it, on the
        caller's thread (the app's: the record's thread, after the first paint). What any
        call sees or changes is the same as after a full open; only the errors above may come
        from that first call instead. Without a usable head it opens fully at once.
        """
        store = cls(Path(data_dir), clock, lock_timeout=lock_timeout)
        try:
            if lazy and not store._replies.pending():  # a lost reply: its thread is marked now
                index = store._index
                store._head = read_head(store.data_dir, index.path, index.storage.journal_path)
            if store._head is not None:
                store._index.before_load = store._finish_open
            else:
                store._finish_open()
        except BaseException:
            store.close()
            raise
        return store

    def _finish_open(self) -> None:
        """The opening's work on the whole index: load and check it, tidy, mark lost replies."""
        try:
            with self._writing("tidy the record"), self._index.transaction():
                sweep_tmp(self._tmp_dir)
                self._trash.purge(
                    self._clock(), self._index.threads_data(), leftover=self._take_back
                )
        except RecordWriteFailed as exc:
            self._damage.report(ProblemKind.WRITE_FAILED, f"{exc}; tried again next time.")
            if exc.errno == errno.EROFS or exc.errno == errno.EACCES:
                raise
        self._index.seen_commits = self._index.lock.counters()[0]
        head, self._head = self._head, None
        if head is not None and not self._head_still_holds(head):
            self._index.note_everything()  # another process wrote since: every row, again
        self.recover_unanswered()

    def _head_still_holds(self, head: Head) -> bool:
        """Whether the rows and state answered from the head are still the index's."""
        threads = self._index.threads_data()
        shown = [row["id"] for row in head.rows]
        # The list's order as the listing that follows will want it (kept per version).
        order = self._queries.ordered_ids(threads, self._index.storage.version)
        if order[: len(shown)] != shown:
            return False
        if head.complete and len(threads) != len(shown):
            return False
        return all(threads[row["id"]] == row for row in head.rows) and (
            self._index.meta_data() == head.meta
        )

    @classmethod
    def open_read_only(
        cls, data_dir: Path | str, *, clock: Callable[[], float] = time.time
    ) -> Store:
        """Open the record for reading only: a read-only disk, a snapshot, a backup mount, or a
        record another process holds (ctrl+z) when only reading is wanted.

        No lock is taken and nothing is written, ever: every file of the record is replaced
        by an atomic rename (``tui.core.files``), so each file read is a whole old or a whole
        new version. Without the lock two files may be read from either side of one change
        (a transcript with a turn its index row does not date yet), which a listing, a search
        or an export does not mind. Damaged files are reported but left in place; a lost
        reply is not marked. Every change raises ``RecordWriteFailed`` ("read-only").
        """
        store = cls(Path(data_dir), clock, read_only=True)
        try:
            store._index.data()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def fully_open(self) -> bool:
        """Whether the whole index has been read (a lazy open answers from its head until
        a call needs more)."""
        return self._head is None and self._index.storage.loaded

    def close(self) -> None:
        self.search.close()
        self._index.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_problems(self) -> list[StoreProblem]:
        """Problems not handed out before: for a caller that reports after every operation."""
        return self._damage.take()

    # -- reading the index -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._index.threads_data())

    def __contains__(self, thread_id: object) -> bool:
        return thread_id in self._index.threads_data()

    def get(self, thread_id: str) -> ThreadRecord | None:
        doc = self._index.row(thread_id)
        return None if doc is None else to_record(doc)

    def get_many(self, thread_ids: Iterable[str]) -> list[ThreadRecord]:
        """The rows of ``thread_ids`` still in the record (a poll reloads only the rows another
        process changed, not the whole list)."""
        threads = self._index.threads_data()
        return [to_record(threads[i]) for i in thread_ids if i in threads]

    def active_since(self, since: float) -> list[ThreadRecord]:
        """Every thread (any status) last active at or after ``since``, in no particular
        order: one pass over the rows. A walk in list order would sort every id again after
        each write (200 ms at 100,000 threads) for the bar's sums, which need no order."""
        return [to_record(doc) for doc in self._index.threads_data().values()
                if doc.get("last_active", 0.0) >= since]

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
        head = self._head
        if (head is not None and limit is not None and offset == 0 and not text
                and profile is None and owner is None and statuses is None
                and (limit <= len(head.rows) or head.complete)):
            return [to_record(doc) for doc in head.rows[:limit]]  # the first page: no more
        ids = self._matching_ids(profile, owner, text, full_text, statuses)
        end = None if limit is None else offset + limit
        threads = self._index.threads_data()
        return [to_record(threads[thread_id]) for thread_id in ids[offset:end]]

    def page_of_threads(
        self,
        *,
        profile: str | None = None,
        text: str | None = None,
        full_text: bool = False,
        statuses: Collection[ThreadStatus] | None = None,
        limit: int | None = None,
    ) -> tuple[list[ThreadRecord], int]:
        """The first ``limit`` threads ``list_threads`` gives and how many match in all, from
        one search (a command shows 50 and says how many more: two searches of a word held
        by every thread were a third of its time)."""
        ids = self._matching_ids(profile, None, text, full_text, statuses)
        threads = self._index.threads_data()
        return [to_record(threads[thread_id]) for thread_id in ids[:limit]], len(ids)

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
        doc = to_doc(record)
        with self._writing("record the thread"), self._index.transaction():
            self._index.threads.put_many({record.id: doc})

    def update_thread(self, thread_id: str, **changes: Any) -> ThreadRecord:
        unknown = set(changes) - _RECORD_FIELDS or ({"id"} & set(changes))
        if unknown:
            raise TypeError(f"cannot change {', '.join(sorted(unknown))} of a thread")
        with self._writing(_change_words(changes)), self._index.transaction():
            record = replace(self._require(thread_id), **changes)
            self._index.threads.put_many({thread_id: to_doc(record)})
        return record

    def mark_status(self, thread_id: str, status: ThreadStatus | str) -> ThreadRecord:
        return self.update_thread(thread_id, status=ThreadStatus(status))

    def delete(
        self, thread_id: str, *, reason: TrashReason | None = TrashReason.FORGOTTEN
    ) -> bool:
        """Take a thread out of the record, into the trash (``reason``: why; None drops it for
        good). False when there was nothing.

        The trash entry is written first, then the transcript removed, then the row: a kill
        between leaves the thread where it was (delete again), never a thread in neither place.
        """
        with self._writing("move the thread to the trash"), self._index.transaction():
            doc = self._index.threads_data().get(thread_id)
            present = doc is not None or self._transcripts.path(thread_id).exists()
            if reason is not None and present:
                turns = self._transcripts.load(thread_id)
                self._trash.put(thread_id, doc, turns, reason, self._clock())
            had_transcript = self._transcripts.remove(thread_id)
            had_row = thread_id in self._index.threads_data()
            if had_row:
                self._index.threads.delete_many([thread_id])
        return had_row or had_transcript

    # -- the trash -------------------------------------------------------------------------
    def trash_entries(self) -> list[TrashEntry]:
        """What can be restored, newest first (leftovers of an interrupted move are hidden)."""
        with self._index.transaction():
            live = self._index.threads_data()
            return [e for e in self._trash.entries() if e.thread_id not in live]

    def trash_entry(self, thread_id: str) -> TrashEntry | None:
        with self._index.transaction():
            if thread_id in self._index.threads_data():
                return None
            return self._trash.get(thread_id)

    def restore(self, thread_id: str) -> ThreadRecord:
        """Put a trashed thread back (row and transcript); one deleted on the server comes back
        marked ``gone``. Raises ``UnknownThread`` when the trash has no such entry, and
        ``StoreError`` when the record holds that id again."""
        with self._writing("restore the thread"), self._index.transaction():
            if thread_id in self._index.threads_data():
                raise StoreError(f"{printable(thread_id)} is in the record already")
            entry = self._trash.get(thread_id)
            if entry is None:
                raise UnknownThread(thread_id)
            row = restorable_row(entry, lambda tid: to_doc(ThreadRecord(id=tid)))
            if entry.reason is TrashReason.DELETED:
                row["status"] = str(ThreadStatus.GONE)
            record = to_record(row)
            doc = to_doc(record)
            self._transcripts.write(thread_id, entry.turns, doc)
            self._index.threads.put_many({thread_id: doc})
        # After the index is written: a kill before this leaves a hidden leftover, purged later.
        with self._writing("restore the thread"), self._index.transaction():
            self._trash.remove(thread_id)
        return record

    def empty_trash(self) -> int:
        """Remove every trash entry for good; how many threads were removed."""
        with self._writing("empty the trash"), self._index.transaction():
            return self._trash.purge(
                self._clock(), self._index.threads_data(), everything=True,
                leftover=self._take_back,
            )

    def _take_back(self, entry: TrashEntry) -> None:
        """Under the lock: a trash entry of a thread still in the index is a move that a kill
        interrupted (after the transcript went, before the row did) or a restore that finished
        all but removing the entry. The transcript comes back if it is missing."""
        if entry.turns and not self._transcripts.path(entry.thread_id).exists():
            doc = self._index.threads_data().get(entry.thread_id)
            self._transcripts.write(entry.thread_id, entry.turns, doc)

    def import_threads(
        self, items: Iterable[ThreadImport], *, replace: bool = False
    ) -> ImportResult:
        """Bring many threads in with one index write; existing ones only with ``replace``.

        A replaced thread keeps its transcript when the import gives none (``turns`` None).
        Threads that cannot be stored are listed in ``rejected`` and do not stop the others.
        """
        result = ImportResult()
        prepared = prepare_imports(items, result)
        with self._writing("import the threads"), self._index.transaction():
            existing = self._index.threads_data()
            rows: dict[str, dict[str, Any]] = {}
            for thread_id, doc, turns in prepared:
                if thread_id in rows or (thread_id in existing and not replace):
                    result.skipped.append(thread_id)
                    continue
                rows[thread_id] = doc
                (result.replaced if thread_id in existing else result.added).append(thread_id)
                if turns is not None:
                    self._transcripts.write(thread_id, turns, doc)
            self._index.threads.put_many(rows)
        return result

    # -- transcripts -----------------------------------------------------------------------
    def transcript(self, thread_id: str) -> list[Turn]:
        """The turns of a thread, oldest first; empty when none were recorded (or unreadable,
        in which case a ``StoreProblem`` says where the file went)."""
        with self._index.transaction():
            return [Turn.from_dict(turn) for turn in self._transcripts.load(thread_id)]

    def append_turn(self, thread_id: str, turn: Turn) -> None:
        """Record one turn and move the thread's ``last_active`` up to it.

        A turn with an ``item_id`` already in the transcript replaces that turn (a retried
        write, or a partial reply completed later) instead of duplicating it.
        """
        (new,) = _checked([turn])
        with self._writing(_turn_words(turn)), self._index.transaction():
            doc = self._require_doc(thread_id)
            position = self._transcripts.position_of_item(thread_id, turn.item_id)
            self._put_turn(thread_id, doc, new, position)

    def replace_transcript(self, thread_id: str, turns: Iterable[Turn]) -> None:
        docs = _checked(list(turns))
        with self._writing("save the transcript"), self._index.transaction():
            doc = self._require_doc(thread_id)
            self._transcripts.write(thread_id, docs, doc)

    def merge_transcript(self, thread_id: str, server_turns: Iterable[Turn]) -> list[Turn]:
        """Take the server's view of a transcript without losing what only we have.

        The server's turns, in the server's order, win for text; a local turn with the same
        ``item_id`` (or, lacking one, the same role and text) lends what the server does not
        report (our time, usage, response id). Local turns the server does not have (an
        interrupted reply, an error) stay, after the local turn they followed. Returns the
        merged transcript, which is also what is stored.
        """
        with self._writing("save the transcript"), self._index.transaction():
            doc = self._require_doc(thread_id)
            local = [Turn.from_dict(turn) for turn in self._transcripts.load(thread_id)]
            merged = merge_turns(local, list(server_turns))
            latest = max((turn.at for turn in merged), default=0.0)
            self._save_turns(thread_id, doc, _checked(merged), bump_to=latest)
        return merged

    def put_reply(self, thread_id: str, turn: Turn, checkpoint_at: float | None = None) -> None:
        """Store a reply's turn in place of its checkpoint: never a second turn for one reply.

        ``checkpoint_at`` is the ``at`` of the reply's checkpoints (``CHECKPOINT`` turns, all
        dated at the first one): the stored checkpoint with that date is replaced by ``turn``
        (a newer checkpoint, or the final reply); without one, ``turn`` is appended like
        ``append_turn``. ``last_active`` moves up to ``turn.at``.
        """
        (new,) = _checked([turn])
        operation = "save the reply so far" if turn.error == CHECKPOINT else _turn_words(turn)
        with self._writing(operation), self._index.transaction():
            doc = self._require_doc(thread_id)
            turns = self._transcripts.current(thread_id).turns
            position = _checkpoint_position(turns, checkpoint_at)
            if position is None:
                position = self._transcripts.position_of_item(thread_id, turn.item_id)
            self._put_turn(thread_id, doc, new, position)

    # -- replies in flight -----------------------------------------------------------------
    @contextlib.contextmanager
    def reply_in_flight(self, thread_id: str) -> Iterator[None]:
        """Tell every process (this one too) that a reply to ``thread_id`` is awaited here.

        Enter before the user's turn is written and leave after the reply's turn is: then a
        transcript that ends with the user's turn while nobody holds the mark is a question
        whose reply died with its process (kill -9, a crash, a lost SSH session), and
        ``recover_unanswered`` can say so instead of showing the question as if still asked.
        """
        with self._writing("mark the reply as awaited"):
            manager = self._replies.hold(_reply_mark(thread_id), thread_id)
            manager.__enter__()
        try:
            yield
        except BaseException:
            manager.__exit__(*sys.exc_info())
            raise
        manager.__exit__(None, None, None)

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
        if self.read_only:
            return []
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
            try:
                with self._writing("mark the lost reply"), self._index.transaction(), \
                        self._replies.claim(name) as lost:
                    found = self._mark_unanswered(candidate) if lost and candidate else None
            except RecordWriteFailed as exc:
                # The mark stays (a claim is released without removing it on an error): the
                # next open or poll tries again once the disk can take it.
                self._damage.report(
                    ProblemKind.WRITE_FAILED,
                    f"A reply in {printable(candidate or '?')} was not stored before threadtui "
                    f"stopped, and {exc}; it is tried again next time.",
                    exc.path,
                )
                continue
            if candidate is not None and found is not None:
                title, kept = found
                marked.append(candidate)
                self._damage.report(
                    ProblemKind.UNANSWERED,
                    f"The reply to your last message in {title} ({printable(candidate)}) "
                    + ("was cut off: threadtui stopped while it arrived; the text was kept up "
                       "to the last checkpoint. " if kept else
                       "never arrived: threadtui stopped before it was received. ")
                    + "The thread is marked interrupted; open it to ask again.",
                )
        return marked

    def _mark_unanswered(self, thread_id: str) -> tuple[str, bool] | None:
        """Under the lock: (the thread's title, whether a checkpoint kept part of the reply)
        when it was marked, else None."""
        doc = self._index.threads_data().get(thread_id)
        if doc is None:
            return None
        turns = self._transcripts.load(thread_id)
        checkpoints = [i for i, t in enumerate(turns) if _is_checkpoint(t)]
        if checkpoints:
            # Kept up to the last checkpoint: the text stays, and now says it is final.
            for i in checkpoints:
                turns[i] = {**turns[i], "error": KEPT_TO_CHECKPOINT}
        elif not turns or turns[-1].get("role") != str(Role.USER):
            return None  # the reply was written before its process died: nothing was lost
        else:
            lost = Turn(
                role=Role.ASSISTANT, text="", at=turns[-1].get("at", 0.0), interrupted=True,
                error=NO_REPLY,
            )
            turns.append(lost.to_dict())
        if doc.get("status") not in _KEEP_STATUS:
            doc = {**doc, "status": str(ThreadStatus.INTERRUPTED)}
            self._index.threads.put_many({thread_id: doc})
        self._transcripts.write(thread_id, turns, doc)
        title = doc.get("title")
        words = repr(printable(title)) if isinstance(title, str) and title else "a thread"
        return words, bool(checkpoints)

    # -- app state -------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        meta = self._index.meta_data() if self._head is None else self._head.meta
        doc = meta.get(key)
        if not isinstance(doc, dict) or "value" not in doc:
            return default
        return copy.deepcopy(doc["value"])

    def set_meta(self, key: str, value: Any) -> None:
        """Remember a JSON value (refused before anything is written if it is not JSON)."""
        doc = {"value": copy.deepcopy(value)}
        dumps(doc)
        with self._writing("save the app's state"), self._index.transaction():
            self._index.meta.put_many({key: doc})

    def delete_meta(self, key: str) -> bool:
        with self._writing("save the app's state"), self._index.transaction():
            present = key in self._index.meta_data()
            if present:
                self._index.meta.delete_many([key])
        return present

    def import_meta(self, values: Mapping[str, Any], *, replace: bool = False) -> list[str]:
        """Bring in app state from a backup in one write; returns the keys taken."""
        docs = {key: {"value": copy.deepcopy(value)} for key, value in values.items()}
        dumps(docs)
        with self._writing("save the app's state"), self._index.transaction():
            present = self._index.meta_data()
            taken = {k: doc for k, doc in docs.items() if replace or k not in present}
            self._index.meta.put_many(taken)
        return list(taken)

    def meta_items(self) -> dict[str, Any]:
        return {
            key: copy.deepcopy(doc["value"])
            for key, doc in self._index.meta_data().items()
            if isinstance(doc, dict) and "value" in doc
        }

    # -- other processes -------------------------------------------------------------------
    def changed_on_disk(self) -> bool:
        """Whether another process wrote since we last loaded: cheap enough to poll."""
        return self._index.changed_on_disk()

    def reload(self) -> RecordChanges:
        """Take in other processes' writes and say which threads they changed.

        Also reports what an earlier write of ours took in while re-reading under the lock
        (those rows changed on disk as much as any), so a caller that redraws only the rows
        named never misses one. Falsy when nothing changed.
        """
        changes = self._index.take_changes()
        if self.changed_on_disk():
            self._index.catch_up()
            changes |= self._index.take_changes() | RecordChanges(transcripts=True)
        return changes

    # -- transcript files ------------------------------------------------------------------
    def transcript_path(self, thread_id: str) -> Path:
        return self._transcripts.path(thread_id)

    def write_transcript(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any]
    ) -> None:
        """``MigrationIO``: migrations hand over transcripts they take out of the index."""
        self._transcripts.write(thread_id, turns, record)

    # == internals =========================================================================
    @contextlib.contextmanager
    def _writing(self, operation: str) -> Iterator[None]:
        """Turn a disk's refusal (full, read-only, not allowed, I/O error) into
        ``RecordWriteFailed`` naming ``operation``; a read-only record refuses at once."""
        if getattr(self, "read_only", False):
            raise RecordWriteFailed.read_only(operation, self.data_dir)
        try:
            yield
        except RecordWriteFailed:
            raise
        except OSError as exc:
            if exc.errno not in WRITE_ERRNOS:
                raise
            raise RecordWriteFailed.from_os_error(exc, operation, self.data_dir) from exc

    def _require_doc(self, thread_id: str) -> dict[str, Any]:
        doc = self._index.threads_data().get(thread_id)
        if doc is None:
            raise UnknownThread(thread_id)
        return doc

    def _require(self, thread_id: str) -> ThreadRecord:
        return to_record(self._require_doc(thread_id))

    def _save_turns(
        self, thread_id: str, doc: dict[str, Any], turns: list[dict[str, Any]], bump_to: float
    ) -> None:
        """Write a whole transcript, then move the row's ``last_active`` up if the turns are
        newer (``_bumped``)."""
        doc, bumped = _bumped(doc, bump_to)
        self._transcripts.write(thread_id, turns, doc)
        if bumped:
            self._index.threads.put_many({thread_id: doc}, durable=False)

    def _put_turn(
        self, thread_id: str, doc: dict[str, Any], turn: dict[str, Any], position: int | None
    ) -> None:
        """One turn: appended to the transcript (or in place of turn ``position``) with one
        fsync, then ``last_active`` moved up in the index.

        Transcript first: a kill between the two leaves the turn recorded and only the sort
        order stale. The index line has no fsync of its own: ``last_active`` is derived from
        the transcript just fsync'd (a lost index is rebuilt from there), so a sent message
        costs one fsync of its transcript and rides on the next fsync of the journal.
        """
        doc, bumped = _bumped(doc, turn.get("at", 0.0))
        self._transcripts.put_turn(thread_id, turn, position, doc)
        if bumped:
            self._index.threads.put_many({thread_id: doc}, durable=False)

    def _matching_ids(
        self,
        profile: str | None,
        owner: str | None,
        text: str | None,
        full_text: bool,
        statuses: Collection[ThreadStatus] | None,
    ) -> list[str]:
        threads = self._index.threads_data()
        version = self._index.storage.version
        return self._queries.matching_ids(
            threads, version, profile, owner, text, full_text, statuses
        )


def _checked(turns: list[Turn]) -> list[dict[str, Any]]:
    """The turns as stored, checked by the rule the read path applies (``turn_problem``):
    what this writes, the next read accepts, instead of moving the file aside as corrupt.
    ValueError, before anything is written, for a turn that could not be read back."""
    docs = turn_docs(turns)
    assert docs is not None
    return docs


def _bumped(doc: dict[str, Any], at: float) -> tuple[dict[str, Any], bool]:
    """The row with ``last_active`` moved up to ``at`` (a new dict), and whether it moved."""
    if at > doc.get("last_active", 0.0):
        return {**doc, "last_active": at}, True
    return doc, False


def _is_checkpoint(turn: dict[str, Any]) -> bool:
    return turn.get("role") == str(Role.ASSISTANT) and turn.get("error") == CHECKPOINT


def _checkpoint_position(turns: list[dict[str, Any]], at: float | None) -> int | None:
    if at is None:
        return None
    for position in range(len(turns) - 1, -1, -1):
        if _is_checkpoint(turns[position]) and turns[position].get("at") == at:
            return position
    return None


def _turn_words(turn: Turn) -> str:
    return "save your message" if turn.role is Role.USER else "store the reply"


def _change_words(changes: Mapping[str, Any]) -> str:
    if "title" in changes:
        return "save the new title"
    if "pinned" in changes:
        return "save the pin"
    return "save the thread's details"


def _reply_mark(thread_id: str) -> str:
    """The in-flight mark's file name: the transcript's, which no id can escape or share."""
    return transcript_file_name(thread_id).removesuffix(".json") + ".reply"
