"""The thread index and its transactions: a TinyDB record, changed only under the lock.

Every change is a read-modify-write under one ``flock`` (``tui.core.locks``), after taking in
what another process wrote (the journal lines it appended, ``JournalStorage.catch_up``), and
is committed once at the end as one fsync'd journal line (``tui.core.storage``): a kill at any
moment leaves the change whole or absent. Reading the snapshot from disk checks it on the way
in: a newer schema is refused, an older one upgraded (a copy of the old file kept), unusable
rows left out (a copy kept), and a file that does not parse moved aside and rebuilt from the
transcripts; damaged journal lines are left out (a copy kept); each is reported through
``Damage``.

On disk, in the data directory::

    index.json            TinyDB file (the snapshot): tables threads (keyed by thread id),
                          meta, _store (schema version and generation)
    index.journal         changes since the snapshot, one checksummed line each
    index.lock            flock target and change counters; never replaced
    index.head            the first rows in list order, derived (``tui.core.index_head``):
                          written when the snapshot is folded and when a store that
                          changed the record closes
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Table

from tui.core.damage import Damage, ProblemKind, StoreTooNew
from tui.core.files import CorruptFile, parse_json
from tui.core.gc_pause import paused
from tui.core.index_head import head_path, write_head, written_position
from tui.core.locks import InterProcessLock
from tui.core.migrations import (
    CURRENT_VERSION,
    META,
    THREADS,
    check_tables,
    empty_index,
    migrate,
    schema_version,
    split_valid_threads,
)
from tui.core.record_changes import NOTHING, RecordChanges
from tui.core.safe_text import printable
from tui.core.snapshot_layout import loads_tables
from tui.core.storage import JournalPosition, JournalStorage, TableChanges
from tui.core.transcript_files import TranscriptFiles
from tui.core.wording import agree, plural

INDEX_NAME = "index.json"
JOURNAL_NAME = "index.journal"
LOCK_NAME = "index.lock"


class KeyedTable:
    """Changes to one table of the index, keyed by our own ids (thread id, meta key).

    Handed to the storage as keyed changes (``JournalStorage.put``/``delete``): TinyDB's own
    table writes give the storage the whole data and convert every key twice, which is what
    made one write cost the whole index. Reads go through TinyDB (``RecordIndex.db``) or the
    storage's ``read``.
    """

    def __init__(self, storage: JournalStorage, name: str) -> None:
        self._storage = storage
        self.name = name

    def put_many(self, docs: Mapping[str, dict[str, Any]], *, durable: bool = True) -> None:
        self._storage.put(self.name, docs, durable=durable)

    def delete_many(self, keys: Collection[str]) -> None:
        self._storage.delete(self.name, keys)


class _StrKeyedTable(Table):
    """TinyDB's table with our string keys as document ids, and no query cache (another
    process can change the data under it)."""

    document_id_class = str  # type: ignore[assignment]
    default_query_cache_capacity = 0


class _RecordDB(TinyDB):
    table_class = _StrKeyedTable


class RecordIndex:
    """The index of one data directory; ``transaction()`` around every read-modify-write."""

    def __init__(
        self,
        data_dir: Path,
        tmp_dir: Path,
        damage: Damage,
        transcripts: TranscriptFiles,
        *,
        lock_timeout: float | None = None,
        read_only: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.path = data_dir / INDEX_NAME
        self._damage = damage
        self._transcripts = transcripts
        self.read_only = read_only
        self.lock = InterProcessLock(
            data_dir / LOCK_NAME, timeout=lock_timeout, read_only=read_only
        )
        self.storage = JournalStorage(
            self.path, data_dir / JOURNAL_NAME, self.lock, tmp_dir, read_only=read_only
        )
        self.db = _RecordDB(storage=lambda: self.storage)
        self.threads = KeyedTable(self.storage, THREADS)
        self.meta = KeyedTable(self.storage, META)
        self.seen_commits = 0
        self._changes = NOTHING  # others' changes taken in since ``take_changes`` last ran
        self._ever_loaded = False
        self._tmp_dir = tmp_dir
        self._head_position: JournalPosition | None = None  # of the head we wrote last
        self._folds_seen = 0
        self.before_load: Callable[[], None] | None = None
        """Run once, before the first transaction (and so the first read of the index): a
        store opened from the head finishes opening there (``Store.open(lazy=True)``)."""

    def close(self) -> None:
        self.keep_head()
        self.storage.close()
        self.lock.close()

    def note_everything(self) -> None:
        """Rows may differ anywhere from what a caller was shown (the head, read before the
        whole index): the next ``take_changes`` says so."""
        self._changes |= RecordChanges(everything=True)

    # -- the head --------------------------------------------------------------------------
    def keep_head(self) -> None:
        """Write the head (``tui.core.index_head``) of the data held unless the last one we
        wrote describes it: at close, and after a fold. Derived data: a disk that refuses it
        costs the next start its speed, nothing else."""
        position = self.storage.position
        if self.read_only or position is None or position == self._head_position:
            return
        path = head_path(self.data_dir)
        written = written_position(path)
        if written is not None and _not_older(written, position):
            # Another process wrote it (or we did, earlier), of this data or newer: a close
            # outside the lock must not put back an older head over a fold's.
            self._head_position = position
            return
        data = self.storage.read()
        assert data is not None
        with contextlib.suppress(OSError):
            write_head(path, self._tmp_dir, data, position)
            self._head_position = position

    # -- reading ---------------------------------------------------------------------------
    def data(self) -> dict[str, dict[str, Any]]:
        if not self.storage.loaded:
            with self.transaction():
                pass
        data = self.storage.read()
        assert data is not None
        return data

    def row(self, thread_id: str) -> dict[str, Any] | None:
        """One thread's row, through TinyDB's own table (a ``Document``: a copy)."""
        self.data()
        table = self.db.table(THREADS)
        found = table.get(doc_id=thread_id)  # type: ignore[call-overload]
        return found if isinstance(found, dict) else None

    def threads_data(self) -> dict[str, dict[str, Any]]:
        return self.data().get(THREADS, {})

    def meta_data(self) -> dict[str, Any]:
        return self.data().get(META, {})

    # -- other processes -------------------------------------------------------------------
    def changed_on_disk(self) -> bool:
        """Whether another process wrote since we last loaded: cheap enough to poll."""
        return self.lock.counters()[0] != self.seen_commits or self.storage.changed_on_disk()

    def catch_up(self) -> None:
        """Take in every commit so far (under the lock, re-reading the index if it changed)."""
        with self.transaction():
            self.seen_commits = self.lock.counters()[0]

    def take_changes(self) -> RecordChanges:
        """What other processes changed, as taken in by every read since the last call."""
        changes, self._changes = self._changes, NOTHING
        return changes

    def _note(self, table_changes: TableChanges | None, *, rebuilt: bool = False) -> None:
        if table_changes is None or rebuilt:
            # Nothing to compare with: the first load is no change; a reload after a discarded
            # snapshot or a rebuilt index cannot be told row by row.
            if self._ever_loaded:
                self._changes |= RecordChanges(everything=True)
        else:
            changed, removed = table_changes.get(THREADS, (set(), set()))
            self._changes |= RecordChanges(
                changed=frozenset(changed), removed=frozenset(removed), meta=META in table_changes
            )
        self._ever_loaded = True

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Lock, catch up with other processes, run the change, write once, publish."""
        if self.before_load is not None and not self.lock.held:
            opening, self.before_load = self.before_load, None
            try:
                opening()
            except BaseException:
                self.before_load = opening  # tried again by the next call
                raise
        with self.lock.hold() as outermost:
            if not outermost:
                yield
                return
            self._transcripts.written = False
            index_written = False
            try:
                self._refresh_locked()
                if self.read_only:
                    # A repair made while reading (an upgrade, rows left out) lives in memory
                    # only; the store refuses every change before it reaches here.
                    self.storage.keep_in_memory()
                yield
                if self.storage.dirty:
                    self.storage.flush()
                    index_written = True
                if self.storage.folds != self._folds_seen:
                    # A new snapshot (a fold, a repair): its head with it, not at each write.
                    self._folds_seen = self.storage.folds
                    self.keep_head()
            except BaseException:
                if self.storage.dirty:
                    self.storage.discard()
                raise
            finally:
                if index_written or self._transcripts.written:
                    self._publish(index_written)

    def _publish(self, index_written: bool) -> None:
        before = self.lock.counters()[0]
        commits, _ = self.lock.bump(index=index_written)
        if before == self.seen_commits:
            self.seen_commits = commits

    # -- loading, checking, repairing -----------------------------------------------------
    def _refresh_locked(self) -> None:
        if self.storage.loaded:
            # The common case: the lines other processes appended since we last read.
            changes = self.storage.catch_up()
            if changes is not None:
                if changes:
                    self._note(changes)
                self._report_damaged_lines()
                return
        loaded = self.storage.load()
        if loaded is None or not loaded[0].strip():
            self._start_fresh(loaded[1] if loaded else None, missing=True)
            return
        raw, file_sig = loaded
        try:
            with paused():  # millions of objects, no cycles (gc_pause)
                data, changed = self._prepare(parse_json(self.path, raw, loads_tables))
        except CorruptFile as exc:
            # Damaged under a running session: what this session last read is worth keeping.
            kept = self.storage.read() if self.storage.loaded else None
            aside = self._damage.move_aside(self.path)
            count = self._start_fresh(None, missing=False, kept=kept)
            self._damage.report(
                ProblemKind.CORRUPT_INDEX,
                f"The thread index {self.path} could not be read ({exc.reason}). "
                f"It was moved to {aside} and a new index was started"
                + (f"; {plural(count, 'thread')} {agree(count, 'was', 'were')} recovered."
                   if count else "."),
                aside,
            )
            return
        with paused():  # millions of objects, no cycles (gc_pause)
            self._note(self.storage.adopt(data, file_sig))
        self._report_damaged_lines()
        if changed and not self.read_only:
            self.storage.compact()

    def _report_damaged_lines(self) -> None:
        count, self.storage.damaged_lines = self.storage.damaged_lines, 0
        if not count:
            return
        journal = self.storage.journal_path
        copy_path = self._damage.copy_aside(journal, "corrupt")
        self._damage.report(
            ProblemKind.DAMAGED_INDEX,
            f"{plural(count, 'damaged change')} in {journal} "
            f"{agree(count, 'was', 'were')} left out. The file as it was is kept at {copy_path}.",
            copy_path,
        )

    def _start_fresh(
        self, file_sig: Any, *, missing: bool, kept: dict[str, Any] | None = None
    ) -> int:
        """Begin a new index with every thread that still has a transcript (and whatever an
        earlier good read in this session had), with the journal's changes on top."""
        data = empty_index()
        data[THREADS] = self._transcripts.rows()
        if kept:
            data[THREADS].update(kept.get(THREADS, {}))
            data[META].update(kept.get(META, {}))
        self._note(self.storage.adopt(data, file_sig, any_generation=True), rebuilt=True)
        self.storage.damaged_lines = 0
        if not self.read_only:
            self.storage.compact()
        count = len(data[THREADS])
        if missing and count:
            self._damage.report(
                ProblemKind.REBUILT_INDEX,
                f"The thread index {self.path} was missing or empty; "
                f"{plural(count, 'thread')} {agree(count, 'was', 'were')} rebuilt from their "
                "transcripts.",
            )
        return count

    def _prepare(self, data: Any) -> tuple[dict[str, Any], bool]:
        """Check, upgrade and clean a parsed index; (data, whether it must be written back)."""
        problem = check_tables(data)
        version = schema_version(data) if problem is None else -1
        if problem is not None or version < 1:
            raise CorruptFile(self.path, problem or "its schema_version is malformed")
        if version > CURRENT_VERSION:
            raise StoreTooNew(
                f"{self.path} was written by a newer threadtui (schema v{version}; this "
                f"one knows v{CURRENT_VERSION}). Upgrade threadtui to use this record."
            )
        changed = False
        if version < CURRENT_VERSION:
            backup = self._damage.copy_aside(self.path, f"pre-v{CURRENT_VERSION}")
            data, _ = migrate(data, self._transcripts)
            self._damage.report(
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
        copy_path = self._damage.copy_aside(self.path, "corrupt")
        examples = "; ".join(f"{printable(k)}: {why}" for k, why in list(bad.items())[:3])
        self._damage.report(
            ProblemKind.DAMAGED_INDEX,
            f"{plural(len(bad) + bad_meta, 'unusable row')} in {self.path} "
            f"{agree(len(bad) + bad_meta, 'was', 'were')} left out"
            + (f" ({examples})" if examples else "")
            + f". The file as it was is kept at {copy_path}.",
            copy_path,
        )
        return True


def _not_older(written: JournalPosition, ours: JournalPosition) -> bool:
    """Whether a head derived at ``written`` is at least as new as the data at ``ours``
    (generations only grow; within one, a journal only grows)."""
    if written.generation != ours.generation:
        return written.generation > ours.generation
    return (written.snapshot == ours.snapshot and written.journal_inode == ours.journal_inode
            and written.journal_end >= ours.journal_end)
