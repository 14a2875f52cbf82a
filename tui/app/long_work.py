"""The main screen's part for costs in the bar, the progress strip, and importing history.

Kept out of ``main_screen.py`` (a mixin of ``MainScreen``) so that screen stays about
threads and replies. The handlers follow the house rule: workers (``tui.app.work``) post
typed messages, only these handlers change what is shown, and each is ``@guarded``. They
are found by Textual's naming convention (``on_progress_shown`` for ``ProgressShown``),
which, unlike ``@on``, works from a mixin.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.worker import WorkerState

from tui.app import messages as msg
from tui.app import work
from tui.app.errors import guarded
from tui.app.screen_part import ScreenBasics, ScreenPart
from tui.app.screens.confirm import SETTLE_SECONDS
from tui.app.screens.import_history import ImportPathScreen, import_question
from tui.app.widgets.progress_strip import ProgressStrip
from tui.core.bar_costs import BarCosts
from tui.core.records import Identity
from tui.core.safe_text import one_line
from tui.core.wording import plural

if TYPE_CHECKING:  # the history readers load when an import runs
    from tui.core.history_import import HistoryKind


class Host(ScreenBasics, Protocol):
    """What this part uses of ``MainScreen`` besides ``ScreenBasics``."""

    identity: Identity | None
    costs: BarCosts | None

SHOWN_PROBLEMS = 5
"""Problems named in an import's summary (the rest are counted)."""


class LongWork(ScreenPart):
    """Costs in the bar, the progress strip, the palette's "Import history…"."""

    _costs_asked: tuple[str, str | None] | None = None
    """Whose sums the newest costs worker counts (profile, organization)."""

    @property
    def _screen(self) -> Host:
        return cast(Host, self)

    @property
    def progress_strip(self) -> ProgressStrip:
        return self._textual.query_one(ProgressStrip)

    # ------------------------------------------------------------ costs in the bar

    @guarded
    def refresh_costs(self) -> None:
        """Sum the active profile's and its organization's spend again (after a reply, a
        switch, another process's write): in a worker, on the record's thread."""
        if not self._textual.is_running:  # closing: nobody will see the sums
            return
        screen = self._screen
        clock: Callable[[], float] = getattr(self._textual.app, "clock", time.time)
        identity = screen.identity
        organization = (identity.organization if identity is not None else None) \
            or screen.profile.organization
        asked = (screen.profile_name, organization)
        if asked == self._costs_asked and any(
                w.group == "costs" and w.state is WorkerState.PENDING
                for w in self._textual.workers):
            return  # the same sums, not started yet: they will read the record as it is now
        self._costs_asked = asked
        post = self._textual.post_message
        # Not exclusive: cancelling one not yet started would leave its coroutine unawaited;
        # the record's thread runs them in order, so the last posted is the newest.
        screen.run(work.count_costs(screen.services, post, screen.profile_name, organization,
                                    clock()), group="costs")

    @guarded
    def on_bar_costs_counted(self, message: msg.BarCostsCounted) -> None:
        screen = self._screen
        if message.profile != screen.profile_name:
            return  # counted for the profile before a switch
        costs = message.costs
        spent = costs.profile.month.replies or (
            costs.organization is not None and costs.organization.month.replies)
        screen.costs = costs if spent else None  # nothing this month: nothing to say

    # ------------------------------------------------------------ the progress strip

    def run_with_progress(
        self, job: Coroutine[Any, Any, None], *, group: str, what: str
    ) -> None:
        """Run a worker that reports on the strip (``tui.app.progress.reporting``); if it
        fails unforeseen, the strip ends with the incident's words."""
        screen = self._screen
        screen.run(job, group=group, on_error=lambda reason: (
            self._textual.post_message(msg.ProgressEnded(group, f"{what} failed: {reason}"))))

    @guarded
    def on_progress_shown(self, message: msg.ProgressShown) -> None:
        self.progress_strip.show(message.job, message.label, message.done, message.total)

    @guarded
    def on_progress_ended(self, message: msg.ProgressEnded) -> None:
        self.progress_strip.end(message.job, message.error)

    @guarded
    def on_index_building(self, message: msg.IndexBuilding) -> None:
        screen = self._screen
        if not any(w.group == "index" and w.is_running for w in self._textual.workers):
            job = work.watch_index_build(screen.services, self._textual.post_message)
            self.run_with_progress(job, group="index", what="Indexing transcripts")

    # ------------------------------------------------------------ importing history

    @guarded
    def action_import_history(self) -> None:
        """The palette's "Import history…": ask for a path (nothing imported yet)."""
        screen = self._screen
        if screen.refuse_write("Importing history"):
            return
        if any(w.group == "import" and w.is_running for w in self._textual.workers):
            self._textual.notify("An import is already running", severity="warning")
            return
        self._textual.app.push_screen(ImportPathScreen(settle_seconds=SETTLE_SECONDS),
                               self._import_path_given)

    @guarded
    def _import_path_given(self, text: str | None) -> None:
        if not text:
            return
        screen = self._screen
        path = Path(text).expanduser()
        screen.run(work.check_import(self._textual.post_message, path), group="import-check",
                   exclusive=True)

    @guarded
    def on_import_checked(self, message: msg.ImportChecked) -> None:
        path, kind = message.path, message.kind
        if kind is None:
            self._textual.notify(
                f"{message.problem}: {one_line(str(path), 80)}. Nothing was imported.",
                title="Import", severity="warning", timeout=12)
            return
        self._textual.app.push_screen(import_question(path, kind),
                               partial(self._import_answer, path, kind))

    @guarded
    def _import_answer(self, path: Path, kind: HistoryKind, yes: bool | None) -> None:
        if not yes:
            return
        screen = self._screen
        self.run_with_progress(
            work.import_history(screen.services, self._textual.post_message, path, kind),
            group="import", what="Import")

    @guarded
    def on_history_imported(self, message: msg.HistoryImported) -> None:
        screen = self._screen
        screen.sidebar.apply_changes(message.records, frozenset())
        lines = [message.summary]
        lines += [one_line(problem, 100) for problem in message.problems[:SHOWN_PROBLEMS]]
        if len(message.problems) > SHOWN_PROBLEMS:
            more = len(message.problems) - SHOWN_PROBLEMS
            lines.append(f"and {plural(more, 'more problem')}")
        self._textual.notify("\n".join(lines), title="Imported",
                      severity="warning" if message.problems else "information", timeout=20)
        self.refresh_costs()

