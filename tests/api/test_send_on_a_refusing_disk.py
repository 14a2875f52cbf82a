"""Sending on a disk that refuses writes: the reply on screen is kept, said, and stored later.

The real session flow, the real openai SDK over HTTP to the sandbox, a real Store; the disk's
refusal is injected at the storage layer (tests/disk_fault.py), armed at chosen moments:
before the question, mid-stream (checkpoints), at the final write, and during Esc.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from contextlib import aclosing

import pytest
from disk_fault import DiskFault, disk_fixture  # noqa: F401  (the `disk` fixture)

from tui.core import session
from tui.core.api.base import Backend, Completed, TextDelta
from tui.core.record_access import Records
from tui.core.records import Role, ThreadStatus
from tui.core.store import CHECKPOINT, NO_REPLY, ProblemKind, RecordWriteFailed, Store
from tui.sandbox import Sandbox, reply_text

BackendFactory = Callable[..., Backend]
NEVER = session.Checkpoints(every_seconds=1e9, every_bytes=1 << 30)
OFTEN = session.Checkpoints(every_seconds=0.0, every_bytes=1)


@pytest.mark.parametrize("number", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EIO])
async def test_a_question_the_disk_refuses_is_raised_before_anything_is_sent(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    disk: DiskFault, number: int,
) -> None:
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Full")
    disk.fail(number)
    with pytest.raises(RecordWriteFailed) as caught:
        async for _ in session.send_message(records, backend, record, "typed on a full disk"):
            pytest.fail("nothing may be sent when the question could not be stored")
    assert caught.value.operation == "save your message"
    assert caught.value.errno == number
    # The caller still has the text (it gives it back to the composer); nothing was asked.
    disk.heal()
    assert store.transcript(record.id) == []
    assert store.recover_unanswered() == []  # and no reply is reported lost for it


@pytest.mark.parametrize("number", [errno.ENOSPC, errno.EIO])
async def test_a_final_write_the_disk_refuses_keeps_the_reply_pending_then_flushes_it(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    disk: DiskFault, number: int,
) -> None:
    sandbox.model.update(tokens=60)
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Fills up")
    events: list[object] = []
    with pytest.raises(session.ReplyNotStored) as caught:
        async for event in session.send_message(
            records, backend, record, "fill it", checkpoints=NEVER
        ):
            events.append(event)
            if isinstance(event, TextDelta) and not disk.armed:
                disk.fail(number)  # the disk fills while the reply streams
    whole = reply_text("fill it", 60)
    # The screen got the whole reply, then the refusal, which says what and where.
    assert isinstance(events[-1], Completed) and events[-1].text == whole
    refusal = caught.value
    assert refusal.cause.operation == "store the reply" and refusal.cause.errno == number
    assert "could not store the reply" in str(refusal) and "kept in memory" in str(refusal)
    assert [p.text for p in records.pending] == [whole]
    # The mark is still held: another process sees a reply in flight, not a lost one.
    with Store.open(store.data_dir) as other:
        assert other.recover_unanswered() == [] and other.take_problems() == []
    # Still refused: raised again, still pending.
    with pytest.raises(RecordWriteFailed):
        await records.flush_pending()
    assert len(records.pending) == 1
    disk.heal()
    assert await records.flush_pending() == 1
    assert records.pending == []
    turns = store.transcript(record.id)
    assert [(t.role, t.text, t.error) for t in turns] == [
        (Role.USER, "fill it", None), (Role.ASSISTANT, whole, None)
    ]
    assert store.get(record.id).status is ThreadStatus.OK
    assert not list((store.data_dir / "replies").iterdir())  # mark removed once stored


async def test_a_reply_never_stored_before_quitting_is_reported_at_the_next_start(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    disk: DiskFault,
) -> None:
    """Not a silent loss: the mark outlives the process that could not store the reply."""
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Quit full")
    with pytest.raises(session.ReplyNotStored):
        async for event in session.send_message(records, backend, record, "q", checkpoints=NEVER):
            if isinstance(event, TextDelta):
                disk.fail(errno.ENOSPC)
    records.close()  # the app quits without the disk ever freeing
    disk.heal()
    with Store.open(store.data_dir) as next_start:
        problems = next_start.take_problems()
        assert [p.kind for p in problems] == [ProblemKind.UNANSWERED]
        assert "Quit full" in problems[0].message
        assert next_start.transcript(record.id)[-1].error == NO_REPLY
        assert next_start.get(record.id).status is ThreadStatus.INTERRUPTED


async def test_checkpoints_that_fail_mid_stream_do_not_stop_the_reply(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    disk: DiskFault,
) -> None:
    sandbox.model.update(tokens=40, delay_s=0.005)
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Flaky")
    deltas = 0
    async for event in session.send_message(records, backend, record, "go", checkpoints=OFTEN):
        if isinstance(event, TextDelta):
            deltas += 1
            if deltas == 10:
                disk.fail(errno.EIO, "fsync")  # every durable write of the record fsyncs
            if deltas == 30:
                disk.heal()
    turns = store.transcript(record.id)
    assert [(t.text, t.error) for t in turns[1:]] == [(reply_text("go", 40), None)]
    assert disk.hits > 0


async def test_esc_on_a_refusing_disk_keeps_the_partial_pending_without_raising(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    disk: DiskFault,
) -> None:
    sandbox.model.update(tokens=400, delay_s=0.002)
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Esc")
    received: list[str] = []
    async with aclosing(
        session.send_message(records, backend, record, "stop me", checkpoints=NEVER)
    ) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                received.append(event.text)
                if len(received) == 20:
                    disk.fail(errno.ENOSPC)
                    break  # Esc: aclose() must not raise; the partial is kept pending
    assert [p.text for p in records.pending] == ["".join(received)]
    assert records.pending[0].turn.error == session.STOPPED
    disk.heal()
    await records.flush_pending()
    turns = store.transcript(record.id)
    assert (turns[-1].text, turns[-1].interrupted) == ("".join(received), True)
    assert store.get(record.id).status is ThreadStatus.INTERRUPTED


async def test_the_final_reply_replaces_its_checkpoint_never_a_second_turn(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
) -> None:
    sandbox.model.update(tokens=50)
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Checkpointed")
    seen: list[list[tuple[str, str | None]]] = []
    async for event in session.send_message(records, backend, record, "hi", checkpoints=OFTEN):
        if isinstance(event, TextDelta):
            turns = await records.transcript(record.id)
            seen.append([(t.role, t.error) for t in turns])
    # While streaming: the question, then at most one checkpoint turn, growing.
    assert all(len(s) <= 2 for s in seen)
    assert (Role.ASSISTANT, CHECKPOINT) in {t for s in seen for t in s}
    turns = store.transcript(record.id)
    assert [(t.role, t.text, t.error) for t in turns] == [
        (Role.USER, "hi", None), (Role.ASSISTANT, reply_text("hi", 50), None)
    ]
