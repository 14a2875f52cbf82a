"""Stopping without losing anything: SIGHUP, SIGTERM and a terminal that went away (issue 14).

A dropped SSH connection sends SIGHUP, ``kill`` and service managers send SIGTERM, and with
SIGHUP ignored (``nohup``) a closed terminal only shows as end-of-file on input and EIO on
output. Each is handled like the user stopping the reply:

1. The signal handler (``signal.signal``, so it runs even if the event loop were stuck) only
   notes the reason, arms a watchdog and hands the stop to the app's loop
   (``call_soon_threadsafe``). The terminal driver (``tui.app.terminal``) does the same when
   input ends or output fails, after pointing stdout and stderr at ``/dev/null`` so that
   nothing can block or fail on a terminal that is gone.
2. On the loop, ``ThreadApp`` cancels the reply worker, which makes ``session.send_message``
   write the partial reply marked interrupted; the worker then restates the turn's reason
   (``restate_stop``: "… finished: the terminal closed", "…: SIGTERM asked threadtui
   to stop"). Then ``App.exit()``:
   Textual restores the terminal where one remains, the record is closed, the launcher
   removes ``--demo``'s temporary directory, and ``end_process`` exits with ``Stop.status``
   there, before the interpreter's own teardown (where a second signal would kill it).
3. If that takes longer than ``GRACE_SECONDS``, or a second SIGHUP/SIGTERM arrives meanwhile,
   ``hard_exit`` restores the terminal's modes (best effort, never blocking), runs the
   registered clean-ups (the demo directory) and ends the process at once.

Exit statuses: 129 (128 + SIGHUP) for SIGHUP and for a terminal that closed (whether its
SIGHUP came, or was ignored), 143 (128 + SIGTERM) for SIGTERM. The reason written with the
reply is "the terminal closed" whenever the terminal is gone, else the signal's name. A SIGHUP
ignored when threadtui started stays ignored (``nohup`` is respected); the closed terminal is
noticed anyway.

No Textual in here: the launcher installs this before Textual is imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import sys
import termios
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

from tui.core.records import Role
from tui.core.session import STOPPED
from tui.core.store import Store

GRACE_SECONDS = 1.5
"""From the first signal to the hard exit, if the clean path has not ended the process."""

TERMINAL_CLOSED = "the terminal closed"
EXIT_HANGUP = 128 + signal.SIGHUP
EXIT_TERMINATED = 128 + signal.SIGTERM

REASONS: dict[int, str] = {
    signal.SIGHUP: "SIGHUP (hangup) asked threadtui to stop",
    signal.SIGTERM: "SIGTERM asked threadtui to stop",
}

# What Textual's LinuxDriver turns on, turned off again: the Kitty keyboard protocol, mouse
# reporting (four modes and pixels), bracketed paste, focus events; line wrap and the cursor
# back; the alternate screen left last.
TERMINAL_RESET = (
    b"\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l\x1b[?2004l"
    b"\x1b[?1004l\x1b[?7h\x1b[?25h\x1b[?1049l"
)


@dataclass(frozen=True)
class Stop:
    """Why the app stops, and the process's exit status."""

    reason: str
    status: int


class StopNote:
    """Read by the reply worker when it is cancelled: why (``None``: the user pressed esc)."""

    def __init__(self) -> None:
        self.reason: str | None = None


def restate_stop(store: Store, thread_id: str, reason: str, /) -> bool:
    """Give the reply just stopped by the session its real reason (runs on the record's
    thread). Only a last turn that is the session's own "stopped" turn is touched."""
    turns = store.transcript(thread_id)
    if not turns:
        return False
    last = turns[-1]
    if last.role is not Role.ASSISTANT or not last.interrupted or last.error != STOPPED:
        return False
    last.error = f"{STOPPED}: {reason}"
    store.replace_transcript(thread_id, turns)
    return True


class Shutdown:
    """The process's stop: signal handlers, the hand-over to the app, the hard exit."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self.stop: Stop | None = None
        self.terminal_gone = False
        self._signalled = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._target: Callable[[Stop], object] | None = None
        self._cleanups: list[Callable[[], object]] = []
        self._previous: dict[int, Any] = {}
        self._terminal_modes: list[Any] | None = None

    # ------------------------------------------------------------ wiring

    def install(self) -> Shutdown:
        """Catch SIGHUP and SIGTERM (main thread only). An ignored SIGHUP stays ignored."""
        for signum in (signal.SIGHUP, signal.SIGTERM):
            current = signal.getsignal(signum)
            if current == signal.SIG_IGN:
                continue
            self._previous[signum] = current
            signal.signal(signum, self._on_signal)
        with contextlib.suppress(termios.error, OSError):
            self._terminal_modes = termios.tcgetattr(0)  # for the hard exit only
        return self

    def uninstall(self) -> None:
        """Put the earlier handlers back, unless a stop was asked for: the app has ended, but
        the process has not (the record closing, the demo's directory going, until
        ``end_process``), and a second signal meanwhile must still end it at once with the
        stop's status, not kill it."""
        if self.stop is not None:
            return
        for signum, handler in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler)
        self._previous.clear()

    def __enter__(self) -> Shutdown:
        return self.install()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.uninstall()

    def attach(self, loop: asyncio.AbstractEventLoop, target: Callable[[Stop], object]) -> None:
        """From now on a stop is handed to ``target`` on ``loop`` (the running app)."""
        with self._lock:
            self._loop, self._target = loop, target
            pending = self.stop
        if pending is not None:  # arrived while the app was starting
            loop.call_soon(target, pending)

    def detach(self) -> None:
        with self._lock:
            self._loop, self._target = None, None

    def on_hard_exit(self, cleanup: Callable[[], object]) -> None:
        """Run ``cleanup`` before a hard exit too (the demo's temporary directory)."""
        self._cleanups.append(cleanup)

    # ------------------------------------------------------------ events

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        hangup = signum == signal.SIGHUP and (self.terminal_gone or not _terminal_alive())
        first_signal = not self._signalled
        self._signalled = True
        if hangup:  # the terminal really went: the kernel's SIGHUP of a closed tty
            self._silence_terminal()
            stop = Stop(TERMINAL_CLOSED, EXIT_HANGUP)
        else:
            stop = Stop(REASONS.get(signum, f"signal {signum}"), 128 + signum)
        # The input thread may have seen the closed terminal before this handler ran (Python
        # runs handlers late, on the main thread): that SIGHUP is the same event, not a second
        # request; any signal after it is.
        self.request(stop, repeat_forces=not (hangup and first_signal))

    def terminal_closed(self) -> None:
        """Input ended or output failed (any thread): the terminal is gone."""
        self._silence_terminal()
        self.request(Stop(TERMINAL_CLOSED, EXIT_HANGUP), repeat_forces=False)

    def request(self, stop: Stop, *, repeat_forces: bool = True) -> None:
        """Stop cleanly; a second request (a second signal) while stopping ends at once."""
        with self._lock:
            first = self.stop is None
            if first:
                self.stop = stop
            loop, target = self._loop, self._target
        if not first:
            if repeat_forces:
                self.hard_exit()
            return
        if loop is None or target is None:
            if self._previous or self._cleanups:  # installed, app not running: nothing to save
                self.hard_exit()
            return  # not installed (tests drive the app in-process): the app was told nothing
        watchdog = threading.Timer(self.grace, self.hard_exit)
        watchdog.daemon = True
        watchdog.start()
        try:
            loop.call_soon_threadsafe(target, stop)
        except RuntimeError:  # the loop has closed: the app is done
            self.hard_exit()

    def end_process(self) -> None:
        """After a stop that was asked for, once the app has ended, the record is closed and
        the demo's directory removed: exit now with the stop's status.

        Otherwise the interpreter's teardown follows, and Python puts the default handlers
        back before it tears the modules down (Textual's are many: a few hundred ms under
        load). A second SIGTERM there killed the process by the signal instead of ending it
        with 143. The teardown has nothing left to do: the standard streams are flushed
        here, and nothing else of ours is open."""
        if self.stop is None:
            return
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(self.stop.status)

    # ------------------------------------------------------------ the hard way

    def _silence_terminal(self) -> None:
        """Point stdout and stderr at /dev/null: writes to a closed terminal fail with EIO
        (Textual's writer thread would die and the app block on its full queue), and the
        interpreter's last flush would fail too."""
        with self._lock:
            if self.terminal_gone:
                return
            self.terminal_gone = True
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_WRONLY)
            for fd in (1, 2):
                with contextlib.suppress(OSError):
                    os.dup2(null, fd)
            os.close(null)

    def hard_exit(self) -> None:
        """Restore the terminal if there is one (never blocking), clean up, exit now."""
        status = self.stop.status if self.stop is not None else 1
        if not self.terminal_gone:
            with contextlib.suppress(Exception):
                _reset_terminal(self._terminal_modes)
        for cleanup in self._cleanups:
            with contextlib.suppress(Exception):
                cleanup()
        os._exit(status)


def _terminal_alive() -> bool:
    """A hung-up terminal answers every ioctl with EIO."""
    try:
        termios.tcgetattr(0)
    except termios.error:
        return False
    except OSError:
        return True  # stdin is not a terminal (nothing to tell)
    return True


def _reset_terminal(modes: list[Any] | None) -> None:
    if modes is not None:
        with contextlib.suppress(termios.error, OSError):
            termios.tcsetattr(0, termios.TCSANOW, modes)
    flags = fcntl.fcntl(2, fcntl.F_GETFL)
    fcntl.fcntl(2, fcntl.F_SETFL, flags | os.O_NONBLOCK)  # a full, unread pty must not hang
    try:
        os.write(2, TERMINAL_RESET)
    finally:
        fcntl.fcntl(2, fcntl.F_SETFL, flags)
