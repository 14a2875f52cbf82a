"""ctrl+q with replies the record refused kept only in memory (``Records.pending``) asks
before losing them: keys typed ahead never answer, only `y` quits anyway, and the safe answer
tries writing again (quitting once they are stored)."""

from __future__ import annotations

import errno

from app_harness import AppEnv, idle, notification_text, open_first, wait_until
from disk_fault import DiskFault, disk_fixture  # noqa: F401  (the `disk` fixture)
from test_keystroke_safety import one_packet
from textual import events

from tui.app.screens.quit_question import QuitQuestion


async def refuse_a_reply(pilot, app, app_env: AppEnv, disk: DiskFault) -> None:
    """Stream a reply, fill the disk under it: the reply ends up kept in memory."""
    assert app_env.sandbox is not None
    app_env.sandbox.model.update(tokens=200, delay_s=0.01)
    await idle(pilot, app)
    await open_first(pilot, app)
    await idle(pilot, app)
    app.main.composer.focus()
    await pilot.press(*"fill the disk now", "enter")
    await wait_until(pilot, lambda: len(app.main.chat.messages) == 4, timeout=10)
    disk.fail(errno.ENOSPC, call="write")
    await wait_until(pilot, lambda: not app.main.replying, timeout=20)
    await wait_until(pilot, lambda: len(app.records.pending) == 1, timeout=10)


async def test_quitting_with_a_refused_reply_asks_and_a_sentence_typed_never_answers(
    app_env: AppEnv, disk: DiskFault
) -> None:
    record = app_env.seeded("Thread", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await refuse_a_reply(pilot, app, app_env, disk)

        # ctrl+q and a sentence behind it in one packet (with y's, an enter and a ctrl+q).
        sentence = "yes, you may quit"
        app.post_message(events.Key("ctrl+q", None))
        one_packet(app, sentence)
        for key in ("enter", "ctrl+q", "y"):
            app.post_message(events.Key(key, "y" if key == "y" else None))
        await pilot.pause()
        question = app.screen
        assert isinstance(question, QuitQuestion)
        assert app.is_running and app.records.pending
        await wait_until(pilot, lambda: question.ignored >= len(sentence) + 2)
        assert app.is_running and not app._exit
        body = str(question.query_one(".dialog-body").render())
        assert "1 reply is kept only in memory" in body and "disk is full" in body

        # The safe answer while the disk is still full: tried, said, nothing lost, still on.
        await wait_until(pilot, lambda: question.settled)
        await pilot.press("n")
        await wait_until(pilot, lambda: "Still not stored" in notification_text(app), timeout=10)
        assert app.is_running and len(app.records.pending) == 1
        assert not isinstance(app.screen, QuitQuestion)

        # Asked again once there is room: enter (the safe answer) stores it, then quits.
        await pilot.press("ctrl+q")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, QuitQuestion)
        disk.heal()
        await wait_until(pilot, lambda: question.settled)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app._exit, timeout=10)  # exit() was called
    assert app.records.pending == []
    stored = app_env.store.transcript(record.id)
    assert stored[-2].text == "fill the disk now" and len(stored[-1].text) > 100


async def test_y_quits_anyway_and_the_next_start_says_the_reply_was_not_stored(
    app_env: AppEnv, disk: DiskFault
) -> None:
    app_env.seeded("Thread", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await refuse_a_reply(pilot, app, app_env, disk)
        await pilot.press("ctrl+q")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, QuitQuestion)
        await wait_until(pilot, lambda: question.settled)
        await pilot.press("y")
        await wait_until(pilot, lambda: app._exit, timeout=10)


async def test_nothing_kept_in_memory_quits_at_once(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app._exit, timeout=5)
        assert not isinstance(app.screen, QuitQuestion)
