"""The hostile-answer matrix through the running app (Pilot), on the hostile server of
tests/hostile_server.py: after every bad answer to create, open, send or delete the app is
still running, the question is kept (in the record, or back in the composer when nothing was
created), and a notification says what happened.

A representative subset runs always; the whole matrix is marked slow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_harness import (
    AppEnv,
    answer_question,
    idle,
    make_app_env,
    notifications,
    open_first,
    to_list,
    wait_until,
)
from hostile_server import OPS, REPLY, SHAPES, HostileServer, message

from tui.core.api import answers
from tui.core.records import Role

QUESTION = "What is the answer?"
QUICK_SHAPES = ("html_200", "gzip_bomb", "numeric_ids", "error_body_200")
NOTICE_WORDS = {"create": "Could not start", "open": "Showing the local copy",
                "send": "Reply failed", "delete": "Delete"}


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


@pytest.fixture
def env(
    hostile: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppEnv]:
    # Drips are given up on quickly, so the matrix does not wait minutes (no time is asserted).
    monkeypatch.setattr(answers, "DEFAULT_LIMITS", answers.AnswerLimits(body_deadline=0.3))
    hostile.attack("none", None)
    made = make_app_env(tmp_path, hostile.base_url, None)
    try:
        yield made
    finally:
        made.store.close()
        hostile.attack("none", None)


def seed(env: AppEnv, hostile: HostileServer) -> str:
    """A conversation the server has, recorded with its transcript and a stored response."""
    conv_id = "conv_seeded0001"
    hostile.conversations[conv_id] = [message("msg_u0", "user", "hi"),
                                      message("msg_a0", "assistant", REPLY)]
    env.record(conv_id, "Seeded", turns=[("user", "hi"), ("assistant", REPLY)])
    env.store.update_thread(conv_id, server_meta={"response_ids": ["resp_0"]})
    return conv_id


async def send(pilot, text: str) -> None:
    app = pilot.app
    app.main.composer.focus()
    app.main.composer.load_text(text)
    await pilot.press("enter")


async def run_cell(env: AppEnv, hostile: HostileServer, op: str, shape: str) -> None:
    seeded = seed(env, hostile) if op in {"open", "delete"} else None
    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app, timeout=10)
        hostile.attack(op, shape)
        if op in {"create", "send"}:
            await pilot.press("ctrl+n")
            await send(pilot, QUESTION)
        elif op == "open":
            await open_first(pilot, app)
        else:
            await to_list(pilot, app)
            await pilot.press("d")
            await answer_question(pilot, app, "y")
        await idle(pilot, app, timeout=20)
        def told() -> bool:
            return any(NOTICE_WORDS[op] in f"{n.title} {n.message}" for n in notifications(app))

        await wait_until(pilot, told, timeout=10)
        assert app.is_running
        if op == "create":
            assert app.main.composer.text == QUESTION
            assert len(env.store) == 0  # nothing was created, nothing recorded
        elif op == "send":
            record = app.main.chat.record
            assert record is not None
            turns = env.store.transcript(record.id)
            assert turns[0].role is Role.USER and turns[0].text == QUESTION
            assert turns[-1].interrupted
        elif op == "open":
            assert [t.text for t in env.store.transcript(seeded)] == ["hi", REPLY]
        else:
            assert env.store.get(seeded) is not None
    env.store.reload()
    assert env.store.problems == []
    assert not [p for p in env.data_dir.rglob("*") if "corrupt" in p.name]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape", QUICK_SHAPES)
async def test_hostile_answers_in_the_app(
    env: AppEnv, hostile: HostileServer, op: str, shape: str
) -> None:
    await run_cell(env, hostile, op, shape)


@pytest.mark.slow
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape", sorted(set(SHAPES) - set(QUICK_SHAPES)))
async def test_every_hostile_answer_in_the_app(
    env: AppEnv, hostile: HostileServer, op: str, shape: str
) -> None:
    await run_cell(env, hostile, op, shape)


async def test_a_whole_reply_instead_of_a_stream_is_shown_and_stored(
    env: AppEnv, hostile: HostileServer
) -> None:
    from hostile_server import _json, response_object

    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app, timeout=10)
        hostile.attack_with("send", lambda op, server, query: _json(
            response_object("resp_whole", "msg_whole", REPLY)))
        await send(pilot, QUESTION)
        await idle(pilot, app, timeout=10)
        record = app.main.chat.record
        assert record is not None
        shown = [(str(v.turn.role), v.turn.text) for v in app.main.chat.messages]
        assert shown == [("user", QUESTION), ("assistant", REPLY)]
        assert [t.text for t in env.store.transcript(record.id)] == [QUESTION, REPLY]
        assert not env.store.transcript(record.id)[-1].interrupted
