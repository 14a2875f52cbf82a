"""Regenerate the last reply over real HTTP: the server answers the same items anew, and the
replaced reply stays in the record as an alternative."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tui.core import session
from tui.core.api.base import Backend, Completed, Failed
from tui.core.record_access import Records
from tui.core.records import Dialect, Role, ThreadRecord
from tui.core.session import NothingToRegenerate, regenerate
from tui.core.store import Store
from tui.sandbox import Sandbox, reply_text
from tui.sandbox.faults import Fault

BackendFactory = Callable[..., Backend]


async def drain(events: object) -> list[object]:
    return [event async for event in events]  # type: ignore[attr-defined]


async def two_exchanges(records: Records, backend: Backend) -> ThreadRecord:
    record = await session.create_and_record(records, backend, "Regenerate me")
    for question in ("first question", "second question"):
        await drain(session.send_message(records, backend, record, question))
    return record


@pytest.mark.parametrize("dialect", [Dialect.CONVERSATIONS, Dialect.CHAT])
async def test_regenerate_answers_the_same_items_and_keeps_the_old_reply(
    dialect: Dialect, sandbox: Sandbox, backend_for: BackendFactory, store: Store,
    records: Records,
) -> None:
    backend = backend_for("acme", dialect)
    record = await two_exchanges(records, backend)
    old = store.transcript(record.id)[-1]
    events = await drain(regenerate(records, backend, record))
    assert isinstance(events[-1], Completed)
    turns = store.transcript(record.id)
    assert [(t.role, t.text) for t in turns] == [
        (Role.USER, "first question"), (Role.ASSISTANT, reply_text("first question")),
        (Role.USER, "second question"), (Role.ASSISTANT, reply_text("second question")),
    ]
    new = turns[-1]
    assert [[(t.text, t.response_id) for t in alt] for alt in new.alternatives] == [
        [(old.text, old.response_id)]]
    if dialect is Dialect.CONVERSATIONS:
        assert new.response_id != old.response_id
        server = await backend.fetch_transcript(record)  # one reply to the second question
        assert [(t.role, t.text) for t in server] == [(t.role, t.text) for t in turns]
    else:  # the old reply is not part of what the model is shown
        sent = sandbox.requests(r"/chat/completions$")[-1]["messages"]
        assert [(m["role"], m["content"]) for m in sent] == [
            ("user", "first question"), ("assistant", reply_text("first question")),
            ("user", "second question")]
    # Regenerating again keeps both earlier replies, newest first.
    await drain(regenerate(records, backend, record))
    latest = store.transcript(record.id)[-1]
    assert [[t.response_id for t in alt] for alt in latest.alternatives] == [
        [new.response_id], [old.response_id]]
    assert not latest.alternatives[0][0].alternatives  # siblings, not nested


async def test_a_transcript_just_read_is_not_read_again(
    backend_for: BackendFactory, store: Store, records: Records,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app reads the transcript to say early when there is nothing to answer anew, and
    hands it over: until the reply starts, nothing reads it again."""
    backend = backend_for("acme")
    record = await two_exchanges(records, backend)
    turns = store.transcript(record.id)
    reads: list[str] = []
    real = Store.transcript
    monkeypatch.setattr(Store, "transcript",
                        lambda self, thread_id: reads.append(thread_id) or real(self, thread_id))
    events = regenerate(records, backend, record, turns=turns)
    first = await events.__anext__()
    assert reads == [] and first is not None
    await drain(events)
    assert store.transcript(record.id)[-1].alternatives  # folded as before


async def test_a_regenerate_that_fails_keeps_the_old_reply_where_it_was(
    sandbox: Sandbox, backend_for: BackendFactory, store: Store, records: Records,
) -> None:
    backend = backend_for("acme")
    record = await two_exchanges(records, backend)
    sandbox.faults.next(Fault.cut(after=2), path=r"/responses$")
    events = await drain(regenerate(records, backend, record))
    assert isinstance(events[-1], Failed)
    turns = store.transcript(record.id)
    assert [t.text for t in turns[:4]] == [
        "first question", reply_text("first question"), "second question",
        reply_text("second question")]
    assert turns[-1].interrupted and not turns[3].alternatives


async def test_nothing_to_regenerate(
    backend_for: BackendFactory, store: Store, records: Records,
) -> None:
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Empty")
    with pytest.raises(NothingToRegenerate):
        await drain(regenerate(records, backend, record))
    legacy = backend_for("acme", Dialect.ASSISTANTS)
    old = await two_exchanges(records, legacy)
    with pytest.raises(NothingToRegenerate, match="legacy"):
        await drain(regenerate(records, legacy, old))
