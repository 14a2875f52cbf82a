"""The past-chats sidebar: order, badges, keys, filtering, safety of titles, hiding."""

from __future__ import annotations

from app_harness import NOW, AppEnv, idle, open_first, to_list, wait_until
from textual.widgets import Input

from tui.app.widgets.thread_list import ThreadRow
from tui.core.records import Dialect, ThreadRecord, ThreadStatus


def row_texts(app) -> list[str]:
    """Each row's two lines, without the first column (the open-thread marker's)."""
    listing = app.main.sidebar.thread_list
    return [
        "\n".join(line[1:] for line in option.prompt.visualize().plain.split("\n"))
        for option in listing.options
    ]


def ids(app) -> list[str]:
    return [option.id for option in app.main.sidebar.thread_list.options]


async def test_rows_newest_first_pinned_on_top_with_age_and_owner(app_env: AppEnv) -> None:
    app_env.record("conv_old", "Old one", age_days=9)
    app_env.record("conv_new", "New one", age_days=0.5)
    app_env.record("conv_pin", "Pinned one", age_days=30, pinned=True)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        assert ids(app) == ["conv_pin", "conv_new", "conv_old"]
        texts = row_texts(app)
        assert texts[1].splitlines() == ["New one", "12h work/acme-corp"]
        assert texts[2].splitlines()[1].startswith(" 9d ")
        assert texts[0].startswith("● Pinned one")
        assert "3 threads" in str(app.query_one("#sidebar-status").render())


async def test_badges_foreign_gone_interrupted_and_legacy_expiry(app_env: AppEnv) -> None:
    app_env.record("conv_home", "Home", profile="home", organization="personal")
    app_env.record("conv_gone", "Gone", status=ThreadStatus.GONE, age_days=2)
    app_env.record("conv_cut", "Cut", status=ThreadStatus.INTERRUPTED, age_days=3)
    app_env.record("thread_old", "Legacy", api=Dialect.ASSISTANTS, age_days=55)
    app_env.record("thread_young", "Young legacy", api=Dialect.ASSISTANTS, age_days=20)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        by_id = dict(zip(ids(app), row_texts(app), strict=True))
        assert "foreign" in by_id["conv_home"]
        assert "gone" in by_id["conv_gone"] and "foreign" not in by_id["conv_gone"]
        assert "interrupted" in by_id["conv_cut"]
        assert "expires 5d" in by_id["thread_old"]
        assert "expires" not in by_id["thread_young"]
        for row in ("conv_gone", "conv_cut", "thread_old", "thread_young"):
            assert "foreign" not in by_id[row]


async def test_titles_are_plain_text_without_control_characters(app_env: AppEnv) -> None:
    app_env.record("conv_x", "[bold red]not markup[/] \x1b[31mred\x07\nsecond line")
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        title = row_texts(app)[0].splitlines()[0]
        assert title == "[bold red]not markup[/] [31mred second line"
        assert "\x1b" not in title and "\x07" not in title


async def test_keys_move_first_last_and_enter_opens(app_env: AppEnv) -> None:
    for n in range(5):
        app_env.record(f"conv_{n}", f"Thread {n}", age_days=n + 1, status=ThreadStatus.GONE)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        listing = app.main.sidebar.thread_list
        assert app.main.composer.has_focus  # the screen invites typing
        await to_list(pilot, app)
        assert listing.has_focus and listing.highlighted == 0
        await pilot.press("j", "j", "down")
        assert listing.highlighted == 3
        await pilot.press("k", "up")
        assert listing.highlighted == 1
        await pilot.press("G")
        assert listing.highlighted == 4
        await pilot.press("g")
        assert listing.highlighted == 0
        await pilot.press("j", "enter")
        await wait_until(pilot, lambda: app.main.chat.record is not None)
        assert app.main.chat.record.id == "conv_1"
        assert [v.turn.text for v in app.main.chat.messages] == []


async def test_slash_filters_as_you_type_and_escape_clears(app_env: AppEnv) -> None:
    app_env.record("conv_a", "Quarterly report", age_days=1)
    app_env.record("conv_b", "Sourdough", profile="home", organization="personal", age_days=2)
    app_env.record("conv_c", "Packing list", age_days=3)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("slash")  # in the composer: a slash, typed
        assert app.main.composer.text == "/"
        app.main.composer.load_text("")
        await to_list(pilot, app)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"rep")
        assert ids(app) == ["conv_a"]
        await pilot.press("backspace", "backspace", "backspace", *"personal")
        assert ids(app) == ["conv_b"]  # organization matches
        await pilot.press(*" sour")
        assert ids(app) == ["conv_b"]
        await pilot.press("escape")
        assert ids(app) == ["conv_a", "conv_b", "conv_c"]
        assert app.main.sidebar.thread_list.has_focus
        await pilot.press("slash", *"conv_c", "enter")
        assert ids(app) == ["conv_c"] and app.main.sidebar.thread_list.has_focus
        await pilot.press("escape")  # esc on the list clears the filter too
        assert len(ids(app)) == 3


async def test_question_mark_prefix_searches_transcript_text(app_env: AppEnv) -> None:
    app_env.record("conv_a", "Alpha", turns=[("user", "tell me about zebras")])
    app_env.record("conv_b", "Beta", turns=[("user", "tell me about lions")], age_days=2)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("slash", *"?zebra")
        await wait_until(pilot, lambda: ids(app) == ["conv_a"])
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press(*"lion")
        await wait_until(pilot, lambda: ids(app) == ["conv_b"])


async def test_ctrl_b_hides_and_shows_the_sidebar(app_env: AppEnv) -> None:
    app_env.record("conv_a", "Alpha")
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("ctrl+b")
        assert not app.main.sidebar.display
        assert app.main.composer.has_focus
        await pilot.press("ctrl+b")  # shown again; what is typed next is still text
        assert app.main.sidebar.display and app.main.composer.has_focus


async def test_narrow_terminal_collapses_the_sidebar(app_env: AppEnv) -> None:
    app_env.record("conv_a", "Alpha")
    app = app_env.make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await idle(pilot, app)
        assert not app.main.sidebar.display
        await pilot.press("ctrl+b")
        assert app.main.sidebar.display
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.main.sidebar.display


async def test_shrinking_the_terminal_collapses_the_sidebar(app_env: AppEnv) -> None:
    app_env.record("conv_a", "Alpha")
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        assert app.main.sidebar.display
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert not app.main.sidebar.display
        await pilot.resize_terminal(90, 24)
        await pilot.pause()
        assert app.main.sidebar.display


async def test_rows_are_built_lazily(app_env: AppEnv) -> None:
    for n in range(300):
        app_env.store.upsert(
            ThreadRecord(id=f"conv_{n:04d}", title=f"T{n}", profile="work", last_active=NOW - n)
        )
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        options = app.main.sidebar.thread_list.options
        assert len(options) == 300
        built = [o for o in options if isinstance(o.prompt, ThreadRow) and o.prompt.built]
        assert 0 < len(built) < 40  # only the rows on screen were styled


async def test_the_open_thread_is_marked_apart_from_the_highlight(app_env: AppEnv) -> None:
    first = app_env.seeded("First", [("user", "hi"), ("assistant", "hello")], age_days=0.1)
    app_env.record("conv_other", "Other", age_days=2)
    app = app_env.make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        await idle(pilot, app)
        listing = app.main.sidebar.thread_list

        def marked() -> list[str]:
            return [o.id for o in listing.options if o.prompt.visualize().plain.startswith("▌")]

        assert marked() == []
        await open_first(pilot, app)
        await idle(pilot, app)
        assert marked() == [first.id]
        listing.focus()
        await pilot.press("j")  # the highlight moves, the mark stays with what is open
        assert listing.highlighted_id == "conv_other" and marked() == [first.id]
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert marked() == []


async def test_the_sidebar_follows_the_terminal_and_resizes_by_key(app_env: AppEnv) -> None:
    app_env.record("conv_a", "A")
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        sidebar = app.main.sidebar
        assert sidebar.outer_size.width == 30  # 37.5 % of 80, as before
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert sidebar.outer_size.width == 60  # follows the terminal
        await pilot.resize_terminal(300, 40)
        await pilot.pause()
        assert sidebar.outer_size.width == 72  # within its maximum
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert sidebar.outer_size.width == 45
        sidebar.thread_list.focus()
        await pilot.press(">")
        await pilot.pause()
        assert sidebar.outer_size.width == 47 and sidebar.width_share > 0.375
        await pilot.press(*"<" * 40)
        await pilot.pause()
        assert sidebar.outer_size.width == 24  # its minimum
        share = sidebar.width_share
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert sidebar.outer_size.width == round(160 * share)  # the chosen share, kept
        await pilot.press("question_mark")
        from tui.app.screens.help import HelpTable

        text = app.screen.query_one(HelpTable).render().plain
        assert "sidebar.wider" in text and "sidebar.narrower" in text


async def test_a_click_opens_the_row_under_the_mouse_after_filters_and_scrolling(
    app_env: AppEnv,
) -> None:
    """Rows are made only as they are drawn and reused across filters; what a click names
    must still be the row on screen, not where that row was in an earlier filter."""
    for n in range(60):
        app_env.record(f"conv_{n:03}", f"thread {n:03}" + (" beta" if n % 3 == 0 else ""),
                       age_days=n + 1)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        listing = app.main.sidebar.thread_list
        assert listing.option_count == 60
        await pilot.click("#threads", offset=(4, 2))  # the second row's first line
        await idle(pilot, app)
        assert app.main.chat.record is not None and app.main.chat.record.id == "conv_001"

        await pilot.press("escape")
        await pilot.press("slash", *"beta")
        await wait_until(pilot, lambda: listing.option_count == 20)
        await pilot.pause()
        await pilot.click("#threads", offset=(4, 3))  # the second row's second line
        await idle(pilot, app)
        assert app.main.chat.record.id == "conv_003"

        listing.focus()
        await pilot.press("G")  # the last row: the list scrolls
        await pilot.pause()
        assert listing.highlighted_id == "conv_057"
        await pilot.click("#threads", offset=(4, listing.size.height - 1))
        await idle(pilot, app)
        assert app.main.chat.record.id == "conv_057"
        assert len(app.main.sidebar._options) < 40  # options made for rows drawn, not all


async def test_rows_drawn_before_a_filter_carry_their_new_place_after_it(
    app_env: AppEnv,
) -> None:
    """A row's drawn lines are kept across filters (laying out its text again was most of a
    keystroke's drawing), but each line on screen names the row it is now, which is what a
    click or the mouse reads."""
    for n in range(60):  # 60 rows, 20 with "beta": both lists scroll, as wide as each other
        app_env.record(f"conv_{n:03}", f"thread {n:03}" + (" beta" if n % 3 == 0 else ""),
                       age_days=n + 1)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        listing = app.main.sidebar.thread_list

        def places() -> list[tuple[int, str]]:
            """(row named by the line's mouse data, the thread drawn there), per line."""
            shown = []
            for y in range(min(listing.size.height, 2 * len(listing.shown_records))):
                strip = listing.render_line(y)
                metas = [s.style.meta for s in strip if s.style is not None and s.style.meta]
                row = metas[0]["option"]
                shown.append((row, listing.shown_records[row].id))
            return shown

        def expected() -> list[tuple[int, str]]:
            rows = [(y // 2, listing.shown_records[y // 2].id)
                    for y in range(min(listing.size.height, 2 * len(listing.shown_records)))]
            return rows

        assert places() == expected()  # every row of the first screen drawn
        await to_list(pilot, app)
        await pilot.press("slash", *"beta")
        await pilot.pause()
        assert [r.id for r in listing.shown_records][:3] == ["conv_000", "conv_003", "conv_006"]
        assert places() == expected()  # conv_003 was row 3, is row 1
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await pilot.pause()
        assert places() == expected()
