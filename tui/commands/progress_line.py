"""A progress line on stderr for long CLI work (imports, exports, index rebuilds).

Only when stderr is a terminal: a pipe or a log file gets the summary alone, not a stream of
carriage returns. Redrawn at most every tenth of a second, so a million small steps do not
cost a million writes.
"""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 24
INTERVAL = 0.1


class ProgressLine:
    """``line(done, total)`` draws ``label [#####-----] done/total``; ``close()`` clears it."""

    def __init__(self, stream: TextIO, label: str, *, force: bool = False) -> None:
        self.stream = stream
        self.label = label
        self.enabled = force or _is_terminal(stream)
        self._drawn_at = 0.0
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._drawn_at < INTERVAL:
            return
        self._drawn_at = now
        filled = WIDTH * done // total if total else WIDTH
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done:,}/{total:,}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
