"""Find inside the open thread (ctrl+f): live matches, next/previous with wrap, highlights,
keys typed as text, focus given back, no matches, and messages not mounted yet."""

from __future__ import annotations

from app_harness import AppEnv, burst, idle, open_first, wait_until
from textual import events

from tui.app.app import ThreadApp
from tui.app.thread_find import CURRENT_STYLE, MATCH_STYLE
from tui.app.widgets.chat import WINDOW, LaterMessages
from tui.app.widgets.find_bar import FindBar
from tui.app.widgets.message import MessageView
from tui.core.records import Role, Turn

TURNS = [
    ("user", "How do I deploy the API?"),
    ("assistant", "Build it, then **deploy** with `make deploy`.\n\n```sh\nmake deploy\n```"),
    ("user", "And roll back a deploy?"),
    ("assistant", "Run `make rollback`; a Deploy tag marks each release."),
]


def bar(app: ThreadApp) -> FindBar:
    return app.main.chat.find_bar


def count(app: ThreadApp) -> str:
    return str(bar(app).query_one(".find-count").render())


def lit(view: MessageView) -> list[tuple[str, str]]:
    """The (text, style) of each lit span the message shows, in order."""
    body = view.found_body
    if body is None or not body.display:
        return []
    content = body.visual
    return [(content.plain[s.start:s.end], str(s.style)) for s in content.spans]


def make(env: AppEnv, turns: list[tuple[str, str]] = TURNS) -> ThreadApp:
    """An app whose only thread (really on the sandbox) holds ``turns``."""
    env.seeded("Deploying", turns)
    return env.make_app()


async def opened(pilot, app: ThreadApp) -> None:
    await idle(pilot, app)
    await open_first(pilot, app)
    await idle(pilot, app)


async def test_typing_finds_live_every_match_is_lit_and_next_previous_wrap(
    app_env: AppEnv,
) -> None:
    app = make(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        assert app.focused is app.main.composer
        await pilot.press("ctrl+f")
        assert bar(app).display and app.focused is bar(app).input
        await pilot.press(*"deploy")
        await idle(pilot, app)
        # smart case: a lowercase query finds any case; the newest match is current first
        assert count(app) == "6 of 6"
        views = app.main.chat.messages
        assert [text for text, _ in lit(views[1])] == ["deploy", "deploy", "deploy"]
        assert lit(views[3]) == [("Deploy", CURRENT_STYLE)]
        assert all(style == MATCH_STYLE for _, style in lit(views[0]))
        await pilot.press("enter")  # wraps to the first
        assert count(app) == "1 of 6"
        assert lit(views[0]) == [("deploy", CURRENT_STYLE)]
        await pilot.press("shift+enter")
        assert count(app) == "6 of 6"
        await pilot.press("up", "up")
        assert count(app) == "4 of 6"
        await pilot.press("down")
        assert count(app) == "5 of 6"
        await pilot.press("D")  # a capital: exact case, only "Deploy"
        await idle(pilot, app)
        assert bar(app).query_text == "deployD"
        assert count(app) == "no matches"
        assert all(not lit(view) for view in views)
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace",
                          "backspace", "backspace", *"Deploy")
        await idle(pilot, app)
        assert count(app) == "1 of 1" and lit(views[3]) == [("Deploy", CURRENT_STYLE)]
        # the reply with matches shows its text plain while lit; its Markdown is kept hidden
        assert views[3].markdown is not None and not views[3].markdown.display
        await pilot.press("escape")
        await idle(pilot, app)
        assert not bar(app).display
        assert app.focused is app.main.composer  # where the keyboard was
        assert all(not lit(view) for view in views)
        assert views[3].markdown.display


async def test_keys_typed_in_one_burst_are_the_query_never_message_keys(
    app_env: AppEnv,
) -> None:
    app = make(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        views = app.main.chat.messages
        app.main.chat.focus_message(views[1])
        await pilot.pause()
        clipboard = app.clipboard
        # "/" on a message opens the bar; the sentence behind it is text: e would fork,
        # y copy, c copy code, g/G and j/k move, [ ] page versions, n start a new chat
        sentence = "/yes, I checked the logs: edit [then] go back?"
        burst(app, sentence)
        await idle(pilot, app)
        assert bar(app).query_text == sentence[1:]
        assert app.focused is bar(app).input
        assert app.clipboard == clipboard
        assert len(app_env.store.list_threads()) == 1  # nothing forked, no new chat
        assert [len(view.versions()) for view in app.main.chat.messages] == [1, 1, 1, 1]
        assert count(app) == "no matches"
        # ctrl+f from the composer, the query right behind it in the same packet
        await pilot.press("escape")
        app.main.composer.focus()
        await pilot.pause()
        app.post_message(events.Key("ctrl+f", None))
        burst(app, "make deploy")
        await idle(pilot, app)
        assert bar(app).query_text == "make deploy" and app.main.composer.text == ""
        assert count(app) == "2 of 2"


async def test_closing_from_a_message_focuses_the_message_of_the_current_match(
    app_env: AppEnv,
) -> None:
    app = make(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        views = app.main.chat.messages
        app.main.chat.focus_message(views[0])
        await pilot.pause()
        await pilot.press("ctrl+f", *"rollback")
        await idle(pilot, app)
        assert count(app) == "1 of 1"  # from the focused message on
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is views[3]
        await pilot.press("y")
        assert app.clipboard == TURNS[3][1]
        # opened again: the last query is there, selected, and found again
        await pilot.press("ctrl+f")
        await idle(pilot, app)
        assert bar(app).query_text == "rollback" and count(app) == "1 of 1"
        await pilot.press(*"api")  # typing replaces the selected query
        await idle(pilot, app)
        assert bar(app).query_text == "api" and count(app) == "1 of 1"


async def test_n_and_shift_n_on_a_message_find_again_as_in_less(app_env: AppEnv) -> None:
    """After the bar is closed, n / N on a message go to the last query's next / previous
    match (from that message, wrapping), move the keyboard there and light nothing; typed
    ahead in one packet they only move (n on the list would start a new chat)."""
    from app_harness import notification_text

    app = make(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        views = app.main.chat.messages
        app.main.chat.focus_message(views[0])
        await pilot.press("n")
        await idle(pilot, app)
        assert "Nothing to find again yet" in notification_text(app)
        assert app.focused is views[0]
        app.main.composer.focus()
        await pilot.press("ctrl+f", *"make")  # "make": twice in message 1, once in 3
        await idle(pilot, app)
        assert count(app) == "3 of 3"
        await pilot.press("escape")
        await pilot.pause()
        app.main.chat.focus_message(views[0])
        await pilot.pause()
        steps = []
        for key in ("n", "n", "n", "n", "N", "N", "N"):
            await pilot.press(key)
            await idle(pilot, app)
            found = app.main.chat.finder.current_span()
            assert found is not None
            steps.append((views.index(app.focused), app.main.chat.finder.words()))
            assert all(lit(view) == [] for view in views)  # nothing stays lit
        assert steps == [(1, "1 of 3"), (1, "2 of 3"), (3, "3 of 3"), (1, "1 of 3"),
                         (3, "3 of 3"), (1, "2 of 3"), (1, "1 of 3")]
        assert "make: 1 of 3" in notification_text(app)
        assert not bar(app).display
        # From another message: the next match after it, not after the last one found.
        app.main.chat.focus_message(views[2])
        await pilot.press("n")
        await idle(pilot, app)
        assert app.focused is views[3]
        app.main.chat.focus_message(views[2])
        await pilot.press("N")
        await idle(pilot, app)
        assert app.focused is views[1] and app.main.chat.finder.words() == "2 of 3"
        # One packet: every n moves on; no new chat, nothing typed anywhere.
        burst(app, "nnnN")  # from 2 of 3: 3, 1, 2, then back to 1
        await idle(pilot, app)
        assert app.focused is views[1] and app.main.chat.finder.words() == "1 of 3"
        assert len(app_env.store.list_threads()) == 1 and app.main.composer.text == ""
        await pilot.press("y")
        assert app.clipboard == TURNS[1][1]


async def test_a_match_in_messages_not_mounted_yet_mounts_them_and_scrolls_to_it(
    app_env: AppEnv,
) -> None:
    turns = [("user" if i % 2 == 0 else "assistant", f"message number {i}")
             for i in range(WINDOW + 30)]
    turns[3] = ("user", "the needle is here, far back")
    app = make(app_env, turns)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        assert len(app.main.chat.messages) == WINDOW
        await pilot.press("ctrl+f", *"needle")
        await idle(pilot, app)
        assert count(app) == "1 of 1"
        views = app.main.chat.messages
        assert len(views) == WINDOW  # a stretch from the match on, as many as opening mounts
        assert views[0].turn.text == turns[3][1]
        assert lit(views[0]) == [("needle", CURRENT_STYLE)]
        transcript = app.main.chat.transcript
        top = transcript.scroll_y
        assert top <= views[0].virtual_region.y <= top + transcript.size.height
        await pilot.press("escape")
        await idle(pilot, app)
        assert app.focused is app.main.composer


async def test_a_match_early_in_a_long_thread_mounts_a_stretch_and_a_marker_leads_back(
    app_env: AppEnv,
) -> None:
    turns = [("user" if i % 2 == 0 else "assistant", f"message number {i}")
             for i in range(300)]
    turns[4] = ("user", "an early needle")
    turns[250] = ("user", "a later needle")
    app = make(app_env, turns)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        await pilot.press("ctrl+f", *"needle")
        await idle(pilot, app)
        assert count(app) == "2 of 2"  # the newest match, mounted from it to the end
        assert app.main.chat.messages[0].turn.text == "a later needle"
        await pilot.press("enter")  # wraps to the first: a stretch of WINDOW from it
        await idle(pilot, app)
        assert count(app) == "1 of 2"
        views = app.main.chat.messages
        assert len(views) == WINDOW and views[0].turn.text == "an early needle"
        later = app.main.chat.transcript.query_one(LaterMessages)
        assert later.hidden == 300 - 4 - WINDOW
        assert "later messages: press enter" in str(later.render())
        await pilot.press("escape")
        await pilot.pause()
        app.main.chat.focus_message(later)
        await pilot.press("enter")  # back to the newest, as the thread opens
        await idle(pilot, app)
        assert not app.main.chat.transcript.query(LaterMessages)
        assert app.main.chat.messages[-1].turn.text == "message number 299"
        assert app.focused is app.main.chat.messages[-1]
        # Sending from a stretch goes back to the newest first
        app.main.composer.focus()
        await pilot.press("ctrl+f", "enter")
        await idle(pilot, app)
        assert app.main.chat.transcript.query(LaterMessages)
        await pilot.press("escape")
        assert app.focused is app.main.composer
        app.main.composer.load_text("one more")
        await pilot.press("enter")
        await idle(pilot, app)
        assert not app.main.chat.transcript.query(LaterMessages)
        assert [v.turn.text for v in app.main.chat.messages][-3:-1] == [
            "message number 299", "one more"]


async def test_a_streaming_reply_is_searched_once_it_ends(app_env: AppEnv, monkeypatch) -> None:
    app_env.sandbox.model.update(tokens=3000, delay_s=0.02)  # a minute: stopped below
    app = make(app_env)
    told: list[str] = []  # a toast can expire before a loaded machine looks at it
    monkeypatch.setattr(app, "notify", lambda message, **_: told.append(message))
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        app.main.composer.load_text("Tell me about deploy")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.main.replying
                         and "deploy" in (app.main.chat.messages[-1].turn.text or ""))
        await pilot.press("ctrl+f", *"deploy")
        await pilot.pause()
        streaming = app.main.chat.messages[-1]
        assert streaming.streaming and not lit(streaming)
        assert count(app) == "7 of 7"  # the question "Tell me about deploy" too
        assert any("The reply still streaming is searched once it ends" in t for t in told)
        app.main.action_cancel_reply()  # esc would close the bar: it has the keyboard
        await wait_until(pilot, lambda: not app.main.replying, timeout=10)
        await idle(pilot, app)
        await pilot.press("enter")  # searched again: the ended reply's matches count now
        await idle(pilot, app)
        assert lit(streaming) and int(count(app).split(" of ")[1]) > 7


async def test_a_reply_with_versions_is_searched_in_the_version_shown(app_env: AppEnv) -> None:
    app = make(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        view = app.main.chat.messages[-1]
        view.turn.alternatives = [[Turn(role=Role.ASSISTANT, text="An older zebra answer.")]]
        app.main.chat.focus_message(view)
        await pilot.press("ctrl+f", *"zebra")
        await idle(pilot, app)
        assert count(app) == "no matches"  # version 1 (current) has no zebra
        await pilot.press("escape")
        assert app.focused is view
        await pilot.press("left_square_bracket")  # the older version
        await pilot.press("ctrl+f")
        await idle(pilot, app)
        assert count(app) == "1 of 1" and lit(view) == [("zebra", CURRENT_STYLE)]
        await pilot.press("escape")
        await pilot.press("right_square_bracket")
        await pilot.press("ctrl+f")
        await idle(pilot, app)
        assert count(app) == "no matches" and not lit(view)


def test_find_bar_at_80x24(snap_compare, app_env: AppEnv) -> None:
    """The bar under the messages, "2 of 6", every match lit and the current one reversed
    (a reply with matches shown as its plain text)."""
    app = make(app_env)

    async def run_before(pilot) -> None:
        await opened(pilot, app)
        await pilot.press("ctrl+f", *"deploy", "enter", "enter")
        await idle(pilot, app)
        app.clear_notifications()
        for field in app.screen.query("TextArea, Input"):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
