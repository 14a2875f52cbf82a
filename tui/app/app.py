"""ThreadApp: the application around the main screen: config, keys, record, themes, palette.

The app holds what outlives any screen: the config and keyring, the record (behind
``Records``, so no store call ever runs on the event loop), the pool of backends, the themes
and the keymap. What the user sees and works with, and all of its state, is the main screen
(``tui.app.main_screen``); the app only adds the keys that work on every screen (quit, the
palette, the profile picker, help) and the palette's commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import WorkerFailed, WorkerState

from tui.app import work
from tui.app.connections import BackendFactory, BackendPool, default_factory
from tui.app.errors import guarded
from tui.app.formatting import Clock
from tui.app.help_keys import help_groups
from tui.app.main_screen import MainScreen
from tui.app.messages import InternalError
from tui.app.screens.help import HelpScreen, help_rows
from tui.app.screens.profile_picker import ProfilePicker
from tui.app.screens.quit_question import QuitQuestion, quit_question
from tui.app.shutdown import Shutdown, Stop, StopNote
from tui.app.themes import app_variable_defaults, prepare_themes
from tui.app.work import DRAFT_KEY, Services
from tui.core.app_state import LAST_PROFILE, load_state
from tui.core.config import Config
from tui.core.gc_pause import end_start
from tui.core.incidents import Incident, IncidentLog
from tui.core.keys import KeyRing
from tui.core.pricing import PriceTable, builtin_prices
from tui.core.record_access import Records
from tui.core.safe_text import one_line, strip_controls
from tui.core.store import Store, StoreError
from tui.core.wording import plural

REPLY_GRACE_SECONDS = 1.0
"""How long a stop waits for the stopped reply to be written before the app exits anyway."""


def _driver_class() -> type[Driver] | None:
    if sys.platform == "win32":
        return None  # Textual's own
    from tui.app.terminal import ThreadDriver

    return ThreadDriver


def first_profile(config: Config, asked: str | None, state_dir: Path | None) -> str:
    """``--profile`` if given; else the profile used last (state file), if still configured;
    else the config's default."""
    if asked is None and state_dir is not None:
        remembered = load_state(state_dir).get(LAST_PROFILE)
        if isinstance(remembered, str) and remembered in config.profiles:
            return remembered
    return config.profile(asked).name


class ThreadApp(App[None], inherit_bindings=False):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "threadtui"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit", tooltip="Quit"),
        Binding("ctrl+c", "help_quit", show=False, system=True, id="app.ctrl_c"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True,
                id="app.palette", tooltip="Command palette"),
        Binding("ctrl+o", "switch_profile", "Profile", priority=True, id="app.switch_profile",
                tooltip="Switch profile (type, then enter)"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="This list of keys"),
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
        shutdown: Shutdown | None = None,
        read_only: str | None = None,
    ) -> None:
        super().__init__(driver_class=_driver_class())
        self.shutdown = shutdown or Shutdown()
        self.stop_note = StopNote()
        self.config = config
        self.keyring = keyring
        self.data_dir = data_dir
        self.clock = clock
        self.records = Records(store)
        self.pool = BackendPool(config, keyring, self.records, factory=backend_factory)
        self.services = Services(config, self.records, self.pool, data_dir, export_dir,
                                 stop=self.stop_note, remember=remember_theme,
                                 read_only=read_only,
                                 price_source=lambda: self.prices)
        self.incidents = IncidentLog(data_dir, keyring.known_keys)
        self.keymap: dict[str, str] = dict(config.keymap)
        self._first_profile = first_profile(config, profile, data_dir if remember_theme else None)
        self._notes = list(notes)
        self.theme_start = prepare_themes(
            self,
            config_path=config.path if config.exists or remember_theme else None,
            config_theme=config.theme,
            cli_theme=cli_theme,
            remember=remember_theme,
            state_dir=data_dir,  # the choice is remembered in state.json, never the config
        )
        self.theme = self.theme_start.choice.name

    @cached_property
    def prices(self) -> PriceTable:
        """What replies cost: the shipped table with the config's overrides, read when a
        cost is first shown (not for the first screen)."""
        return builtin_prices().with_overrides(self.config.prices)

    def get_default_screen(self) -> Screen[None]:
        return self.main

    @cached_property
    def main(self) -> MainScreen:
        """The main screen (under any dialog that is open); made once, on first use."""
        return MainScreen(self.services, self._first_profile, self.clock())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications carry titles, ids and server messages: always plain text (a title
        like ``[/b]`` would raise under markup, and ``Screen.notify`` and ``Widget.notify``
        ask for markup by default), and without control characters, which a toast would pass
        to the terminal as they are (an error text holding ``ESC ]0;…`` retitled the window
        and garbled the screen). ``markup`` is accepted for their signature and ignored."""
        super().notify(
            strip_controls(message), title=one_line(title), severity=severity, timeout=timeout,
            markup=False,
        )

    @guarded
    def on_mount(self) -> None:
        self.shutdown.attach(asyncio.get_running_loop(), self._stop_requested)
        self.set_keymap(self.keymap)
        for message in self.theme_start.messages:
            self.notify(message, title="Theme", severity="warning", timeout=12)
        for note in self._notes:
            self.notify(note, timeout=8)
        self.call_after_refresh(self._settle_memory)

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Every way out (ctrl+q, a signal, an error) passes here while the composer still
        exists: note what it holds, so ``on_unmount`` can keep it as a draft."""
        with contextlib.suppress(Exception):
            self.main.draft = self.main.composer.text
        super().exit(*args, **kwargs)

    async def _keep_draft(self) -> None:
        """Text typed and not sent survives closing the app (restored at the next start)."""
        text = self.main.draft
        if text.strip():
            with contextlib.suppress(Exception):  # a full disk must not stop the exit
                await self.records.call(Store.set_meta, DRAFT_KEY, text)

    def _settle_memory(self) -> None:
        """Exempt what start-up built (modules, styles, the index rows) from the cyclic GC,
        and end the pause it ran under (``tui.core.gc_pause``, taken by the console script).

        A full collection walks every tracked object; with 10,000 rows and Textual loaded it
        took 150-450 ms and came every second or two while a reply streamed, freezing the
        screen each time. Frozen objects are never scanned; what is made later still is.
        """
        gc.freeze()
        end_start()

    # ------------------------------------------------------------ the error boundary

    def report_internal_error(self, error: BaseException, where: str) -> Incident:
        """What the boundary does with an unexpected error: log it (no locals, no keys), say
        so in one line, and carry on. Called from ``tui.app.errors``; never raises."""
        incident = self.incidents.record(error, where)
        with contextlib.suppress(Exception):  # torn down: the log has it
            self.notify(incident.sentence(), title="Internal error", severity="error",
                        timeout=30)
            self.main.post_message(InternalError(incident))
        return incident

    def _handle_exception(self, error: Exception) -> None:
        """The last resort, for an error outside every guard (Textual itself, a compose).

        Textual's handler prints a traceback whose frames show their local variables, and
        locals hold keys. This one logs the error like the boundary does; a failed worker
        (the screen is fine) is reported and the session goes on; anything else may have
        stopped a widget's message loop, so the app stops, saying only the incident line.
        Overrides a private Textual method: there is no public hook for this, and
        tests/app/test_error_boundary.py fails if Textual stops calling it.
        """
        if isinstance(error, WorkerFailed) and self.is_running:
            self.report_internal_error(error.error, "a worker")
            return
        incident = self.incidents.record(error, "textual")
        self.exit(
            return_code=1,
            message=f"threadtui stopped: {incident.sentence()}. Your record is safe.",
        )

    # ------------------------------------------------------------ SIGHUP, SIGTERM, no terminal

    def terminal_closed(self) -> None:
        """Called by ``ThreadDriver`` (its own threads) when input ends or output fails."""
        self.shutdown.terminal_closed()

    @guarded
    def _stop_requested(self, stop: Stop) -> None:
        """On the loop, once per process (``tui.app.shutdown``): stop like esc, then exit."""
        self.run_worker(self._stop(stop), group="stop", exit_on_error=False)

    async def _stop(self, stop: Stop) -> None:
        """Cancel the streaming reply (the session writes it, marked interrupted, and the
        worker gives the reason), wait for that write, then leave through ``App.exit``."""
        self.stop_note.reason = stop.reason
        replies = [
            w for w in self.workers
            if w.group == "reply" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        ]
        try:
            for worker in replies:
                worker.cancel()
            if replies:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self.workers.wait_for_complete(replies), REPLY_GRACE_SECONDS
                    )
        finally:
            kept = " The reply that was streaming is in the record, marked interrupted." \
                if replies else ""
            self.exit(return_code=stop.status,
                      message=f"threadtui stopped: {stop.reason}.{kept}")

    # ------------------------------------------------------------ theme

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return app_variable_defaults(self.current_theme)

    @guarded
    def watch_theme(self, name: str) -> None:
        start = getattr(self, "theme_start", None)
        if start is None:
            return
        error = start.memory.theme_changed(name)
        if error:
            self.notify(error, title="Theme not saved", severity="error")

    # ------------------------------------------------------------ app-wide keys

    @guarded
    def action_switch_profile(self) -> None:
        if isinstance(self.screen, ProfilePicker):
            return
        main = self.main
        self.push_screen(
            ProfilePicker(list(self.config.profiles.values()), main.profile_name),
            self._picked_profile,
        )

    @guarded
    def _picked_profile(self, name: str | None) -> None:
        if name:
            if name == self.main.profile_name:
                self.notify(f"Already using profile {name}", timeout=4)
            self.main.activate_profile(name)

    @guarded
    async def action_quit(self) -> None:
        """ctrl+q. Replies the record refused live only in memory: quitting loses them, so
        ask first (``quit_question``); with none kept, quit at once."""
        pending = self.records.pending
        if not pending:
            self.exit()
            return
        if isinstance(self.screen, QuitQuestion):
            return  # asked already: a second ctrl+q is not an answer
        self.push_screen(quit_question(len(pending), str(pending[0].error)), self._quit_answer)

    @guarded
    def _quit_answer(self, quit_anyway: bool | None) -> None:
        if quit_anyway:
            self.exit()
        else:
            self.main.run(self._write_then_quit(), group="quit", exclusive=True)

    async def _write_then_quit(self) -> None:
        """The safe answer: store the replies kept in memory, and quit once they are in."""
        try:
            stored = await self.records.flush_pending()
        except StoreError as error:
            left = len(self.records.pending)
            self.notify(
                f"Still not stored: {error}. {plural(left, 'reply', 'replies')} kept in memory;"
                " free some room (or resume the other threadtui) and press ctrl+q again.",
                title="Local record", severity="error", timeout=20,
            )
            return
        if stored:
            self.notify(f"{plural(stored, 'reply', 'replies')} stored; quitting", timeout=3)
        self.exit()

    @guarded
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        bindings = [*self.BINDINGS, *MainScreen.BINDINGS]
        rows = help_rows(help_groups(bindings), self.keymap, self.get_key_display)
        self.push_screen(HelpScreen(rows))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own entries, plus this app's verbs (each the same action as its key)."""
        yield from super().get_system_commands(screen)
        main = self.main
        yield SystemCommand("New chat", "Start a new thread", main.action_new_thread)
        yield SystemCommand("Switch profile…", "Pick another profile", self.action_switch_profile)
        yield SystemCommand("Rename thread", "Give the thread a new title",
                            main.action_rename_thread)
        yield SystemCommand("Delete thread", "Delete on the server, then locally",
                            main.action_delete_thread)
        yield SystemCommand("Regenerate last reply",
                            "Answer the last question anew; the old reply is kept",
                            main.action_regenerate)
        yield SystemCommand("Continue thread under another profile…",
                            "A new thread with the same history (the original stays)",
                            main.action_continue_thread)
        yield SystemCommand("Move thread to another profile…",
                            "Continue it there, then delete the original (asks first)",
                            lambda: main.action_continue_thread(move=True))
        yield SystemCommand("Model for this thread…",
                            "Pick the model its next replies come from", main.action_thread_model)
        yield SystemCommand("Instructions for this thread…",
                            "Its own system/developer message", main.action_thread_instructions)
        yield SystemCommand("Export thread to Markdown", "Write the transcript to a file",
                            main.action_export_thread)
        yield SystemCommand("Import history…",
                            "A ChatGPT data export or llm's logs database, into the record",
                            main.action_import_history)
        yield SystemCommand("Copy thread id", "Put the id on the clipboard (OSC 52)",
                            main.action_copy_thread_id)
        yield SystemCommand("Who am I", "Ask the server which organization this key bills",
                            main.whoami)
        yield SystemCommand("Trash… restore last deleted",
                            "Put back the thread deleted or forgotten most recently (30 days)",
                            self.action_restore_last_deleted)
        yield SystemCommand("Help: every key", "Every key and its binding id", self.action_help)
        yield SystemCommand("Toggle sidebar", "Show or hide past chats",
                            main.action_toggle_sidebar)
        for name in self.config.profiles:
            if name != main.profile_name:
                yield SystemCommand(
                    f"Switch to profile {name}", "Use this profile's key",
                    lambda name=name: main.activate_profile(name),
                )

    @guarded
    def action_restore_last_deleted(self) -> None:
        """The palette's "Trash…": restore the newest trash entry (``threadtui trash`` lists
        them all)."""
        main = self.main
        if not main.refuse_write("Restoring from the trash"):
            main.run(work.restore_last(self.services, main.post_message), group="trash")

    @guarded
    async def on_unmount(self) -> None:
        self.shutdown.detach()
        await self._keep_draft()
        await self.pool.aclose()
        self.records.close()
        gc.unfreeze()  # an app run inside a longer process (tests) must not pin its objects
