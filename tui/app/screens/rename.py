"""Rename a thread: one line of text, enter saves, esc leaves the title as it was."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.app.errors import guarded
from tui.core.safe_text import one_line

TITLE_MAX = 200


class RenameScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="rename.cancel"),
    ]

    def __init__(self, current: str) -> None:
        super().__init__(classes="dialog-screen")
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Rename thread", classes="dialog-title", markup=False)
            yield Input(value=one_line(self._current), id="title", max_length=TITLE_MAX)
            yield Static("enter saves · esc cancels", classes="dialog-keys", markup=False)

    @on(Input.Submitted)
    @guarded
    def _save(self, event: Input.Submitted) -> None:
        title = one_line(event.value, TITLE_MAX)
        self.dismiss(title or None)

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)
