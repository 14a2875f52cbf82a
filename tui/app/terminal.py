"""Textual's Linux driver, told what to do when the terminal goes away (issue 14).

When an SSH connection drops (or a pty's master is closed) with SIGHUP ignored, the terminal
does not say so with a signal: reads of the tty return end-of-file (or fail with EIO) and
writes fail with EIO. Textual's ``LinuxDriver`` reads on after an empty read, so its input
thread spun at full speed for minutes; the kernel's SIGCONT at the hangup restarted
"application mode", starting a second such thread; and its writer thread died on the first
EIO, after which the app blocked on the writer's full queue.

``ThreadDriver`` changes exactly those three things:
- input: an empty read or an ``OSError`` ends the input thread and calls
  ``app.terminal_closed()`` (``ThreadApp`` hands it to ``tui.app.shutdown``);
- output: the writer thread's file reports a failed write the same way and drops the text;
- SIGCONT resumes application mode only after a SIGTSTP suspended it (Textual resumed on any).

Everything else is Textual's. ``run_input_thread`` follows ``LinuxDriver.run_input_thread``
of Textual 8 (select, read, feed the XTerm parser, tick), with the end-of-input check added;
``tests/app/test_terminal_driver.py`` fails if the attributes used here disappear.
"""

from __future__ import annotations

import contextlib
import os
import selectors
from codecs import getincrementaldecoder
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

if TYPE_CHECKING:
    from textual.app import App


class _TerminalOutput:
    """The writer thread's file: a write or flush that fails means the terminal is gone."""

    def __init__(self, file: IO[str], closed: Callable[[], None]) -> None:
        self._file = file
        self._closed = closed
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._file.write(text)
            except OSError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._file.flush()
            except OSError:
                self._gone()

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True

    def _gone(self) -> None:
        self.gone = True
        self._closed()


class ThreadDriver(LinuxDriver):
    """``LinuxDriver`` that stops, instead of spinning or blocking, when the terminal closes."""

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._closed_once = False
        self._file = _TerminalOutput(self._file, self._terminal_closed)  # type: ignore[assignment, arg-type]

    def _terminal_closed(self) -> None:
        if self._closed_once:
            return
        self._closed_once = True
        notify = getattr(self._app, "terminal_closed", None)
        if notify is not None:
            notify()

    def _sigcont_application(self, *args: Any) -> None:
        # The kernel sends SIGCONT with the SIGHUP of a hangup: resuming then would restart
        # application mode (and a second input thread) on a terminal that is gone.
        if self._closed_once or not self._must_signal_resume:
            return
        super()._sigcont_application(*args)

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events; end (and say so) when the terminal closes."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        try:
            while not self.exit_event.is_set():
                if selector.select(0.1):
                    try:
                        data = os.read(self.fileno, 1024 * 4)
                    except OSError:  # EIO: the other side of the terminal is gone
                        data = b""
                    if not data:  # a tty in raw mode reads b"" only once hung up
                        self._terminal_closed()
                        return
                    for event in parser.feed(decode(data)):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
            with contextlib.suppress(EOFError, ParseError):
                for _event in parser.feed(""):
                    pass
