"""Typing never destroys: 200 ordinary sentences, full of d, y, f, n, r, p, g, j, k and q,
typed as one SSH packet (and some at 10 characters a second) at start-up, after ctrl+b,
right after opening another organization's thread and a gone one, and while and after a
reply streams. Afterwards no thread is deleted or forgotten, on the server or locally, and
every character typed is in the composer.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from app_harness import AppEnv, idle, open_first, owner_prompt, to_list, wait_until
from textual import events

from tui.app.app import ThreadApp
from tui.app.screens.confirm import SETTLE_SECONDS, ConfirmScreen

OPENERS = ["did you", "do you", "can you", "please", "why does", "how do I", "could we",
           "should I", "when will you", "did Jenny", "how about", "fred, can you"]
VERBS = ["find", "read", "forget", "delete", "print", "render", "fix", "deploy", "review",
         "quickly check", "paraphrase", "dry run", "grep for", "keep"]
OBJECTS = ["the report", "my draft", "that query", "the graph", "your diff",
           "the yearly budget", "this tricky bug", "the python script", "the kernel panic",
           "the green flag", "the jumpy frog", "yesterday's notes"]
ENDINGS = ["?", " today?", " for me.", ", thanks.", " before friday?", " now."]


def sentences(count: int, seed: int = 0) -> list[str]:
    chooser = random.Random(seed)
    made = {"did you see the report", "how about fixing it"}
    while len(made) < count:
        made.add(f"{chooser.choice(OPENERS)} {chooser.choice(VERBS)} "
                 f"{chooser.choice(OBJECTS)}{chooser.choice(ENDINGS)}")
    return sorted(made)


SENTENCES = sentences(200)
KEY_NAMES = {" ": "space", "?": "question_mark", ",": "comma", ".": "full_stop",
             "'": "apostrophe"}


def key_events(text: str) -> list[events.Key]:
    return [events.Key(KEY_NAMES.get(ch, ch), ch) for ch in text]


def one_packet(app: ThreadApp, text: str) -> None:
    """Queue the whole text at once, as one SSH packet arrives: no frame in between."""
    for event in key_events(text):
        app.post_message(event)


async def slowly(pilot: Any, app: ThreadApp, text: str, per_second: float = 10.0) -> None:
    for event in key_events(text):
        app.post_message(event)
        await pilot.pause(1 / per_second)


class Witness:
    """What must survive the typing: the threads, locally and on the server."""

    def __init__(self, env: AppEnv, client: Any) -> None:
        self.env = env
        self.client = client
        self.ids = [record.id for record in env.store.list_threads()]
        self.on_server = [i for i in self.ids if self._exists(i)]
        assert self.on_server  # the test would prove nothing about the server otherwise

    def _exists(self, thread_id: str) -> bool:
        try:
            self.client.conversations.retrieve(thread_id)
        except Exception:
            return False
        return True

    def check(self, app: ThreadApp, typed: str) -> None:
        assert not isinstance(app.screen, ConfirmScreen)
        assert sorted(r.id for r in self.env.store.list_threads()) == sorted(self.ids)
        assert self.env.store.trash_entries() == []
        for thread_id in self.on_server:
            self.client.conversations.retrieve(thread_id)  # raises NotFoundError if deleted
        # (A draft restored at start joins what is typed with a newline, or without one when
        # the typing arrived after it: the sentences themselves hold no newline.)
        assert app.main.composer.text.replace("\n", "") == typed.replace("\n", "")


@pytest.fixture
def witness_env(app_env: AppEnv, openai_client: Any) -> tuple[AppEnv, Any]:
    app_env.seeded("Quarterly report", [("user", "numbers?"), ("assistant", "up 4%")])
    app_env.seeded("Sourdough", [("user", "feed?"), ("assistant", "Friday")], profile="home")
    app_env.record("conv_vanished", "Vanished draft", age_days=3,
                   turns=[("user", "hello"), ("assistant", "hi")])
    return app_env, openai_client("acme")


async def test_200_sentences_typed_at_start_up_land_in_the_composer(
    witness_env: tuple[AppEnv, Any],
) -> None:
    env, client = witness_env
    witness = Witness(env, client)
    kept = ""  # what the last run left unsent comes back, before what is typed now
    for batch in range(0, len(SENTENCES), 20):
        app = env.make_app()
        typed = ""
        async with app.run_test(size=(80, 24)) as pilot:
            for sentence in SENTENCES[batch : batch + 20]:
                one_packet(app, sentence + " ")  # before the first frame, and after
                typed += sentence + " "
            await idle(pilot, app)
            await pilot.pause(SETTLE_SECONDS)
            kept += typed
            witness.check(app, kept)


async def test_sentences_typed_right_after_ctrl_b_are_text(
    witness_env: tuple[AppEnv, Any],
) -> None:
    env, client = witness_env
    witness = Witness(env, client)
    app = env.make_app()
    typed = ""
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        for sentence in SENTENCES:
            app.post_message(events.Key("ctrl+b", None))
            app.post_message(events.Key("ctrl+b", None))
            one_packet(app, sentence + " ")
            typed += sentence + " "
            await pilot.pause()
        await idle(pilot, app)
        witness.check(app, typed)


@pytest.mark.parametrize("which", ["foreign", "gone"])
async def test_sentences_typed_right_after_opening_a_foreign_or_gone_thread_are_text(
    witness_env: tuple[AppEnv, Any], which: str
) -> None:
    """The 404 prompt arrives while the user types: it must not take a single key."""
    env, client = witness_env
    witness = Witness(env, client)
    title = "Sourdough" if which == "foreign" else "Vanished draft"
    app = env.make_app()
    typed = ""
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        for start in range(0, len(SENTENCES), 25):
            await to_list(pilot, app)
            listing = app.main.sidebar.thread_list
            listing.highlight_id(next(r.id for r in app.main.sidebar.records
                                      if r.title == title))
            app.post_message(events.Key("enter", None))  # open, then type at once
            for sentence in SENTENCES[start : start + 25]:
                one_packet(app, sentence + " ")
                typed += sentence + " "
            if start == 0 or which == "foreign":  # a thread known gone is not asked again
                await wait_until(pilot, lambda: owner_prompt(app) is not None, timeout=15)
            await idle(pilot, app, timeout=15)
            witness.check(app, typed)


async def test_sentences_typed_while_and_after_a_reply_streams_are_text(
    witness_env: tuple[AppEnv, Any],
) -> None:
    env, client = witness_env
    assert env.sandbox is not None
    env.sandbox.model.update(tokens=400, delay_s=0.01)  # about 4 s of streaming
    witness = Witness(env, client)
    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        before = len(app.main.chat.messages)
        one_packet(app, "tell me more")
        app.post_message(events.Key("enter", None))
        await wait_until(pilot, lambda: len(app.main.chat.messages) >= before + 2, timeout=15)
        typed = ""
        for sentence in SENTENCES[:100]:
            one_packet(app, sentence + " ")
            typed += sentence + " "
        await wait_until(pilot, lambda: not app.main.replying, timeout=30)
        for sentence in SENTENCES[100:]:
            one_packet(app, sentence + " ")
            typed += sentence + " "
        await idle(pilot, app)
        witness.ids = [record.id for record in env.store.list_threads()]
        witness.check(app, typed)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["start-up", "foreign", "gone", "after ctrl+b"])
async def test_typing_at_ten_characters_a_second_is_text(
    witness_env: tuple[AppEnv, Any], scenario: str
) -> None:
    """Slower than the settle time of a question: no question may be opened at all."""
    env, client = witness_env
    witness = Witness(env, client)
    dangerous = sorted(SENTENCES, key=lambda s: -sum(s.count(c) for c in "dyfnrpgjkq"))[:2]
    app = env.make_app()
    typed = ""
    async with app.run_test(size=(80, 24)) as pilot:
        if scenario != "start-up":
            await idle(pilot, app)
        if scenario in ("foreign", "gone"):
            await to_list(pilot, app)
            title = "Sourdough" if scenario == "foreign" else "Vanished draft"
            app.main.sidebar.thread_list.highlight_id(
                next(r.id for r in app.main.sidebar.records if r.title == title))
            app.post_message(events.Key("enter", None))
        if scenario == "after ctrl+b":
            app.post_message(events.Key("ctrl+b", None))
            app.post_message(events.Key("ctrl+b", None))
        for sentence in dangerous:
            await slowly(pilot, app, sentence + " ")
            typed += sentence + " "
        await idle(pilot, app, timeout=15)
        witness.check(app, typed)


async def test_a_delete_question_ignores_the_rest_of_a_sentence(
    app_env: AppEnv, openai_client: Any
) -> None:
    """In the list, `d` is a key; "did you see the report" typed there asks, and the rest
    of the sentence (its `y` included) does not answer."""
    record = app_env.seeded("Keep me", [("user", "hi")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        one_packet(app, "did you see the report")
        await pilot.pause()
        await asyncio.sleep(SETTLE_SECONDS + 0.2)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.ignored >= len("id you see the report") - 1
        ignored_text = str(app.screen.query_one(".dialog-ignored").render())
        assert "Ignored" in ignored_text and "press y" in ignored_text
        await pilot.press("enter")  # enter is the safe choice
        await idle(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert app_env.store.get(record.id) is not None
        openai_client("acme").conversations.retrieve(record.id)  # still on the server


async def test_esc_before_the_chat_exists_gives_the_question_back(app_env: AppEnv) -> None:
    """A slow create, then esc: nothing was sent, so the question returns to the composer
    (it used to vanish, with no thread made and nothing said)."""
    from tui.sandbox.faults import Fault

    assert app_env.sandbox is not None
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app_env.sandbox.faults.next(Fault.slow_first_byte(2.0), path=r"/conversations$")
        await pilot.press("ctrl+n", *"is this kept", "enter")
        await wait_until(pilot, lambda: app.main.replying)
        await wait_until(pilot, lambda: "starting the chat" in str(app.main.busy or ""))
        await pilot.press("escape")
        await idle(pilot, app, timeout=10)
        assert app.main.composer.text == "is this kept"
        assert len(app_env.store) == 0


async def test_text_not_sent_when_the_app_closes_is_back_at_the_next_start(
    app_env: AppEnv,
) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press(*"half a thought")
        await pilot.press("ctrl+q")
    again = app_env.make_app()
    async with again.run_test(size=(80, 24)) as pilot:
        await idle(pilot, again)
        assert again.main.composer.text == "half a thought"
        again.main.composer.load_text("")  # sent or dropped by hand: nothing to keep
        await pilot.pause()
    third = app_env.make_app()
    async with third.run_test(size=(80, 24)) as pilot:
        await idle(pilot, third)
        assert third.main.composer.text == ""  # restored once, then it is the composer's
