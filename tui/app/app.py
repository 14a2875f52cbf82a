"""ThreadApp: the switcher bar, the past-chats sidebar, the chat pane and the composer, wired.

The app is the only place that talks to the store and the backends; widgets show what they are
given and post what the user asked for. Everything that may wait on the network or on a key
command runs in a worker, so every key stays answered: a switch of profile shows in the bar at
once and the key, the client and the server's idea of the organization follow when ready.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.widgets import Footer, OptionList

from tui.app import flows
from tui.app.commands import PaletteCommand, ThreadCommands
from tui.app.connections import BackendFactory, BackendPool, default_factory
from tui.app.focus import focus_now
from tui.app.formatting import Clock, one_line, strip_controls
from tui.app.help_keys import help_groups
from tui.app.screens.first_run import FirstRunScreen, first_run_text
from tui.app.screens.help import HelpScreen, help_content
from tui.app.screens.profile_picker import ProfilePicker
from tui.app.screens.rename import RenameScreen
from tui.app.themes import app_variable_defaults, prepare_themes
from tui.app.widgets.chat import ChatPane
from tui.app.widgets.composer import COMPOSER_PLACEHOLDER, Composer
from tui.app.widgets.message import MessageView
from tui.app.widgets.sidebar import Sidebar
from tui.app.widgets.switcher import BarState, SwitcherBar
from tui.core.api.base import ApiError
from tui.core.config import Config
from tui.core.keys import KeyResolutionError, KeyRing
from tui.core.record_access import Records
from tui.core.records import Identity, Profile, ThreadRecord, ThreadStatus
from tui.core.store import Store

NARROW_WIDTH = 72
"""Below this many columns the sidebar is hidden unless the user asks for it (ctrl+b)."""

STORE_POLL_SECONDS = 2.0
"""How often to check whether another process (another SSH session) wrote the record."""

FIRST_PAGE = 200
"""Rows put on screen before the rest of a large record is added (start-up latency)."""

FIRST_RUN_HIDDEN = frozenset({"toggle_sidebar", "new_thread", "cancel_reply", "retry"})
"""App keys that mean nothing while the first-run screen is up."""


class Body(Horizontal):
    """Sidebar and chat side by side; tells the app when the terminal's width changes."""

    def on_resize(self, event: events.Resize) -> None:
        app = self.app
        if isinstance(app, ThreadApp):
            app._apply_width(event.size.width)


class ThreadApp(App[None], inherit_bindings=False):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "threadtui"
    COMMANDS: ClassVar[set[Any]] = {ThreadCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit", tooltip="Quit"),
        Binding("ctrl+c", "help_quit", show=False, system=True, id="app.ctrl_c"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True,
                id="app.palette", tooltip="Command palette"),
        Binding("ctrl+o", "switch_profile", "Profile", priority=True, id="app.switch_profile",
                tooltip="Switch profile (type, then enter)"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="app.toggle_sidebar",
                tooltip="Show or hide the sidebar"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="This list of keys"),
        Binding("escape", "cancel_reply", "Stop reply", id="chat.cancel",
                tooltip="Stop the reply, keep the partial text"),
        Binding("ctrl+r", "retry", "Retry", id="chat.retry",
                tooltip="Send the last prompt again"),
        Binding("ctrl+n", "new_thread", "New chat", show=False, priority=True,
                id="app.new_thread", tooltip="New chat from anywhere"),
        # Keys that move the focus are priority bindings, handled as they arrive, so keys
        # typed right behind them (one SSH packet) reach the newly focused widget; see
        # tui/app/focus.py. check_action keeps each to the widget it belongs to.
        Binding("slash", "filter", "Filter", priority=True, id="sidebar.filter",
                tooltip="Filter (?words: search transcripts)"),
        Binding("down,enter", "focus_threads", "To list", show=False, priority=True,
                id="filter.to_list", tooltip="From the filter box to the list"),
    ]

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        keyring: KeyRing,
        data_dir: Path,
        profile: str | None = None,
        clock: Clock = time.time,
        cli_theme: str | None = None,
        remember_theme: bool = True,
        notes: Iterable[str] = (),
        backend_factory: Callable[[], BackendFactory] = default_factory,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.store = store
        self.records = Records(store)
        """The store for flows on the event loop: calls run on its own thread, in order."""
        self.keyring = keyring
        self.data_dir = data_dir
        self.clock = clock
        self.export_dir = export_dir
        self.profile_name = config.profile(profile).name
        self.pool = BackendPool(config, keyring, store, factory=backend_factory)
        self.identities: dict[str, Identity] = {}
        self.key_hints: dict[str, str] = {}
        self.key_problems: dict[str, str] = {}
        self.keymap: dict[str, str] = dict(config.keymap)
        self._notes = list(notes)
        self._sidebar_wanted: bool | None = None
        self._busy: str | None = None
        self._search_store: Store | None = None
        self.retry: tuple[str, str] | None = None
        """(thread id, prompt) to send again with ctrl+r after a failed or stopped reply."""
        self.theme_start = prepare_themes(
            self,
            config_path=config.path if config.exists or remember_theme else None,
            config_theme=config.theme,
            cli_theme=cli_theme,
            remember=remember_theme,
        )
        self.theme = self.theme_start.choice.name

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications carry titles, ids and server messages: plain text unless asked
        (Textual's default parses markup, and a title like ``[/b]`` would raise), and without
        control characters, which a toast would pass to the terminal as they are (an error
        text holding ``ESC ]0;…`` retitled the window and garbled the screen)."""
        super().notify(
            strip_controls(message), title=one_line(title), severity=severity, timeout=timeout,
            markup=markup,
        )

    # ------------------------------------------------------------ theme

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return app_variable_defaults(self.current_theme)

    def watch_theme(self, name: str) -> None:
        start = getattr(self, "theme_start", None)
        if start is None:
            return
        error = start.memory.theme_changed(name)
        if error:
            self.notify(error, title="Theme not saved", severity="error")

    # ------------------------------------------------------------ layout

    @property
    def profile(self) -> Profile:
        return self.config.profile(self.profile_name)

    def compose(self) -> ComposeResult:
        yield SwitcherBar(BarState(self.profile), id="switcher")
        with Body(id="body"):
            yield Sidebar(now=self.clock(), active_profile=self.profile_name, id="sidebar")
            with Vertical(id="main"):
                yield ChatPane(id="chat")
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

    def on_mount(self) -> None:
        self.set_keymap(self.keymap)
        self.chat.set_context(self.profile_name, self.clock())
        first = self.store.list_threads(limit=FIRST_PAGE)
        self.sidebar.load(first)
        focus_now(self.sidebar.thread_list)
        if len(first) == FIRST_PAGE:
            self.call_after_refresh(self._load_rest)
        self.call_after_refresh(self._settle_memory)
        self.report_store_problems()
        for message in self.theme_start.messages:
            self.notify(message, title="Theme", severity="warning", timeout=12)
        for note in self._notes:
            self.notify(note, timeout=8)
        self._apply_width(self.size.width)
        self.set_interval(STORE_POLL_SECONDS, self._poll_store)
        # After the first paint: the first client build imports the SDK (hundreds of ms of
        # CPU, even in a thread it holds the GIL), which must not delay the first screen.
        self.call_after_refresh(self.connect_profile, self.profile_name, True)

    def report_store_problems(self) -> None:
        """Say what the record found wrong (a file moved aside, a reply lost), once each."""
        for problem in self.store.take_problems():
            self.notify(str(problem), title="Local record", severity="warning", timeout=20)

    def _settle_memory(self) -> None:
        """Exempt what start-up built (modules, styles, the index rows) from the cyclic GC.

        A full collection walks every tracked object; with 10,000 rows and Textual loaded it
        took 150-450 ms and came every second or two while a reply streamed, freezing the
        screen each time. Frozen objects are never scanned; what is made later still is.
        """
        gc.freeze()

    def _load_rest(self) -> None:
        """Add the rows past the first page once the first paint is on screen."""
        self.sidebar.load(self.store.list_threads())

    def _poll_store(self) -> None:
        """Take in another session's writes, and replies lost with a session that died."""
        lost = self.store.recover_unanswered()
        self.report_store_problems()
        if lost and self.chat.record is not None and self.chat.record.id in lost:
            self.open_thread(self.chat.record.id, focus_composer=False)
        if self.store.changed_on_disk() and self.store.reload():
            self.sidebar.load(self.store.list_threads())
            if self.chat.record is not None:
                fresh = self.store.get(self.chat.record.id)
                if fresh is not None:
                    self.chat.update_record(fresh)

    # ------------------------------------------------------------ width

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        self.screen.set_class(narrow, "-narrow")
        shown = self._sidebar_wanted if self._sidebar_wanted is not None else not narrow
        self._show_sidebar(shown)

    def _show_sidebar(self, shown: bool) -> None:
        sidebar = self.sidebar
        sidebar.display = shown
        if not shown and sidebar.has_focus_within:
            focus_now(self.composer)

    def action_toggle_sidebar(self) -> None:
        self._sidebar_wanted = not self.sidebar.display
        self._show_sidebar(self._sidebar_wanted)
        if self._sidebar_wanted:
            focus_now(self.sidebar.thread_list)

    # ------------------------------------------------------------ profiles

    def bar_state(self) -> BarState:
        name = self.profile_name
        return BarState(
            profile=self.profile,
            key_hint=self.key_hints.get(name),
            identity=self.identities.get(name),
            key_problem=self.key_problems.get(name),
        )

    def refresh_bar(self) -> None:
        state = self.bar_state()
        state.busy = self._busy
        self.bar.state = state

    def set_busy(self, text: str | None) -> None:
        """Say in the bar what the app is waiting for (instead of a toast that outlives it)."""
        self._busy = text
        self.refresh_bar()

    def action_switch_profile(self) -> None:
        if isinstance(self.screen, ProfilePicker):
            return
        self.push_screen(
            ProfilePicker(list(self.config.profiles.values()), self.profile_name),
            self._picked_profile,
        )

    def _picked_profile(self, name: str | None) -> None:
        if name:
            self.activate_profile(name)

    def activate_profile(self, name: str) -> None:
        """Switch at once on screen; the key, client and whoami follow in a worker."""
        if name not in self.config.profiles:
            self.notify(f"No profile named {name!r}", severity="error")
            return
        changed = name != self.profile_name
        self.profile_name = name
        first_run = isinstance(self.screen, FirstRunScreen)
        if first_run:
            self.pop_screen()
        now = self.clock()
        self.refresh_bar()
        if changed:
            self.sidebar.set_active_profile(name, now)
            self.chat.set_context(name, now)
            self.notify(f"Switched to profile {name}", timeout=3)
        self.connect_profile(name, first_run)

    @work(exclusive=True, group="connect")
    async def connect_profile(self, name: str, first_run_check: bool = False) -> None:
        """Resolve the key (maybe a slow command), build the client, ask who we are."""
        try:
            hint = await self.pool.key_hint(name)
        except KeyResolutionError as exc:
            self.key_problems[name] = str(exc)
            self.key_hints.pop(name, None)
            if name == self.profile_name:
                self.refresh_bar()
                if first_run_check and len(self.store) == 0:
                    self._show_first_run(str(exc))
                else:
                    self.notify(str(exc), title="No key", severity="error", timeout=15)
            return
        self.key_problems.pop(name, None)
        self.key_hints[name] = hint
        if name == self.profile_name:
            self.refresh_bar()
        await self._whoami(name, announce=False)

    async def _whoami(self, name: str, *, announce: bool) -> Identity | None:
        try:
            backend = await self.pool.get(name)
            identity = await backend.whoami()
        except KeyResolutionError as exc:
            self.notify(str(exc), title="No key", severity="error", timeout=15)
            return None
        except ApiError as exc:
            self.notify(str(exc), title=f"Profile {name}", severity="warning", timeout=10)
            return None
        self.identities[name] = identity
        if name == self.profile_name:
            self.refresh_bar()
        if announce:
            self.notify(flows.describe_identity(identity), title="Who am I", timeout=12)
        return identity

    def note_identity(self, name: str, identity: Identity | None) -> None:
        """Headers of any response tell the organization and project: keep the bar true."""
        if identity is None:
            return
        self.identities[name] = identity
        if name == self.profile_name:
            self.refresh_bar()

    def _show_first_run(self, problem: str) -> None:
        text = first_run_text(
            problem, self.config.path, self.config.exists, len(self.config.profiles)
        )
        self.push_screen(FirstRunScreen(text))

    @work(group="whoami")
    async def action_whoami(self) -> None:
        await self._whoami(self.profile_name, announce=True)

    # ------------------------------------------------------------ sidebar actions

    def target_record(self) -> ThreadRecord | None:
        """The thread an action means: the sidebar's highlight when the sidebar has the
        keyboard, else the open thread, else the highlight."""
        highlighted = self.sidebar.thread_list.record_at_highlight()
        if self.sidebar.has_focus_within and highlighted is not None:
            return self.store.get(highlighted.id) or highlighted
        if self.chat.record is not None:
            return self.store.get(self.chat.record.id) or self.chat.record
        if highlighted is not None:
            return self.store.get(highlighted.id) or highlighted
        return None

    def action_filter(self) -> None:
        if not self.sidebar.display:
            self._sidebar_wanted = True
            self._show_sidebar(True)
        focus_now(self.sidebar.filter_input)

    def action_clear_filter(self) -> None:
        self.sidebar.filter_input.value = ""
        self.sidebar.set_query("")
        focus_now(self.sidebar.thread_list)

    def action_focus_threads(self) -> None:
        focus_now(self.sidebar.thread_list)

    @on(Sidebar.FullTextSearch)
    def _full_text(self, event: Sidebar.FullTextSearch) -> None:
        self.search_transcripts(event.query)

    @work(exclusive=True, group="search")
    async def search_transcripts(self, query: str) -> None:
        await asyncio.sleep(0.25)  # debounce: search once the user pauses typing
        self.set_busy("searching transcripts…")
        try:
            found = await asyncio.to_thread(self._search_in_thread, query)
        finally:
            self.set_busy(None)
        if self.sidebar.query_text.lstrip("?").strip() == query:
            self.sidebar.show_ids(found)

    def _search_in_thread(self, query: str) -> list[str]:
        """Transcript search reads every transcript file, so it runs in a thread, on its own
        Store handle: the store is not thread-safe, and a second handle takes the file lock
        like another process would, so the UI's writes and this read never interleave."""
        if self._search_store is None:
            self._search_store = Store.open(self.store.data_dir)
        store = self._search_store
        store.reload()
        return [record.id for record in store.list_threads(text=query, full_text=True)]

    async def action_new_thread(self) -> None:
        """Awaited, not left to a worker: keys typed right behind ctrl+n (one SSH packet)
        are handled only after the pane is cleared and the composer has the keyboard. As a
        worker, "ctrl+n hi enter" typed fast sent "hi" to the sidebar and its enter reopened
        the highlighted thread."""
        self.workers.cancel_group(self, "refresh")
        self.workers.cancel_group(self, "view")
        await self._show_new(True)

    async def _show_new(self, focus_composer: bool) -> None:
        await self.chat.show(None, [])
        self._sync_composer()
        if focus_composer:
            focus_now(self.composer)
        elif self.sidebar.display:
            focus_now(self.sidebar.thread_list)

    def open_new(self, *, focus_composer: bool = True) -> None:
        """An empty chat; after a delete the keyboard stays in the list (more may follow)."""
        self.workers.cancel_group(self, "refresh")
        self.run_worker(self._show_new(focus_composer), group="view", exclusive=True)

    def action_toggle_pin(self) -> None:
        record = self.target_record()
        if record is None:
            return
        updated = self.store.update_thread(record.id, pinned=not record.pinned)
        self.sidebar.upsert(updated)
        self.chat.update_record(updated)

    def action_rename_thread(self) -> None:
        record = self.target_record()
        if record is None:
            self.notify("No thread to rename", severity="warning")
            return

        def renamed(title: str | None) -> None:
            if title and title != record.title:
                self.rename(record, title)

        self.push_screen(RenameScreen(record.display_title), renamed)

    @work(group="rename")
    async def rename(self, record: ThreadRecord, title: str) -> None:
        await flows.rename(self, record, title)

    def action_delete_thread(self) -> None:
        record = self.target_record()
        if record is None:
            self.notify("No thread to delete", severity="warning")
            return
        question = flows.delete_question(record, self.profile_name)
        self.push_screen(question, self._delete_answer(record))

    def _delete_answer(self, record: ThreadRecord) -> Callable[[bool | None], None]:
        def answer(yes: bool | None) -> None:
            if yes:
                self.delete(record)

        return answer

    @work(group="delete")
    async def delete(self, record: ThreadRecord) -> None:
        await flows.delete(self, record)

    def forget_locally(self, record: ThreadRecord) -> None:
        self.store.delete(record.id)
        self.sidebar.remove_thread(record.id)
        if self.chat.record is not None and self.chat.record.id == record.id:
            self.open_new(focus_composer=False)
        self.notify(f"Forgot {one_line(record.display_title, 40)} locally", timeout=5)

    # ------------------------------------------------------------ opening

    @on(OptionList.OptionSelected, "#threads")
    def _thread_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.open_thread(event.option.id)

    def open_thread(self, thread_id: str, *, focus_composer: bool = True) -> None:
        record = self.store.get(thread_id)
        if record is None:
            self.notify("That thread is no longer in the local record", severity="warning")
            self.sidebar.remove_thread(thread_id)
            return
        self.workers.cancel_group(self, "refresh")
        self.run_worker(
            flows.open_thread(self, record, focus_composer), group="view", exclusive=True
        )

    def _sync_composer(self) -> None:
        """A gone thread is read-only: the composer says so instead of failing on send."""
        record = self.chat.record
        gone = record is not None and record.status is ThreadStatus.GONE
        composer = self.composer
        composer.read_only = gone
        if gone and composer.has_focus:
            self._focus_away_from_composer()
        composer.placeholder = (
            "This thread is gone from the server: read-only (n starts a new chat)"
            if gone
            else COMPOSER_PLACEHOLDER
        )

    def _focus_away_from_composer(self) -> None:
        """A read-only composer must not keep the keyboard: the list (or the chat) gets it."""
        if self.sidebar.display:
            focus_now(self.sidebar.thread_list)
        elif self.chat.messages:
            self.chat.focus_message(self.chat.messages[-1])

    def refresh_thread_views(self, record: ThreadRecord) -> None:
        self.sidebar.upsert(record)
        self.chat.update_record(record)
        self._sync_composer()

    # ------------------------------------------------------------ sending

    @on(Composer.Submitted)
    def _submitted(self, event: Composer.Submitted) -> None:
        event.stop()
        if self.replying:
            self.notify("A reply is still streaming: esc stops it", severity="warning")
            self.composer.load_text(event.composer.prompts[-1] if event.composer.prompts else "")
            return
        self.run_worker(flows.send(self, event.text), group="reply", exclusive=True)

    @property
    def replying(self) -> bool:
        return any(w.is_running for w in self.workers if w.group == "reply")

    def action_cancel_reply(self) -> None:
        self.workers.cancel_group(self, "reply")

    def action_retry(self) -> None:
        text = flows.retry_text(self)
        if text is None:
            return
        self.run_worker(flows.send(self, text), group="reply", exclusive=True)

    # ------------------------------------------------------------ messages

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

    def action_message_previous(self) -> None:
        self._step_message(-1)

    def action_message_next(self) -> None:
        views = self._message_views()
        if self.focused is not None and views and self.focused is views[-1]:
            focus_now(self.composer)
            return
        self._step_message(1)

    def action_copy_thread_id(self) -> None:
        record = self.target_record()
        if record is None:
            return
        self.copy_to_clipboard(record.id)
        self.notify(f"Copied {record.id}", timeout=3)

    def action_export_thread(self) -> None:
        record = self.target_record()
        if record is None:
            self.notify("No thread to export", severity="warning")
            return
        flows.export(self, record)

    def action_change_theme(self) -> None:
        self.search_themes()

    # ------------------------------------------------------------ help and palette

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        content = help_content(help_groups(self.BINDINGS), self.keymap, self.get_key_display)
        self.push_screen(HelpScreen(content))

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand("New chat", "Start a new thread", self.action_new_thread),
            PaletteCommand("Switch profile…", "Pick another profile", self.action_switch_profile),
            PaletteCommand(
                "Rename thread", "Give the thread a new title", self.action_rename_thread
            ),
            PaletteCommand(
                "Delete thread", "Delete on the server, then locally", self.action_delete_thread
            ),
            PaletteCommand(
                "Export thread to Markdown", "Write the transcript to a file",
                self.action_export_thread,
            ),
            PaletteCommand("Copy thread id", "Put the id on the clipboard (OSC 52)",
                           self.action_copy_thread_id),
            PaletteCommand("Who am I", "Ask the server which organization this key bills",
                           self.action_whoami),
            PaletteCommand("Change theme", "Pick a colour theme", self.action_change_theme),
            PaletteCommand("Keys", "Every key and its binding id", self.action_help),
            PaletteCommand("Toggle sidebar", "Show or hide past chats", self.action_toggle_sidebar),
            PaletteCommand("Quit", "Leave threadtui", self.exit),
        ]
        for name in self.config.profiles:
            if name != self.profile_name:
                commands.append(
                    PaletteCommand(
                        f"Switch to profile {name}", "Use this profile's key",
                        lambda name=name: self.activate_profile(name),  # type: ignore[misc]
                    )
                )
        return commands

    # ------------------------------------------------------------ action state

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if isinstance(self.screen, FirstRunScreen) and action in FIRST_RUN_HIDDEN:
            return False
        if action == "cancel_reply":
            return self.replying
        if action == "retry":
            return flows.retry_text(self) is not None
        if action == "clear_filter":
            try:
                sidebar = self.sidebar
            except Exception:
                return False
            return bool(sidebar.filter_input.value) or sidebar.filter_input.has_focus
        if action in ("filter", "focus_threads"):
            try:
                sidebar = self.sidebar
            except Exception:
                return False
            owner = sidebar.thread_list if action == "filter" else sidebar.filter_input
            return self.focused is owner
        return True

    async def on_unmount(self) -> None:
        await self.pool.aclose()
        self.records.close()
        if self._search_store is not None:
            self._search_store.close()
        gc.unfreeze()  # an app run inside a longer process (tests) must not pin its objects


def message_view_of(widget: Widget | None) -> MessageView | None:
    while widget is not None and not isinstance(widget, MessageView):
        parent = widget.parent
        widget = parent if isinstance(parent, Widget) else None
    return widget
