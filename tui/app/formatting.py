"""Turning user and server data into safe, short text for the screen.

Titles, ids and error messages come from the user or from a server: they are shown as plain
text (never parsed as markup) and stripped of control characters (``tui.core.safe_text``),
which could otherwise move the cursor or change the terminal's state. Ages take the current
time as an argument so that snapshots and tests are deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Where the app's modules have always found them; the rules live in core.
from tui.core.legacy_expiry import days_until_legacy_expiry as days_until_legacy_expiry
from tui.core.legacy_expiry import near_legacy_expiry as near_legacy_expiry
from tui.core.safe_text import one_line as one_line
from tui.core.safe_text import strip_controls as strip_controls

Clock = Callable[[], float]


def age(then: float, now: float) -> str:
    """A compact age for a list row: ``now``, ``5m``, ``3h``, ``3d``, ``5w``, ``2y``."""
    seconds = max(0.0, now - then)
    if seconds < 60:
        return "now"
    minutes = seconds / 60
    if minutes < 60:
        return f"{int(minutes)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{int(hours)}h"
    days = hours / 24
    if days < 14:
        return f"{int(days)}d"
    if days < 365:
        return f"{int(days // 7)}w"
    return f"{int(days // 365)}y"


def clock_time(at: float) -> str:
    """``HH:MM`` in local time, for message headers."""
    return time.strftime("%H:%M", time.localtime(at))
