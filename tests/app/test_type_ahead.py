"""Keys that arrive together (one SSH packet, a fast typist) land where the first one sent focus.

Textual's ``Widget.focus()`` moves focus later, after keys already queued; typing "/launch"
in one burst used to deliver "launch" to the sidebar, whose `n` opened a new chat.
"""

from __future__ import annotations

from app_harness import AppEnv, idle
from textual import events

from tui.app.app import ThreadApp


def burst(app: ThreadApp, keys: list[tuple[str, str | None]]) -> None:
    """Queue key events back to back, without letting the app run in between."""
    for key, character in keys:
        app.post_message(events.Key(key, character))


async def test_filter_receives_the_keys_typed_right_after_slash(app_env: AppEnv) -> None:
    app_env.record("conv_a", "Acme launch plan", age_days=1)
    app_env.record("conv_b", "Personal budget", age_days=2)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.main.sidebar.thread_list.focus()
        await pilot.pause()
        burst(app, [("slash", "/")] + [(ch, ch) for ch in "launch"])
        await idle(pilot, app)
        assert app.main.sidebar.filter_input.value == "launch"
        assert [o.id for o in app.main.sidebar.thread_list.options] == ["conv_a"]
        assert app.focused is app.main.sidebar.filter_input


async def test_list_receives_the_keys_typed_right_after_leaving_the_filter(
    app_env: AppEnv,
) -> None:
    app_env.record("conv_a", "Acme launch plan", age_days=1)
    app_env.record("conv_b", "Personal budget", age_days=2)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.main.sidebar.filter_input.focus()
        await pilot.pause()
        burst(app, [("down", None), ("j", "j")])
        await idle(pilot, app)
        assert app.main.sidebar.filter_input.value == ""
        assert app.focused is app.main.sidebar.thread_list
        assert app.main.sidebar.thread_list.highlighted == 1
