"""The bar's costs: a profile's and its organization's spend today and this month.

Every expected figure was worked out by hand from the per-million prices (written next to each
thread), not by calling the code under test. The record is a real one in a temp directory.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tui.core.bar_costs import CostTally, day_start, month_start
from tui.core.pricing import builtin_prices
from tui.core.records import Role, ThreadRecord, Turn, Usage
from tui.core.store import Store
from tui.core.usage_report import UsageBy, usage_report

DAY = 86400.0


@pytest.fixture(autouse=True)
def _utc(utc_timezone: None) -> None:
    """"Today" and "this month" are local: pinned to UTC so the hand sums hold anywhere."""


def now() -> float:
    return datetime(2026, 11, 27, 12, 0).timestamp()


def reply(at: float, input_tokens: int, output_tokens: int, cached: int = 0) -> Turn:
    usage = Usage(input_tokens, output_tokens, input_tokens + output_tokens, cached)
    return Turn(Role.ASSISTANT, "answer", at=at, usage=usage)


def thread(store: Store, thread_id: str, profile: str, org: str, model: str,
           replies: list[Turn], *, pinned: bool = False) -> None:
    store.upsert(ThreadRecord(id=thread_id, profile=profile, organization=org, model=model,
                              title=thread_id, last_active=replies[-1].at, pinned=pinned))
    for turn in replies:
        store.append_turn(thread_id, Turn(Role.USER, "question", at=turn.at - 1))
        store.append_turn(thread_id, turn)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    t = now()
    with Store.open(tmp_path / "data") as store:
        # gpt-4.1-mini: $0.40 in, $0.10 cached, $1.60 out. gpt-4o: $2.50, $1.25, $10.
        # Today: 800,000*0.40 + 200,000*0.10 + 100,000*1.60 = 0.32 + 0.02 + 0.16 = $0.50;
        # 10 days ago (November): 500,000*0.40 = $0.20; 40 days ago (October): not counted.
        thread(store, "conv_a", "work", "org-a", "gpt-4.1-mini", [
            reply(t - 40 * DAY, 1_000_000, 0), reply(t - 10 * DAY, 500_000, 0),
            reply(t - 3600, 1_000_000, 100_000, cached=200_000)])
        # Another profile billing the same organization, today: 0.25 + 0.10 = $0.35.
        thread(store, "conv_b", "home", "org-a", "gpt-4o", [reply(t - 60, 100_000, 10_000)])
        # No price anywhere: counted, named, never $0.
        thread(store, "conv_c", "work", "org-a", "my-local-llama", [reply(t - 120, 10, 20)])
        # Another organization: 2 days ago $2.50; 5 days ago 1,000,000*1.60 = $1.60.
        thread(store, "conv_d", "work", "org-b", "gpt-4o", [reply(t - 2 * DAY, 1_000_000, 0)])
        thread(store, "conv_e", "home", "org-b", "gpt-4.1-mini",
               [reply(t - 5 * DAY, 0, 1_000_000)])
        # Pinned, so first in the list, but last active in October: the scan goes past it.
        thread(store, "conv_p", "work", "org-a", "gpt-4o", [reply(t - 50 * DAY, 9_000_000, 0)],
               pinned=True)
        yield store


def test_profile_and_organization_today_and_this_month_match_the_hand_sums(
    store: Store,
) -> None:
    prices = builtin_prices()
    costs = CostTally().costs(store, prices, now(), "work", "org-a")
    assert costs.month_name == "Nov"
    work, org = costs.profile, costs.organization
    assert org is not None
    assert math.isclose(work.today.cost, 0.50)  # conv_a, plus conv_c unpriced
    assert (work.today.replies, work.today.unpriced_replies) == (2, 1)
    assert math.isclose(work.month.cost, 0.50 + 0.20 + 2.50)  # conv_a twice, conv_d
    assert work.month.unpriced_models == {"my-local-llama"}
    assert math.isclose(org.today.cost, 0.50 + 0.35)  # work's and home's threads in org-a
    assert math.isclose(org.month.cost, 0.50 + 0.20 + 0.35)
    assert org.month.unpriced_replies == 1
    home = CostTally().costs(store, prices, now(), "home", "org-b")
    assert math.isclose(home.profile.today.cost, 0.35)
    assert math.isclose(home.profile.month.cost, 0.35 + 1.60)
    assert home.organization is not None
    assert home.organization.today.replies == 0
    assert math.isclose(home.organization.month.cost, 2.50 + 1.60)
    assert CostTally().costs(store, prices, now(), "work", None).organization is None


def test_the_bar_and_threadtui_usage_since_month_agree(store: Store) -> None:
    prices = builtin_prices()
    by_profile = {line.key: line for line in usage_report(
        store, prices, UsageBy.PROFILE, month_start(now()))}
    tally = CostTally()
    for profile in ("work", "home"):
        bar = tally.costs(store, prices, now(), profile, None).profile.month
        assert math.isclose(bar.cost, by_profile[profile].cost)
        assert bar.replies == by_profile[profile].replies
        assert bar.unpriced_replies == by_profile[profile].unpriced_replies
    assert day_start(now()) == datetime(2026, 11, 27).timestamp()
    assert month_start(now()) == datetime(2026, 11, 1).timestamp()


def test_a_refresh_reads_only_the_transcript_that_changed(store: Store) -> None:
    prices = builtin_prices()
    tally = CostTally()
    tally.costs(store, prices, now(), "work", "org-a")
    assert tally.reads == 5  # the five threads active in November; not the pinned old one
    tally.costs(store, prices, now(), "work", "org-a")
    assert tally.reads == 5  # nothing changed: nothing read
    # A new reply in conv_d (gpt-4o): 100,000 out = $1.00, today.
    store.append_turn("conv_d", reply(now() - 30, 0, 100_000))
    costs = tally.costs(store, prices, now(), "work", "org-a")
    assert tally.reads == 6
    assert math.isclose(costs.profile.today.cost, 0.50 + 1.00)
    assert math.isclose(costs.profile.month.cost, 3.20 + 1.00)
    # A thread deleted (by another session, say) no longer counts.
    store.delete("conv_a")
    costs = tally.costs(store, prices, now(), "work", "org-a")
    assert math.isclose(costs.profile.month.cost, 2.50 + 1.00)
    assert tally.reads == 6


def test_a_new_month_starts_from_nothing(store: Store) -> None:
    prices = builtin_prices()
    tally = CostTally()
    tally.costs(store, prices, now(), "work", "org-a")
    december = datetime(2026, 12, 1, 9, 0).timestamp()
    costs = tally.costs(store, prices, december, "work", "org-a")
    assert costs.month_name == "Dec"
    assert costs.profile.month.replies == 0 and costs.profile.today.replies == 0
