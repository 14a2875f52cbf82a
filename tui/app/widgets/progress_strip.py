"""One strip above the composer for long work: imports, exports, index builds, continuing.

Workers never touch it: they post ``ProgressShown`` / ``ProgressEnded`` (through
``tui.app.progress.ProgressReporter``) and the screen hands those here. The strip is a label
and Textual's ``ProgressBar``: determinate when the work knows its total, indeterminate (the
bouncing bar) when it does not. It is hidden while nothing runs; the newest job is shown,
with how many more are running. A job that fails ends with its error in place of the bar,
in the error colour, until the next job starts or ``ERROR_SECONDS`` pass: failures are
said where the work was shown, not only in a toast that may be missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Label, ProgressBar

from tui.app.errors import guarded
from tui.core.safe_text import one_line

ERROR_SECONDS = 15.0


@dataclass
class _Job:
    label: str
    done: int
    total: int | None


class ProgressStrip(Horizontal):
    """Hidden unless some long work runs (or just failed)."""

    DEFAULT_CSS = """
    ProgressStrip {
        height: 1;
        display: none;
        background: $panel;
    }
    ProgressStrip.-shown { display: block; }
    ProgressStrip #progress-label { width: 1fr; height: 1; padding: 0 1; }
    ProgressStrip #progress-bar { width: auto; height: 1; }
    ProgressStrip.-error #progress-label { color: $text-error; text-style: bold; }
    ProgressStrip.-error #progress-bar { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.jobs: dict[str, _Job] = {}
        self.error: str | None = None
        self._error_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="progress-label", markup=False)
        yield ProgressBar(total=None, show_eta=False, id="progress-bar")

    @property
    def label(self) -> Label:
        return self.query_one("#progress-label", Label)

    @property
    def bar(self) -> ProgressBar:
        return self.query_one("#progress-bar", ProgressBar)

    def show(self, job: str, label: str, done: int, total: int | None) -> None:
        """``job`` got to ``done`` of ``total`` (None: unknown; the bar bounces)."""
        self._clear_error()
        self.jobs.pop(job, None)  # the newest job goes last: it is the one shown
        self.jobs[job] = _Job(label, done, total)
        self._draw()

    def end(self, job: str, error: str | None = None) -> None:
        """``job`` is over; with ``error`` the strip says it instead of the bar."""
        self.jobs.pop(job, None)
        if error is not None:
            self.error = one_line(error, 200)
            if self._error_timer is not None:
                self._error_timer.stop()
            self._error_timer = self.set_timer(ERROR_SECONDS, self._error_expired)
        self._draw()

    @property
    def shown_text(self) -> str:
        """What the strip says (tests, and the label of the bar)."""
        return str(self.label.content) if self.has_class("-shown") else ""

    @guarded
    def _error_expired(self) -> None:
        self._clear_error()
        self._draw()

    def _clear_error(self) -> None:
        self.error = None
        if self._error_timer is not None:
            self._error_timer.stop()
            self._error_timer = None

    def _draw(self) -> None:
        self.set_class(self.error is not None, "-error")
        if self.error is not None:
            self.label.update(self.error)
            self.add_class("-shown")
            return
        if not self.jobs:
            self.remove_class("-shown")
            return
        job = list(self.jobs.values())[-1]
        more = len(self.jobs) - 1
        words = job.label
        if job.total:
            words += f" {job.done:,}/{job.total:,}"
        if more:
            words += f" (+{more} more)"
        self.label.update(words)
        self.bar.update(total=job.total if job.total else None, progress=job.done)
        self.add_class("-shown")
