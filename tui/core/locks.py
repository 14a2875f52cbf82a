"""Locks between processes sharing one record: the index lock and the reply-in-flight marks.

Both rest on ``flock``, which the kernel releases when its holder dies, so a killed process
never leaves a lock behind and nothing has to be cleaned up by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tui.core.damage import RecordBusy
from tui.core.files import PRIVATE_FILE_MODE, dumps

DEFAULT_LOCK_TIMEOUT = 5.0
"""How long a change waits for another process's hold on the record before ``RecordBusy``."""
PID_OFFSET = 64
"""Where in the lock file the holder's pid is written: after the counters, which stay at 0."""


def lock_timeout_from_env() -> float:
    """``THREADTUI_LOCK_TIMEOUT`` (seconds) when set to a number, else the default."""
    try:
        return max(0.0, float(os.environ["THREADTUI_LOCK_TIMEOUT"]))
    except (KeyError, ValueError):
        return DEFAULT_LOCK_TIMEOUT


def process_stopped(pid: int) -> bool:
    """Whether process ``pid`` is stopped (state T or t in /proc: ctrl+z, SIGSTOP, a tracer)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state in (b"T", b"t")


class InterProcessLock:
    """``flock`` on a side file, re-entrant within a process and safe across its threads.

    The lock file is never replaced (a lock on a renamed-away inode would protect nothing), so
    it also carries two counters that writers bump under the lock: how many commits there were,
    and how many of them rewrote the index. A reader compares them to notice another process's
    writes even when a stat() could not tell (inode reuse, coarse timestamps), and a transcript
    change that did not touch the index.
    """

    def __init__(
        self, path: Path, *, timeout: float | None = None, read_only: bool = False
    ) -> None:
        self.path = path
        self.timeout = lock_timeout_from_env() if timeout is None else timeout
        self.read_only = read_only
        if read_only:
            try:
                self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                self._fd = -1
        else:
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

        The wait is bounded by ``timeout`` seconds: a holder that never lets go (stopped with
        ctrl+z, SIGSTOP) makes this raise ``RecordBusy`` naming it, instead of freezing the
        caller. A killed holder's lock is released by the kernel. The holder's pid is written
        into the lock file (after the counters, at ``PID_OFFSET``) so a waiter can name it.

        A read-only lock is never taken: every file of the record is replaced by an atomic
        rename, so a reader always sees a whole old or a whole new file without it.
        """
        with self._thread_lock:
            if self._depth == 0 and not self.read_only:
                self._acquire()
            self._depth += 1
            try:
                yield self._depth == 1
            finally:
                self._depth -= 1
                if self._depth == 0 and not self.read_only:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _acquire(self) -> None:
        """Take the lock within ``timeout`` seconds, polling (flock has no timed wait)."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            start = time.monotonic()
            pause = 0.0005
            while True:
                time.sleep(pause)
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - start
                    if waited >= self.timeout:
                        pid = self.holder()
                        raise RecordBusy(
                            self.path.parent, self.timeout, pid,
                            pid is not None and process_stopped(pid),
                        ) from None
                    pause = min(pause * 2, 0.01)
        with contextlib.suppress(OSError):  # naming the holder is a courtesy, never a failure
            os.pwrite(self._fd, f"{os.getpid():>12d}\n".encode("ascii"), PID_OFFSET)

    def holder(self) -> int | None:
        """The pid of the process that last took the lock (None: not written down)."""
        if self._fd < 0:
            return None
        try:
            return int(os.pread(self._fd, 16, PID_OFFSET).strip() or b"x")
        except (ValueError, OSError):
            return None

    def counters(self) -> tuple[int, int]:
        """(commits, index rewrites); (0, 0) for a new or unreadable lock file."""
        if self._fd < 0:
            return (0, 0)
        raw = os.pread(self._fd, PID_OFFSET, 0)
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
        except BaseException:
            os.close(fd)
            raise
        try:
            yield
        except BaseException:
            # The reply was not written (the disk refused it, or the caller failed): the mark
            # stays, so whoever looks next says the reply was not stored instead of nothing.
            os.close(fd)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # another process waits for a reply to this thread: it removes the file
        else:
            self._remove_if_current(path, fd)
        finally:
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
