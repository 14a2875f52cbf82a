"""The cyclic GC paused while big object graphs are built, by holds that nest across threads.

Start-up (modules, classes, styles, widgets: a few hundred thousand objects) and reading the
index (millions of objects at 100,000 threads) make no garbage cycles, yet the collector walks
everything each time enough objects pile up: about 150 collections and 30-55 ms of a
350 ms start, and 2.5 times the time of parsing the index. So both hold a pause. They overlap
(the app's start and the record's load on its own thread), hence holds, not flags: the
collector runs again when the last hold ends, if it ran when the first began, and whatever
exists then is frozen (``gc.freeze``: later collections skip it; reference counting still
frees it when it is replaced).

The start-up hold is taken by the console script (``tui.entry``) and ended once: by a command
before it runs (``tui.cli``), by the app after its first paint, or when the app ends.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_holds = 0
_was_enabled = False
_start_held = False


def _pause_locked() -> None:
    global _holds, _was_enabled
    if _holds == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _holds += 1


def _resume_locked() -> None:
    global _holds
    _holds -= 1
    if _holds == 0:
        gc.freeze()
        if _was_enabled:
            gc.enable()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic GC inside; what was built frozen when the last hold ends."""
    with _lock:
        _pause_locked()
    try:
        yield
    finally:
        with _lock:
            _resume_locked()


def pause_start() -> None:
    """The start-up hold (once per process; a second call does nothing)."""
    global _start_held
    with _lock:
        if not _start_held:
            _start_held = True
            _pause_locked()


def end_start() -> None:
    """End the start-up hold, if it is held (so any caller may call it, any number of times)."""
    global _start_held
    with _lock:
        if _start_held:
            _start_held = False
            _resume_locked()
