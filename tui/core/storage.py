"""The file layer under the store: atomic replacement, an inter-process lock, a TinyDB storage.

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
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import operator
import os
import secrets
import threading
from collections.abc import Iterator
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700

# (inode, mtime_ns, size): cheap to get with one stat(); changes whenever the file is replaced,
# except in the rare case of inode reuse within one mtime tick, which the lock file's
# generation counter covers.
FileSignature = tuple[int, int, int]

Tables = dict[str, dict[str, Any]]
_MISS = (None, b"")


class CorruptFile(Exception):
    """The file exists but does not hold what we wrote: the caller decides what to keep."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def signature(stat: os.stat_result) -> FileSignature:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def file_signature(path: Path) -> FileSignature | None:
    try:
        return signature(os.stat(path))
    except FileNotFoundError:
        return None


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` for the user alone; an existing directory's mode is the user's choice."""
    if not path.is_dir():
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, PRIVATE_DIR_MODE)


def fsync_dir(path: Path) -> None:
    """Make a rename durable: the new directory entry is only safe once the directory is."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(target: Path, payload: bytes, tmp_dir: Path | None = None) -> FileSignature:
    """Replace ``target`` with ``payload`` so that a kill at any moment leaves old or new.

    The temporary file lives in ``tmp_dir`` (same filesystem, so the rename is atomic) where a
    store can sweep leftovers of killed writers without scanning thousands of transcripts.
    Returns the new file's signature, taken from the descriptor, so that our own write is not
    mistaken for another process's.
    """
    directory = tmp_dir or target.parent
    tmp = directory / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    fd = os.open(tmp, flags, PRIVATE_FILE_MODE)
    try:
        try:
            _write_all(fd, payload)
            os.fsync(fd)
            new_signature = signature(os.fstat(fd))
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)
    return new_signature


def read_file(path: Path) -> tuple[bytes, FileSignature] | None:
    """The bytes and the signature of the very inode they came from (None: no file)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(), signature(os.fstat(handle.fileno()))
    except FileNotFoundError:
        return None


def parse_json(path: Path, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CorruptFile(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CorruptFile(
            path, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise CorruptFile(path, "not valid JSON (nested too deeply)") from None


def dumps(value: Any) -> bytes:
    """Compact, ASCII-only JSON: a lone surrogate in some title can never make a write fail."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode(
        "ascii"
    )


class InterProcessLock:
    """``flock`` on a side file, re-entrant within a process and safe across its threads.

    The lock file is never replaced (a lock on a renamed-away inode would protect nothing), so
    it also carries two counters that writers bump under the lock: how many commits there were,
    and how many of them rewrote the index. A reader compares them to notice another process's
    writes even when a stat() could not tell (inode reuse, coarse timestamps), and a transcript
    change that did not touch the index.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
        self._fd = os.open(path, flags, PRIVATE_FILE_MODE)
        self._thread_lock = threading.RLock()
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def hold(self) -> Iterator[bool]:
        """Hold the lock; yields True for the outermost holder, who commits.

        The wait is a blocking ``flock``: the kernel queues waiters, so two busy writers take
        turns instead of one starving the other, and a killed holder's lock is released by the
        kernel.
        """
        with self._thread_lock:
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield self._depth == 1
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def counters(self) -> tuple[int, int]:
        """(commits, index rewrites); (0, 0) for a new or unreadable lock file."""
        raw = os.pread(self._fd, 64, 0)
        try:
            commits, index_writes = raw.split()[:2]
            return int(commits), int(index_writes)
        except ValueError:
            return (0, 0)

    def bump(self, *, index: bool) -> tuple[int, int]:
        commits, index_writes = self.counters()
        new = (commits + 1, index_writes + (1 if index else 0))
        os.pwrite(self._fd, f"{new[0]:020d} {new[1]:020d}\n".encode("ascii"), 0)
        return new

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


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

    def adopt(self, data: Tables, file_sig: FileSignature | None) -> None:
        """Take ``data`` (just read from ``file_sig``) as the snapshot.

        Documents equal to ones we already had keep the old dict objects, so their cached JSON
        survives another process's write and our next write stays cheap.
        """
        if self._data is not None:
            _reuse_equal_documents(self._data, data)
        self._data = data
        self._signature = file_sig
        self._index_writes = self._lock.counters()[1]
        self._dirty = False
        self.version += 1

    def flush(self) -> None:
        if self._data is None or not self._dirty:
            return
        payload = self._serialise(self._data)
        self._signature = atomic_write(self.path, payload, self._tmp_dir)
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


def _reuse_equal_documents(old: Tables, new: Tables) -> None:
    for name, documents in new.items():
        previous = old.get(name)
        if not previous:
            continue
        for key, doc in documents.items():
            before = previous.get(key)
            if before is not None and before is not doc and before == doc:
                documents[key] = before


class ReplyMarks:
    """Which threads have a reply being received right now, by any live process.

    A process that waits for a reply holds a shared ``flock`` on ``<dir>/<name>`` from before
    the user's turn is written until the reply (whole, failed or stopped) is written after it.
    If it is killed, the kernel drops the lock, so a file whose lock can be taken exclusively
    names a reply that will never arrive. Nothing is written into the record to say "in
    flight", so there is nothing to clean up after a kill, and no process id that could be
    reused; the file holds only the thread id, for a sweep that finds it without the index.

    Files are removed by whoever last lets go of them; a process that takes a file's lock
    checks that the path still names the file it locked, so a removal racing with a new holder
    can never leave that holder invisible.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextlib.contextmanager
    def hold(self, name: str, thread_id: str) -> Iterator[None]:
        path = self.directory / name
        fd = self._lock_current(path, fcntl.LOCK_SH)
        try:
            if os.fstat(fd).st_size == 0:
                os.pwrite(fd, dumps({"thread_id": thread_id}), 0)
            yield
        finally:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # another process waits for a reply to this thread: it removes the file
            else:
                self._remove_if_current(path, fd)
            os.close(fd)

    def abandoned(self) -> dict[str, str | None]:
        """{file name: thread id (None if unreadable)} of every mark whose holder is gone.

        Cheap when nothing was abandoned (one ``scandir`` of an empty directory), so an app can
        call it on a timer to notice another session that was killed mid-reply. Nothing is
        removed here: ``claim`` does that once the lost reply is written down.
        """
        found: dict[str, str | None] = {}
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return found
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            try:
                fd = os.open(entry.path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # held: a live process still waits for that reply
            else:
                found[entry.name] = _thread_id_in(os.pread(fd, 4096, 0))
            finally:
                os.close(fd)
        return found

    @contextlib.contextmanager
    def claim(self, name: str) -> Iterator[bool]:
        """Yield True while holding an abandoned mark alone, False when there is none or its
        holder is alive. A claimed mark is removed when the block ends without an error, so
        a kill before the lost reply is written down leaves the mark for the next process.
        """
        path = self.directory / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            yield False
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                claimed = _is_current(path, fd)
            except BlockingIOError:
                claimed = False
            yield claimed
            if claimed:
                self._remove_if_current(path, fd)
        finally:
            os.close(fd)

    def exists(self, name: str) -> bool:
        return os.path.lexists(self.directory / name)

    def pending(self) -> bool:
        """Whether any mark exists at all (held or abandoned): one ``scandir``, no locks."""
        try:
            with os.scandir(self.directory) as entries:
                return any(True for _ in entries)
        except FileNotFoundError:
            return False

    def _lock_current(self, path: Path, operation: int) -> int:
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)
            try:
                fcntl.flock(fd, operation)
                if _is_current(path, fd):
                    return fd
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # removed while we waited: lock the file that is there now

    @staticmethod
    def _remove_if_current(path: Path, fd: int) -> None:
        if _is_current(path, fd):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _is_current(path: Path, fd: int) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _thread_id_in(raw: bytes) -> str | None:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    thread_id = data.get("thread_id") if isinstance(data, dict) else None
    return thread_id if isinstance(thread_id, str) else None
