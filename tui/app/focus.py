"""Moving the keyboard focus before the next key is handled.

``Widget.focus()`` defers the move through ``call_later``, so keys that are already queued
still reach the old widget. Over SSH one packet often carries several keys: typing "/launch"
quickly sent "launch" to the sidebar, whose `n` opened a new chat. Every focus change that a
key causes goes through here instead.
"""

from __future__ import annotations

from textual.widget import Widget


def focus_now(widget: Widget) -> None:
    """Give ``widget`` the focus at once (no-op for a widget that is not on a screen)."""
    if widget.is_attached:
        widget.screen.set_focus(widget)
