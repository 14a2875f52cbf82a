"""The 404 flow: name the owner and offer a switch; no owner: gone, readable, forgettable."""

from __future__ import annotations

from app_harness import (
    ENV,
    AppEnv,
    answer_prompt,
    answer_question,
    idle,
    notification_text,
    open_first,
    owner_prompt,
    wait_until,
)

from tui.app.screens.confirm import ConfirmScreen
from tui.core.records import ThreadStatus


def prompt_text(app) -> str:
    return str(owner_prompt(app).render())


async def test_record_of_another_profile_offers_that_profile_and_y_switches(
    app_env: AppEnv,
) -> None:
    record = app_env.seeded("Sourdough", [("user", "feed?"), ("assistant", "Friday")],
                            profile="home")
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: owner_prompt(app) is not None)
        prompt = owner_prompt(app)
        assert prompt.owner is not None and prompt.owner.name == "home"
        text = prompt_text(app)
        assert "home (personal" in text and record.id in text and "work" in text
        assert app.focused is app.main.composer  # the prompt did not take the keyboard
        await answer_prompt(pilot, app, "y")
        await wait_until(pilot, lambda: app.main.profile_name == "home")
        await idle(pilot, app)
        assert app.main.chat.record.id == record.id
        assert [v.turn.text for v in app.main.chat.messages] == ["feed?", "Friday"]
        assert app_env.store.get(record.id).status is ThreadStatus.OK


async def test_misfiled_thread_is_found_by_probing_and_n_stays(app_env: AppEnv) -> None:
    thread_id = app_env.sandbox.seed_conversation(ENV["TT_HOME_KEY"], title="Trip",
                                                   turns=[("user", "pack?")])
    app_env.record(thread_id, "Trip", profile="work", turns=[("user", "pack?")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
        assert owner_prompt(app).owner.name == "home"
        await answer_prompt(pilot, app, "n")
        await idle(pilot, app)
        assert app.main.profile_name == "work"
        stored = app_env.store.get(thread_id)
        assert stored.profile == "home" and stored.status is ThreadStatus.OK  # foreign: computed
        assert stored.organization == "personal"
        row = app.main.sidebar.thread_list.options[0].prompt.visualize().plain
        assert "foreign" in row and "home/personal" in row
        # "Foreign" is relative to the active profile: under its owner it is not.
        app.main.activate_profile("home")
        await idle(pilot, app)
        row = app.main.sidebar.thread_list.options[0].prompt.visualize().plain
        assert "foreign" not in row and "home/personal" in row


async def test_a_thread_no_profile_sees_is_gone_readable_and_can_be_forgotten(
    app_env: AppEnv,
) -> None:
    app_env.record("conv_vanished", "Vanished", turns=[("user", "hello"), ("assistant", "hi")])
    app_env.record("conv_other", "Other", age_days=5, status=ThreadStatus.GONE)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
        assert owner_prompt(app).owner is None
        assert "No profile can see" in prompt_text(app)
        await answer_prompt(pilot, app, "n")
        await idle(pilot, app)
        assert owner_prompt(app) is None
        assert app_env.store.get("conv_vanished").status is ThreadStatus.GONE
        assert [v.turn.text for v in app.main.chat.messages] == ["hello", "hi"]  # still readable
        assert "gone" in app.main.sidebar.thread_list.options[0].prompt.visualize().plain
        # Opening it again does not ask the server; delete on a gone thread forgets it.
        await open_first(pilot, app)
        await idle(pilot, app)
        assert owner_prompt(app) is None
        await pilot.press("escape", "d")
        await answer_question(pilot, app, "y")
        await idle(pilot, app)
        assert app_env.store.get("conv_vanished") is None
        assert [o.id for o in app.main.sidebar.thread_list.options] == ["conv_other"]


async def test_forget_locally_from_the_gone_prompt(app_env: AppEnv) -> None:
    app_env.record("conv_vanished", "Vanished", turns=[("user", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
        await answer_prompt(pilot, app, "y")  # not offered without an owner: nothing happens
        assert owner_prompt(app) is not None and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("f")  # forgetting asks first
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await answer_question(pilot, app, "y")
        await idle(pilot, app)
        assert app_env.store.get("conv_vanished") is None
        assert app.main.sidebar.thread_list.option_count == 0
        assert app.main.chat.record is None


async def test_sending_to_a_thread_deleted_elsewhere_runs_the_flow(
    app_env: AppEnv, openai_client
) -> None:
    record = app_env.seeded("Doomed", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        openai_client("acme").conversations.delete(record.id)
        app.main.composer.load_text("still there?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
        assert owner_prompt(app).owner is None
        await answer_prompt(pilot, app, "n")
        await idle(pilot, app)
        stored = app_env.store.transcript(record.id)
        assert stored[-2].text == "still there?"  # what was typed is kept
        assert app_env.store.get(record.id).status is ThreadStatus.GONE


async def test_titles_with_markup_are_safe_in_notifications(app_env: AppEnv) -> None:
    app_env.record("conv_vanished", "[/oops] [b]x", turns=[("user", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
        await answer_prompt(pilot, app, "f")
        await answer_question(pilot, app, "y")
        await idle(pilot, app)
        assert "[/oops] [b]x" in notification_text(app)
