"""Wide tables are drawn within bounds (columns cut, cells cut), live and reopened alike,
while the record, copy and export keep every column."""

from __future__ import annotations

import random

from app_harness import AppEnv, idle

from tui.app.markdown_bounds import MAX_CELL, MAX_COLUMNS, TableBounds, bound_markdown


def wide_table(columns: int, rows: int = 2) -> str:
    header = "|" + "|".join(f"c{i}" for i in range(columns)) + "|"
    delimiter = "|" + "|".join("---" for _ in range(columns)) + "|"
    body = ["|" + "|".join(f"r{r}v{i}" for i in range(columns)) + "|" for r in range(rows)]
    return "\n".join([header, delimiter, *body]) + "\n"


def test_a_wide_table_keeps_its_first_columns_and_says_how_many_more() -> None:
    text = "Intro\n\n" + wide_table(10_000) + "\nafter\n"
    bounded = bound_markdown(text)
    rows = [line for line in bounded.splitlines() if line.startswith("|")]
    assert len(rows) == 4
    for row in rows:
        assert row.count("|") == MAX_COLUMNS + 2  # MAX_COLUMNS cells and the "more" cell
    assert "…9,988 more" in rows[0] and "c11" in rows[0] and "c12" not in rows[0]
    assert rows[1].replace("|", "").replace("-", "").strip() == ""  # still a delimiter row
    assert bounded.startswith("Intro\n\n") and bounded.endswith("\nafter\n")
    assert len(bounded) < 1_000


def test_long_cells_are_cut_and_narrow_tables_and_code_blocks_pass_untouched() -> None:
    narrow = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert bound_markdown(narrow) == narrow
    code = "```\n" + "|" + "|".join("x" * 3 for _ in range(50)) + "|\n```\n"
    assert bound_markdown(code) == code
    long_cell = "| " + "y" * 5_000 + " | z |\n"
    cut = bound_markdown(long_cell)
    assert len(cut) < MAX_CELL + 20 and cut.count("|") == 3 and "…" in cut


def test_streaming_in_any_pieces_draws_what_the_whole_text_draws() -> None:
    text = (
        "Some prose first, streamed word by word.\n\n" + wide_table(300, rows=5)
        + "\n```python\n|not|a|table|" + "|x" * 40 + "\n```\n\nThe end | with | a pipe.\n"
    )
    expected = bound_markdown(text)
    for seed in range(25):
        chooser = random.Random(seed)
        bounds = TableBounds()
        drawn, position = [], 0
        while position < len(text):
            step = chooser.randint(1, 40)
            drawn.append(bounds.feed(text[position : position + step]))
            position += step
        drawn.append(bounds.finish())
        assert "".join(drawn) == expected, seed


def test_prose_is_drawn_at_once_and_only_a_row_waits_for_its_end() -> None:
    bounds = TableBounds()
    assert bounds.feed("Hello wor") == "Hello wor"
    assert bounds.feed("ld\n| a | b") == "ld\n"  # the row is held until it ends
    assert bounds.feed(" |\n") == "| a | b |\n"


async def test_a_reply_with_a_10000_column_table_opens_bounded_and_copies_whole(
    app_env: AppEnv,
) -> None:
    table = wide_table(10_000)
    record = app_env.seeded("Wide", [("user", "table please"), ("assistant", table)])
    app = app_env.make_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await idle(pilot, app)
        app.main.open_thread(record.id)
        await idle(pilot, app, timeout=20)
        reply = app.main.chat.messages[-1]
        assert reply.markdown is not None
        shown = reply.markdown.source
        # (the first DISPLAY_LIMIT characters are drawn at all, then the columns are cut)
        assert "|c11| …" in shown and " more |" in shown and len(shown) < 2_000
        await pilot.press("ctrl+b", "ctrl+b")  # relayout
        await idle(pilot, app)
        app.main.chat.focus_message(reply)
        await pilot.press("y")
        assert app.clipboard == table  # the whole table, every column
    assert app_env.store.transcript(record.id)[-1].text == table
