"""What every pick-one-from-a-list dialog shares: a filter box, up/down move, a click chooses,
esc cancels, and a settle delay.

A picker opened by a key (``c`` continues, ``m`` sets the model) makes something when it
chooses; an enter typed ahead with that key (one SSH packet) must not choose. Until
``settle_seconds`` after it mounted, the picker takes no choice (``settled``).
"""

from __future__ import annotations

import time

from textual import on
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tui.app.errors import guarded
from tui.app.screens.typed_ahead import KeepsTypedAhead


class Settling:
    """Takes no choice until ``settle_seconds`` after ``start_settling`` (on mount)."""

    _settle_seconds: float = 0.0
    _ready_at: float = float("inf")

    def start_settling(self) -> None:
        self._ready_at = time.monotonic() + self._settle_seconds

    @property
    def settled(self) -> bool:
        return time.monotonic() >= self._ready_at


class ListPicker(KeepsTypedAhead[str | None], Settling, ModalScreen[str | None]):
    """A dialog with a filter box over one ``OptionList``, dismissed with the chosen option's
    id (None: esc). Subclasses compose both, say which options a query shows (``options``)
    and bind ``move(1)``, ``move(-1)`` and ``cancel``."""

    def __init__(self, current: str | None, settle_seconds: float = 0.0) -> None:
        super().__init__(classes="dialog-screen")
        self._current = current
        self._settle_seconds = settle_seconds

    def options(self, query: str) -> list[Option]:
        """The options ``query`` (as typed) shows, best first, each with its id."""
        raise NotImplementedError

    def show(self, query: str) -> None:
        """List what ``query`` shows; the highlight on the current one while nothing is
        typed, else on the best match."""
        options = self.options(query)
        self.listing.set_options(options)
        if options:
            ids = [option.id for option in options]
            on_current = not query.strip() and self._current in ids
            self.listing.highlighted = ids.index(self._current) if on_current else 0

    @guarded
    def on_mount(self) -> None:
        self.start_settling()
        self.show("")
        self.take_keyboard()

    @on(Input.Changed)
    @guarded
    def _filter(self, event: Input.Changed) -> None:
        self.show(event.value)

    @property
    def listing(self) -> OptionList:
        return self.query_one(OptionList)

    def choose_highlighted(self) -> bool:
        """Dismiss with the highlighted option once settled; False when nothing was chosen."""
        option = self.listing.highlighted_option
        if option is None or not self.settled:
            return False
        self.dismiss(option.id)
        return True

    @guarded
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.settled:
            self.dismiss(event.option.id)

    @guarded
    def action_move(self, step: int) -> None:
        if step > 0:
            self.listing.action_cursor_down()
        else:
            self.listing.action_cursor_up()

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)
