"""Import history from the app: where is the ChatGPT export or the llm logs database?

One line for a path (``~`` is expanded); enter hands it to the screen, which says what was
found there and asks before anything is imported (``import_question``). Like every dialog
that takes a choice, it takes none until it has settled: an enter typed ahead with the keys
that opened it (one SSH packet) submits nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.app.errors import guarded
from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.list_picker import Settling
from tui.app.screens.typed_ahead import KeepsTypedAhead
from tui.core.safe_text import one_line

if TYPE_CHECKING:  # the history readers load when an import runs
    from tui.core.history_import import HistoryKind

PATH_MAX = 4096


class ImportPathScreen(KeepsTypedAhead[str | None], Settling, ModalScreen[str | None]):
    """The path of what to import; esc imports nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="import.cancel"),
    ]

    def __init__(self, settle_seconds: float = 0.0) -> None:
        super().__init__(classes="dialog-screen")
        self._settle_seconds = settle_seconds
        self._answered = False
        """Dismissed already: keys queued behind the enter that did it (one packet) still
        reach this screen while it closes, and must not answer twice."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Import history", classes="dialog-title", markup=False)
            yield Static("A ChatGPT data export (its zip, folder or conversations*.json) or"
                         " llm's logs.db:", markup=False)
            yield Input(placeholder="path", id="import-path", max_length=PATH_MAX)
            yield Static("enter looks at it (nothing is imported yet) · esc cancels",
                         classes="dialog-keys", markup=False)

    @guarded
    def on_mount(self) -> None:
        self.take_keyboard()
        self.start_settling()

    @on(Input.Submitted)
    @guarded
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.settled or self._answered:  # an enter typed ahead: not a choice
            return
        path = event.value.strip()
        if path:
            self._answer(path)

    @guarded
    def action_cancel(self) -> None:
        if not self._answered:
            self._answer(None)

    def _answer(self, path: str | None) -> None:
        self._answered = True
        self.dismiss(path)


def import_question(path: Path, kind: HistoryKind) -> ConfirmScreen:
    """What importing will do, asked before it starts (nothing is deleted, but it writes)."""
    body = Content.assemble(
        (one_line(str(path), 70), "bold"), f"\nis a {kind}.\n\n",
        "Each conversation becomes a thread in this record (it lives only here); one imported"
        " before is updated, never copied twice. Nothing is sent anywhere.",
    )
    return ConfirmScreen("Import history", body, yes="Import", no="Cancel")
