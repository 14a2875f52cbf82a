"""Esc while a reply streams: the HTTP stream closes at once and the partial text is kept.

The sandbox streams a long reply slowly (2,000 pieces, 10 ms apart: 20 s in all), so a reply
that ended early can only have ended because we closed it. Latencies are printed (run with
``-s`` to see them); the assertions use generous bounds only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from tui.core import session
from tui.core.api.base import Backend, TextDelta
from tui.core.record_access import Records
from tui.core.records import Dialect, ThreadStatus
from tui.core.store import Store
from tui.sandbox import Sandbox

BackendFactory = Callable[..., Backend]  # the backend_for fixture

PROMPT = "Write me something long"
GENEROUS = 2.0  # seconds; the measured figures are tens of milliseconds


def slow_and_long(sandbox: Sandbox) -> None:
    sandbox.model.update(tokens=2000, delay_s=0.01)


@pytest.mark.parametrize("dialect", list(Dialect))
async def test_closing_the_backend_stream_closes_the_http_response(
    dialect: Dialect, backend_for: BackendFactory, store: Store, sandbox: Sandbox
) -> None:
    backend = backend_for("acme", dialect)
    record = await backend.create_thread("Esc")
    store.upsert(record)
    slow_and_long(sandbox)
    events = backend.stream_reply(record, PROMPT)
    async for _ in events:
        break
    started = time.perf_counter()
    await events.aclose()
    latency = time.perf_counter() - started
    print(f"\n[{dialect}] backend stream closed in {latency * 1000:.2f} ms")
    assert latency < GENEROUS
    # The connection is not left half-read: the next reply starts and completes normally.
    sandbox.model.update(tokens=5, delay_s=0)
    kinds = [type(event).__name__ async for event in backend.stream_reply(record, "again")]
    assert kinds[-1] == "Completed"


@pytest.mark.parametrize("dialect", list(Dialect))
async def test_aclose_closes_the_stream_promptly_and_keeps_the_partial_text(
    dialect: Dialect, backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    backend = backend_for("acme", dialect)
    record = await session.create_and_record(records, backend, "Esc")
    slow_and_long(sandbox)
    events = session.send_message(records, backend, record, PROMPT)
    received = ""
    async for event in events:
        assert isinstance(event, TextDelta)
        received += event.text
        if len(received) > 40:
            break
    started = time.perf_counter()
    await events.aclose()
    latency = time.perf_counter() - started
    print(f"\n[{dialect}] send_message aclose() (HTTP close + two store writes)"
          f" {latency * 1000:.1f} ms")
    assert latency < GENEROUS

    turns = store.transcript(record.id)
    assert turns[-1].interrupted and turns[-1].text == received
    assert turns[-1].error == session.STOPPED
    assert store.get(record.id).status == ThreadStatus.INTERRUPTED  # type: ignore[union-attr]


async def test_the_server_sees_the_connection_close(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    """The sandbox marks a legacy run whose client left ``stream_dropped`` when its next write
    fails: that moment is when the server noticed the close. The run goes on unseen (as real
    runs do) and the next turn cancels it rather than failing on "thread has an active run"."""
    backend = backend_for("acme", Dialect.ASSISTANTS)
    record = await session.create_and_record(records, backend, "Esc")
    slow_and_long(sandbox)
    events = session.send_message(records, backend, record, PROMPT)
    async for _ in events:
        break
    (run,) = sandbox.state()["runs"]
    assert run["status"] == "in_progress" and not run["stream_dropped"]
    started = time.perf_counter()
    await events.aclose()
    while not sandbox.state()["runs"][0]["stream_dropped"]:
        assert time.perf_counter() - started < GENEROUS, "the server never saw the close"
        await asyncio.sleep(0.002)
    noticed = time.perf_counter() - started
    print(f"\nserver saw the connection close {noticed * 1000:.1f} ms after aclose()")

    sandbox.model.update(tokens=5, delay_s=0)
    kinds = [type(e).__name__ async for e in session.send_message(records, backend, record, "next")]
    assert kinds[-1] == "Completed"
    first, second = sandbox.state()["runs"]
    assert first["status"] == "cancelled" and second["status"] == "completed"


async def test_cancelling_the_task_reading_the_stream(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    """The UI's worker is cancelled (Esc), rather than closing the iterator itself."""
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Esc")
    slow_and_long(sandbox)
    received: list[str] = []
    enough = asyncio.Event()

    async def worker() -> None:
        async for event in session.send_message(records, backend, record, PROMPT):
            assert isinstance(event, TextDelta)
            received.append(event.text)
            if len(received) == 10:
                enough.set()

    task = asyncio.create_task(worker())
    await asyncio.wait_for(enough.wait(), 10)
    started = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    latency = time.perf_counter() - started
    print(f"\ntask cancellation took {latency * 1000:.1f} ms")
    assert latency < GENEROUS
    turns = store.transcript(record.id)
    assert turns[-1].interrupted and turns[-1].text == "".join(received)
    # The response the cut reply created is known, so a delete can remove it.
    assert len(record.server_meta["response_ids"]) == 1
    assert (await session.delete_thread(records, backend, record)).complete
