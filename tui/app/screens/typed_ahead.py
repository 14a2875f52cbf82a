"""A dialog whose first job is a line of text keeps the keys typed before it was ready.

Keys sent in the packet that opened the dialog (the palette's enter and the path after it,
``c`` and a profile's name) can reach the screen before its text box has the keyboard: a
screen's focus is set once it is mounted, and ``Widget.focus`` waits a turn more. Textual
hands such a key to the screen, where no widget takes it and it was lost: the first letter
of a name, the ``/`` of a path. Here a printable one is typed into the box instead, and the
box takes the keyboard at once (``focus_now``), so the rest follows it there.
"""

from __future__ import annotations

from typing import TypeVar

from textual import events
from textual.screen import Screen
from textual.widgets import Input

from tui.app.errors import guarded
from tui.app.focus import focus_now

ResultT = TypeVar("ResultT")


class KeepsTypedAhead(Screen[ResultT]):
    """Mixin for a dialog with one ``Input`` that typing is for (its first, in the DOM)."""

    @property
    def text_box(self) -> Input:
        return self.query_one(Input)

    def take_keyboard(self) -> None:
        """Give the box the keyboard now (on mount), not a turn later."""
        focus_now(self.text_box)

    @guarded
    def on_key(self, event: events.Key) -> None:
        if not event.is_printable or not event.character:
            return
        # The box stops every printable key it gets: this one was handed to the screen while
        # nothing had the keyboard (it may have by now).
        box = self.text_box
        event.stop()
        event.prevent_default()
        focus_now(box)
        box.insert_text_at_cursor(event.character)
