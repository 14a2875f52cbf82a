"""What went wrong with the record, and where the damaged files went.

Damage is reported, never silently dropped: an unreadable file is moved aside (or copied
aside, when what was readable of it is kept in place) under a name that says when, and a
``StoreProblem`` names where it went. Errors a caller must handle are ``StoreError``s.
"""

from __future__ import annotations

import contextlib
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

    def __init__(self) -> None:
        self.problems: list[StoreProblem] = []
        self._reported = 0

    def report(self, kind: ProblemKind, message: str, path: Path | None = None) -> None:
        self.problems.append(StoreProblem(kind, message, path))

    def take(self) -> list[StoreProblem]:
        """Problems not handed out before: for a caller that reports after every operation."""
        new = self.problems[self._reported :]
        self._reported = len(self.problems)
        return new

    @staticmethod
    def move_aside(path: Path) -> Path:
        target = aside_name(path, "corrupt")
        os.rename(path, target)
        fsync_dir(path.parent)
        return target

    @staticmethod
    def copy_aside(path: Path, label: str) -> Path:
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
