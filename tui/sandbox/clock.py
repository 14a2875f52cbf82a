"""The sandbox's notion of "now", which tests can move forward.

Legacy threads expire after 60 days without activity; a test cannot wait that long, so every
timestamp the sandbox writes or compares comes from here and ``advance(days=61)`` jumps ahead.
"""

from __future__ import annotations

import threading
import time

DAY = 86_400.0


class Clock:
    """Wall-clock time plus an offset; optionally frozen for reproducible snapshots."""

    def __init__(self, *, start: float | None = None, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        base = time.time() if start is None else start
        self._offset = base - time.time()
        self._frozen_at = base

    def now(self) -> float:
        """Seconds since the epoch as the sandbox sees them."""
        with self._lock:
            if self._frozen:
                return self._frozen_at
            return time.time() + self._offset

    def now_int(self) -> int:
        """``now()`` as the integer unix seconds the API uses in ``created_at``."""
        return int(self.now())

    def advance(self, *, days: float = 0.0, seconds: float = 0.0) -> float:
        """Move time forward (never backward: objects would be created in the future)."""
        delta = days * DAY + seconds
        if delta < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += delta
            self._frozen_at += delta
        return self.now()

    @property
    def frozen(self) -> bool:
        """Whether time stands still between ``advance`` calls."""
        return self._frozen
