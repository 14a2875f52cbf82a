"""Times for the screen: row ages and message clock times.

Ages take the current time as an argument so that snapshots and tests are deterministic.
Safe text (no control characters, one line) is ``tui.core.safe_text``'s job.
"""

from __future__ import annotations

import time
from collections.abc import Callable

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


def message_time(at: float, now: float) -> str:
    """When a message was written, for its header: ``HH:MM`` within the last day, else the
    date too (``2026-09-20 14:05``), so yesterday's 14:05 is not taken for today's."""
    if 0 <= now - at < 86400 and time.localtime(at).tm_yday == time.localtime(now).tm_yday:
        return clock_time(at)
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
