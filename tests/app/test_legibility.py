"""Every letter in the sidebar can be read: badges and quiet text at least 4.5:1 (WCAG AA)
against the row they are on, highlighted or not, list focused or not, in every shipped
theme, reduced to 256 colours, and under NO_COLOR.

Measured on what the running app sends to the terminal (the compositor's segments after
Textual's filters), so the theme files, the CSS and the row code are all in the figure.
"""

from __future__ import annotations

import pytest
from app_harness import AppEnv, contrast_ratio, idle, screen_cells
from rich.color import ColorSystem

from tui.app.focus import focus_now
from tui.app.themes import shipped_theme_names
from tui.core.records import Dialect, ThreadStatus

AA = 4.5


def seed_every_badge(env: AppEnv) -> None:
    env.record("conv_ok0", "Plain thread", age_days=0.1)
    env.record("conv_home", "Someone else's", profile="home", organization="personal",
               age_days=1)
    env.record("conv_cut0", "Stopped reply", status=ThreadStatus.INTERRUPTED, age_days=2)
    env.record("conv_gone", "Gone thread", status=ThreadStatus.GONE, age_days=3)
    env.record("thread_legacy0", "Legacy, expiring", api=Dialect.ASSISTANTS, age_days=4)


def worst_cells(app, system: ColorSystem | None) -> list[tuple[float, str, str, str]]:
    """(ratio, char, fg, bg) of every visible character of the list and its status line."""
    sidebar = app.main.sidebar
    found = []
    for widget in (sidebar.thread_list, sidebar.query_one("#sidebar-status")):
        for char, style in screen_cells(app, widget.region):
            if char.isspace():
                continue
            assert style is not None and style.color is not None and style.bgcolor is not None
            fg, bg = style.color, style.bgcolor
            if system is not None:
                fg, bg = fg.downgrade(system), bg.downgrade(system)
            a, b = fg.get_truecolor(), bg.get_truecolor()
            found.append((contrast_ratio(tuple(a), tuple(b)), char, a.hex, b.hex))
    return found


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
@pytest.mark.parametrize("theme", shipped_theme_names())
async def test_sidebar_text_reads_on_every_row_background(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch, theme: str, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    seed_every_badge(app_env)
    app = app_env.make_app(cli_theme=theme)
    async with app.run_test(size=(100, 24)) as pilot:
        await idle(pilot, app)
        listing = app.main.sidebar.thread_list
        labels = " ".join(o.prompt.visualize().plain for o in listing.options)
        for badge in ("foreign", "gone", "interrupted"):
            assert badge in labels  # every badge is on screen to be measured
        failures = set()
        for focused in (True, False):
            focus_now(listing if focused else app.main.composer)
            for index in range(listing.option_count):
                listing.highlighted = index
                await pilot.pause()
                for system in (None, ColorSystem.EIGHT_BIT):
                    for ratio, _char, fg, bg in worst_cells(app, system):
                        if ratio < AA:
                            where = "focused" if focused else "unfocused"
                            failures.add(
                                f"{where} {system and system.name}: "
                                f"{fg} on {bg} = {ratio:.2f}"
                            )
        assert not failures, "\n".join(sorted(failures))
