"""In a 16-colour terminal (TERM=xterm) every region paints its own background.

What the terminal is sent is checked cell by cell at Rich's "standard" colour system, as
Textual's driver would write it: a cell whose background is the terminal's default (no
background code, or ``ansi_default``) shows whatever the user's terminal has there, and the
theme's text on it may be unreadable (paper's near-black on a black terminal). Checked with
Textual's ANSI colours off (the default) and on (``App.ansi_color``, or a theme with
``ansi = true``), where Textual's own CSS gives screens and several widgets ``ansi_default``.
"""

from __future__ import annotations

import pytest
from app_harness import AppEnv, idle, open_first, screen_rows, wait_until
from rich.color import ColorSystem, ColorType

from tui.app.screens.help import HelpScreen
from tui.app.screens.profile_picker import ProfilePicker
from tui.app.themes import shipped_theme_names
from tui.app.widgets.message import MessageView


def default_background_cells(app) -> list[tuple[int, int]]:
    holes = []
    for y, row in enumerate(screen_rows(app)):
        x = 0
        for segment in row:
            background = segment.style.bgcolor if segment.style is not None else None
            if background is not None:
                background = background.downgrade(ColorSystem.STANDARD)
            for _char in segment.text:
                if background is None or background.type is ColorType.DEFAULT:
                    holes.append((x, y))
                x += 1
    return holes


def where(holes: list[tuple[int, int]]) -> str:
    rows = sorted({y for _x, y in holes})
    return f"{len(holes)} cells on rows {rows[:12]}"


@pytest.mark.parametrize("ansi", [False, True], ids=["rgb", "ansi"])
@pytest.mark.parametrize("theme", shipped_theme_names())
async def test_every_cell_has_its_own_background_in_16_colours(
    app_env: AppEnv, theme: str, ansi: bool
) -> None:
    app_env.seeded("Trip plan", [("user", "How long is the flight?"),
                                 ("assistant", "About **eleven hours**.\n\n```\ncode\n```")])
    app = app_env.make_app(cli_theme=theme)
    app.ansi_color = ansi
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        assert app.native_ansi_color is ansi
        assert default_background_cells(app) == [], "main: " + where(default_background_cells(app))
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.query(MessageView)) == 2)
        await pilot.pause()
        holes = default_background_cells(app)
        assert holes == [], "thread: " + where(holes)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause()
        holes = default_background_cells(app)
        assert holes == [], "help: " + where(holes)
        await pilot.press("escape", "ctrl+o")
        assert isinstance(app.screen, ProfilePicker)
        await pilot.pause()
        holes = default_background_cells(app)
        assert holes == [], "picker: " + where(holes)
