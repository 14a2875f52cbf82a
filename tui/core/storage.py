"""The TinyDB storage under the store: a snapshot in memory, written atomically under a lock.

TinyDB's stock ``JSONStorage`` rewrites its file in place and truncates afterwards, so a kill
between the two leaves a file that does not parse, and two processes that each hold a copy of
the data overwrite each other's updates. Here every write goes to a fresh file that is fsynced
and then renamed over the old one (a reader sees the old file or the new one, never a mix), and
every read-modify-write happens under ``flock`` on a side file after re-reading the data file
if another process replaced it.

Serialising 10,000 index rows with ``json.dumps`` costs more than the whole budget of one
upsert, so the storage keeps each document's JSON text and re-serialises only documents it has
not seen. That relies on one rule, kept by ``tui.core.store``: a document dict is never mutated
in place once it is in the data; a change replaces the dict.

The file primitives are in ``tui.core.files`` and the locks in ``tui.core.locks``; their names
are re-exported here for code that imported them from this module.
"""

from __future__ import annotations

import operator
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from tui.core.files import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    CorruptFile,
    FileSignature,
    atomic_write,
    dumps,
    ensure_private_dir,
    file_signature,
    fsync_dir,
    parse_json,
    read_file,
    signature,
)
from tui.core.locks import InterProcessLock, ReplyMarks

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "AtomicJSONStorage",
    "CorruptFile",
    "FileSignature",
    "InterProcessLock",
    "ReplyMarks",
    "TableChanges",
    "Tables",
    "atomic_write",
    "dumps",
    "ensure_private_dir",
    "file_signature",
    "fsync_dir",
    "parse_json",
    "read_file",
    "signature",
]

Tables = dict[str, dict[str, Any]]
# table name -> (keys added or changed, keys removed)
TableChanges = dict[str, tuple[set[str], set[str]]]
_MISS = (None, b"")


class AtomicJSONStorage(Storage):
    """A TinyDB storage that serves a cached snapshot and writes with ``atomic_write``.

    TinyDB reads the whole data before every change and writes it back after, so ``read`` must
    be cheap: it returns the snapshot in memory. Loading from disk is the store's business,
    under the lock, through ``load`` and ``adopt``. ``write`` only records the new data; the
    store's transaction calls ``flush`` once at the end, so a bulk change costs one file write.
    """

    def __init__(self, path: Path, lock: InterProcessLock, tmp_dir: Path) -> None:
        super().__init__()
        self.path = path
        self._lock = lock
        self._tmp_dir = tmp_dir
        self._data: Tables | None = None
        self._signature: FileSignature | None = None
        self._index_writes = -1
        self._dirty = False
        # table -> key -> (doc, b'"key":{...}') as last written.
        self._pieces: dict[str, dict[str, tuple[Any, bytes]]] = {}
        self.version = 0

    # -- the TinyDB interface ------------------------------------------------------------
    def read(self) -> Tables | None:
        if self._data is None:
            raise RuntimeError("the store is not loaded; reopen it")
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if not self._lock.held:
            raise RuntimeError("store writes must happen inside a transaction")
        self._data = data
        self._dirty = True
        self.version += 1

    # -- ours ----------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._data is not None

    @property
    def dirty(self) -> bool:
        return self._dirty

    def changed_on_disk(self) -> bool:
        """Whether the file differs from the snapshot, by stat and the lock's counter."""
        if self._data is None:
            return True
        if self._index_writes != self._lock.counters()[1]:
            return True
        return file_signature(self.path) != self._signature

    def load(self) -> tuple[bytes, FileSignature] | None:
        return read_file(self.path)

    def adopt(self, data: Tables, file_sig: FileSignature | None) -> TableChanges | None:
        """Take ``data`` (just read from ``file_sig``) as the snapshot; return what differs
        from the snapshot it replaces, table by table (None: there was none to compare with).

        Documents equal to ones we already had keep the old dict objects, so their cached JSON
        survives another process's write and our next write stays cheap.
        """
        changes = None if self._data is None else _reuse_equal_documents(self._data, data)
        self._data = data
        self._signature = file_sig
        self._index_writes = self._lock.counters()[1]
        self._dirty = False
        self.version += 1
        return changes

    def flush(self) -> None:
        if self._data is None or not self._dirty:
            return
        payload = self._serialise(self._data)
        self._signature = atomic_write(self.path, payload, self._tmp_dir)
        self._dirty = False

    def keep_in_memory(self) -> None:
        """A read-only record: take the snapshot as it is, with nothing to write."""
        self._dirty = False

    def note_index_writes(self, count: int) -> None:
        """Record the lock's index counter after our own commit so it is not taken as foreign."""
        self._index_writes = count

    def discard(self) -> None:
        """Forget a snapshot that may hold a change that never reached the disk."""
        self._data = None
        self._signature = None
        self._dirty = False
        self._pieces.clear()
        self.version += 1

    def _serialise(self, data: Tables) -> bytes:
        pieces: dict[str, dict[str, tuple[Any, bytes]]] = {}
        tables = [self._serialise_table(name, docs, pieces) for name, docs in data.items()]
        self._pieces = pieces
        return b"{" + b",".join(tables) + b"}"

    def _serialise_table(
        self, name: str, documents: dict[str, Any], pieces: dict[str, dict[str, tuple[Any, bytes]]]
    ) -> bytes:
        """One table's JSON, re-serialising only documents not seen under the same key.

        The comparison is by identity, done with ``map`` so that the 10,000 unchanged rows
        cost C loops rather than Python ones; the cache holds each document, so an id cannot
        be reused by another object while its piece is cached.
        """
        cache = self._pieces.get(name, {})
        keys = list(documents)
        docs = list(documents.values())
        entries = list(map(cache.get, keys, repeat(_MISS)))
        changed = map(operator.is_not, map(itemgetter(0), entries), docs)
        for index in compress(range(len(keys)), changed):
            entries[index] = (docs[index], dumps(keys[index]) + b":" + dumps(docs[index]))
        pieces[name] = dict(zip(keys, entries, strict=True))
        return dumps(name) + b":{" + b",".join(map(itemgetter(1), entries)) + b"}"


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
