"""What the switcher bar says was spent today and this month, by a profile and its organization.

The sums follow ``threadtui usage``'s one rule (``usage_report``: a reply costs
``PriceTable.cost(model, usage)`` of its thread's model; a model without a price is counted
apart and named, never costed as zero), so the bar and ``threadtui usage --since month``
always agree. "The organization's" is every thread recorded under that organization,
whichever profile made it (all the keys that bill it).

The bar is refreshed after every reply, on a profile switch and when another process wrote
the record; at 100,000 threads reading every transcript each time is out of the question.
Two things keep it cheap: the list order is newest first (``thread_query``: pinned rows, then
``last_active`` descending), so the scan stops at the first unpinned row older than the
month; and ``CostTally`` keeps each thread's replies of the month with the transcript's
size and time and the row's ``last_active`` when it read them, so a refresh reads again only
the transcripts that changed (one, after a reply).
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass, field
from datetime import datetime

from tui.core.pricing import PriceTable
from tui.core.records import ThreadRecord, Turn
from tui.core.store import Store
from tui.core.usage_report import UsageLine, replies_since


def day_start(now: float) -> float:
    """Local midnight of ``now``'s day (``threadtui usage --since today``)."""
    moment = datetime.fromtimestamp(now)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def month_start(now: float) -> float:
    """The 1st of ``now``'s month, local time (``threadtui usage --since month``)."""
    moment = datetime.fromtimestamp(now)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


@dataclass
class Spend:
    """Today's and this month's lines of one payer (a profile, or an organization)."""

    today: UsageLine
    month: UsageLine

    @classmethod
    def empty(cls, key: str) -> Spend:
        return cls(UsageLine(key, key), UsageLine(key, key))

    def add(self, turn: Turn, model: str | None, prices: PriceTable, today: float) -> None:
        self.month.add(turn, model, prices)
        if turn.at >= today:
            self.today.add(turn, model, prices)


@dataclass
class BarCosts:
    """What the bar shows: the profile's spend, and its organization's when one is known."""

    month_name: str  # "Nov"
    profile: Spend
    organization: Spend | None = None


@dataclass
class _Kept:
    stamp: tuple[float, int, int]  # the row's last_active, the transcript's mtime_ns and size
    replies: tuple[Turn, ...]  # of the month, with token counts


@dataclass
class CostTally:
    """The month's replies of every thread active this month, kept between refreshes."""

    _since: float | None = None
    _kept: dict[str, _Kept] = field(default_factory=dict)
    reads: int = 0
    """Transcripts read so far (a test and the benchmark check that a refresh reads few)."""

    def costs(
        self, store: Store, prices: PriceTable, now: float, profile: str,
        organization: str | None,
    ) -> BarCosts:
        """``profile``'s spend today and this month, and ``organization``'s (None: unknown,
        not summed). Runs on the record's thread (``Records.call``)."""
        today, since = day_start(now), month_start(now)
        if since != self._since:  # a new month: last month's replies no longer count
            self._since, self._kept = since, {}
        mine = Spend.empty(profile)
        ours = Spend.empty(organization) if organization else None
        seen: set[str] = set()
        for record in store.active_since(since):
            seen.add(record.id)
            replies = self._replies(store, record, since)
            if record.profile == profile:
                for turn in replies:
                    mine.add(turn, record.model, prices, today)
            if ours is not None and record.organization == organization:
                for turn in replies:
                    ours.add(turn, record.model, prices, today)
        for thread_id in set(self._kept) - seen:  # deleted, or no longer of this month
            del self._kept[thread_id]
        return BarCosts(calendar.month_abbr[datetime.fromtimestamp(now).month], mine, ours)

    def _replies(self, store: Store, record: ThreadRecord, since: float) -> tuple[Turn, ...]:
        stamp = (record.last_active, *_file_stamp(store, record.id))
        kept = self._kept.get(record.id)
        if kept is None or kept.stamp != stamp:
            self.reads += 1
            replies = tuple(replies_since(store.transcript(record.id), since))
            kept = self._kept[record.id] = _Kept(stamp, replies)
        return kept.replies


def _file_stamp(store: Store, thread_id: str) -> tuple[int, int]:
    try:
        status = os.stat(store.transcript_path(thread_id))
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)
