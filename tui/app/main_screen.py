"""The main screen: switcher bar, past-chats sidebar, chat pane and composer, and their state.

The screen owns what the user is looking at as reactives (the active profile and what the
server said about it, the open thread, whether a reply streams, what ctrl+r would send) and
the widgets follow them: the bar is data-bound, the rest is updated by watchers. Everything
that waits (network, key commands, the record) runs as a worker from ``tui.app.work``; the
workers post typed messages (``tui.app.messages``) and the handlers here and in the screen's
parts (``LongWork``, ``ThreadActions``, ``ReplyFlow``) are the only code that changes what is
on screen. A dialog is pushed from a message handler with a callback, never awaited inside a
worker: cancelling a worker can never leave a dialog that does nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, OptionList, TextArea
from textual.worker import Worker

from tui.app import messages as msg
from tui.app import work
from tui.app.errors import guarded, report
from tui.app.export import default_export_dir
from tui.app.focus import focus_now
from tui.app.long_work import LongWork
from tui.app.reply_flow import KEPT_IN_MEMORY, ReplyFlow, why_closed
from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.first_run import FirstRunScreen, first_run_text
from tui.app.screens.rename import ExportFolderScreen, RenameScreen
from tui.app.thread_actions import ThreadActions
from tui.app.widgets.chat import ChatPane, EarlierMessages
from tui.app.widgets.composer import COMPOSER_PLACEHOLDER, Composer
from tui.app.widgets.message import MessageView
from tui.app.widgets.owner_prompt import OwnerPrompt
from tui.app.widgets.progress_strip import ProgressStrip
from tui.app.widgets.sidebar import Sidebar
from tui.app.widgets.switcher import SwitcherBar
from tui.core.app_state import SIDEBAR_WIDTH, load_state
from tui.core.bar_costs import BarCosts
from tui.core.models import Shutdowns, short_warning
from tui.core.ownership import Verdict
from tui.core.records import RESPONSE_IDS, Identity, Profile, ThreadRecord, ThreadStatus
from tui.core.safe_text import one_line
from tui.core.session import ReplyNotStored
from tui.core.store import Store, StoreError
from tui.core.wording import plural

NARROW_WIDTH = 72
"""Below this many columns the sidebar is hidden unless the user asks for it (ctrl+b)."""

STORE_POLL_SECONDS = 2.0
READ_ONLY_PLACEHOLDER = "The record is read-only: sending is disabled (text typed here is kept)"
"""How often to check whether another process (another SSH session) wrote the record."""


class Body(Horizontal):
    """Sidebar and chat side by side; tells the screen when the terminal's width changes."""

    @guarded
    def on_resize(self, event: events.Resize) -> None:
        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.apply_width(event.size.width)


class MainScreen(LongWork, ThreadActions, ReplyFlow, Screen[None]):
    AUTO_FOCUS = "#composer"
    """Keys typed before the first frame (one SSH packet at start-up) are text: they go to the
    composer from the very first key, before anything is loaded."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="app.toggle_sidebar",
                tooltip="Show or hide the sidebar"),
        Binding("escape", "cancel_reply", "Stop reply", id="chat.cancel",
                tooltip="Stop the reply, keep the partial text"),
        Binding("ctrl+r", "retry", "Retry", id="chat.retry",
                tooltip="Send the last prompt again"),
        Binding("ctrl+g", "regenerate", "Regenerate", show=False, id="chat.regenerate",
                tooltip="Answer the last question anew (the old reply is kept)"),
        Binding("ctrl+n", "new_thread", "New chat", show=False, priority=True,
                id="app.new_thread", tooltip="New chat from anywhere"),
        # Keys that move the focus are priority bindings, handled as they arrive, so keys
        # typed right behind them (one SSH packet) reach the newly focused widget; see
        # tui/app/focus.py. check_action keeps each to the widget it belongs to.
        # Not in the footer (it would push ^o Profile off an 80-column one): the filter
        # box's placeholder says "/ filter".
        Binding("slash", "filter", "Filter", show=False, priority=True, id="sidebar.filter",
                tooltip="Filter (?words: search transcripts)"),
        Binding("down,enter", "focus_threads", "To list", show=False, priority=True,
                id="filter.to_list", tooltip="From the filter box to the list"),
        Binding("ctrl+f", "find", "Find", show=False, priority=True, id="chat.find",
                tooltip="Find in this thread (enter next, shift+enter previous, esc closes)"),
        Binding("slash", "find_here", "Find", show=False, priority=True, id="chat.find_here",
                tooltip="Find in this thread from this message"),
    ]

    profile: reactive[Profile] = reactive(Profile(name="-"), init=False)
    key_hint: reactive[str | None] = reactive(None, init=False)
    key_problem: reactive[str | None] = reactive(None, init=False)
    identity: reactive[Identity | None] = reactive(None, init=False)
    busy: reactive[str | None] = reactive(None, init=False)
    model_warning: reactive[str | None] = reactive(None, init=False)
    record_note: reactive[str | None] = reactive(None, init=False)
    """Said in the bar for the whole session: "read-only record: …"."""
    costs: reactive[BarCosts | None] = reactive(None, init=False)
    """Spent today and this month by the profile and its organization (``LongWork``)."""
    open_record: reactive[ThreadRecord | None] = reactive(None, init=False, always_update=True)
    replying: reactive[bool] = reactive(False, init=False, bindings=True)
    retry_target: reactive[tuple[str, str] | None] = reactive(None, init=False, bindings=True)
    """(thread id, prompt) that ctrl+r sends again after a failed or stopped reply."""

    def __init__(self, services: work.Services, profile: str, now: float) -> None:
        super().__init__()
        self.services = services
        self.now = now
        self.set_reactive(MainScreen.profile, services.config.profile(profile))
        self._key_hints: dict[str, str] = {}
        self._key_problems: dict[str, str] = {}
        self._identities: dict[str, Identity] = {}
        self._shutdowns: dict[str, Shutdowns] = {}  # what each profile's /models said
        self._sidebar_wanted: bool | None = None
        self.draft = ""
        """What the composer holds, kept here so it can be saved after the screen is gone."""

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield SwitcherBar(id="switcher").data_bind(
            MainScreen.profile, MainScreen.key_hint, MainScreen.key_problem,
            MainScreen.identity, MainScreen.busy, MainScreen.model_warning,
            MainScreen.record_note, MainScreen.costs,
        )
        with Body(id="body"):
            yield Sidebar(now=self.now, active_profile=self.profile.name, id="sidebar")
            with Vertical(id="main"):
                yield ChatPane(id="chat")
                yield ProgressStrip(id="progress")
                yield Composer(id="composer")
        yield Footer(id="footer")

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one(Sidebar)

    @property
    def chat(self) -> ChatPane:
        return self.query_one(ChatPane)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def bar(self) -> SwitcherBar:
        return self.query_one(SwitcherBar)

    @property
    def profile_name(self) -> str:
        return self.profile.name

    @property
    def retry_key(self) -> str:
        """The retry key as the user's keymap has it (a hint must name the key that works)."""
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        return keymap.get("chat.retry", "ctrl+r").split(",")[0].strip()

    @guarded
    async def on_mount(self) -> None:
        focus_now(self.composer)  # before anything is awaited: the first key is text
        self.chat.set_context(self.profile_name, self.now)
        self._say_read_only()
        # The first page is awaited here (on the record's thread, not this loop), so the
        # first frame already lists past chats; a large record's rest follows in a worker.
        records = self.services.records
        first = await records.call(Store.list_threads, limit=work.FIRST_PAGE)
        self.sidebar.load(first)
        focus_now(self.composer)  # the screen invites typing: what is typed goes there
        await self._restore_sidebar_width()
        draft = await records.call(Store.get_meta, work.DRAFT_KEY)
        if isinstance(draft, str) and draft:
            # Text not sent when the app last closed; before anything typed since.
            self.composer.insert(draft + ("\n" if self.composer.text else ""), location=(0, 0))
            if self.services.read_only is None:  # read-only: kept for the next start
                await records.call(Store.delete_meta, work.DRAFT_KEY)
            self.notify("What you had typed when threadtui last closed is back in the composer",
                        timeout=8)
        if len(first) == work.FIRST_PAGE:
            # After the first paint: the rest is the whole index, read and checked on the
            # record's thread (the first page came from its head), which holds the GIL.
            # The month's sums follow the rows (``_rows_loaded``): counted first, they read
            # every transcript of the month before the list got the record's thread (at
            # 100,000 threads, 40,000 of them this month: the list came 0.9 s later).
            self.call_after_refresh(self._load_rows)
        else:
            self.call_after_refresh(self.refresh_costs)  # after the first paint
        self.run(work.report_problems(self.services, self.post_message), group="problems")
        self.apply_width(self.app.size.width)
        self.set_interval(STORE_POLL_SECONDS, self._poll)
        # After the first paint: the first client build imports the SDK (hundreds of ms of
        # CPU, even in a thread it holds the GIL), which must not delay the first screen.
        self.call_after_refresh(self.connect, self.profile_name, True)

    @guarded
    def _load_rows(self) -> None:
        self.run(work.load_rows(self.services, self.post_message), group="rows")

    def _say_read_only(self) -> None:
        """A record opened read-only is said once in full and stays said in the bar."""
        reason = self.services.read_only
        if reason is None:
            return
        self.record_note = f"read-only record: {reason}"
        self.composer.placeholder = READ_ONLY_PLACEHOLDER
        self.notify(
            f"The record in {self.services.data_dir} is open read-only ({reason}): its threads"
            " can be read, filtered, searched and exported; sending, renaming, pinning and"
            " deleting are disabled.",
            title="Read-only record", severity="warning", timeout=20,
        )

    def refuse_write(self, what: str) -> bool:
        """True (after saying so) when the record is read-only: ``what`` is disabled, and
        nothing is attempted that would only fail."""
        reason = self.services.read_only
        if reason is None:
            return False
        self.notify(f"{what} is disabled: the record is open read-only ({reason}).",
                    title="Read-only record", severity="warning", timeout=10)
        return True

    async def _restore_sidebar_width(self) -> None:
        """The width the user chose last time (``<`` / ``>``), then keep each change."""
        if self.services.remember:
            state = await asyncio.to_thread(load_state, self.services.data_dir)
            width = state.get(SIDEBAR_WIDTH)
            if isinstance(width, float | int) and 0 < width < 1:
                self.sidebar.width_share = float(width)
        self.watch(self.sidebar, "width_share", self._width_changed, init=False)

    def _width_changed(self, share: float) -> None:
        self.run(work.remember(self.services, sidebar_width=round(share, 4)), group="state")

    def run(
        self,
        job: Coroutine[Any, Any, None],
        *,
        group: str,
        exclusive: bool = False,
        on_error: Callable[[str], object] | None = None,
    ) -> Worker[None]:
        """Every worker of the screen starts here, inside the error boundary: an unexpected
        exception is logged and shown, and ``on_error(incident id)`` puts right what the
        job leaves half done (a reply on screen, a question to keep)."""
        return self.run_worker(
            self._guard(job, group, on_error), group=group, exclusive=exclusive,
            exit_on_error=False,
        )

    async def _guard(
        self, job: Coroutine[Any, Any, None], where: str, on_error: Callable[[str], object] | None
    ) -> None:
        try:
            await job
        except asyncio.CancelledError:
            raise
        except StoreError as error:
            # The record refused (a full or read-only disk, a stopped writer holding the
            # lock): known, said as it is, not an internal error. What was on screen stays.
            self.notify(str(error), title="Local record", severity="error", timeout=30)
            if on_error is not None:
                kept = isinstance(error, ReplyNotStored)  # the reply waits in memory
                on_error(f"{KEPT_IN_MEMORY if kept else 'not saved'}: {error}")
        except Exception as error:
            incident = report(self, error, f"worker {where}")
            if on_error is not None:
                on_error(f"internal error {incident.id if incident is not None else '?'}")

    @guarded
    def _poll(self) -> None:
        if not any(w.group == "poll" and w.is_running for w in self.workers):
            self.run(work.poll(self.services, self.post_message), group="poll")

    # ------------------------------------------------------------ width

    def apply_width(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")
        self.sidebar.fit_width(width, narrow)
        shown = self._sidebar_wanted if self._sidebar_wanted is not None else not narrow
        self._show_sidebar(shown)

    def _show_sidebar(self, shown: bool) -> None:
        sidebar = self.sidebar
        sidebar.display = shown
        if not shown and sidebar.has_focus_within:
            focus_now(self.composer)

    @guarded
    def action_toggle_sidebar(self) -> None:
        """Show or hide past chats; the keyboard stays in (or returns to) the composer, so a
        sentence typed right behind ctrl+b is text, not commands for the list."""
        self._sidebar_wanted = not self.sidebar.display
        self._show_sidebar(self._sidebar_wanted)
        if self._sidebar_wanted and not self.composer.read_only:
            focus_now(self.composer)

    @guarded
    def action_to_threads(self) -> None:
        """From the composer to the past chats (showing the sidebar if it was hidden)."""
        if not self.sidebar.display:
            self._sidebar_wanted = True
            self._show_sidebar(True)
        focus_now(self.sidebar.thread_list)

    # ------------------------------------------------------------ profiles

    @guarded
    def watch_profile(self, profile: Profile) -> None:
        name = profile.name
        self.key_hint = self._key_hints.get(name)
        self.key_problem = self._key_problems.get(name)
        self.identity = self._identities.get(name)
        self._warn_of_shutdown()
        self.sidebar.set_active_profile(name, self.now)
        self.chat.set_context(name, self.now)
        self.costs = None  # the last profile's sums are not this one's
        self.refresh_costs()

    def activate_profile(self, name: str) -> None:
        """Switch at once on screen; the key, client and whoami follow in a worker."""
        config = self.services.config
        if name not in config.profiles:
            self.notify(f"No profile named {name!r}", severity="error")
            return
        first_run = isinstance(self.app.screen, FirstRunScreen)
        if first_run:
            self.app.pop_screen()
        if name != self.profile_name:
            self.profile = config.profiles[name]
            self.notify(f"Switched to profile {name}", timeout=3)
            self.run(work.remember(self.services, profile=name), group="state")
        self.connect(name, first_run)

    def connect(self, name: str, first_run_check: bool = False) -> None:
        self.run(work.connect(self.services, self.post_message, name, first_run_check),
                 group="connect", exclusive=True)

    def whoami(self) -> None:
        self.run(work.whoami(self.services, self.post_message, self.profile_name, announce=True),
                 group="whoami")

    @on(msg.KeyResolved)
    @guarded
    def _key_resolved(self, message: msg.KeyResolved) -> None:
        self._key_problems.pop(message.profile, None)
        self._key_hints[message.profile] = message.key_hint
        if message.profile == self.profile_name:
            self.key_problem = None
            self.key_hint = message.key_hint

    @on(msg.KeyMissing)
    @guarded
    def _key_missing(self, message: msg.KeyMissing) -> None:
        self._key_problems[message.profile] = message.problem
        self._key_hints.pop(message.profile, None)
        if message.profile != self.profile_name:
            return
        self.key_problem = message.problem
        self.key_hint = None
        if message.first_run_check and self.sidebar.count == 0:
            config = self.services.config
            text = first_run_text(
                message.problem, config.path, config.exists, len(config.profiles)
            )
            self.app.push_screen(FirstRunScreen(text))
        else:
            self.notify(message.problem, title="No key", severity="error", timeout=15)

    @on(msg.IdentityLearned)
    @guarded
    def _identity_learned(self, message: msg.IdentityLearned) -> None:
        self._identities[message.profile] = message.identity
        if message.identity.model_shutdowns:  # only whoami's answer (/models) carries them
            self._shutdowns[message.profile] = dict(message.identity.model_shutdowns)
        if message.profile == self.profile_name:
            known = self.identity.organization if self.identity is not None else None
            self.identity = message.identity
            self._warn_of_shutdown()
            if message.identity.organization != known:  # whose spend "org" sums changed
                self.refresh_costs()
        if message.announce:
            self.notify(work.describe_identity(message.identity), title="Who am I", timeout=12)

    def _warn_of_shutdown(self) -> None:
        """The bar's few words when the active profile's model shuts down within 60 days."""
        today = dt.date.fromtimestamp(self.now)
        known = self._shutdowns.get(self.profile_name, {})
        self.model_warning = short_warning(self.profile.model, known, today)

    @on(msg.Busy)
    @guarded
    def _busy(self, message: msg.Busy) -> None:
        self.busy = message.text

    @on(msg.Notice)
    @guarded
    def _notice(self, message: msg.Notice) -> None:
        severity = message.severity if message.severity in {"information", "warning", "error"} \
            else "information"
        self.notify(message.text, title=message.title, severity=severity,  # type: ignore[arg-type]
                    timeout=message.timeout)

    # ------------------------------------------------------------ the record

    @on(msg.RowsLoaded)
    @guarded
    def _rows_loaded(self, message: msg.RowsLoaded) -> None:
        self.sidebar.load(message.records)
        self.refresh_costs()
        record = self.chat.record
        if record is not None:
            fresh = self.sidebar.get(record.id)
            if fresh is not None:
                self._show_record(fresh)

    @on(msg.RowsChanged)
    @guarded
    def _rows_changed(self, message: msg.RowsChanged) -> None:
        """Another session changed some rows: only they are redrawn (the highlight and the
        filter stay); the open thread follows its row, and its transcript is read again
        when it may have changed (not while a reply streams into it here)."""
        self.sidebar.apply_changes(message.records, message.removed)
        self.refresh_costs()  # another process's replies count too
        record = self.chat.record
        if record is None:
            return
        if record.id in message.removed and not self.streaming_here():
            self.run(self._show_new(focus_composer=False), group="view", exclusive=True)
            return
        fresh = next((r for r in message.records if r.id == record.id), None)
        if fresh is not None:
            self._show_record(fresh)
        if (fresh is not None or message.transcripts) and not self.streaming_here():
            self.run(work.reread_transcript(self.services, self.post_message, fresh or record),
                     group="reread", exclusive=True)

    @on(msg.RecordChanged)
    @guarded
    def _record_changed(self, message: msg.RecordChanged) -> None:
        self.sidebar.upsert(message.record)
        self._show_record(message.record)

    def _show_record(self, record: ThreadRecord) -> None:
        if self.chat.record is not None and self.chat.record.id == record.id:
            self.chat.update_record(record)
            self.open_record = record

    @on(msg.ThreadForgotten)
    @guarded
    def _thread_forgotten(self, message: msg.ThreadForgotten) -> None:
        self.sidebar.remove_thread(message.thread_id)
        if self.chat.record is not None and self.chat.record.id == message.thread_id:
            self.run(self._show_new(focus_composer=False), group="view", exclusive=True)

    @on(msg.LostRepliesFound)
    @guarded
    def _lost_replies(self, message: msg.LostRepliesFound) -> None:
        record = self.chat.record
        if record is not None and record.id in message.thread_ids and not self.replying:
            self.open_thread(record.id, focus_composer=False)

    @on(Sidebar.FullTextSearch)
    @guarded
    def _full_text(self, event: Sidebar.FullTextSearch) -> None:
        self.run(work.search(self.services, self.post_message, event.query),
                 group="search", exclusive=True)

    @on(msg.SearchResults)
    @guarded
    def _search_results(self, message: msg.SearchResults) -> None:
        if self.sidebar.query_text.lstrip("?").strip() == message.query:
            self.sidebar.show_ids(message.thread_ids)

    # ------------------------------------------------------------ the open thread

    @guarded
    def watch_open_record(self, record: ThreadRecord | None) -> None:
        """A gone thread cannot take a message; the composer says so, and keeps the keyboard
        (what is typed there is kept: ctrl+n takes it to a new chat)."""
        self.sidebar.mark_open(record.id if record is not None else None)
        gone = record is not None and record.status is ThreadStatus.GONE
        self.composer.placeholder = (
            f"This thread is {why_closed(record)}: ctrl+n starts a new chat with your text"
            if record is not None and gone
            else READ_ONLY_PLACEHOLDER if self.services.read_only is not None
            else COMPOSER_PLACEHOLDER
        )

    @on(OptionList.OptionSelected, "#threads")
    @guarded
    def _thread_selected(self, event: OptionList.OptionSelected) -> None:
        """A click on a row (enter is the screen's own binding, below)."""
        event.stop()
        if event.option.id:
            focus_now(self.composer)
            self.open_thread(event.option.id)

    @guarded
    def action_open_highlighted(self) -> None:
        """Open the highlighted thread; the composer takes the keyboard at once, so what is
        typed right behind enter is text for the thread being opened."""
        thread_id = self.sidebar.thread_list.highlighted_id
        if thread_id:
            focus_now(self.composer)
            self.open_thread(thread_id)


    def open_thread(self, thread_id: str, *, focus_composer: bool = True) -> None:
        self.run(
            work.open_thread(self.services, self.post_message, self.profile_name, thread_id,
                             self.retry_key, focus_composer=focus_composer),
            group="view", exclusive=True,
        )

    @on(msg.ThreadShown)
    @guarded
    async def _thread_shown(self, message: msg.ThreadShown) -> None:
        self.retry_target = None
        await self.chat.show(message.record, message.turns)
        self.sidebar.upsert(message.record)
        self.open_record = message.record
        if message.focus_composer and not self.composer.read_only:
            focus_now(self.composer)

    @on(msg.TranscriptRefreshed)
    @guarded
    async def _transcript_refreshed(self, message: msg.TranscriptRefreshed) -> None:
        shown = self.chat.record
        if shown is not None and shown.id == message.record.id and not self.streaming_here():
            await self.chat.merge(message.turns)

    @on(msg.RetryOffered)
    @guarded
    def _retry_offered(self, message: msg.RetryOffered) -> None:
        """A thread opened on a failed, stopped or lost reply offers to ask again."""
        shown = self.chat.record
        if shown is None or shown.id != message.thread_id or self.replying:
            return
        self.retry_target = None if message.prompt is None else (shown.id, message.prompt)
        view = self.chat.last_view()
        if message.hints and view is not None and view.turn.role.value == "assistant":
            view.hint = message.hints[0]
            view.refresh_chrome()

    @guarded
    async def action_new_thread(self) -> None:
        """Awaited, not left to a worker: keys typed right behind ctrl+n (one SSH packet)
        are handled only after the pane is cleared and the composer has the keyboard."""
        self.workers.cancel_group(self, "view")
        await self._show_new(True)

    async def _show_new(self, focus_composer: bool) -> None:
        self.retry_target = None
        await self.chat.show(None, [])
        self.open_record = None
        if focus_composer:
            focus_now(self.composer)
        elif self.sidebar.display:
            focus_now(self.sidebar.thread_list)

    # ------------------------------------------------------------ the 404 flow

    @on(msg.ThreadNotFound)
    @guarded
    def _thread_not_found(self, message: msg.ThreadNotFound) -> None:
        outcome = message.outcome
        record = outcome.record
        if outcome.verdict is Verdict.UNKNOWN:
            self.notify(outcome.message, title="Owner unknown", severity="warning", timeout=15)
            return
        shown = self.chat.record
        if shown is None or shown.id != record.id:
            # Not on screen (a delete from the list): say it; opening it shows the prompt.
            self.notify(f"{outcome.message}. Open the thread to act on it.", title="Not found",
                        severity="warning", timeout=15)
            return
        config = self.services.config
        owner = config.profiles.get(outcome.owner) if outcome.owner else None
        prompt = OwnerPrompt(
            record, self.profile_name, owner,
            organization=outcome.organization or (owner.organization if owner else None),
            project=outcome.project or (owner.project if owner else None),
            retired=outcome.verdict is Verdict.RETIRED,
        )
        self.open_record = record  # its status changed: the composer says what it can take
        self.chat.show_prompt(prompt)  # inline: the composer keeps the keyboard

    @on(OwnerPrompt.Answered)
    @guarded
    async def _owner_answered(self, message: OwnerPrompt.Answered) -> None:
        prompt = message.prompt
        record, owner = prompt.record, prompt.owner
        if message.answer == "switch" and owner is not None:
            await prompt.remove()
            self.activate_profile(owner.name)
            self.open_thread(record.id)
        elif message.answer == "forget":
            if self.refuse_write("Forgetting"):
                return
            self.app.push_screen(forget_question(record), partial(self._forget_answer, record))
        else:
            await prompt.remove()
            focus_now(self.composer)

    @guarded
    def _forget_answer(self, record: ThreadRecord, yes: bool | None) -> None:
        if yes:
            self.run(work.forget(self.services, self.post_message, record), group="forget")

    # ------------------------------------------------------------ the composer's draft

    @on(TextArea.Changed, "#composer")
    @guarded
    def _composer_changed(self, event: TextArea.Changed) -> None:
        self.draft = event.text_area.text

    # ------------------------------------------------------------ sidebar actions

    def target_record(self) -> ThreadRecord | None:
        """The thread an action means: the sidebar's highlight when the sidebar has the
        keyboard, else the open thread, else the highlight."""
        highlighted = self.sidebar.thread_list.record_at_highlight()
        if self.sidebar.has_focus_within and highlighted is not None:
            return self.sidebar.get(highlighted.id) or highlighted
        if self.chat.record is not None:
            return self.sidebar.get(self.chat.record.id) or self.chat.record
        if highlighted is not None:
            return self.sidebar.get(highlighted.id) or highlighted
        return None

    @guarded
    def action_filter(self) -> None:
        if not self.sidebar.display:
            self._sidebar_wanted = True
            self._show_sidebar(True)
        focus_now(self.sidebar.filter_input)

    @guarded
    def action_clear_filter(self) -> None:
        self.sidebar.filter_input.value = ""
        self.sidebar.set_query("")
        focus_now(self.sidebar.thread_list)

    @guarded
    def action_focus_threads(self) -> None:
        focus_now(self.sidebar.thread_list)

    @guarded
    def action_toggle_pin(self) -> None:
        record = self.target_record()
        if record is not None and not self.refuse_write("Pinning"):
            self.run(work.update(self.services, self.post_message, record.id,
                                 pinned=not record.pinned), group="pin")

    @guarded
    def action_rename_thread(self) -> None:
        record = self.target_record()
        if record is None:
            self.notify("No thread to rename", severity="warning")
            return
        if self.refuse_write("Renaming"):
            return

        self.app.push_screen(RenameScreen(record.display_title), partial(self._renamed, record))

    @guarded
    def _renamed(self, record: ThreadRecord, title: str | None) -> None:
        if title and title != record.title:
            self.run(work.rename(self.services, self.post_message, self.profile_name,
                                 record, title), group="rename")

    @guarded
    def action_delete_thread(self) -> None:
        record = self.target_record()
        if record is None:
            self.notify("No thread to delete", severity="warning")
            return
        if self.refuse_write("Deleting"):
            return

        deleter = work.deleting_profile(self.services.config, self.profile_name, record)
        self.app.push_screen(delete_question(record, deleter),
                             partial(self._delete_answer, record))

    @guarded
    def _delete_answer(self, record: ThreadRecord, yes: bool | None) -> None:
        if yes:
            self.run(work.delete(self.services, self.post_message, self.profile_name, record),
                     group="delete")

    @on(msg.DeleteFinished)
    @guarded
    async def _delete_finished(self, message: msg.DeleteFinished) -> None:
        report = message.report
        if report.complete:
            self.notify(report.summary(), title="Delete", timeout=8)
        else:
            self.notify(report.summary(), title="Delete incomplete", severity="warning",
                        timeout=20)
        if message.remaining is not None:
            self.sidebar.upsert(message.remaining)
            self._show_record(message.remaining)
            return
        self.sidebar.remove_thread(message.record.id)
        if self.chat.record is not None and self.chat.record.id == message.record.id:
            self.workers.cancel_group(self, "view")
            await self._show_new(focus_composer=False)

    @guarded
    def action_copy_thread_id(self) -> None:
        record = self.target_record()
        if record is not None:
            self.app.copy_to_clipboard(record.id)
            self.notify(f"Copied {record.id}", timeout=3)

    @guarded
    def action_export_thread(self) -> None:
        record = self.target_record()
        if record is None:
            self.notify("No thread to export", severity="warning")
            return
        folder = self.services.export_dir or default_export_dir(self.services.data_dir)
        self.app.push_screen(ExportFolderScreen(str(folder)), partial(self._export_to, record))

    @guarded
    def _export_to(self, record: ThreadRecord, folder: str | None) -> None:
        if folder:
            self.run_with_progress(work.export(self.services, self.post_message, record,
                                               Path(folder).expanduser()),
                                   group="export", what="Export")

    @guarded
    def action_find(self) -> None:
        """The chat pane's find bar takes the keyboard (tui/app/thread_find.py)."""
        self.chat.open_find(self.focused)

    @guarded
    def action_find_here(self) -> None:
        """``/`` on a message: find from it (only there: ``/`` is text or the filter elsewhere)."""
        self.chat.open_find(self.focused)

    @guarded
    async def action_find_again(self, direction: int) -> None:
        """``n`` / ``N`` on a message: the last find's next or previous match (as in less)."""
        await self.chat.find_again(direction, self.focused)

    # ------------------------------------------------------------ moving between messages

    def _message_views(self) -> list[Widget]:
        return list(self.chat.transcript.query("EarlierMessages, MessageView"))

    def _step_message(self, step: int) -> None:
        views = self._message_views()
        if not views:
            return
        focused = self.focused
        index = views.index(focused) if focused in views else len(views)
        target = views[max(0, min(len(views) - 1, index + step))]
        self.chat.focus_message(target)

    @guarded
    def action_message_first(self) -> None:
        views = self._message_views()
        if views:
            self.chat.focus_message(views[0])

    @guarded
    def action_message_last(self) -> None:
        views = self._message_views()
        if views:
            self.chat.focus_message(views[-1])

    @guarded
    def action_message_previous(self) -> None:
        self._step_message(-1)

    @guarded
    def action_message_next(self) -> None:
        views = self._message_views()
        if self.focused is not None and views and self.focused is views[-1]:
            focus_now(self.composer)
            return
        self._step_message(1)

    # ------------------------------------------------------------ action state

    @guarded
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_reply":
            return self.replying
        if action == "to_threads":
            return not self.replying
        if action == "retry":
            return self.retry_text() is not None and not self.replying
        if action == "find_here":
            return isinstance(self.focused, (MessageView, EarlierMessages))
        if action in ("clear_filter", "filter", "focus_threads"):
            try:
                sidebar = self.sidebar
            except Exception:  # not composed yet, or torn down
                return False
            if action == "clear_filter":
                return bool(sidebar.filter_input.value) or sidebar.filter_input.has_focus
            owner = sidebar.thread_list if action == "filter" else sidebar.filter_input
            return self.focused is owner
        return True


def forget_question(record: ThreadRecord) -> ConfirmScreen:
    body = Content.assemble(
        (one_line(record.display_title, 60), "bold"), f"\n{one_line(record.id, 60)}\n\n",
        "The server no longer has this thread. Forget it locally (its transcript too)?",
    )
    return ConfirmScreen("Forget thread", body, yes="Forget", no="Keep")


def delete_question(record: ThreadRecord, profile: str) -> ConfirmScreen:
    title = one_line(record.display_title, 60)
    if record.status is ThreadStatus.GONE:
        return forget_question(record)
    responses = len(record.server_meta.get(RESPONSE_IDS, []) or [])
    what = "the conversation" if str(record.api) == "conversations" else "the thread"
    if responses:
        what += f" and {plural(responses, 'stored response')}"
    body = Content.assemble(
        (title, "bold"), f"\n{one_line(record.id, 60)}\n\n",
        f"Deletes {what} on the server with profile ", (profile, "bold"),
        ", then the local record. This cannot be undone.",
    )
    return ConfirmScreen("Delete thread", body, yes="Delete", no="Cancel")

