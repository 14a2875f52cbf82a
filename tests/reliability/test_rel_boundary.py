"""The error boundary in a real terminal: a planted bug shows one line, never a traceback
with local variables, and never a byte of the key (pexpect pty at 80x24, pyte as screen)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pexpect
import pyte
import pytest

from tui.core.incidents import LOG_NAME
from tui.sandbox import ACME_KEY

CHILD = Path(__file__).with_name("crash_child.py")
pytestmark = pytest.mark.slow


class Session:
    def __init__(self, directory: Path, mode: str) -> None:
        self.raw = b""
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(sys.executable, [str(CHILD), str(directory), mode],
                                   dimensions=(24, 80), env={"TERM": "xterm-256color",
                                                             "PATH": "/usr/bin:/bin"})

    def pump(self, seconds: float = 0.1) -> None:
        try:
            data = self.child.read_nonblocking(1 << 16, timeout=seconds)
        except (pexpect.TIMEOUT, pexpect.EOF):
            return
        self.raw += data
        self.stream.feed(data)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if needle in self.text or needle.encode() in self.raw:
                return
            if not self.child.isalive():
                self.pump()
        raise AssertionError(f"never saw {needle!r}; screen:\n{self.text}")

    def finish(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < deadline:
            self.pump()
        self.pump()
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else -1


def test_a_bug_in_the_reply_worker_is_one_line_and_the_session_goes_on(tmp_path: Path) -> None:
    session = Session(tmp_path, "worker")
    session.wait_for("threads")
    session.child.send("\x0e")  # ctrl+n
    session.child.send("is this kept\r")
    session.wait_for("Internal error")
    session.child.send("\x0e")
    session.child.send("and this\r")  # still answering keys
    session.wait_for("and this")
    session.child.send("\x11")  # ctrl+q
    assert session.finish() == 0
    assert ACME_KEY.encode() not in session.raw
    assert b"Traceback" not in session.raw and b"secret_header" not in session.raw
    log = (tmp_path / "data" / LOG_NAME).read_text()
    assert "Planted" in log and ACME_KEY not in log and "secret_header =" not in log


def test_a_bug_outside_every_guard_stops_with_one_line_and_no_locals(tmp_path: Path) -> None:
    session = Session(tmp_path, "handler")
    session.wait_for("threads")
    session.child.send("\x1b[15~")  # f5: a screen whose compose raises
    status = session.finish(timeout=15)
    assert status == 1
    assert b"threadtui stopped: Internal error" in session.raw
    assert ACME_KEY.encode() not in session.raw
    assert b"secret_header" not in session.raw and b"Traceback" not in session.raw
    log = (tmp_path / "data" / LOG_NAME).read_text()
    assert "Planted" in log and ACME_KEY not in log
