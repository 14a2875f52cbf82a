"""d: confirm, delete on the server (conversation and stored responses), then locally."""

from __future__ import annotations

import openai
import pytest
from app_harness import AppEnv, answer_question, idle, notification_text, to_list, wait_until

from tui.app.screens.confirm import ConfirmScreen
from tui.core.records import ThreadStatus
from tui.sandbox.faults import Fault


async def make_thread_with_a_reply(pilot, app) -> str:
    app.main.composer.focus()
    app.main.composer.load_text("make a response")
    await pilot.press("enter")
    await idle(pilot, app, timeout=10)
    return app.main.chat.record.id


async def test_delete_asks_first_and_n_keeps_everything(app_env: AppEnv) -> None:
    record = app_env.seeded("Keep me", [("user", "hi")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one(".dialog-body").render())
        assert "Keep me" in body and record.id in body and "work" in body
        await pilot.press("n")
        await idle(pilot, app)
        assert app_env.store.get(record.id) is not None


async def test_delete_removes_the_conversation_its_responses_and_the_record(
    app_env: AppEnv, openai_client
) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        thread_id = await make_thread_with_a_reply(pilot, app)
        response_ids = app_env.store.get(thread_id).server_meta.get("response_ids")
        assert response_ids
        await to_list(pilot, app)
        await pilot.press("d")
        await answer_question(pilot, app, "y")
        await idle(pilot, app, timeout=10)
        assert app_env.store.get(thread_id) is None
        assert app.main.sidebar.thread_list.option_count == 0
        assert app.main.chat.record is None
        told = notification_text(app)
        assert f"{thread_id} deleted on the server, 1 stored response removed" in told
        assert ": deleted" not in told and "(s)" not in told  # issue 12: "Deleted X: deleted"
        client = openai_client("acme")
        with pytest.raises(openai.NotFoundError):
            client.conversations.retrieve(thread_id)
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(response_ids[0])


async def test_what_could_not_be_deleted_is_said_and_kept(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        thread_id = await make_thread_with_a_reply(pilot, app)
        app_env.sandbox.faults.next(
            Fault.server_error(), times=10, path="/responses/", method="DELETE"
        )
        await to_list(pilot, app)
        await pilot.press("d")
        await answer_question(pilot, app, "y")
        await idle(pilot, app, timeout=20)
        assert "could not remove 1" in notification_text(app)
        kept = app_env.store.get(thread_id)
        assert kept is not None and kept.status is ThreadStatus.GONE
        assert "gone" in app.main.sidebar.thread_list.options[0].prompt.visualize().plain


async def test_another_profiles_thread_is_deleted_with_the_profile_that_made_it(
    app_env: AppEnv, openai_client
) -> None:
    """The question names the owning profile, and its key deletes the thread for real; the
    active profile (which would only get a 404) is not involved."""
    record = app_env.seeded("Home", [("user", "hi")], profile="home")
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("d")
        body = str(app.screen.query_one(".dialog-body").render())
        assert "profile home" in body and "profile work" not in body
        await answer_question(pilot, app, "y")
        await idle(pilot, app, timeout=10)
        assert app.main.profile_name == "work"
        assert app.main.sidebar.thread_list.option_count == 0
        assert app_env.store.get(record.id) is None
        with pytest.raises(openai.NotFoundError):
            openai_client("personal").conversations.retrieve(record.id)


async def test_a_deleted_thread_comes_back_from_the_palettes_trash_entry(
    app_env: AppEnv,
) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        thread_id = await make_thread_with_a_reply(pilot, app)
        await to_list(pilot, app)
        await pilot.press("d")
        await answer_question(pilot, app, "y")
        await idle(pilot, app, timeout=10)
        assert app_env.store.get(thread_id) is None
        app.action_restore_last_deleted()  # what the palette's "Trash… restore last deleted" runs
        await idle(pilot, app, timeout=10)
        restored = app_env.store.get(thread_id)
        assert restored is not None and restored.status == ThreadStatus.GONE
        assert len(app_env.store.transcript(thread_id)) == 2
        await wait_until(pilot, lambda: app.main.sidebar.thread_list.option_count == 1)
        assert "deleted on the server; marked gone" in notification_text(app)
        app.action_restore_last_deleted()
        await idle(pilot, app)
        assert "The trash is empty" in notification_text(app)


async def test_after_a_delete_the_cursor_stays_with_the_neighbouring_row(
    app_env: AppEnv,
) -> None:
    """Deleting several threads one after another must not send the cursor to the top."""
    for n in range(4):
        app_env.record(f"conv_{n}", f"Thread {n}", age_days=n + 1, status=ThreadStatus.GONE)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("j", "j")  # Thread 2
        await pilot.press("d")
        await answer_question(pilot, app, "y")  # gone: forgotten locally
        await idle(pilot, app)
        listing = app.main.sidebar.thread_list
        assert [o.id for o in listing.options] == ["conv_0", "conv_1", "conv_3"]
        assert listing.highlighted_id == "conv_3"  # the next row, not the top
        await pilot.press("d")
        await answer_question(pilot, app, "y")
        await idle(pilot, app)
        assert listing.highlighted_id == "conv_1"  # the last row gone: the one before
