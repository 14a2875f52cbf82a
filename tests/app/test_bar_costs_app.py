"""The bar's costs in the app: the profile's and its organization's spend today and this month.

Real parts: a real record in a temp directory, the sandbox over real HTTP, Pilot at 80x24.
Every expected figure was worked out by hand from the per-million prices (written next to
each thread), not by calling the code under test.
"""

from __future__ import annotations

import math
import time

import pytest
from app_harness import DAY, NOW, AppEnv, idle, wait_until

from tui.core.records import Role, ThreadRecord, Turn, Usage
from tui.core.store import Store


def bar_text(app) -> str:
    return app.main.bar.render().plain


def reply(at: float, input_tokens: int, output_tokens: int, cached: int = 0) -> Turn:
    usage = Usage(input_tokens, output_tokens, input_tokens + output_tokens, cached)
    return Turn(Role.ASSISTANT, "answer", at=at, usage=usage)


def spent(store: Store, thread_id: str, profile: str, org: str, model: str,
          replies: list[Turn]) -> None:
    store.upsert(ThreadRecord(id=thread_id, profile=profile, organization=org, model=model,
                              title=thread_id, last_active=replies[-1].at))
    for turn in replies:
        store.append_turn(thread_id, Turn(Role.USER, "question", at=turn.at - 1))
        store.append_turn(thread_id, turn)


def september(env: AppEnv, *, local_model: bool = True, now: float = NOW) -> None:
    """The app's clock says 2026-09-21 (UTC). gpt-4.1-mini: $0.40 in, $0.10 cached, $1.60
    out; gpt-4o: $2.50 in, $1.25 cached, $10 out."""
    # Today 800,000*0.40 + 200,000*0.10 + 100,000*1.60 = $0.50; Sep 11: 500,000*0.40 = $0.20;
    # in August: not this month.
    spent(env.store, "conv_costa", "work", "acme-corp", "gpt-4.1-mini", [
        reply(now - 40 * DAY, 1_000_000, 0), reply(now - 10 * DAY, 500_000, 0),
        reply(now - 3600, 1_000_000, 100_000, cached=200_000)])
    # Profile home billing the same organization, today: 0.25 + 0.10 = $0.35.
    spent(env.store, "conv_costb", "home", "acme-corp", "gpt-4o",
          [reply(now - 60, 100_000, 10_000)])
    if local_model:  # no price anywhere: never costed as zero
        spent(env.store, "conv_costc", "work", "acme-corp", "my-local-llama",
              [reply(now - 120, 10, 20)])


async def test_the_bar_says_the_hand_summed_costs_and_fits_80_columns(app_env: AppEnv) -> None:
    september(app_env)
    app = app_env.make_app()
    async with app.run_test(size=(120, 24)) as pilot:
        await idle(pilot, app)
        await wait_until(pilot, lambda: app.main.costs is not None)
        await idle(pilot, app)
        # work: today $0.50 and a local model's reply; September $0.70 and it. acme-corp
        # (work's and home's threads): today 0.50 + 0.35 = $0.85, September $1.05.
        assert bar_text(app).endswith(
            "│ today $0.50 + ? · Sep $0.70 + ? · org today $0.85 + ? · Sep $1.05 + ? ")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        text = bar_text(app)
        assert len(text) <= 80
        assert text.startswith(" work  acme-corp/")  # the profile and its organization stay
        assert text.endswith("│ Sep $0.70 + ? · org Sep $1.05 + ? ")
        assert "…" in text  # the key, dialect and model were cut, not the costs


async def test_without_a_local_model_80_columns_keep_today_and_the_month(
    app_env: AppEnv,
) -> None:
    september(app_env, local_model=False)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await wait_until(pilot, lambda: app.main.costs is not None)
        await pilot.pause()
        text = bar_text(app)
        assert text.endswith("│ today $0.50 · Sep $0.70 · org Sep $1.05 ") and len(text) <= 80


async def test_a_profile_switch_shows_that_profiles_costs(app_env: AppEnv) -> None:
    september(app_env)
    app = app_env.make_app()
    async with app.run_test(size=(120, 24)) as pilot:
        await idle(pilot, app)
        app.main.activate_profile("home")
        await idle(pilot, app)
        # home: today and this month $0.35 (conv_costb); its organization, "personal" for
        # the sandbox's home key, has no reply recorded, so no org part.
        await wait_until(pilot, lambda: "today $0.35 · Sep $0.35" in bar_text(app))
        assert "org" not in bar_text(app).split("│")[-1]


async def test_nothing_spent_this_month_says_nothing(app_env: AppEnv) -> None:
    app_env.record("conv_old", "Old thread", age_days=3)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        assert app.main.costs is None and "$" not in bar_text(app)


async def test_a_reply_and_another_process_update_the_costs(app_env: AppEnv) -> None:
    """After a reply over real HTTP the bar counts it (from its recorded token counts at
    gpt-4.1-mini's prices); a reply another session wrote is counted when the poll sees it."""
    seeded = app_env.seeded("Costed", [("user", "hi"), ("assistant", "hello")])
    september(app_env, local_model=False, now=time.time())
    app = app_env.make_app(clock=time.time)  # the sandbox's replies are dated now
    async with app.run_test(size=(120, 24)) as pilot:
        await idle(pilot, app)
        await wait_until(pilot, lambda: app.main.costs is not None)
        before = app.main.costs.profile.month
        app.main.open_thread(seeded.id)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2)
        await idle(pilot, app)
        await pilot.press(*"what does it cost", "enter")
        await idle(pilot, app)
        thread_id = app.main.chat.record.id
        usage = app_env.store.transcript(thread_id)[-1].usage
        assert usage is not None and usage.output_tokens > 0
        by_hand = (usage.input_tokens * 0.40 + usage.output_tokens * 1.60) / 1_000_000
        await wait_until(pilot, lambda: app.main.costs.profile.month.replies
                         == before.replies + 1)
        assert math.isclose(app.main.costs.profile.month.cost, before.cost + by_hand)
        # Another process (a second SSH session) records a reply of $1.00 (gpt-4o: 100,000
        # output tokens) in home's thread of the same organization.
        with Store.open(app_env.data_dir) as other:
            other.append_turn("conv_costb", reply(time.time(), 0, 100_000))
        org_before = app.main.costs.organization.month.cost
        await wait_until(pilot, lambda: math.isclose(
            app.main.costs.organization.month.cost, org_before + 1.00), timeout=8)


@pytest.mark.parametrize("width", [80])
def test_bar_with_costs_snapshot(snap_compare, app_env: AppEnv, width: int) -> None:
    september(app_env)
    app = app_env.make_app()

    async def run_before(pilot) -> None:
        await idle(pilot, app)
        await wait_until(pilot, lambda: app.main.costs is not None)
        app.main.sidebar.thread_list.focus()
        await idle(pilot, app)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(width, 24), run_before=run_before)
