"""The main screen's part for what is done to a whole thread: continue or move it under
another profile, edit a question into a fork, set its model and its instructions.

Kept out of ``main_screen.py`` (a mixin of ``MainScreen``, as ``LongWork`` is) so that screen
stays about showing threads and replies. Each action asks with a dialog pushed with a
callback (never awaited in a worker), the work runs as a worker from ``tui.app.work``, and its
typed message comes back to a handler here; every one is ``@guarded``. Handlers are found by
Textual's naming convention (``on_models_listed`` for ``ModelsListed``), which, unlike
``@on``, works from a mixin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Coroutine
from functools import partial
from typing import Any, Protocol, cast

from textual.content import Content

from tui.app import messages as msg
from tui.app import work
from tui.app.errors import guarded
from tui.app.screen_part import ScreenBasics, ScreenPart
from tui.app.screens.confirm import SETTLE_SECONDS, ConfirmScreen
from tui.app.screens.profile_picker import ProfilePicker
from tui.app.screens.thread_settings import ForkEditScreen, InstructionsScreen, ModelPicker
from tui.app.widgets.message import MessageView
from tui.core.records import Role, ThreadRecord
from tui.core.safe_text import one_line

Models = list[tuple[str, dt.date | None]]


class Host(ScreenBasics, Protocol):
    """What this part uses of ``MainScreen`` besides ``ScreenBasics``."""

    def target_record(self) -> ThreadRecord | None: ...

    def run_with_progress(
        self, job: Coroutine[Any, Any, None], *, group: str, what: str
    ) -> None: ...

    def activate_profile(self, name: str) -> None: ...


class ThreadActions(ScreenPart):
    """Continue or move a thread, edit and fork, the thread's model and instructions."""

    _models_by_profile: dict[str, Models] | None = None
    """What each profile's ``/v1/models`` said: asked once a session."""

    @property
    def _host(self) -> Host:
        return cast(Host, self)

    @property
    def _models(self) -> dict[str, Models]:
        if self._models_by_profile is None:
            self._models_by_profile = {}
        return self._models_by_profile

    def _thread_to_change(self, missing: str, change: str) -> ThreadRecord | None:
        """The thread an action changes (the open one, else the sidebar's highlight); None,
        with the reason said, when there is none or the record is read-only."""
        record = self._host.target_record()
        if record is None:
            self._textual.notify(missing, severity="warning")
            return None
        if self._host.refuse_write(change):
            return None
        return record

    # ------------------------------------------------------------ continue, move

    @guarded
    def action_continue_thread(self, move: bool = False) -> None:
        """Continue the thread under a profile the user picks (a new thread with the same
        history); ``move`` then deletes the original, after asking."""
        screen = self._host
        record = self._thread_to_change("No thread to continue", "Continuing a thread")
        if record is None:
            return
        verb = "Move" if move else "Continue"
        picker = ProfilePicker(
            list(screen.services.config.profiles.values()), screen.profile_name,
            title=f"{verb} “{one_line(record.display_title, 40)}” under…",
            keys=f"enter {verb.lower()}s it there · esc cancels",
            settle_seconds=SETTLE_SECONDS,
        )
        self._textual.app.push_screen(picker, partial(self._continue_to, record, move))

    @guarded
    def _continue_to(self, record: ThreadRecord, move: bool, target: str | None) -> None:
        if not target:
            return
        screen = self._host
        if not move:
            screen.run_with_progress(
                work.continue_elsewhere(screen.services, self._textual.post_message, record,
                                        target),
                group="continue", what="Continuing")
            return
        body = Content.assemble(
            (one_line(record.display_title, 60), "bold"), f"\n{one_line(record.id, 60)}\n\n",
            "Copies the thread to a new one under profile ", (target, "bold"),
            ", then DELETES the original on its server and moves it to the trash.",
        )
        self._textual.app.push_screen(
            ConfirmScreen("Move thread", body, yes="Move", no="Cancel"),
            partial(self._move_answer, record, target),
        )

    @guarded
    def _move_answer(self, record: ThreadRecord, target: str, yes: bool | None) -> None:
        if yes:
            screen = self._host
            screen.run_with_progress(
                work.continue_elsewhere(screen.services, self._textual.post_message, record,
                                        target, move=True),
                group="continue", what="Moving")

    @guarded
    def on_thread_continued(self, message: msg.ThreadContinued) -> None:
        screen = self._host
        screen.sidebar.upsert(message.new)
        if message.original is not None:
            screen.sidebar.upsert(message.original)
        else:  # moved: the original left the record
            screen.sidebar.remove_thread(message.original_id)
        self._textual.notify(message.summary, title="Continued", timeout=10)
        if message.new.profile and message.new.profile != screen.profile_name:
            screen.activate_profile(message.new.profile)  # the new thread is that profile's
        screen.open_thread(message.new.id)

    # ------------------------------------------------------------ edit and fork

    @guarded
    def action_edit_and_fork(self) -> None:
        """``e`` on one of the user's messages: edit it into a new thread (the original
        stays); the messages before it come along."""
        screen = self._host
        view, record = self._textual.focused, screen.chat.record
        if not isinstance(view, MessageView) or record is None:
            return
        if view.turn.role is not Role.USER:
            self._textual.notify("Edit and fork starts from one of your questions", timeout=4)
            return
        if screen.refuse_write("Forking a thread"):
            return
        index = screen.chat.index_of(view)
        if index is None:
            return
        editor = ForkEditScreen(view.turn.text, settle_seconds=SETTLE_SECONDS)
        # The question by its place counted from 1, as ``work.edit_and_fork`` takes it.
        self._textual.app.push_screen(editor, partial(self._fork_with, record, index + 1))

    @guarded
    def _fork_with(self, record: ThreadRecord, position: int, text: str | None) -> None:
        if not text:
            return
        screen = self._host
        screen.replying = True
        screen.retry_target = None
        screen.run(work.edit_and_fork(screen.services, self._textual.post_message,
                                      screen.profile_name, record, position, text,
                                      screen.retry_key),
                   group="reply", exclusive=True)

    # ------------------------------------------------------------ model, instructions

    @guarded
    def action_thread_model(self) -> None:
        """Pick the model the thread's next replies come from (``m``, the palette)."""
        screen = self._host
        record = self._thread_to_change("No thread to set a model for", "Changing the model")
        if record is None:
            return
        cached = self._models.get(record.profile or screen.profile_name)
        if cached is not None:  # one /v1/models per profile and session
            self.on_models_listed(msg.ModelsListed(record.id, cached))
            return
        screen.run(work.list_models(screen.services, self._textual.post_message,
                                    screen.profile_name, record),
                   group="models", exclusive=True)

    @guarded
    def on_models_listed(self, message: msg.ModelsListed) -> None:
        screen = self._host
        record = screen.sidebar.get(message.thread_id)
        if record is None:
            return
        if message.models:
            self._models[record.profile or screen.profile_name] = message.models
        profile = screen.services.config.profiles.get(record.profile) or screen.profile
        current = record.model or profile.model
        picker = ModelPicker(message.models, current, message.note,
                             settle_seconds=SETTLE_SECONDS)
        self._textual.app.push_screen(picker, partial(self._model_picked, record, current))

    @guarded
    def _model_picked(self, record: ThreadRecord, current: str, model: str | None) -> None:
        if model and model != current:
            screen = self._host
            screen.run(work.update(screen.services, self._textual.post_message, record.id,
                                   model=model), group="update")
            self._textual.notify(f"Replies in this thread now come from {model}", timeout=5)

    @guarded
    def action_thread_instructions(self) -> None:
        """Edit the thread's instructions (``i``, the palette)."""
        screen = self._host
        record = self._thread_to_change("No thread to give instructions to",
                                        "Changing the instructions")
        if record is None:
            return
        profile = screen.services.config.profiles.get(record.profile) or screen.profile
        editor = InstructionsScreen(record.instructions or "", profile.instructions,
                                    settle_seconds=SETTLE_SECONDS)
        self._textual.app.push_screen(editor, partial(self._instructions_given, record))

    @guarded
    def _instructions_given(self, record: ThreadRecord, text: str | None) -> None:
        if text is None or text == (record.instructions or ""):
            return
        screen = self._host
        screen.run(work.update(screen.services, self._textual.post_message, record.id,
                               instructions=text or None), group="update")
        self._textual.notify("Instructions saved: they go with the next message"
                             if text else "The thread follows its profile's instructions again",
                             timeout=5)
