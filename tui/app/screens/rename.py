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
    """One line of text to edit: enter keeps it, esc changes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="rename.cancel"),
    ]
    QUESTION = "Rename thread"
    KEYS = "enter saves · esc cancels"
    LIMIT = TITLE_MAX

    def __init__(self, current: str) -> None:
        super().__init__(classes="dialog-screen")
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.QUESTION, classes="dialog-title", markup=False)
            yield Input(value=one_line(self._current), id="title", max_length=self.LIMIT)
            yield Static(self.KEYS, classes="dialog-keys", markup=False)

    @on(Input.Submitted)
    @guarded
    def _save(self, event: Input.Submitted) -> None:
        title = one_line(event.value, self.LIMIT)
        self.dismiss(title or None)


class ExportFolderScreen(RenameScreen):
    """Where the palette's export writes: a folder, the data directory's exports/ offered."""

    QUESTION = "Export thread to Markdown: into which folder? (the file is private, 0600)"
    KEYS = "enter exports · esc cancels"
    LIMIT = 4096

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)
