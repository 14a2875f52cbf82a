"""Issue 16 through the running app, over real HTTP against the sandbox: refusals are marked as
they stream and after reopening, ctrl+r puts the question in a conversation once, and a legacy
thread on OpenAI's API is retired (never another organization's, nobody probed)."""

from __future__ import annotations

import pytest
from app_harness import AppEnv, idle, open_first, owner_prompt, screen_lines, wait_until

from tui.app.widgets.message import MessageView
from tui.core import ownership
from tui.core.records import Dialect, Role, ThreadStatus
from tui.sandbox import ACME_KEY
from tui.sandbox.faults import Fault
from tui.sandbox.model import reply_text
from tui.sandbox.routes_responses import REFUSAL_TEXT


def reply_view(app) -> MessageView:
    view = app.main.chat.last_view(Role.ASSISTANT)
    assert view is not None
    return view


def header(view: MessageView) -> str:
    return str(view.query_one(".message-header").render())


async def send(pilot, text: str) -> None:
    pilot.app.main.composer.focus()
    pilot.app.main.composer.load_text(text)
    await pilot.press("enter")


# ---------------------------------------------------------------- 7. refusals


async def test_a_refusal_is_labelled_while_it_streams_and_after_reopening(
    app_env: AppEnv,
) -> None:
    assert app_env.sandbox is not None
    app_env.sandbox.model.update(delay_s=0.05)  # slow enough to look at it mid-stream
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await send(pilot, "first")
        await idle(pilot, app, timeout=15)
        assert "refused" not in header(reply_view(app))  # an ordinary reply is not marked
        app_env.sandbox.faults.next(Fault.refusal(), path=r"/responses$")
        await send(pilot, "something bad")
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 4
                         and reply_view(app).turn.text != "", timeout=10)
        assert app.main.replying and reply_view(app).streaming
        assert "refused" in header(reply_view(app))
        await idle(pilot, app, timeout=15)
        view = reply_view(app)
        assert view.turn.text == REFUSAL_TEXT and view.turn.refusal
        assert "refused" in header(view)
        record = app.main.chat.record
        assert app_env.store.transcript(record.id)[-1].refusal
        # Reopened: from the record, then merged with the server's items.
        await open_first(pilot, app)
        await idle(pilot, app, timeout=10)
        views = app.main.chat.messages
        assert [v.turn.text for v in views][-1] == REFUSAL_TEXT
        assert "refused" in header(views[-1]) and "refused" not in header(views[1])


# ---------------------------------------------------------------- 9. a retry asks once


@pytest.mark.parametrize("leaves", ["nothing", "input", "partial"])
async def test_ctrl_r_puts_the_question_in_the_conversation_once(
    app_env: AppEnv, openai_client, leaves: str,
) -> None:
    assert app_env.sandbox is not None
    app_env.sandbox.features.failed_turns = leaves
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await send(pilot, "first")
        await idle(pilot, app, timeout=10)
        app_env.sandbox.faults.next(Fault.cut(after=3), path=r"/responses$")
        await send(pilot, "second")
        await idle(pilot, app, timeout=15)
        assert reply_view(app).turn.interrupted
        await pilot.press("ctrl+r")
        await idle(pilot, app, timeout=10)
        assert reply_view(app).turn.text == reply_text("second")
        on_screen = [v.turn.text for v in app.main.chat.messages if v.turn.role is Role.USER]
        assert on_screen == ["first", "second"]
        record = app.main.chat.record
        local = app_env.store.transcript(record.id)
        assert [t.text for t in local if t.role is Role.USER] == ["first", "second"]
        # Reopened, the screen shows what the record and the server agree on.
        await open_first(pilot, app)
        await idle(pilot, app, timeout=10)
        on_screen = [v.turn.text for v in app.main.chat.messages if v.turn.role is Role.USER]
        assert on_screen == ["first", "second"]
    items = openai_client("acme").conversations.items.list(record.id, order="asc").data
    questions = ["".join(p.text for p in item.content) for item in items if item.role == "user"]
    assert questions == ["first", "second"]


# ---------------------------------------------------------------- 10. retired threads


async def test_a_legacy_thread_on_openai_shows_as_retired_and_nobody_is_probed(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox plays api.openai.com after the shutdown (the Assistants API answers 404);
    the thread is shown as retired, read-only, with its transcript, and no profile is asked."""
    assert app_env.sandbox is not None
    thread_id = app_env.sandbox.seed_thread(ACME_KEY, turns=[("user", "old"), ("assistant", "x")])
    app_env.sandbox.features.assistants = False
    monkeypatch.setattr(ownership, "is_openai", lambda url: True)
    probed: list[str] = []

    async def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        probed.append("find_owner")
        raise AssertionError("a retired thread must not be probed")

    monkeypatch.setattr(ownership, "find_owner", spy)
    app_env.record(thread_id, "Legacy", profile="home", api=Dialect.ASSISTANTS,
                   turns=[("user", "old question"), ("assistant", "old answer")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        for _ in range(2):  # and again once it is stored as retired
            await open_first(pilot, app)
            await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=10)
            prompt = owner_prompt(app)
            text = str(prompt.render())
            assert prompt.retired and prompt.owner is None
            assert "retired" in text and "2026-08-26" in text and "read-only" in text
            assert "another" not in text and "belongs" not in text
            assert [v.turn.text for v in app.main.chat.messages] == ["old question", "old answer"]
            await idle(pilot, app)
            assert app_env.store.get(thread_id).status is ThreadStatus.GONE
        assert probed == []
        # The sidebar and the chat header say retired: not gone, not another profile's.
        shown = "\n".join(screen_lines(app))
        assert shown.count("retired") >= 2 and " gone " not in shown and "foreign" not in shown
        # Read-only: a message is refused and the text kept.
        await send(pilot, "hello?")
        await idle(pilot, app)
        assert app.main.composer.text == "hello?"
        assert len(app.main.chat.messages) == 2


# ---------------------------------------------------------------- 12. data residency


@pytest.fixture
def two_hosts(sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Two of OpenAI's hosts for one account: ``sandbox`` is the regional one (where the
    thread was made), a second sandbox the global one the profiles now point at. Each holds
    only its own data, as the real hosts do."""
    from app_harness import make_app_env

    from tui.core.api import servers
    from tui.sandbox import ModelSettings, Sandbox, default_tenancy

    monkeypatch.setattr(servers, "is_openai", lambda url: True)
    monkeypatch.setattr(ownership, "is_openai", lambda url: True)
    global_host = Sandbox(default_tenancy(), ModelSettings()).start()
    env = make_app_env(tmp_path, global_host.base_url, sandbox)  # records: made on sandbox
    try:
        yield env, global_host
    finally:
        env.store.close()
        global_host.stop()


async def test_a_thread_made_on_a_regional_host_is_opened_and_continued_there(
    two_hosts, openai_client,  # type: ignore[no-untyped-def]
) -> None:
    env, global_host = two_hosts
    record = env.seeded("EU thread", [("user", "hello eu"), ("assistant", "hi from eu")])
    env.store.replace_transcript(record.id, env.store.transcript(record.id)[:1])
    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2, timeout=10)
        await idle(pilot, app)
        assert owner_prompt(app) is None  # found where it was made: no 404, no prompt
        assert [v.turn.text for v in app.main.chat.messages] == ["hello eu", "hi from eu"]
        await send(pilot, "still there?")
        await idle(pilot, app, timeout=10)
        assert reply_view(app).turn.text == reply_text("still there?")
        assert env.store.get(record.id).status is ThreadStatus.OK
    items = openai_client("acme").conversations.items.list(record.id, order="asc").data
    assert [item.role for item in items] == ["user", "assistant", "user", "assistant"]
    with global_host.store.lock:
        assert record.id not in global_host.store.conversations


# ---------------------------------------------------------------- 6. incomplete replies


@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
async def test_an_incomplete_reply_says_why_and_ctrl_r_does_not_repeat_it(
    app_env: AppEnv, reason: str,
) -> None:
    assert app_env.sandbox is not None
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app_env.sandbox.faults.next(Fault.incomplete(after=3, reason=reason),
                                    path=r"/responses$")
        await send(pilot, "a very long essay")
        await idle(pilot, app, timeout=10)
        view = reply_view(app)
        footer = str(view.query_one(".message-footer").render())
        assert reason in footer or "content filter" in footer
        assert "would stop the same way" in footer
        assert "ctrl+r" not in footer
        assert app.main.check_action("retry", ()) is False
        sent_before = len(app_env.store.transcript(app.main.chat.record.id))
        await pilot.press("ctrl+r")
        await idle(pilot, app)
        assert len(app_env.store.transcript(app.main.chat.record.id)) == sent_before


# ---------------------------------------------------------------- 2. no /v1/conversations


@pytest.mark.parametrize("style", ["invalid_url", "detail", "405"])
async def test_a_new_chat_on_a_server_without_conversations_names_the_fix(
    app_env: AppEnv, style: str,
) -> None:
    """A local model server under the default dialect: the new chat is refused with the
    profile's fix (api = "chat"), never as a missing thread; the question is back in the
    composer and the opened threads are left as they were."""
    from app_harness import notification_text

    assert app_env.sandbox is not None
    app_env.record("conv_kept", "Kept", turns=[("user", "q"), ("assistant", "a")])
    app_env.sandbox.features.conversations = False
    app_env.sandbox.features.missing_route = style
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await send(pilot, "hello local model")
        await idle(pilot, app, timeout=10)
        said = notification_text(app)
        assert 'use api = "chat" for profile work' in said
        assert "another organization" not in said and "not found" not in said
        assert app.main.composer.text.strip() == "hello local model"
        await open_first(pilot, app)
        await idle(pilot, app, timeout=10)
        assert owner_prompt(app) is None
        assert app_env.store.get("conv_kept").status is ThreadStatus.OK
        assert 'use api = "chat"' in notification_text(app)
