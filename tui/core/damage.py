"""What went wrong with the record, and where the damaged files went.

Damage is reported, never silently dropped: an unreadable file is moved aside (or copied
aside, when what was readable of it is kept in place) under a name that says when, and a
``StoreProblem`` names where it went. Errors a caller must handle are ``StoreError``s.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tui.core.files import fsync_dir


class ProblemKind(StrEnum):
    CORRUPT_INDEX = "corrupt-index"
    DAMAGED_INDEX = "damaged-index"
    REBUILT_INDEX = "rebuilt-index"
    CORRUPT_TRANSCRIPT = "corrupt-transcript"
    DAMAGED_TRANSCRIPT = "damaged-transcript"
    UPGRADED = "upgraded"
    UNANSWERED = "unanswered"
    WRITE_FAILED = "write-failed"
    SEARCH_INDEX = "search-index"


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


class Damage:
    """The problems found so far (``problems``), and the moves that keep damaged files."""

    def __init__(self, *, read_only: bool = False) -> None:
        self.problems: list[StoreProblem] = []
        self._reported = 0
        self.read_only = read_only

    def report(self, kind: ProblemKind, message: str, path: Path | None = None) -> None:
        self.problems.append(StoreProblem(kind, message, path))

    def take(self) -> list[StoreProblem]:
        """Problems not handed out before: for a caller that reports after every operation."""
        new = self.problems[self._reported :]
        self._reported = len(self.problems)
        return new

    def move_aside(self, path: Path) -> Path:
        """Where the damaged file now is (a read-only record leaves it where it was)."""
        if self.read_only:
            return path
        target = aside_name(path, "corrupt")
        os.rename(path, target)
        fsync_dir(path.parent)
        return target

    def copy_aside(self, path: Path, label: str) -> Path:
        if self.read_only:
            return path
        target = aside_name(path, label)
        shutil.copy2(path, target)
        os.chmod(target, 0o600)
        return target


def sweep_tmp(tmp_dir: Path) -> None:
    """Remove temporary files of writers that were killed (the caller holds the lock: no
    writer is mid-write)."""
    for entry in os.scandir(tmp_dir):
        if entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


def aside_name(path: Path, label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{label}-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{label}-{stamp}-{counter}")
        counter += 1
    return candidate


# -- writes that the disk refused, and a lock another process will not let go of -------------

WRITE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
)
"""The errors of a disk that cannot take a write: reported as ``RecordWriteFailed``."""

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the record is on a read-only file system",
    errno.EACCES: "threadtui is not allowed to write there",
    errno.EPERM: "threadtui is not allowed to write there",
    errno.EIO: "the disk reported an input/output error",
}


class RecordWriteFailed(StoreError, OSError):
    """A change to the record could not be written: nothing was changed by it.

    ``operation`` says what was being stored ("store the reply"), ``path`` which file the disk
    refused, ``errno`` why; ``reason`` is that why in words ("the disk is full"), and
    ``str(exc)`` the sentence for the user: "could not store the reply: the disk is full
    (/home/u/.local/share/threadtui/index.json)". It is an ``OSError`` too, so code that
    handled the raw error still does.
    """

    def __init__(self, operation: str, path: Path | str | None, error_number: int | None,
                 reason: str | None = None) -> None:
        self.operation = operation
        self.reason = reason or _REASONS.get(error_number or 0) or (
            os.strerror(error_number) if error_number else "the write failed"
        )
        OSError.__init__(self, error_number, self.reason, None if path is None else str(path))
        self.path = None if path is None else Path(path)

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path is not None else ""
        return f"could not {self.operation}: {self.reason}{where}"

    @classmethod
    def from_os_error(cls, exc: OSError, operation: str, fallback: Path) -> RecordWriteFailed:
        return cls(operation, exc.filename or fallback, exc.errno)

    @classmethod
    def read_only(cls, operation: str, data_dir: Path) -> RecordWriteFailed:
        return cls(operation, data_dir, errno.EROFS,
                   "the record is open read-only (a read-only disk, a snapshot or a backup)")


class RecordBusy(StoreError):
    """Another process has held the record's lock longer than the bound: nothing was done.

    ``pid`` is the holder's process id when it wrote it down (None if unknown), ``stopped``
    whether that process is stopped (ctrl+z, SIGSTOP), which is why it never lets go.
    """

    def __init__(self, data_dir: Path, waited: float, pid: int | None, stopped: bool) -> None:
        self.data_dir = data_dir
        self.waited = waited
        self.pid = pid
        self.stopped = stopped
        who = f"another threadtui (pid {pid})" if pid else "another threadtui"
        text = f"{who} holds the record in {data_dir} (waited {waited:g} s)"
        if stopped and pid:
            text += (f"; it is stopped (ctrl+z?): resume it with `fg` in its terminal or "
                     f"`kill -CONT {pid}`")
        super().__init__(text)
