"""The TinyDB storage under the index: a snapshot file and an append-only journal beside it.

TinyDB's stock ``JSONStorage`` rewrites its whole file for every change, so a write costs the
size of the record (200 ms at 100,000 threads) and a reader must re-parse all of it to see one
changed row. Here the data lives in two files::

    index.json      a TinyDB JSON file (readable by stock TinyDB): the snapshot, replaced only
                    by an atomic rename (``tui.core.files.atomic_write``)
    index.journal   checksummed JSON lines (``tui.core.journal``): a header naming the
                    snapshot's generation, then one line per committed change

A commit appends one line ``{"c": [[table, key, document or null], ...]}`` and fsyncs it: what
the change is, not the record. The data is the snapshot with every intact journal line of the
same generation applied in order. When the journal has grown past a bound, it is folded into a
new snapshot (``compact``): first the snapshot with generation g+1 is renamed into place, then
a fresh journal with a g+1 header. A kill between the two leaves a journal of generation g,
which readers ignore, since the new snapshot holds all of it. Everything is done under the
store's lock (``tui.core.locks``); a reader that holds the journal open reads the rest of the
old journal after a compaction and carries on in the new one without reading the snapshot.

TinyDB's interface (``read``, ``write`` of the whole data) works: ``write`` records the
documents that differ as keyed changes. The index itself uses ``put`` and ``delete``, which
name the keys and cost what they change. Documents are never edited in place once stored
(a change replaces the dict), which is what makes identity a cheap "unchanged" test.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from tinydb.storages import Storage

from tui.core.files import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    CorruptFile,
    FileSignature,
    append_durably,
    atomic_write,
    dumps,
    ensure_private_dir,
    file_signature,
    fsync_dir,
    open_appendable,
    parse_json,
    read_file,
    read_from,
    signature,
)
from tui.core.journal import Lines, encode, parse
from tui.core.locks import InterProcessLock, ReplyMarks
from tui.core.migrations import CURRENT_VERSION, STORE_DOC, STORE_TABLE
from tui.core.snapshot_layout import dumps_tables

__all__ = [
    "JOURNAL_FORMAT",
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "CorruptFile",
    "FileSignature",
    "InterProcessLock",
    "JournalPosition",
    "JournalStorage",
    "ReplyMarks",
    "TableChanges",
    "Tables",
    "apply_lines",
    "atomic_write",
    "dumps",
    "ensure_private_dir",
    "file_signature",
    "fsync_dir",
    "generation_of",
    "parse_json",
    "read_file",
    "signature",
]

Tables = dict[str, dict[str, Any]]
# table name -> (keys added or changed, keys removed)
TableChanges = dict[str, tuple[set[str], set[str]]]
JOURNAL_FORMAT = "threadtui-journal"
JOURNAL_MIN_BOUND = 256 * 1024
"""A journal is folded into the snapshot once it is past this size and a quarter of the
snapshot's: replaying it at open then costs at most a fraction of parsing the snapshot, and
the rewrite of the snapshot is paid once per thousands of changes."""
_ABSENT = object()
Change = list[Any]  # [table, key, document or None]


class JournalPosition(NamedTuple):
    """Where the data held stands on disk: the snapshot of ``generation`` (its signature)
    with its journal (that inode) applied up to byte ``journal_end``."""

    generation: int
    snapshot: FileSignature
    journal_inode: int
    journal_end: int


def generation_of(data: Tables) -> int:
    doc = data.get(STORE_TABLE, {}).get(STORE_DOC)
    value = doc.get("generation", 0) if isinstance(doc, dict) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class JournalStorage(Storage):
    """A TinyDB storage over a snapshot and its journal; see the module docstring."""

    def __init__(
        self, path: Path, journal_path: Path, lock: InterProcessLock, tmp_dir: Path, *,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.path = path
        self.journal_path = journal_path
        self._lock = lock
        self._tmp_dir = tmp_dir
        self._read_only = read_only
        self._data: Tables | None = None
        self._snapshot_sig: FileSignature | None = None
        self._snapshot_size = 0
        self._generation = 0
        self._fd = -1  # the journal we read and append to
        self._inode = -1
        self._end = 0  # just past its last intact line
        self._seen = 0  # how much of it we read (a torn tail included): "nothing new" below
        self._stale = True  # the journal on disk is not this snapshot's: compact before appending
        self._pending: list[Change] = []
        self._undo: dict[tuple[str, str], Any] = {}
        self._durable = False
        self.damaged_lines = 0  # journal lines that failed their checksum, since last taken
        self.version = 0
        self.folds = 0  # snapshots written (``compact``): a derived head follows each

    # -- the TinyDB interface ------------------------------------------------------------
    def read(self) -> Tables | None:
        if self._data is None:
            raise RuntimeError("the store is not loaded; reopen it")
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """TinyDB hands over the whole data: journal the documents that differ."""
        current = self.read() or {}
        for name in current.keys() | data.keys():
            before, after = current.get(name, {}), data.get(name, {})
            self.put(name, {
                key: doc for key, doc in after.items()
                if before.get(key, _ABSENT) is not doc and before.get(key, _ABSENT) != doc
            })
            self.delete(name, [key for key in before if key not in after])

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    # -- keyed changes -------------------------------------------------------------------
    def put(self, table: str, docs: Mapping[str, Any], *, durable: bool = True) -> None:
        """Store ``docs`` under their keys, written at the next ``flush``. ``durable`` False:
        data that can be derived again (``last_active`` from a transcript) rides on the next
        fsync of the journal instead of paying one of its own."""
        rows = self._rows(table)
        for key, doc in docs.items():
            self._remember(table, key, rows)
            rows[key] = doc
            self._pending.append([table, key, doc])
        if docs:
            self._durable |= durable
            self.version += 1

    def delete(self, table: str, keys: Collection[str]) -> None:
        rows = self._rows(table)
        for key in keys:
            if key in rows:
                self._remember(table, key, rows)
                del rows[key]
                self._pending.append([table, key, None])
                self._durable = True
        if keys:
            self.version += 1

    def _rows(self, table: str) -> dict[str, Any]:
        if not self._lock.held:
            raise RuntimeError("store writes must happen inside a transaction")
        data = self.read()
        assert data is not None
        return data.setdefault(table, {})

    def _remember(self, table: str, key: str, rows: dict[str, Any]) -> None:
        self._undo.setdefault((table, key), rows.get(key, _ABSENT))

    @property
    def position(self) -> JournalPosition | None:
        """Where the data held stands on disk; None when it is not just a snapshot and its
        journal (not loaded, a journal to be started afresh, changes not yet written)."""
        if (self._data is None or self._fd < 0 or self._stale or self._pending
                or self._snapshot_sig is None):
            return None
        return JournalPosition(self._generation, self._snapshot_sig, self._inode, self._end)

    @property
    def loaded(self) -> bool:
        return self._data is not None

    @property
    def dirty(self) -> bool:
        return bool(self._pending)

    def flush(self) -> None:
        """Commit the pending changes: one journal line (or a new snapshot when the journal
        must be started afresh). On an error nothing of them can be read back."""
        if not self._pending:
            return
        if self._fd < 0 or self._stale:
            self.compact()
        else:
            line = encode({"c": self._pending})
            self._end = self._seen = append_durably(
                self._fd, line, self._end, sync=self._durable, name=self.path
            )
            self._forget_pending()
            if self._end > max(JOURNAL_MIN_BOUND, self._snapshot_size // 4):
                # The change is committed: a failed fold is tried again at the next write.
                with contextlib.suppress(OSError):
                    self.compact()
        self._forget_pending()

    def discard(self) -> None:
        """Undo pending changes that never reached the disk."""
        if self._data is not None:
            for (table, key), before in reversed(list(self._undo.items())):
                rows = self._data.setdefault(table, {})
                if before is _ABSENT:
                    rows.pop(key, None)
                else:
                    rows[key] = before
        self._forget_pending()
        self.version += 1

    def _forget_pending(self) -> None:
        self._pending = []
        self._undo.clear()
        self._durable = False

    def keep_in_memory(self) -> None:
        """A read-only record: repairs made while reading stay in memory."""
        self._forget_pending()

    # -- folding the journal into a new snapshot -------------------------------------------
    def compact(self) -> None:
        """Write the data as snapshot generation g+1, then a fresh journal for it."""
        data = self.read()
        assert data is not None
        generation = self._generation + 1
        store_doc = dict(data.get(STORE_TABLE, {}).get(STORE_DOC) or {})
        store_doc.update(schema_version=CURRENT_VERSION, generation=generation)
        data[STORE_TABLE] = {STORE_DOC: store_doc}
        payload = dumps_tables(data)  # a row to a line: read a batch at a time
        self._stale = True  # until the new journal is in place
        snapshot_sig = atomic_write(self.path, payload, self._tmp_dir)
        self._generation = generation
        header = encode({"format": JOURNAL_FORMAT, "version": 1, "generation": generation})
        atomic_write(self.journal_path, header, self._tmp_dir)
        fd = open_appendable(self.journal_path)
        self.close()
        self._fd, self._inode, self._end = fd, os.fstat(fd).st_ino, len(header)
        self._seen = self._end
        self._snapshot_sig, self._snapshot_size = snapshot_sig, len(payload)
        self._stale = False
        self._forget_pending()
        self.folds += 1

    # -- reading from disk ---------------------------------------------------------------
    def changed_on_disk(self) -> bool:
        """Whether either file differs from what we read: two ``stat`` calls."""
        if self._data is None:
            return True
        try:
            journal = os.stat(self.journal_path)
        except FileNotFoundError:
            return self._fd >= 0 or file_signature(self.path) != self._snapshot_sig
        if journal.st_ino != self._inode or journal.st_size != self._seen:
            return True
        return file_signature(self.path) != self._snapshot_sig

    def load(self) -> tuple[bytes, FileSignature] | None:
        return read_file(self.path)

    def adopt(
        self, data: Tables, file_sig: FileSignature | None, *, any_generation: bool = False
    ) -> TableChanges | None:
        """Take ``data`` (the snapshot just read from ``file_sig``) with its journal applied;
        return what differs from what we held, table by table (None: nothing to compare with).

        ``any_generation``: a rebuilt index applies whatever journal there is (later changes
        on top of an older base are the best guess there is) and is then written afresh.
        Documents equal to ones we held keep the old dict objects, so the caches keyed by
        identity (the listing's search text) survive another process's write.
        """
        self.close()
        self._generation = generation_of(data)
        self._snapshot_sig = file_sig
        self._snapshot_size = file_sig[2] if file_sig else 0
        self._stale = True
        self._fd, self._inode, self._end, self._seen = -1, -1, 0, 0
        fd = self._open_journal()
        if fd >= 0:
            raw = read_from(fd, 0)
            found = parse(raw)
            self._seen = len(raw)
            header = found.values[0] if found.values else None
            generation = _journal_generation(header)
            self._fd, self._inode, self._end = fd, os.fstat(fd).st_ino, found.end
            if generation == self._generation or (any_generation and generation is not None):
                apply_lines(data, found.values[1:], None)
                self.damaged_lines += found.damaged
                self._stale = generation != self._generation
        changes = None if self._data is None else _reuse_equal_documents(self._data, data)
        self._data = data
        self._forget_pending()
        self.version += 1
        return changes

    def catch_up(self) -> TableChanges | None:
        """Apply what other processes appended since we last read; None when only reading
        the snapshot again can tell (it was replaced by other means than a compaction we
        followed, or several compactions ran since)."""
        if self._data is None:
            return None
        try:
            journal = os.stat(self.journal_path)
        except FileNotFoundError:
            # No journal yet (a v2 record read without upgrading it): the snapshot is all.
            unchanged = self._fd < 0 and file_signature(self.path) == self._snapshot_sig
            return {} if unchanged else None
        if self._fd < 0:
            return None
        if journal.st_ino == self._inode:
            if file_signature(self.path) != self._snapshot_sig:
                return None  # replaced, not compacted (or a compaction stopped halfway)
            if journal.st_size == self._seen:
                return {}
            changes: TableChanges = {}
            self._read_tail(changes)
            return changes
        # Compacted by another process: the rest of the old journal, then the new one.
        changes = {}
        self._read_tail(changes)
        fd = self._open_journal()
        if fd < 0:
            return None
        raw = read_from(fd, 0)
        found = parse(raw)
        header = found.values[0] if found.values else None
        if _journal_generation(header) != self._generation + 1:
            os.close(fd)
            return None
        apply_lines(self._data, found.values[1:], changes)
        self.damaged_lines += found.damaged
        self.close()
        self._fd, self._inode, self._end = fd, os.fstat(fd).st_ino, found.end
        self._seen = len(raw)
        self._generation += 1
        self._snapshot_sig = file_signature(self.path)
        self._snapshot_size = self._snapshot_sig[2] if self._snapshot_sig else 0
        self._data.setdefault(STORE_TABLE, {})[STORE_DOC] = {
            "schema_version": CURRENT_VERSION, "generation": self._generation
        }
        self.version += 1
        return changes

    def _read_tail(self, changes: TableChanges) -> None:
        assert self._data is not None
        raw = read_from(self._fd, self._end)
        found: Lines = parse(raw, self._end)
        self._seen = self._end + len(raw)
        if found.values or found.damaged:
            apply_lines(self._data, found.values, changes)
            self.damaged_lines += found.damaged
            self.version += 1
        self._end = found.end

    def _open_journal(self) -> int:
        try:
            if self._read_only:
                return os.open(self.journal_path, os.O_RDONLY | os.O_CLOEXEC)
            return open_appendable_existing(self.journal_path)
        except FileNotFoundError:
            return -1


def open_appendable_existing(path: Path) -> int:
    """An existing journal, to read and append to (FileNotFoundError when there is none:
    a journal is only ever created whole by ``compact``)."""
    return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)


def _journal_generation(header: Any) -> int | None:
    if not isinstance(header, dict) or header.get("format") != JOURNAL_FORMAT:
        return None
    generation = header.get("generation")
    return generation if isinstance(generation, int) and not isinstance(generation, bool) else None


def apply_lines(data: Tables, lines: list[Any], changes: TableChanges | None) -> None:
    """Apply journal lines in order; a line of another shape is skipped (never ours)."""
    for line in lines:
        batch = line.get("c") if isinstance(line, dict) else None
        if not isinstance(batch, list):
            continue
        for change in batch:
            if not (isinstance(change, list) and len(change) == 3):
                continue
            table, key, doc = change
            if not (isinstance(table, str) and isinstance(key, str)):
                continue
            rows = data.setdefault(table, {})
            if doc is None:
                rows.pop(key, None)
            else:
                rows[key] = doc
            if changes is not None:
                added, removed = changes.setdefault(table, (set(), set()))
                (removed if doc is None else added).add(key)
                (added if doc is None else removed).discard(key)


def _reuse_equal_documents(old: Tables, new: Tables) -> TableChanges:
    """Keep ``old``'s dict for every document of ``new`` equal to it; return, per table, the
    keys whose documents differ or are new, and the keys that are gone."""
    changes: TableChanges = {}
    for name in old.keys() | new.keys():
        previous = old.get(name, {})
        documents = new.get(name, {})
        changed: set[str] = set()
        for key, doc in documents.items():
            before = previous.get(key)
            if before is None:
                changed.add(key)
            elif before is not doc:
                if before == doc:
                    documents[key] = before
                else:
                    changed.add(key)
        removed = previous.keys() - documents.keys()
        if changed or removed:
            changes[name] = (changed, set(removed))
    return changes
