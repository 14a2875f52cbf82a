"""The sidebar answers a filter keystroke from earlier answers (typing forward narrows), and
that shortcut never changes what is shown: after every edit (typed, in the middle, pasted,
shortened, cleared, other case, other Unicode form) and after rows changed in another
session, the list is exactly the rule's answer over every row (``thread_query``), computed
here from scratch.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from app_harness import NOW, AppEnv, idle, to_list, wait_until
from textual import events
from textual.screen import Screen

from tui.core.records import ThreadRecord
from tui.core.store import Store
from tui.core.thread_query import matches, query_words, record_haystack

TITLES = [
    "Quarterly report plan",
    "report on plans",
    "REPORTER interview",
    "Straße planning",
    "STRASSE survey",
    "Café notes",
    unicodedata.normalize("NFD", "café decomposed"),
    "cafe without accent",
    "plateau photos",
    "trip planner",
]


def seed(env: AppEnv, count: int = 60) -> None:
    for n in range(count):
        env.record(f"conv_n{n:03}", f"{TITLES[n % len(TITLES)]} {n}",
                   profile="work" if n % 3 else "home",
                   organization="acme-corp" if n % 3 else "personal", age_days=n + 1)


def shown(app: Any) -> list[str]:
    return [record.id for record in app.main.sidebar.thread_list.shown_records]


def rule(app: Any) -> list[str]:
    """The rule's answer for what the box holds now, over every row, in list order."""
    words = query_words(app.main.sidebar.filter_input.value)
    return [r.id for r in app.main.sidebar.records if matches(words, record_haystack(r))]


async def check(pilot: Any, app: Any, value: str) -> None:
    await pilot.pause()
    assert app.main.sidebar.filter_input.value == value
    assert shown(app) == rule(app), value
    status = app.main.sidebar.query_one("#sidebar-status").render()
    if value.strip():
        assert str(status).startswith(f"{len(rule(app)):,} of ")


async def type_checked(pilot: Any, app: Any, text: str) -> None:
    """Type ``text`` key by key at the cursor, checking the list after each key."""
    for ch in text:
        before = app.main.sidebar.filter_input
        at = before.cursor_position
        expected = before.value[:at] + ch + before.value[at:]
        await pilot.press("space" if ch == " " else ch)
        await check(pilot, app, expected)


async def backspace_checked(pilot: Any, app: Any, times: int) -> None:
    for _ in range(times):
        box = app.main.sidebar.filter_input
        at = box.cursor_position
        expected = box.value[: max(0, at - 1)] + box.value[at:]
        await pilot.press("backspace")
        await check(pilot, app, expected)


async def test_every_edit_of_the_filter_shows_exactly_the_rules_answer(
    app_env: AppEnv,
) -> None:
    seed(app_env)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await wait_until(pilot, lambda: app.main.sidebar.count == 60)
        await to_list(pilot, app)
        await pilot.press("slash")
        box = app.main.sidebar.filter_input

        await type_checked(pilot, app, "report pla")  # forward: each key narrows
        assert 0 < len(shown(app)) < 60
        await backspace_checked(pilot, app, 3)  # shortened: "report "
        await type_checked(pilot, app, "pl")

        # Edited in the middle: "report pl" -> "rexport pl" (no longer contains "report").
        await pilot.press("home", "right", "right")
        await type_checked(pilot, app, "x")
        assert shown(app) == []
        await pilot.press("delete")  # "rexport pl" -> "rexort pl"... then put it back
        await check(pilot, app, "rexort pl")
        await backspace_checked(pilot, app, 1)
        await type_checked(pilot, app, "p")
        await check(pilot, app, "report pl")
        await pilot.press("home")
        await type_checked(pilot, app, "plan ")  # a word before the others
        await pilot.press("end")

        # Pasted over everything, then pasted into the middle.
        box.value = ""
        await check(pilot, app, "")
        box.post_message(events.Paste("  Trip   PLANNER "))
        await check(pilot, app, "  Trip   PLANNER ")
        assert len(shown(app)) == 6
        await pilot.press("home")
        box.post_message(events.Paste("notes "))
        await check(pilot, app, "notes   Trip   PLANNER ")
        assert shown(app) == []

        # Cleared, and case and Unicode forms: the same answers as the plain query.
        await pilot.press("escape")
        assert shown(app) == [r.id for r in app.main.sidebar.records]
        await pilot.press("slash")
        await type_checked(pilot, app, "strasse")
        plain = shown(app)
        assert len(plain) == 12  # "Straße planning" and "STRASSE survey"
        await backspace_checked(pilot, app, 7)
        await type_checked(pilot, app, "STRAßE")
        assert shown(app) == plain
        await backspace_checked(pilot, app, 6)
        await type_checked(pilot, app, "CAFÉ")
        assert len(shown(app)) == 12  # composed and decomposed, not "cafe"
        await backspace_checked(pilot, app, 1)  # "CAF": "cafe without accent" too
        assert len(shown(app)) == 18
        decomposed = unicodedata.normalize("NFD", "é")  # "e" and a combining accent
        box.post_message(events.Paste(decomposed))
        await check(pilot, app, "CAF" + decomposed)
        assert len(shown(app)) == 12


async def test_rows_changed_in_another_session_while_filtering_follow_the_rule(
    app_env: AppEnv,
) -> None:
    """Answers kept from earlier keystrokes are for the rows as they were: after a poll takes
    in another session's writes, going back to an earlier query shows the rows as they are."""
    seed(app_env)
    other = Store.open(app_env.data_dir)
    app = app_env.make_app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot, app)
            await to_list(pilot, app)
            await pilot.press("slash")
            await type_checked(pilot, app, "report plan")
            await backspace_checked(pilot, app, 4)  # "report ", answered before
            before = shown(app)
            other.update_thread("conv_n000", title="nothing to see")  # leaves "report"
            other.update_thread("conv_n005", title="report of cafés")  # joins it
            other.delete("conv_n010")  # was listed
            other.upsert(ThreadRecord(id="conv_new", title="brand new report plan",
                                      profile="work", last_active=NOW))
            app.main._poll()
            await idle(pilot, app)
            await check(pilot, app, "report ")
            now = shown(app)
            assert "conv_n000" in before and "conv_n000" not in now
            assert "conv_n005" in now and "conv_n010" not in now and "conv_new" in now
            await type_checked(pilot, app, "plan")  # narrowed from the answer after the poll
            assert "conv_new" in shown(app)
            await backspace_checked(pilot, app, 11)  # every earlier query, as the rows are now
            assert shown(app) == [r.id for r in app.main.sidebar.records]
    finally:
        other.close()


async def test_a_filter_keystroke_lays_out_nothing_and_long_text_scrolls_in_the_box(
    app_env: AppEnv,
) -> None:
    """The box's size is fixed and so is the list's: what is typed repaints them, it does not
    lay out the screen (counted, not timed); text wider than the box scrolls within it."""
    seed(app_env, 40)
    layouts: list[int] = []
    original = Screen._refresh_layout

    def counting(self: Screen, *args: Any, **kwargs: Any) -> None:
        layouts.append(1)
        original(self, *args, **kwargs)

    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("slash")
        await idle(pilot, app)
        Screen._refresh_layout = counting  # type: ignore[method-assign]
        try:
            for ch in "report":  # 40 rows, then fewer, always more than fit: it scrolls
                await type_checked(pilot, app, ch)
                assert len(shown(app)) > 10
            await backspace_checked(pilot, app, 4)
            await idle(pilot, app)
        finally:
            Screen._refresh_layout = original  # type: ignore[method-assign]
        assert layouts == []
        box = app.main.sidebar.filter_input
        long = "conv " * 12
        await type_checked(pilot, app, long[:30])
        await idle(pilot, app)
        # As in a stock Input: the text's width (and the cursor's cell) is what scrolls.
        assert box.virtual_size.width == len(box.value) + 1
        assert box.scroll_x == box.max_scroll_x == box.virtual_size.width - box.region.width
