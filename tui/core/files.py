"""File primitives of the record: atomic replacement, fsync, private directories, JSON.

A write goes to a fresh file in a temporary directory that is fsynced and then renamed over
the old one, and the directory is fsynced after: a reader sees the old file or the new one,
never a mix, and a kill at any moment leaves one of the two. A file that does not parse is
reported as ``CorruptFile`` and the caller decides what to keep.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700

# (inode, mtime_ns, size): cheap to get with one stat(); changes whenever the file is replaced,
# except in the rare case of inode reuse within one mtime tick, which the lock file's
# generation counter covers.
FileSignature = tuple[int, int, int]


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
    try:
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
    except OSError as exc:
        # The file the user knows is the target, not our temporary name (nor none at all,
        # as os.write and os.fsync leave it): say which file the disk refused.
        exc.filename, exc.filename2 = str(target), None
        raise
    return new_signature


def open_appendable(path: Path) -> int:
    """A descriptor to append to ``path`` (created 0600 if missing)."""
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    try:
        return os.open(path, flags, PRIVATE_FILE_MODE)
    except OSError as exc:
        exc.filename, exc.filename2 = str(path), None
        raise


def append_durably(fd: int, payload: bytes, end: int, *, sync: bool, name: Path) -> int:
    """Append ``payload`` at ``end`` (where the last good line stops) and fsync; the new end.

    Whatever lies past ``end`` is a torn line of a killed writer, never acknowledged: it is cut
    off first, so the new line starts clean. When the write or the fsync fails, the file is cut
    back to ``end``, so a line the caller is told failed can never be read back as a change.
    ``sync`` False leaves durability to the next fsync of the file (for data that can be
    derived again, such as a thread's ``last_active``). ``name`` is the file an error names.
    """
    try:
        if os.fstat(fd).st_size != end:
            os.ftruncate(fd, end)
        try:
            _write_all(fd, payload)
            if sync:
                os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, end)
            raise
    except OSError as exc:
        exc.filename, exc.filename2 = str(name), None
        raise
    return end + len(payload)


def read_from(fd: int, offset: int) -> bytes:
    """Everything in the open file from ``offset`` on."""
    chunks: list[bytes] = []
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def read_file(path: Path) -> tuple[bytes, FileSignature] | None:
    """The bytes and the signature of the very inode they came from (None: no file)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(), signature(os.fstat(handle.fileno()))
    except FileNotFoundError:
        return None


def parse_json(path: Path, raw: bytes, loads: Callable[[str], Any] = json.loads) -> Any:
    """``raw`` as JSON, or ``CorruptFile`` saying why not; ``loads`` is ``json.loads`` or a
    reader that returns and raises what it would (``snapshot_layout.loads_tables``)."""
    try:
        return loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CorruptFile(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CorruptFile(
            path, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise CorruptFile(path, "not valid JSON (nested too deeply)") from None


encode_compact: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=True, separators=(",", ":"), allow_nan=False
).encode
"""Compact, ASCII-only JSON text: a lone surrogate in some title can never make a write fail.
One encoder for every call (``json.dumps`` with arguments makes one per call), so a caller
encoding many small values (the snapshot, a row at a time) pays nothing more per value."""


def dumps(value: Any) -> bytes:
    """``encode_compact`` as the bytes a file holds."""
    return encode_compact(value).encode("ascii")
