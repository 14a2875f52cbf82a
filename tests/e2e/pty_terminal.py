"""Drive the installed `threadtui` in a real pseudo-terminal, as a user over SSH would.

pexpect gives the pty; pyte plays the terminal, so tests read the 80x24 screen a person
would see instead of grepping escape sequences.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pyte
import pytest

COLUMNS, LINES = 80, 24
KEYS = {
    "enter": "\r",
    "escape": "\x1b",
    "ctrl+o": "\x0f",
    "ctrl+q": "\x11",
    "tab": "\t",
    "backspace": "\x7f",
}


def installed_threadtui() -> str:
    """The console script of the environment running the tests (what `pip install` made)."""
    beside = Path(sys.executable).with_name("threadtui")
    found = str(beside) if beside.exists() else shutil.which("threadtui")
    if not found:
        pytest.fail("the threadtui console script is not installed in this environment")
    return found


class Terminal:
    """One running threadtui and the screen it has drawn so far."""

    def __init__(
        self, args: list[str], env: dict[str, str], cwd: Path,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(
            installed_threadtui(), args, env=env, cwd=str(cwd), dimensions=(LINES, COLUMNS),
            preexec_fn=preexec_fn,
        )

    def pump(self, seconds: float = 0.1) -> None:
        try:
            data = self.child.read_nonblocking(1 << 16, timeout=seconds)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            time.sleep(seconds)
            return
        self.stream.feed(data)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def line(self, number: int) -> str:
        return self.screen.display[number]

    def wait_for(
        self, predicate: Callable[[str], bool] | str, timeout: float = 30.0, what: str = ""
    ) -> str:
        """Read output until the screen satisfies ``predicate`` (or contains the string)."""
        check = (lambda screen: predicate in screen) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if check(self.text):
                return self.text
            if not self.child.isalive():
                self.pump()
                break
        raise AssertionError(
            f"screen never showed {what or predicate!r}; last screen:\n{self.text}"
        )

    def press(self, *keys: str) -> None:
        for key in keys:
            self.child.send(KEYS.get(key, key))
            self.pump(0.05)

    def type(self, text: str) -> None:
        self.child.send(text)
        self.pump(0.05)

    def settle(self, seconds: float = 0.5) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(0.05)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
