"""What workers tell the main screen: one typed message per thing that happened.

Workers (``tui.app.work``) wait on the network, key commands and the record; they never touch
a widget. They post these messages and the main screen, which owns the state, decides what
changes on screen. A message posted after its screen is gone is simply dropped, so a worker
finishing after quit cannot fail on a widget that no longer exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from tui.core.api.base import ApiError
from tui.core.bar_costs import BarCosts
from tui.core.incidents import Incident
from tui.core.ownership import Ownership
from tui.core.records import DeleteReport, Identity, ThreadRecord, Turn

if TYPE_CHECKING:  # the history readers load when an import runs
    from tui.core.history_import import HistoryKind


@dataclass
class Notice(Message):
    """Something to tell the user in a toast (a warning, a result, a failure)."""

    text: str
    title: str = ""
    severity: str = "information"
    timeout: float = 8.0


@dataclass
class InternalError(Message):
    """Something failed that nobody foresaw; it is logged, and the screen says so inline."""

    incident: Incident


@dataclass
class ReplyAborted(Message):
    """The reply worker failed (the record refused, or a bug): end the reply on screen,
    keep the question; ``reason`` is what the reply's footer says."""

    text: str
    reason: str


@dataclass
class Busy(Message):
    """What the app is waiting for (shown in the bar), or ``None`` when it no longer waits."""

    text: str | None


# ---------------------------------------------------------------- profiles


@dataclass
class KeyResolved(Message):
    profile: str
    key_hint: str


@dataclass
class KeyMissing(Message):
    profile: str
    problem: str
    first_run_check: bool = False


@dataclass
class IdentityLearned(Message):
    """The server said which organization and project this profile's key bills."""

    profile: str
    identity: Identity
    announce: bool = False


@dataclass
class RowsLoaded(Message):
    """Index rows for the sidebar; ``replace`` when they are the whole record."""

    records: list[ThreadRecord]
    replace: bool


@dataclass
class RowsChanged(Message):
    """Another process changed these rows (``records``: added or updated) and dropped those
    (``removed``); only they are redrawn. ``transcripts``: a transcript may have changed
    without its row, so the open thread's is worth reading again."""

    records: list[ThreadRecord]
    removed: frozenset[str]
    transcripts: bool


@dataclass
class RecordChanged(Message):
    """One thread's row changed (renamed, pinned, marked, replied to)."""

    record: ThreadRecord


@dataclass
class ThreadForgotten(Message):
    """A thread left the local record (deleted, forgotten)."""

    thread_id: str


@dataclass
class ThreadContinued(Message):
    """A thread was continued (or moved) as a new one, which the screen opens;
    ``original`` None: a move took the original out of the record."""

    original_id: str
    new: ThreadRecord
    original: ThreadRecord | None
    summary: str


@dataclass
class ModelsListed(Message):
    """The models a thread's profile may use (with shutdown dates), for the model picker;
    ``note`` says why the list is empty when it could not be read."""

    thread_id: str
    models: list[tuple[str, dt.date | None]]
    note: str = ""


@dataclass
class LostRepliesFound(Message):
    """Replies that died with their process were marked; the open one may be among them."""

    thread_ids: list[str]


@dataclass
class SearchResults(Message):
    query: str
    thread_ids: list[str]


# ---------------------------------------------------------------- a thread on screen


@dataclass
class ThreadShown(Message):
    """The local transcript of a thread the user opened, ready to show."""

    record: ThreadRecord
    turns: list[Turn]
    focus_composer: bool


@dataclass
class TranscriptRefreshed(Message):
    """The server's transcript merged with ours (may equal what is shown)."""

    record: ThreadRecord
    turns: list[Turn]


@dataclass
class ThreadNotFound(Message):
    """The server answered 404 for a thread; the core 404 policy said who owns it, if anyone."""

    outcome: Ownership


@dataclass
class ThreadCreated(Message):
    record: ThreadRecord


@dataclass
class ReplyStarted(Message):
    """The question is recorded and the request is under way; ``question`` is None when it
    is asked again and already shown (a retry on a server that keeps the thread)."""

    thread_id: str
    question: Turn | None
    reply: Turn


@dataclass
class ReplyDelta(Message):
    """New text of the reply; ``refusal``: the model declines, and this is its refusal."""

    thread_id: str
    text: str
    refusal: bool = False


@dataclass
class ReplyEnded(Message):
    """The reply is finished, failed or stopped, and already in the record.

    ``reply`` is the final assistant turn as stored; ``error`` the failure (``None`` when it
    completed or was stopped); ``retry_prompt`` what ctrl+r sends again, if anything."""

    thread_id: str
    reply: Turn
    error: ApiError | None = None
    retry_prompt: str | None = None
    hint: str | None = None


@dataclass
class PromptReturned(Message):
    """A question that could not be sent goes back into the composer (nothing typed is lost)."""

    text: str


@dataclass
class DeleteFinished(Message):
    record: ThreadRecord
    report: DeleteReport
    remaining: ThreadRecord | None = None


@dataclass
class RetryOffered(Message):
    """The open thread ends in an unanswered question; ctrl+r asks it again."""

    thread_id: str
    prompt: str | None
    hints: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- costs, long work, imports


@dataclass
class BarCostsCounted(Message):
    """What the profile (and its organization) spent today and this month, for the bar;
    ``profile`` says whose, so a sum finished after a switch is not shown for another."""

    profile: str
    costs: BarCosts


@dataclass
class ProgressShown(Message):
    """Long work (``job``) got further: ``done`` of ``total`` (None: not known)."""

    job: str
    label: str
    done: int = 0
    total: int | None = None


@dataclass
class ProgressEnded(Message):
    """``job`` is over; ``error`` says why it failed (shown inline where the bar was)."""

    job: str
    error: str | None = None


@dataclass
class IndexBuilding(Message):
    """The search index is being built in the background: worth a progress bar."""


@dataclass
class HistoryImported(Message):
    """An import from the app finished: its summary, and the rows to show in the sidebar."""

    summary: str
    records: list[ThreadRecord]
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportChecked(Message):
    """What the path the user gave holds (``kind`` None: nothing importable, ``problem``
    says why)."""

    path: Path
    kind: HistoryKind | None
    problem: str = ""
