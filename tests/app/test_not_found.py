"""The 404 flow: name the owner and offer a switch; no owner: gone, readable, forgettable."""

from __future__ import annotations

from app_harness import ENV, AppEnv, idle, notification_text, wait_until

from tui.app.screens.foreign import ForeignThreadScreen
from tui.core.records import ThreadStatus


async def test_record_of_another_profile_offers_that_profile_and_y_switches(
    app_env: AppEnv,
) -> None:
    record = app_env.seeded("Sourdough", [("user", "feed?"), ("assistant", "Friday")],
                            profile="home")
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ForeignThreadScreen))
        screen = app.screen
        assert screen.owner is not None and screen.owner.name == "home"
        text = " ".join(str(s.render()) for s in screen.query(".dialog-body"))
        assert "home (personal" in text and record.id in text and "work" in text
        await pilot.press("y")
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
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ForeignThreadScreen), timeout=10)
        assert app.screen.owner.name == "home"
        await pilot.press("n")
        await idle(pilot, app)
        assert app.main.profile_name == "work"
        stored = app_env.store.get(thread_id)
        assert stored.profile == "home" and stored.status is ThreadStatus.FOREIGN
        assert stored.organization == "personal"
        row = app.main.sidebar.thread_list.options[0].prompt.visualize().plain
        assert "foreign" in row and "home/personal" in row


async def test_a_thread_no_profile_sees_is_gone_readable_and_can_be_forgotten(
    app_env: AppEnv,
) -> None:
    app_env.record("conv_vanished", "Vanished", turns=[("user", "hello"), ("assistant", "hi")])
    app_env.record("conv_other", "Other", age_days=5, status=ThreadStatus.GONE)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ForeignThreadScreen), timeout=10)
        assert app.screen.owner is None
        body = str(app.screen.query_one(".dialog-body").render())
        assert "No profile can see" in body
        await pilot.press("n")
        await idle(pilot, app)
        assert app_env.store.get("conv_vanished").status is ThreadStatus.GONE
        assert [v.turn.text for v in app.main.chat.messages] == ["hello", "hi"]  # still readable
        assert app.main.composer.read_only
        assert "gone" in app.main.sidebar.thread_list.options[0].prompt.visualize().plain
        # Opening it again does not ask the server; delete on a gone thread forgets it.
        await pilot.press("enter")
        await idle(pilot, app)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await idle(pilot, app)
        assert app_env.store.get("conv_vanished") is None
        assert [o.id for o in app.main.sidebar.thread_list.options] == ["conv_other"]


async def test_forget_locally_from_the_gone_prompt(app_env: AppEnv) -> None:
    app_env.record("conv_vanished", "Vanished", turns=[("user", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ForeignThreadScreen), timeout=10)
        await pilot.press("y")  # not offered without an owner: nothing happens
        assert isinstance(app.screen, ForeignThreadScreen)
        await pilot.press("f")
        await idle(pilot, app)
        assert app_env.store.get("conv_vanished") is None
        assert app.main.sidebar.thread_list.option_count == 0
        assert app.main.chat.record is None and app.main.sidebar.thread_list.has_focus


async def test_sending_to_a_thread_deleted_elsewhere_runs_the_flow(
    app_env: AppEnv, openai_client
) -> None:
    record = app_env.seeded("Doomed", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("enter")
        await idle(pilot, app)
        openai_client("acme").conversations.delete(record.id)
        app.main.composer.load_text("still there?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ForeignThreadScreen), timeout=10)
        assert app.screen.owner is None
        await pilot.press("n")
        await idle(pilot, app)
        stored = app_env.store.transcript(record.id)
        assert stored[-2].text == "still there?"  # what was typed is kept
        assert app_env.store.get(record.id).status is ThreadStatus.GONE


async def test_titles_with_markup_are_safe_in_notifications(app_env: AppEnv) -> None:
    app_env.record("conv_vanished", "[/oops] [b]x", turns=[("user", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ForeignThreadScreen), timeout=10)
        await pilot.press("f")
        await idle(pilot, app)
        assert "[/oops] [b]x" in notification_text(app)
