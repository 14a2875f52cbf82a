"""When a legacy (Assistants API) thread may be deleted by the server: a policy, not a screen.

OpenAI deleted threads 60 days after their last activity. The thread list warns ten days
ahead, so there is time to export them; the CLI may say the same from these functions.
Times are arguments (``now``), so the answer is the same in a test as on a screen.
"""

from __future__ import annotations

from tui.core.records import Dialect, ThreadRecord

LEGACY_EXPIRY_DAYS = 60
LEGACY_WARN_DAYS = 50
_DAY = 86400


def near_legacy_expiry(record: ThreadRecord, now: float) -> bool:
    """True for an Assistants thread idle long enough that the server may soon delete it."""
    if record.api is not Dialect.ASSISTANTS:
        return False
    return now - record.last_active > LEGACY_WARN_DAYS * _DAY


def days_until_legacy_expiry(record: ThreadRecord, now: float) -> int:
    """Whole days left before a legacy thread passes 60 idle days (negative when past)."""
    return int((record.last_active + LEGACY_EXPIRY_DAYS * _DAY - now) // _DAY)
