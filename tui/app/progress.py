"""How a worker reports long work to the progress strip: typed messages, from any thread.

The core's long jobs take a ``progress(done, total)`` callable (``tui.core.history_import``,
``continue_thread``, the search index), and call it from wherever they run: the event loop,
the record's thread, a reading thread. ``ProgressReporter`` is that callable for the app: it
posts ``ProgressShown`` on the event loop whatever thread it is called from (Textual's
message queues are not thread-safe), at most every ``INTERVAL`` seconds apart from the last
step, so a million small steps do not become a million messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator

from textual.message import Message

from tui.app.messages import ProgressEnded, ProgressShown

INTERVAL = 0.1


_serials = itertools.count(1)


class ProgressReporter:
    """``reporter(done, total)`` posts the job's progress; ``reporter.end(error)`` ends it.

    Made inside the worker (on the event loop), whose loop it posts to. Its job is named
    ``kind#serial``: two exports at once are two jobs, and the first to end leaves the
    other's bar in place (a shared name removed both)."""

    def __init__(self, post: Callable[[Message], object], kind: str, label: str) -> None:
        self.post = post
        self.job = f"{kind}#{next(_serials)}"
        self.label = label
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._sent_at = 0.0
        self.ended = False

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if total is not None and done < total and now - self._sent_at < INTERVAL:
            return
        self._sent_at = now
        self._send(ProgressShown(self.job, self.label, done, total))

    def relabel(self, label: str, total: int | None = None) -> None:
        """A new stage of the same job ("reading the export", then "recording")."""
        self.label = label
        self._sent_at = 0.0
        self._send(ProgressShown(self.job, label, 0, total))

    def end(self, error: str | None = None) -> None:
        if not self.ended:
            self.ended = True
            self._send(ProgressEnded(self.job, error))

    def fail(self, error: str) -> None:
        """End the job with ``error``, said where the bar was."""
        self.end(error)

    def _send(self, message: Message) -> None:
        if threading.get_ident() == self._loop_thread:
            self.post(message)
        else:
            self._loop.call_soon_threadsafe(self.post, message)


@contextlib.contextmanager
def reporting(
    post: Callable[[Message], object], job: str, label: str
) -> Iterator[ProgressReporter]:
    """The bar for the body's work: shown at once (indeterminate until a total is known),
    gone when the body ends, is cancelled or fails. An unforeseen failure's words are the
    screen's error boundary's (``LongWork.run_with_progress``), which says them where the
    bar was."""
    reporter = ProgressReporter(post, job, label)
    reporter(0, None)
    try:
        yield reporter
    finally:
        reporter.end()
