"""Continue, move and regenerate from the keyboard, against the sandbox over real HTTP."""

from __future__ import annotations

from app_harness import ENV, AppEnv, burst, idle, notification_text, open_first, to_list, wait_until
from textual import events
from textual.widgets import Input

from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.profile_picker import ProfilePicker
from tui.core.continuation import CONTINUED_AS, CONTINUED_FROM
from tui.core.records import ThreadRecord
from tui.sandbox import reply_text

TURNS = [("user", "plan the offsite"), ("assistant", "Day one: arrive.")]


async def settle_picker(pilot, app) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(app.screen, ProfilePicker))
    await pilot.pause(0.5)  # the picker takes a choice once it has settled


async def test_c_in_the_sidebar_continues_the_thread_under_the_profile_picked(
    app_env: AppEnv,
) -> None:
    original = app_env.seeded("Offsite", TURNS)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("c")
        await settle_picker(pilot, app)
        await pilot.press("h", "o", "m", "e", "enter")
        await wait_until(pilot, lambda_new_open(app, original), timeout=10)
        await idle(pilot, app)
        new = app.main.chat.record
        assert new.profile == "home" and new.id != original.id
        assert [v.turn.text for v in app.main.chat.messages] == [t for _, t in TURNS]
        assert "continued" in notification_text(app)
        assert app.main.sidebar.count == 2
        header = str(app.main.chat.query_one("#chat-header").render())
        assert f"continued from {original.id[:30]}" in header  # cut to fit
        assert "foreign" not in header and app.main.profile_name == "home"  # switched to it
    stored_new = app_env.store.get(new.id)
    stored_old = app_env.store.get(original.id)
    assert stored_new.server_meta[CONTINUED_FROM]["id"] == original.id
    assert stored_old.server_meta[CONTINUED_AS][0]["id"] == new.id


def lambda_new_open(app, original: ThreadRecord):  # type: ignore[no-untyped-def]
    def opened() -> bool:
        shown = app.main.chat.record
        return shown is not None and shown.id != original.id and bool(app.main.chat.messages)

    return opened


async def test_an_enter_typed_ahead_with_c_does_not_continue_anything(app_env: AppEnv) -> None:
    app_env.seeded("Offsite", TURNS)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        burst(app, "chome\r")  # one SSH packet: c, a profile's name, enter
        await pilot.pause(0.6)
        await idle(pilot, app)
        assert len(app_env.store) == 1  # nothing was copied
        assert isinstance(app.screen, ProfilePicker)  # still asking
        # Every letter typed with the c is the filter's, the first one too.
        assert app.screen.query_one(Input).value == "home"
        await pilot.press("escape")


async def test_move_from_the_palette_asks_then_deletes_the_original(app_env: AppEnv) -> None:
    original = app_env.seeded("Offsite", TURNS)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        app.main.action_continue_thread(move=True)
        await settle_picker(pilot, app)
        await pilot.press(*"home", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # keys other than y keep everything
        await idle(pilot, app)
        assert len(app_env.store) == 1
        app.main.action_continue_thread(move=True)
        await settle_picker(pilot, app)
        await pilot.press(*"home", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen)
                         and app.screen.settled)
        await pilot.press("y")
        await wait_until(pilot, lambda_new_open(app, original), timeout=10)
        await idle(pilot, app)
        assert original.id not in app_env.store
        assert app.main.sidebar.get(original.id) is None and app.main.sidebar.count == 1
    assert app_env.sandbox is not None  # really deleted on the server
    assert app_env.sandbox.services.store.conversations[original.id].deleted


async def test_ctrl_g_regenerates_the_last_reply_and_keeps_the_old_one(app_env: AppEnv) -> None:
    record = app_env.seeded("Offsite", TURNS)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        app.main.composer.focus()
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: app_env.store.transcript(record.id)[-1].alternatives,
                         timeout=10)
        await idle(pilot, app)
        shown = [v.turn.text for v in app.main.chat.messages]
        assert shown == ["plan the offsite", reply_text("plan the offsite")]
        # [ and ] page through the reply's versions; y copies the one shown.
        view = app.main.chat.messages[-1]
        app.main.chat.focus_message(view)
        await pilot.pause()
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert view.markdown is not None and view.markdown.source == "Day one: arrive."
        assert "version 2 of 2 (replaced)" in str(view.query_one(".message-header").render())
        await pilot.press("y")
        assert app.clipboard == "Day one: arrive."
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert view.markdown.source == reply_text("plan the offsite")
    last = app_env.store.transcript(record.id)[-1]
    assert [[t.text for t in alt] for alt in last.alternatives] == [["Day one: arrive."]]
    assert ENV  # the sandbox answered under the work key


async def test_m_and_i_set_the_threads_model_and_instructions_and_the_next_send_uses_them(
    app_env: AppEnv,
) -> None:
    from tui.app.screens.thread_settings import InstructionsScreen, ModelPicker

    record = app_env.seeded("Offsite", TURNS)
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPicker))
        await pilot.pause(0.5)
        shown = "\n".join(str(o.prompt) for o in app.screen.query_one("#model-list").options)
        assert "gpt-4.1-mini  · shuts down 2027-01-14  · this thread's" in shown
        await pilot.press(*"gpt-4o", "enter")  # the best match is highlighted first
        await wait_until(pilot, lambda: app_env.store.get(record.id).model == "gpt-4o")
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InstructionsScreen))
        await pilot.pause(0.5)
        await pilot.press(*"Answer in French.", "ctrl+s")
        await wait_until(pilot,
                         lambda: app_env.store.get(record.id).instructions == "Answer in French.")
        await pilot.press("enter")  # open the thread; the composer takes the keyboard
        await idle(pilot, app)
        app.main.composer.load_text("and day two?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app_env.store.transcript(record.id)) == 4,
                         timeout=10)
        await idle(pilot, app)
    assert app_env.sandbox is not None
    sent = app_env.sandbox.requests(r"/responses$")[-1]
    assert sent["model"] == "gpt-4o" and sent["instructions"] == "Answer in French."


async def test_keys_typed_ahead_with_m_or_i_change_nothing(app_env: AppEnv) -> None:
    from tui.app.screens.thread_settings import InstructionsScreen

    record = app_env.seeded("Offsite", TURNS)
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        burst(app, "mgpt-4o\r")  # the picker opens once the models are read: too late
        await pilot.pause(0.6)
        await idle(pilot, app)
        if app.screen is not app.main:
            await pilot.press("escape")
            await idle(pilot, app)
        await to_list(pilot, app)
        burst(app, "ibe rude")
        app.post_message(events.Key("ctrl+s", None))
        await pilot.pause(0.6)
        assert isinstance(app.screen, InstructionsScreen)  # ctrl+s came before it settled
        await pilot.press("escape")
        await idle(pilot, app)
    stored = app_env.store.get(record.id)
    assert stored.model == "gpt-4.1-mini" and stored.instructions is None


async def test_e_on_a_question_forks_a_thread_with_the_edited_question(app_env: AppEnv) -> None:
    from tui.app.screens.thread_settings import ForkEditScreen
    from tui.app.widgets.message import MessageView
    from tui.core.continuation import FORKED_FROM

    turns = [("user", "one"), ("assistant", "reply one"), ("user", "two"),
             ("assistant", "reply two")]
    original = app_env.seeded("Numbers", turns)
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        views = app.main.chat.messages
        app.main.chat.focus_message(views[2])  # the second question
        await pilot.pause()
        assert isinstance(app.focused, MessageView)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ForkEditScreen))
        await pilot.pause(0.5)
        editor = app.screen.query_one("#instructions-text")
        editor.load_text("two, edited")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.main.chat.record is not None
                         and app.main.chat.record.id != original.id
                         and len(app.main.chat.messages) == 4 and not app.main.replying,
                         timeout=10)
        await idle(pilot, app)
        fork = app.main.chat.record
        assert [v.turn.text for v in app.main.chat.messages] == [
            "one", "reply one", "two, edited", reply_text("two, edited")]
    assert [t.text for t in app_env.store.transcript(original.id)] == [t for _, t in turns]
    stored = app_env.store.get(fork.id)
    assert stored.server_meta[FORKED_FROM] == {**stored.server_meta[FORKED_FROM],
                                               "id": original.id, "message": 3}
