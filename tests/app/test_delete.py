"""d: confirm, delete on the server (conversation and stored responses), then locally."""

from __future__ import annotations

import openai
import pytest
from app_harness import AppEnv, idle, notification_text, wait_until

from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.foreign import ForeignThreadScreen
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
        app.main.sidebar.thread_list.focus()
        await pilot.press("d", "y")
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
        app.main.sidebar.thread_list.focus()
        await pilot.press("d", "y")
        await idle(pilot, app, timeout=20)
        assert "could not remove 1" in notification_text(app)
        kept = app_env.store.get(thread_id)
        assert kept is not None and kept.status is ThreadStatus.GONE
        assert "gone" in app.main.sidebar.thread_list.options[0].prompt.visualize().plain


async def test_deleting_another_profiles_thread_runs_the_404_flow(app_env: AppEnv) -> None:
    app_env.seeded("Home", [("user", "hi")], profile="home")
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("d", "y")
        await wait_until(pilot, lambda: isinstance(app.screen, ForeignThreadScreen), timeout=10)
        assert app.screen.owner.name == "home"
        await pilot.press("y")
        await wait_until(pilot, lambda: app.main.profile_name == "home")
        await idle(pilot, app)
        app.main.sidebar.thread_list.focus()
        await pilot.press("d", "y")
        await idle(pilot, app, timeout=10)
        assert app.main.sidebar.thread_list.option_count == 0
