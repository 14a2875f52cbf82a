"""Which model threadtui uses when none is configured, and when a model is about to go away.

The default lives here once: the config, the records, the demo and the CLI all take it from
here. ``GET /v1/models`` reports a ``shutdown_date`` for deprecated models (gpt-4.1 and
gpt-4.1-mini shut down on 2027-01-14); ``doctor`` and the switcher bar warn when a model in use
shuts down within ``WARN_DAYS``. The dates come from the server's answer, read and checked by
``tui.core.api.answers.model_shutdowns``; this module only compares them with today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

DEFAULT_MODEL = "gpt-5-mini"
"""A current model (no shutdown announced). Records keep the model they were made with, so a
thread made under an older default stays readable and keeps its own model."""

WARN_DAYS = 60

Shutdowns = Mapping[str, dt.date]
"""Model id → the date the server says it shuts down (models without one are absent)."""


def shutdown_within(
    model: str | None, shutdowns: Shutdowns, today: dt.date, days: int = WARN_DAYS
) -> dt.date | None:
    """The shutdown date of ``model`` when it is at most ``days`` away (or already past)."""
    if not model:
        return None
    when = shutdowns.get(model)
    if when is None or (when - today).days > days:
        return None
    return when


def shutdown_warning(
    model: str | None, shutdowns: Shutdowns, today: dt.date, days: int = WARN_DAYS
) -> str | None:
    """A sentence for ``doctor``: "gpt-4.1-mini shuts down on 2027-01-14 (in 48 days)"."""
    when = shutdown_within(model, shutdowns, today, days)
    if when is None:
        return None
    left = (when - today).days
    if left < 0:
        return f"{model} was shut down on {when.isoformat()}: pick a current model"
    due = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
    return f"{model} shuts down on {when.isoformat()} ({due}): pick a current model"


def short_warning(
    model: str | None, shutdowns: Shutdowns, today: dt.date, days: int = WARN_DAYS
) -> str | None:
    """A few words for the switcher bar: "shuts down 2027-01-14"."""
    when = shutdown_within(model, shutdowns, today, days)
    if when is None:
        return None
    verb = "shut down" if when < today else "shuts down"
    return f"{verb} {when.isoformat()}"
