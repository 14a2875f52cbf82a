"""Keys that arrive together (one SSH packet, a fast typist) land where the first one sent focus.

Textual's ``Widget.focus()`` moves focus later, after keys already queued; typing "/launch"
in one burst used to deliver "launch" to the sidebar, whose `n` opened a new chat.
"""

from __future__ import annotations

import asyncio

from app_harness import NOW, AppEnv, idle, wait_until
from textual import events

from tui.app.app import ThreadApp
from tui.app.widgets.sidebar import WARM_CHUNK
from tui.core.records import ThreadRecord


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


async def test_a_sentence_typed_while_every_row_is_prepared_for_the_filter_is_not_held_up(
    app_env: AppEnv,
) -> None:
    """Once every row of a large record is in the list, each row's filter text is made a
    chunk at a time. A sentence typed meanwhile (one SSH packet) reaches the composer between
    two chunks, not after all of them: the chunks were a chain of ``call_later``, and
    Textual's message pump runs queued messages back to back without giving the loop back
    (at 100,000 rows, keys waited about 200 ms)."""
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        sidebar, composer = app.main.sidebar, app.main.composer
        assert app.focused is composer
        rows = [
            ThreadRecord(id=f"conv_{n:06d}", title=f"thread number {n}", profile="work",
                         last_active=NOW - n)
            for n in range(WARM_CHUNK * 20)
        ]
        sentence = "please summarise the launch notes"
        sidebar.load(rows)
        burst(app, [(ch if ch != " " else "space", ch) for ch in sentence])
        while composer.text != sentence:
            await asyncio.sleep(0)
        assert not sidebar.filter_ready  # the sentence did not wait for every chunk
        await wait_until(pilot, lambda: sidebar.filter_ready, timeout=30)
        assert composer.text == sentence
        assert sidebar.count == len(rows)


async def test_a_row_changed_while_the_rows_are_prepared_does_not_hold_up_a_sentence(
    app_env: AppEnv,
) -> None:
    """Another session's change arrives while the rows are prepared for the filter: the
    preparing starts over on the new order a chunk at a time (what it made is kept), so a
    sentence typed then still lands between two chunks, and the filter finds the changed
    row under its new title."""
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        sidebar, composer = app.main.sidebar, app.main.composer
        rows = [
            ThreadRecord(id=f"conv_{n:06d}", title=f"thread number {n}", profile="work",
                         last_active=NOW - n)
            for n in range(WARM_CHUNK * 20)
        ]
        sidebar.load(rows)
        for _ in range(3):
            await asyncio.sleep(0)  # a few chunks made
        assert not sidebar.filter_ready
        sidebar.upsert(ThreadRecord(id="conv_000007", title="renamed elsewhere",
                                    profile="work", last_active=NOW + 1))
        sentence = "is the launch still on"
        burst(app, [(ch if ch != " " else "space", ch) for ch in sentence])
        while composer.text != sentence:
            await asyncio.sleep(0)
        assert not sidebar.filter_ready  # the sentence did not wait for every row
        await wait_until(pilot, lambda: sidebar.filter_ready, timeout=30)
        sidebar.set_query("renamed elsewhere")
        assert [r.id for r in sidebar.thread_list.shown_records] == ["conv_000007"]
