"""A question before something that cannot be undone (a delete on the server, a forget).

Keys typed ahead must never answer it: over SSH one packet can carry a whole sentence, and
"did you see the report" once deleted a thread (`d` asked, `y` answered). So the question
ignores every key that reaches it before it is on screen and for ``SETTLE_SECONDS`` after,
says how many it ignored, and only `y` confirms: enter, esc and `n` keep the thread. Any
other key is ignored (and counted) too: it was typing, not an answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.errors import guarded

SETTLE_SECONDS = 0.4
"""How long after it is painted the question ignores keys (stated in the README)."""


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape,enter", "answer(False)", "No (the safe choice)", id="confirm.no"),
    ]

    def __init__(
        self,
        title: str,
        body: str | Content,
        *,
        yes: str = "Yes",
        no: str = "Cancel",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._body = body
        self._yes = yes
        self._no = no
        self._clock = clock
        self._ready_at: float | None = None
        self.ignored = 0
        """Keys that reached the question too early, or were not an answer."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            body = self._body if isinstance(self._body, Content) else Content(self._body)
            yield Static(body, classes="dialog-body", markup=False)
            yield Static("", classes="dialog-ignored", markup=False)
            yield Static(
                Content.assemble(
                    ("y", "bold $accent"),
                    f" {self._yes}    ",
                    ("n", "bold $accent"),
                    f" / enter / esc {self._no}",
                ),
                classes="dialog-keys",
                markup=False,
            )

    @guarded
    def on_mount(self) -> None:
        self.query_one(".dialog-ignored", Static).display = False
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self._ready_at = self._clock() + SETTLE_SECONDS

    @property
    def settled(self) -> bool:
        """On screen, and long enough for keys typed ahead to have been spent."""
        return self._ready_at is not None and self._clock() >= self._ready_at

    def _ignore(self) -> None:
        self.ignored += 1
        notice = self.query_one(".dialog-ignored", Static)
        keys = "key" if self.ignored == 1 else "keys"
        notice.update(
            f"Ignored {self.ignored} {keys} typed before this question appeared or that "
            f"answer nothing: press y to {self._yes.lower()}, n to {self._no.lower()}."
        )
        notice.display = True

    @guarded
    def action_answer(self, yes: bool) -> None:
        if not self.settled:
            self._ignore()
            return
        self.dismiss(yes)

    @guarded
    def on_key(self, event: events.Key) -> None:
        """A key that is no answer (the rest of a sentence) is counted, never acted on."""
        if event.key in self.app.active_bindings:
            return  # an answer key (as the keymap has it): its binding decides
        if event.is_printable:
            event.stop()
            event.prevent_default()
            self._ignore()
