"""A thread's own model and instructions: a filterable list of the profile's models (with
the dates the server says they shut down) and an editor for the instructions.

Both settle before they take a choice, like the profile picker opened by a key: an enter
typed ahead with the key that opened them must not change the thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.app.errors import guarded
from tui.app.screens.list_picker import ListPicker, Settling
from tui.core.config import instructions_problem
from tui.core.safe_text import one_line, unsafe_in_value

MODEL_NAME_MAX = 120


def model_label(model: str, shuts_down: dt.date | None, current: str | None) -> str:
    label = one_line(model, MODEL_NAME_MAX)
    if shuts_down is not None:
        label += f"  · shuts down {shuts_down.isoformat()}"
    if model == current:
        label += "  · this thread's"
    return label


class ModelPicker(ListPicker):
    """Pick the thread's model; a name typed that the list lacks (a local server's) is taken
    as it is."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="model.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="model.down"),
        Binding("up", "move(-1)", "Up", show=False, id="model.up"),
    ]

    def __init__(
        self,
        models: Sequence[tuple[str, dt.date | None]],
        current: str | None,
        note: str = "",
        settle_seconds: float = 0.0,
    ) -> None:
        super().__init__(current, settle_seconds)
        self._models = list(models)
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="model-picker"):
            yield Static("Model for this thread", classes="dialog-title", markup=False)
            yield Input(placeholder="type to filter, or a model's name", id="model-filter",
                        compact=True, max_length=MODEL_NAME_MAX)
            yield OptionList(id="model-list", markup=False)
            if self._note:
                yield Static(self._note, classes="dialog-keys", markup=False)
            yield Static("enter picks · esc cancels", classes="dialog-keys", markup=False)

    def options(self, query: str) -> list[Option]:
        wanted = query.strip().casefold()
        return [Option(model_label(m, d, self._current), id=m)
                for m, d in self._models if wanted in m.casefold()]

    @on(Input.Submitted, "#model-filter")
    @guarded
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.settled or self.choose_highlighted():
            return
        typed = event.value.strip()
        if typed and not unsafe_in_value(typed):  # a name the list lacks, as typed
            self.dismiss(typed)


class InstructionsScreen(Settling, ModalScreen[str | None]):
    """Edit the thread's instructions (the system/developer message). ctrl+s keeps them (an
    empty text: the profile's default again); esc changes nothing. Dismissed with the text,
    "" for "none of its own", or None for "unchanged"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="instructions.save"),
        Binding("escape", "cancel", "Cancel", id="instructions.cancel"),
    ]

    TITLE = "Instructions for this thread"

    def __init__(self, current: str, default: str | None, settle_seconds: float = 0.0) -> None:
        super().__init__(classes="dialog-screen")
        self._current = current
        self._default = default
        self._settle_seconds = settle_seconds

    def keys_hint(self) -> str:
        hint = ("empty: the profile's default (" + one_line(self._default, 40) + ")"
                if self._default else "empty: no instructions")
        return f"ctrl+s saves · esc cancels · {hint}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="instructions"):
            yield Static(self.TITLE, classes="dialog-title", markup=False)
            yield TextArea(self._current, id="instructions-text")
            yield Static(self.keys_hint(), classes="dialog-keys", markup=False)

    @guarded
    def on_mount(self) -> None:
        self.start_settling()
        self.query_one("#instructions-text", TextArea).focus()

    def accept(self, text: str) -> str | None:
        """What ctrl+s dismisses with (None: stay open); the config's rule for instructions."""
        problem = instructions_problem(text)
        if problem:
            self.notify(f"The instructions {problem}", severity="warning")
            return None
        return text

    @guarded
    def action_save(self) -> None:
        if not self.settled:
            return
        chosen = self.accept(self.query_one("#instructions-text", TextArea).text.strip())
        if chosen is not None:
            self.dismiss(chosen)

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)


class ForkEditScreen(InstructionsScreen):
    """Edit one of the user's questions; ctrl+s makes a new thread with the messages before
    it and sends the edited question there. The original thread is not changed."""

    TITLE = "Edit and fork: a new thread from here"

    def __init__(self, question: str, settle_seconds: float = 0.0) -> None:
        super().__init__(question, None, settle_seconds)

    def keys_hint(self) -> str:
        return "ctrl+s forks and sends · esc cancels · the original thread stays as it is"

    def accept(self, text: str) -> str | None:
        return text or None  # an emptied question forks nothing
