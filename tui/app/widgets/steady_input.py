"""A one-line box whose size the layout fixes: typing in it repaints the box, never the screen.

Textual's ``Input`` sets ``virtual_size`` (the typed text's width, for scrolling within the
box) on every change, and that reactive asks for a layout of the whole screen: at 100,000
rows in the sidebar that was most of a filter keystroke's cost, and the find bar paid it too.
A box sized by its container (a fixed width, ``1fr``, one line) never needs that layout;
scrolling within it reads the value as before.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class SteadyInput(Input):
    """An ``Input`` for a box the layout sizes (never by its text): no layout per keystroke."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
