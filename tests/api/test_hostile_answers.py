"""Hostile answers × every verb, at the session layer, over real HTTP through the real SDK.

A small hostile server (tests/hostile_server.py) behaves like the Conversations + Responses API
except for one operation, which it answers with one bad shape: a captive portal's HTML, invalid
JSON, wrong types, null / numeric / garbage ids, an array, a gzip bomb, a 20 MB body, an error
under status 200, a drip, an empty body, bad UTF-8, 100,000-deep nesting, NaN, an HTML 502,
an encoding we do not read, JSON labelled text/plain, wrong nested types.

Every cell must end in an ``ApiError`` with a short, control-free message (never another
exception), the question must be in the record (send), and the record must load clean
afterwards: no problem reported, nothing moved aside as corrupt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_server import OPS, REPLY, SHAPES, Answer, HostileServer, _json, message

from tui.core import session
from tui.core.api.answers import AnswerLimits
from tui.core.api.base import ApiError, Backend, BadAnswer, Completed, Failed
from tui.core.api.factory import make_backend
from tui.core.keys import KeyRing
from tui.core.record_access import Records
from tui.core.records import Dialect, Profile, Role, ThreadRecord
from tui.core.safe_text import UNSAFE
from tui.core.store import Store

KEY = "sk-proj-hostile-test-key-0000abcd"
QUESTION = "What is the answer?"
# A drip is given up on after this long (the default is minutes); the test asserts no time.
LIMITS = AnswerLimits(body_deadline=0.3)

EXPECTED_WORDS = {
    "html_200": "HTML",
    "html_502": "HTML",
    "gzip_bomb": "larger than",
    "huge_body": "larger than",
    "drip": "too slowly",
    "error_body_200": "overloaded",
    "unknown_encoding": "encoding",
    "text_plain": "text/plain",
}


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


class World:
    def __init__(self, hostile: HostileServer, data_dir: Path, dialect: Dialect) -> None:
        self.hostile = hostile
        self.data_dir = data_dir
        self.store = Store.open(data_dir)
        self.records = Records(self.store)
        profile = Profile(name="acme", api_key_env="TT_KEY", base_url=hostile.base_url,
                          api=dialect)
        self.backend: Backend = make_backend(
            profile, KeyRing(environ={"TT_KEY": KEY}), self.records, max_retries=0,
            limits=LIMITS,
        )

    async def thread_with_a_turn(self) -> ThreadRecord:
        self.hostile.attack("none", None)
        record = await session.create_and_record(self.records, self.backend, "Hostile")
        events = [e async for e in session.send_message(self.records, self.backend, record, "hi")]
        assert isinstance(events[-1], Completed), events[-1]
        return record

    async def close(self) -> None:
        await self.backend.aclose()
        self.records.close()
        self.store.close()

    def assert_loads_clean(self) -> None:
        with Store.open(self.data_dir) as again:
            assert again.problems == []
            for record in again.list_threads():
                again.transcript(record.id)
            assert again.problems == []
        aside = [p.name for p in self.data_dir.rglob("*") if "corrupt" in p.name]
        assert aside == []


@pytest.fixture
async def world(hostile: HostileServer, tmp_path: Path) -> AsyncIterator[World]:
    made = World(hostile, tmp_path / "data", Dialect.CONVERSATIONS)
    yield made
    await made.close()
    hostile.attack("none", None)


def assert_clear(error: BaseException, shape: str) -> None:
    assert isinstance(error, ApiError), repr(error)
    text = str(error)
    assert not UNSAFE.search(text), text
    assert len(text) < 700, text
    assert KEY not in text
    assert "hostile" not in text.lower() or "sk-" not in text
    word = EXPECTED_WORDS.get(shape)
    if word:
        assert word in text, text


async def run_cell(world: World, op: str, shape: str) -> None:
    hostile, records, backend = world.hostile, world.records, world.backend
    if op == "create":
        hostile.attack("create", shape)
        with pytest.raises(ApiError) as caught:
            await session.create_and_record(records, backend, QUESTION)
        assert_clear(caught.value, shape)
        assert len(world.store) == 0
    elif op == "open":
        record = await world.thread_with_a_turn()
        before = world.store.transcript(record.id)
        hostile.attack("open", shape)
        views = session.open_thread(records, backend, record)
        assert await anext(views) == before
        with pytest.raises(ApiError) as caught:
            await anext(views)
        assert_clear(caught.value, shape)
        assert world.store.transcript(record.id) == before
    elif op == "send":
        hostile.attack("none", None)
        record = await session.create_and_record(records, backend, QUESTION)
        hostile.attack("send", shape)
        events = [e async for e in session.send_message(records, backend, record, QUESTION)]
        end = events[-1]
        assert isinstance(end, Failed), end
        assert_clear(end.error, shape)
        turns = world.store.transcript(record.id)
        assert turns[0].role is Role.USER and turns[0].text == QUESTION
        assert turns[-1].interrupted
    else:
        record = await world.thread_with_a_turn()
        hostile.attack("delete", shape)
        try:
            report = await session.delete_thread(records, backend, record)
        except ApiError as exc:
            assert_clear(exc, shape)
        else:
            assert not report.complete and report.failed, report
            for _, why in report.failed:
                assert not UNSAFE.search(why) and KEY not in why, why
        assert record.id in world.store
    world.assert_loads_clean()


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
async def test_every_hostile_answer_to_every_verb_ends_in_an_api_error(
    world: World, op: str, shape: str
) -> None:
    await run_cell(world, op, shape)


# ---------------------------------------------------------------- a body where a stream was asked


async def test_a_whole_response_instead_of_a_stream_is_used_as_the_reply(
    world: World,
) -> None:
    world.hostile.attack("none", None)
    record = await session.create_and_record(world.records, world.backend, QUESTION)
    world.hostile.attack_with(
        "send", lambda op, server, query: _json(
            {"id": "resp_whole", "object": "response", "status": "completed",
             "output": [message("msg_whole", "assistant", REPLY)],
             "usage": {"input_tokens": 3, "output_tokens": 7, "total_tokens": 10}})
    )
    events = [e async for e in session.send_message(world.records, world.backend, record,
                                                    QUESTION)]
    assert "".join(getattr(e, "text", "") for e in events[:-1]) == REPLY
    end = events[-1]
    assert isinstance(end, Completed) and end.text == REPLY and end.response_id == "resp_whole"
    turns = world.store.transcript(record.id)
    assert [(t.role, t.text, t.interrupted) for t in turns] == [
        (Role.USER, QUESTION, False), (Role.ASSISTANT, REPLY, False)]
    assert turns[1].usage is not None and turns[1].usage.output_tokens == 7
    assert world.store.get(record.id).server_meta["response_ids"] == ["resp_whole"]
    world.assert_loads_clean()


async def test_a_whole_chat_completion_instead_of_a_stream_is_used_as_the_reply(
    hostile: HostileServer, tmp_path: Path
) -> None:
    world = World(hostile, tmp_path / "data", Dialect.CHAT)
    try:
        record = await session.create_and_record(world.records, world.backend, QUESTION)
        hostile.attack_with("send", lambda op, server, query: _json({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": REPLY}}],
            "usage": {"prompt_tokens": 2, "completion_tokens": 5, "total_tokens": 7}}))
        events = [e async for e in session.send_message(world.records, world.backend, record,
                                                        QUESTION)]
        end = events[-1]
        assert isinstance(end, Completed) and end.text == REPLY, end
        assert [t.text for t in world.store.transcript(record.id)] == [QUESTION, REPLY]
    finally:
        await world.close()
        hostile.attack("none", None)
    world.assert_loads_clean()


async def test_an_error_body_instead_of_a_stream_is_the_error(world: World) -> None:
    world.hostile.attack("none", None)
    record = await session.create_and_record(world.records, world.backend, QUESTION)
    world.hostile.attack_with("send", lambda op, server, query: _json(
        {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota",
                   "type": "insufficient_quota"}}))
    events = [e async for e in session.send_message(world.records, world.backend, record,
                                                    QUESTION)]
    end = events[-1]
    assert isinstance(end, Failed) and "quota" in str(end.error), end
    assert not end.error.retryable
    assert world.store.transcript(record.id)[0].text == QUESTION


# ---------------------------------------------------------------- listings that never end


def _endless(op: str, server: HostileServer, query: dict[str, str]) -> Answer:
    number = int(query.get("after", "msg_0").rsplit("_", 1)[-1]) + 1
    return _json({"object": "list", "data": [message(f"msg_{number}", "user", "again")],
                  "first_id": f"msg_{number}", "last_id": f"msg_{number}", "has_more": True})


def _same_page(op: str, server: HostileServer, query: dict[str, str]) -> Answer:
    return _json({"object": "list", "data": [message("msg_1", "user", "again")],
                  "first_id": "msg_1", "last_id": "msg_1", "has_more": True})


@pytest.mark.parametrize(("answer", "words"), [
    (_endless, "after 100 pages"), (_same_page, "same page")], ids=["endless", "same-cursor"])
async def test_a_listing_that_says_has_more_forever_is_stopped(
    world: World, answer: Any, words: str
) -> None:
    record = await world.thread_with_a_turn()
    before = world.hostile.hits.get("open", 0)
    world.hostile.attack_with("open", answer)
    views = session.open_thread(world.records, world.backend, record)
    await anext(views)
    with pytest.raises(BadAnswer, match=words):
        await anext(views)
    assert world.hostile.hits["open"] - before <= 100
    world.assert_loads_clean()
