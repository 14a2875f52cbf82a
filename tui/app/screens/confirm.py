"""A yes/no question that must be answered by keyboard: y or enter confirms, n or esc declines.

Used before anything that cannot be undone (a delete on the server), so the question names
the thing concretely; its text is shown as plain text.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.errors import guarded


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self, title: str, body: str | Content, *, yes: str = "Yes", no: str = "Cancel"
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._body = body
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            body = self._body if isinstance(self._body, Content) else Content(self._body)
            yield Static(body, classes="dialog-body", markup=False)
            yield Static(
                Content.assemble(
                    ("y", "bold $accent"),
                    f" {self._yes}    ",
                    ("n", "bold $accent"),
                    f" {self._no}",
                ),
                classes="dialog-keys",
                markup=False,
            )

    @guarded
    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
