"""Turning user and server data into safe, short text for the screen.

Titles, ids and error messages come from the user or from a server: they are shown as plain
text (never parsed as markup) and stripped of control characters, which could otherwise move
the cursor or change the terminal's state. Ages take the current time as an argument so that
snapshots and tests are deterministic.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from tui.core.records import Dialect, ThreadRecord

Clock = Callable[[], float]

#: Legacy (Assistants) threads were deleted by OpenAI 60 days after their last activity; we warn
#: ten days ahead so there is time to export them.
LEGACY_EXPIRY_DAYS = 60
LEGACY_WARN_DAYS = 50

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_WHITESPACE_RUN = re.compile(r"[\t\n\r\u2028\u2029]+")


def strip_controls(text: str) -> str:
    """Drop control and bidi-override characters but keep newlines and tabs (for transcripts)."""
    return _CONTROL.sub("", text)


def one_line(text: str, limit: int | None = None) -> str:
    """A single safe line: newlines and tabs become spaces, controls vanish, long text is cut."""
    flat = _WHITESPACE_RUN.sub(" ", _CONTROL.sub("", text)).strip()
    if limit is not None and len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat


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


def near_legacy_expiry(record: ThreadRecord, now: float) -> bool:
    """True for an Assistants thread idle long enough that the server may soon delete it."""
    if record.api is not Dialect.ASSISTANTS:
        return False
    return now - record.last_active > LEGACY_WARN_DAYS * 86400


def days_until_legacy_expiry(record: ThreadRecord, now: float) -> int:
    """Whole days left before a legacy thread passes 60 idle days (negative when past)."""
    return int((record.last_active + LEGACY_EXPIRY_DAYS * 86400 - now) // 86400)


def clock_time(at: float) -> str:
    """``HH:MM`` in local time, for message headers."""
    return time.strftime("%H:%M", time.localtime(at))


def thousands(value: int) -> str:
    return f"{value:,}"
