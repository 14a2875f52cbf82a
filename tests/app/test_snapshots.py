"""SVG snapshots at 80x24 of the main screen and the dialogs (look at them when they change).

Deterministic by construction: a fixed clock for ages, UTC for message times, the sandbox's
seeded id generator (seeding happens before any request), every worker finished and every
notification cleared before the capture, and the keyboard on the thread list (no blinking
cursor in the picture).

Regenerate with ``pytest tests/app/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest
from app_harness import ENV, AppEnv, idle, owner_prompt, wait_until

from tui.app.themes import shipped_theme_names
from tui.core.records import Dialect, ThreadStatus

REPLY = """Here is a plan:

1. **Measure** the current start-up time.
2. Cache the `index` rows.

```python
print("fast")
```"""


def populate(env: AppEnv) -> str:
    """A realistic sidebar; returns the id of the seeded (really existing) conversation."""
    seeded = env.seeded(
        "Speed up the start-up",
        [("user", "How do I make the app start faster?"), ("assistant", REPLY)],
        age_days=0.2,
    )
    env.record("conv_pinned0000000000000000000000000000000000000001", "Release checklist",
               pinned=True, age_days=12)
    env.record("conv_home00000000000000000000000000000000000000002", "Sourdough schedule",
               profile="home", organization="personal", age_days=1.5)
    env.record("conv_cut000000000000000000000000000000000000000003", "Long story, stopped",
               status=ThreadStatus.INTERRUPTED, age_days=3)
    env.record("conv_gone00000000000000000000000000000000000000004", "Old experiment",
               status=ThreadStatus.GONE, age_days=40)
    env.record("thread_legacy000000000000000", "Support ticket 4521",
               api=Dialect.ASSISTANTS, age_days=53)
    env.record("thread_legacyb00000000000000", "[b]Not[/b] markup \x1b[31m",
               api=Dialect.ASSISTANTS, age_days=70, status=ThreadStatus.GONE)
    return seeded.id


def freeze(app) -> None:
    """No blinking cursor in the picture: every text field on every screen stops blinking."""
    for screen in app.screen_stack:
        for field in screen.query("TextArea, Input"):
            field.cursor_blink = False


async def settle(pilot, app) -> None:
    await idle(pilot, app, timeout=10)
    app.clear_notifications()
    freeze(app)
    await pilot.pause()


def test_main_screen(snap_compare, app_env: AppEnv) -> None:
    assert snap_compare(main_screen(app_env), run_before=open_first_thread)


@pytest.mark.parametrize("theme", shipped_theme_names())
def test_main_screen_in_each_shipped_theme(snap_compare, app_env: AppEnv, theme: str) -> None:
    """Every theme styles the bar, the badges and the chat pane (one picture per theme)."""
    app = main_screen(app_env, cli_theme=theme)
    assert snap_compare(app, run_before=open_first_thread)
    assert app.theme == theme


def main_screen(app_env: AppEnv, **options):
    populate(app_env)
    return app_env.make_app(**options)


async def open_first_thread(pilot) -> None:
    """The seeded conversation open, the keyboard back on the list (no blinking cursor)."""
    app = pilot.app
    await idle(pilot, app, timeout=10)
    await pilot.press("escape", "j", "enter")  # from the composer to the list, then open
    await wait_until(pilot, lambda: len(app.main.chat.messages) == 2)
    await idle(pilot, app, timeout=10)
    app.main.sidebar.thread_list.focus()
    await settle(pilot, app)


def test_profile_picker(snap_compare, app_env: AppEnv) -> None:
    populate(app_env)
    app = app_env.make_app()

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        freeze(app)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before)


def test_not_found_prompt(snap_compare, app_env: AppEnv) -> None:
    populate(app_env)
    thread_id = app_env.sandbox.seed_conversation(
        ENV["TT_HOME_KEY"], title="Trip packing list", turns=[("user", "pack?")]
    )
    app_env.record(thread_id, "Trip packing list", age_days=0.1)
    app = app_env.make_app()

    async def run_before(pilot) -> None:
        await idle(pilot, app, timeout=10)
        await pilot.press("escape", "j", "enter")  # below the pinned row
        await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
        await idle(pilot, app, timeout=10)
        app.clear_notifications()
        freeze(app)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before)


def test_delete_confirmation(snap_compare, app_env: AppEnv) -> None:
    populate(app_env)
    app = app_env.make_app()

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        await pilot.press("escape", "j", "d")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before)


def test_help_screen(snap_compare, app_env: AppEnv) -> None:
    app = app_env.make_app()

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before)
