"""Keys typed ahead, as one SSH packet delivers them: nothing typed is lost or misdirected.

Textual forwards every queued key to the widget focused when the key is taken from the queue,
and only priority bindings are handled before that. A focus change left to a worker therefore
let keys typed right behind it reach the old widget. The batch is posted to the app in one go
(no pause between keys), which is what a fast typist over SSH produces.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_harness import AppEnv, idle, make_app_env, wait_until
from textual import events

from tui.sandbox import Sandbox, reply_text


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path):
    made = make_app_env(tmp_path, sandbox.base_url, sandbox)
    yield made
    made.store.close()


def type_ahead(app, *keys: str) -> None:
    """Queue ``keys`` at once; single characters are typed as themselves."""
    for key in keys:
        character = key if len(key) == 1 else {"enter": "\r", "space": " "}.get(key)
        app.post_message(events.Key(key, character))


@pytest.mark.parametrize("where", ["sidebar", "composer", "open-thread"])
async def test_ctrl_n_then_a_question_and_enter_typed_at_once_start_a_new_chat(
    where: str, env: AppEnv
) -> None:
    old = env.seeded("old thread", [("user", "q"), ("assistant", "a")])
    app = env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        if where != "sidebar":
            await pilot.press("enter")  # open the old thread: the composer has the keyboard
            await idle(pilot, app)
        if where == "open-thread":
            app.main.sidebar.thread_list.focus()
            await pilot.pause()
        type_ahead(app, "ctrl+n", *"hi there", "enter")
        await wait_until(pilot, lambda: app.main.chat.record is not None
                         and app.main.chat.record.id != old.id, timeout=10)
        await wait_until(pilot, lambda: not app.main.replying, timeout=15)
        await idle(pilot, app)
        record = app.main.chat.record
        assert record.title == "hi there"
        assert [t.text for t in env.store.transcript(record.id)] == [
            "hi there", reply_text("hi there")
        ]
        assert [t.text for t in env.store.transcript(old.id)] == ["q", "a"]  # untouched
