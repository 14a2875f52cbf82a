"""The chat pane and the composer: open, stream, stop, fail and retry, copy, keys."""

from __future__ import annotations

import pytest
from app_harness import AppEnv, idle, open_first, wait_until
from textual import events
from textual.widgets import Markdown

from tui.app.widgets import composer as composer_module
from tui.app.widgets.composer import PASTE_INLINE_LIMIT, Composer
from tui.app.widgets.message import MessageView
from tui.core.records import Role, ThreadStatus
from tui.sandbox.faults import Fault
from tui.sandbox.model import reply_text, split_tokens


def shown(app) -> list[tuple[str, str]]:
    return [(str(v.turn.role), v.turn.text) for v in app.main.chat.messages]


def reply_view(app) -> MessageView:
    view = app.main.chat.last_view(Role.ASSISTANT)
    assert view is not None
    return view


async def send(pilot, text: str) -> None:
    app = pilot.app
    app.main.composer.focus()
    app.main.composer.load_text(text)
    await pilot.press("enter")


async def test_open_shows_local_transcript_at_once_then_merges_the_server(
    app_env: AppEnv,
) -> None:
    turns = [("user", "one"), ("assistant", "reply one"), ("user", "two"), ("assistant", "two!")]
    record = app_env.seeded("Seeded", turns)
    app_env.store.replace_transcript(record.id, app_env.store.transcript(record.id)[:2])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app_env.sandbox.faults.next(Fault.slow_first_byte(0.5))
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2)
        assert shown(app) == [("user", "one"), ("assistant", "reply one")]
        assert app.main.composer.has_focus
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 4, timeout=10)
        assert shown(app)[2:] == [("user", "two"), ("assistant", "two!")]
        assert len(app_env.store.transcript(record.id)) == 4


async def test_send_in_a_new_chat_creates_the_thread_and_streams_the_reply(
    app_env: AppEnv, openai_client
) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        updates: list[int] = []
        original = Markdown.update

        def counting_update(self: Markdown, markdown: str):  # type: ignore[no-untyped-def]
            updates.append(len(markdown))
            return original(self, markdown)

        Markdown.update = counting_update  # type: ignore[method-assign]
        try:
            await send(pilot, "Hello there\nsecond line")
            await idle(pilot, app, timeout=10)
        finally:
            Markdown.update = original  # type: ignore[method-assign]
        record = app.main.chat.record
        assert record is not None and record.id.startswith("conv_")
        assert record.title == "Hello there"
        expected = reply_text("Hello there\nsecond line")
        assert shown(app) == [("user", "Hello there\nsecond line"), ("assistant", expected)]
        assert reply_view(app).markdown.source == expected
        # The reply arrived through the stream (appends), not one re-render per delta.
        assert updates.count(0) <= 1 and len([n for n in updates if n]) == 0
        stored = app_env.store.transcript(record.id)
        assert [t.text for t in stored] == ["Hello there\nsecond line", expected]
        assert stored[1].usage is not None and stored[1].usage.output_tokens > 0
        footer = reply_view(app).query_one(".message-footer").render()
        assert f"out {stored[1].usage.output_tokens}" in str(footer)
        assert app.main.sidebar.thread_list.options[0].id == record.id
    # The server holds the same conversation, under the work profile's key (acme), titled.
    acme = openai_client("acme")
    conversation = acme.conversations.retrieve(record.id)
    assert conversation.metadata["title"] == "Hello there"
    items = acme.conversations.items.list(record.id, order="asc").data
    said = [(item.role, "".join(part.text for part in item.content)) for item in items]
    assert said == [("user", "Hello there\nsecond line"), ("assistant", expected)]


async def test_escape_stops_the_reply_and_keeps_the_partial_text(app_env: AppEnv) -> None:
    app_env.sandbox.model.update(tokens=400, delay_s=0.02)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await send(pilot, "Tell me a long story")
        await wait_until(pilot, lambda: len(reply_view(app).turn.text) > 40, timeout=10)
        assert app.main.replying
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.main.replying)
        partial = reply_view(app).turn.text
        assert 40 < len(partial) < len(reply_text("Tell me a long story", 400))
        assert reply_view(app).turn.interrupted
        assert "partial reply is kept" in str(reply_view(app).query_one(".message-footer").render())
        record = app_env.store.get(app.main.chat.record.id)
        assert record.status is ThreadStatus.INTERRUPTED
        stored = app_env.store.transcript(record.id)
        assert stored[-1].interrupted and reply_text("Tell me a long story", 400).startswith(
            stored[-1].text
        )
        assert "interrupted" in app.main.sidebar.thread_list.options[0].prompt.visualize().plain


async def test_a_failed_reply_shows_the_error_inline_and_ctrl_r_retries(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await send(pilot, "first")
        await idle(pilot, app, timeout=10)
        app_env.sandbox.faults.next(Fault.fail(after=3), path="/responses$")
        await send(pilot, "second")
        await idle(pilot, app, timeout=15)
        view = reply_view(app)
        assert view.turn.error
        assert view.turn.text == "".join(split_tokens(reply_text("second"))[:3])
        footer = str(view.query_one(".message-footer").render())
        assert view.turn.error in footer and "ctrl+r retries" in footer
        assert app.main.check_action("retry", ()) is True
        await pilot.press("ctrl+r")
        await idle(pilot, app, timeout=10)
        assert reply_view(app).turn.text == reply_text("second")
        assert app.main.check_action("retry", ()) is False


async def test_y_copies_the_focused_message_and_up_down_move_between_messages(
    app_env: AppEnv,
) -> None:
    app_env.record(
        "conv_local", "Local", status=ThreadStatus.GONE,
        turns=[("user", "question [b]one[/b]"), ("assistant", "answer *one*"), ("user", "q2")],
    )
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 3)
        await pilot.press("shift+tab")  # composer → the chat pane (its last message)
        assert app.focused is app.main.chat.messages[2]
        await pilot.press("up")
        assert app.focused is app.main.chat.messages[1]
        await pilot.press("y")
        assert app.clipboard == "answer *one*"
        await pilot.press("k")
        await pilot.press("y")
        assert app.clipboard == "question [b]one[/b]"
        await pilot.press("down", "down", "down")
        assert isinstance(app.focused, Composer)


async def test_composer_enter_sends_ctrl_j_newline_up_recalls(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.main.composer.focus()
        await pilot.press(*"ab", "ctrl+j", *"cd")
        assert app.main.composer.text == "ab\ncd"
        await pilot.press("enter")
        assert app.main.composer.text == ""
        await idle(pilot, app, timeout=10)
        assert app_env.store.transcript(app.main.chat.record.id)[0].text == "ab\ncd"
        app.main.composer.focus()
        await pilot.press("up")
        assert app.main.composer.text == "ab\ncd"
        await pilot.press("down")
        assert app.main.composer.text == ""


async def test_a_one_megabyte_paste_is_kept_aside_and_sent_in_full(app_env: AppEnv) -> None:
    big = ("0123456789" * 7 + "\n") * 14_000  # ~1 MB, 14,000 lines
    app_env.sandbox.model.update(tokens=50)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.main.composer.focus()
        await pilot.press(*"see:", "space")
        app.main.composer.post_message(events.Paste(big))
        await pilot.pause()
        assert len(app.main.composer.text) < 200 and "paste 1" in app.main.composer.text
        assert len(big) > PASTE_INLINE_LIMIT
        await pilot.press("enter")
        await idle(pilot, app, timeout=20)
        assert app_env.store.transcript(app.main.chat.record.id)[0].text == "see: " + big
        mine = app.main.chat.messages[0]
        assert mine.turn.text == "see: " + big
        assert "more characters not shown" in str(mine.query_one(".message-footer").render())


async def test_a_recalled_paste_is_sent_whole_and_pastes_leave_with_the_history(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paste kept aside lives as long as a prompt in the history names it: recalling the
    prompt sends the whole paste again; once the history forgets it, so does the composer."""
    monkeypatch.setattr(composer_module, "HISTORY_LIMIT", 2)
    big = "pasted line\n" * 2_000  # over PASTE_INLINE_LIMIT: kept aside as a token
    app_env.sandbox.model.update(tokens=5)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        composer = app.main.composer
        composer.focus()
        composer.post_message(events.Paste(big))
        await pilot.pause()
        await pilot.press("enter")
        await idle(pilot, app, timeout=20)
        await pilot.press("up", "enter")  # recall the prompt (a token) and send it again
        await idle(pilot, app, timeout=20)
        sent = [t.text for t in app_env.store.transcript(app.main.chat.record.id)
                if t.role.value == "user"]
        assert sent == [big, big]
        assert composer.held_pastes == 1
        for words in ("one more", "and another"):
            await pilot.press(*words, "enter")
            await idle(pilot, app, timeout=20)
        assert composer.held_pastes == 0  # no prompt in the history names it any more


async def test_the_view_follows_the_stream_only_while_at_the_bottom(app_env: AppEnv) -> None:
    app_env.sandbox.model.update(tokens=300, delay_s=0.004)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await send(pilot, "long")
        transcript = app.main.chat.transcript
        await wait_until(pilot, lambda: transcript.max_scroll_y > 5, timeout=10)
        assert transcript.scroll_y == transcript.max_scroll_y  # following
        transcript.scroll_home(animate=False)
        await pilot.pause()
        await wait_until(pilot, lambda: not app.main.replying, timeout=20)
        await pilot.pause()
        assert transcript.scroll_y == 0 and transcript.max_scroll_y > 20


async def test_opening_another_thread_mid_reply_keeps_the_reply(app_env: AppEnv) -> None:
    app_env.sandbox.model.update(tokens=200, delay_s=0.01)
    app_env.record("conv_other", "Other", status=ThreadStatus.GONE, age_days=3,
                   turns=[("user", "old")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await send(pilot, "keep going")
        await wait_until(pilot, lambda: len(reply_view(app).turn.text) > 20, timeout=10)
        thread_id = app.main.chat.record.id
        app.main.open_thread("conv_other")
        await wait_until(pilot, lambda: app.main.chat.record.id == "conv_other")
        await wait_until(pilot, lambda: not app.main.replying, timeout=15)
        stored = app_env.store.transcript(thread_id)
        assert stored[-1].text == reply_text("keep going", 200)
        assert not stored[-1].interrupted
        app.main.open_thread(thread_id)
        await idle(pilot, app)
        assert shown(app)[-1] == ("assistant", reply_text("keep going", 200))


async def test_a_long_thread_shows_the_newest_messages_and_the_rest_on_demand(
    app_env: AppEnv,
) -> None:
    turns = [("user" if n % 2 == 0 else "assistant", f"message {n}") for n in range(50)]
    app_env.record("conv_long", "Long", status=ThreadStatus.GONE, turns=turns)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 40)
        assert shown(app)[0] == ("user", "message 10")
        await pilot.press("shift+tab")
        assert app.focused is app.main.chat.messages[-1]
        app.main.chat.focus_message(app.main.chat.messages[0])  # (40 presses of up, quicker)
        await pilot.press("up")
        assert app.focused.__class__.__name__ == "EarlierMessages"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 50)
        assert shown(app)[0] == ("user", "message 0")


def test_message_time_shows_the_date_once_a_day_has_passed() -> None:
    from app_harness import DAY, NOW

    from tui.app.formatting import message_time

    assert message_time(NOW - 3600, NOW) == "13:13"  # 2026-09-21 14:13 UTC, an hour before
    assert message_time(NOW - 1.5 * DAY, NOW) == "2026-09-20 02:13"
    assert message_time(NOW - 30 * DAY, NOW) == "2026-08-22 14:13"


async def test_an_old_thread_shows_the_date_in_its_message_headers(app_env) -> None:
    from app_harness import idle, wait_until

    from tui.app.widgets.message import MessageView

    app_env.seeded("Old", [("user", "hi"), ("assistant", "hello")], age_days=3)
    app = app_env.make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.query(MessageView)) == 2)
        await pilot.pause()
        headers = [str(h.render()) for h in app.query(".message-header")]
        assert all("2026-09-18" in header for header in headers), headers
