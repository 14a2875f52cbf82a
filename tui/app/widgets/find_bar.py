"""The find bar at the foot of the chat pane: one line with the query and "3 of 17".

It only takes keys and says what was found; the chat pane's ``ThreadFinder``
(``tui/app/thread_find.py``) does the finding. It is composed once and hidden, so opening it
is a focus change and nothing to mount: keys typed right behind ctrl+f (one SSH packet) land
in the query, never on a message's bindings (``e`` forks, ``y`` copies). Every key of the
query box is text except the few bound here.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from tui.app.errors import guarded
from tui.app.widgets.steady_input import SteadyInput

FIND_PLACEHOLDER = "any case; a capital: exact case"


class FindInput(SteadyInput):
    """The query box; next/previous/close are its own keys, everything else is text. One
    line of the bar's width: a keystroke repaints it and lays out nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,down", "step(1)", "Next match", id="find.next",
                tooltip="Next match (wraps to the first)"),
        Binding("shift+enter,up", "step(-1)", "Previous match", id="find.previous",
                tooltip="Previous match (wraps to the last)"),
        Binding("escape", "close", "Close find", id="find.close",
                tooltip="Close the find bar, remove the highlights"),
    ]

    @guarded
    def action_step(self, direction: int) -> None:
        self.post_message(FindBar.Step(direction))

    @guarded
    def action_close(self) -> None:
        self.post_message(FindBar.Closed())


class FindBar(Horizontal):
    """Query and count; posts ``Changed``, ``Step`` and ``Closed`` for the chat pane."""

    DEFAULT_CSS = """
    FindBar {
        display: none;
        height: 1;
        background: $boost;
    }
    FindBar > .find-label { width: auto; padding: 0 1; color: $text-muted; }
    FindBar > FindInput { width: 1fr; border: none; height: 1; padding: 0; }
    FindBar > .find-count {
        width: 20; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; text-align: right;
    }
    """

    class Changed(Message):
        """The query changed (every keystroke)."""

        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Step(Message):
        """Move to the next (1) or previous (-1) match."""

        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    class Closed(Message):
        """The bar was closed (esc): highlights go, the keyboard goes back."""

    def compose(self) -> ComposeResult:
        yield Static("find", classes="find-label", markup=False)
        yield FindInput(placeholder=FIND_PLACEHOLDER, compact=True, id="find-input")
        yield Static("", classes="find-count", markup=False)

    @property
    def input(self) -> FindInput:
        return self.query_one(FindInput)

    @property
    def query_text(self) -> str:
        return self.input.value

    def say(self, words: str, *, found: bool = True) -> None:
        """Show the count ("3 of 17") or why nothing is found."""
        style = "" if found else "$text-warning"
        # A fixed width: a new count never lays the screen out again (a keystroke's cost).
        self.query_one(".find-count", Static).update(Content.styled(words, style), layout=False)

    @guarded
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # enter is bound to "next" above; a submit must not reach the screen
