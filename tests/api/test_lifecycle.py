"""A thread's whole life in each dialect, over real HTTP against the sandbox.

create → stream (the sandbox's deterministic text) → transcript round trip → rename → delete,
and after the delete the server objects really are gone: a retrieve answers 404, the stored
responses included.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import openai
import pytest

from tui.core import session
from tui.core.api.base import Backend, Completed, Failed, TextDelta
from tui.core.api.metadata import METADATA_VALUE_MAX
from tui.core.record_access import Records
from tui.core.records import Dialect, Role, ThreadStatus
from tui.core.store import Store
from tui.sandbox import Sandbox, reply_text

BackendFactory = Callable[..., Backend]  # the backend_for fixture

PROMPT = "What is in the sandbox today?"


async def collect(events: object) -> tuple[str, list[object]]:
    text, seen = "", []
    async for event in events:  # type: ignore[attr-defined]
        seen.append(event)
        if isinstance(event, TextDelta):
            text += event.text
    return text, seen


@pytest.mark.parametrize("dialect", list(Dialect))
async def test_create_stream_transcript_rename_delete(
    dialect: Dialect,
    backend_for: BackendFactory,
    store: Store,
    records: Records,
    async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    backend = backend_for("acme", dialect)
    record = await session.create_and_record(records, backend, "First thread", owner="acme-team")
    assert store.get(record.id) is not None
    assert record.api == dialect and record.profile == "acme" and record.key_hint == "sk-…acme"

    text, events = await collect(session.send_message(records, backend, record, PROMPT))
    assert text == reply_text(PROMPT)
    done = events[-1]
    assert isinstance(done, Completed) and done.text == reply_text(PROMPT)
    assert done.usage is not None and done.usage.output_tokens > 0
    assert done.response_id

    local = store.transcript(record.id)
    assert [(t.role, t.text) for t in local] == [(Role.USER, PROMPT), (Role.ASSISTANT, text)]
    assert local[1].usage == done.usage and local[1].response_id == done.response_id

    server = await backend.fetch_transcript(record)
    assert [(t.role, t.text) for t in server] == [(Role.USER, PROMPT), (Role.ASSISTANT, text)]
    if dialect != Dialect.CHAT:
        assert all(t.item_id for t in server)
        assert server[1].item_id == done.item_id  # the stream's item is the transcript's item

    views = [turns async for turns in session.open_thread(records, backend, record)]
    assert len(views) == 2 and views[0] == local
    assert [(t.role, t.text) for t in views[1]] == [(Role.USER, PROMPT), (Role.ASSISTANT, text)]
    assert store.get(record.id).status == ThreadStatus.OK  # type: ignore[union-attr]

    async def this_backend(wanted: Dialect) -> Backend:
        assert wanted == dialect
        return backend

    renamed = await session.rename_thread(
        records, record, "Renamed", current_profile="acme", backend_for=this_backend
    )
    assert renamed.server is session.ServerTitle.RENAMED and renamed.reason is None
    assert store.get(record.id).title == "Renamed"  # type: ignore[union-attr]

    client = async_openai_client("acme")
    if dialect == Dialect.CONVERSATIONS:
        conversation = await client.conversations.retrieve(record.id)
        assert conversation.metadata == {"title": "Renamed", "app": "threadtui",
                                         "owner": "acme-team"}
        assert record.server_meta["response_ids"] == [done.response_id]
    elif dialect == Dialect.ASSISTANTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            thread = await client.beta.threads.retrieve(record.id)
        assert thread.metadata["title"] == "Renamed"  # type: ignore[index]

    assert await backend.check(record)
    report = await session.delete_thread(records, backend, record)
    assert report.complete, report.summary()
    assert store.get(record.id) is None and store.transcript(record.id) == []
    assert await backend.check(record) is (dialect == Dialect.CHAT)  # chat: nothing on a server
    if dialect == Dialect.CONVERSATIONS:
        assert report.removed == [done.response_id]
        with pytest.raises(openai.NotFoundError):
            await client.conversations.retrieve(record.id)
        with pytest.raises(openai.NotFoundError):
            await client.responses.retrieve(done.response_id)  # type: ignore[arg-type]
    elif dialect == Dialect.ASSISTANTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(openai.NotFoundError):
                await client.beta.threads.retrieve(record.id)


@pytest.mark.parametrize("dialect", [Dialect.CONVERSATIONS, Dialect.ASSISTANTS])
async def test_a_second_turn_sees_the_first_and_the_transcript_pages(
    dialect: Dialect, backend_for: BackendFactory, store: Store, records: Records
) -> None:
    """Enough turns to need more than one page of 100 items, oldest first."""
    backend = backend_for("acme", dialect)
    record = await session.create_and_record(records, backend, "Long")
    for number in range(52):
        _, events = await collect(session.send_message(records, backend, record, f"turn {number}"))
        assert isinstance(events[-1], Completed)
    server = await backend.fetch_transcript(record)
    assert len(server) == 104
    assert [t.text for t in server[::2]] == [f"turn {n}" for n in range(52)]
    assert server[-1].text == reply_text("turn 51")


async def test_chat_sends_the_whole_local_history(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    backend = backend_for("acme", Dialect.CHAT)
    record = await session.create_and_record(records, backend, "Chat")
    assert record.id.startswith("chat_") and len(record.id) == len("chat_") + 32
    await collect(session.send_message(records, backend, record, "one"))
    _, events = await collect(session.send_message(records, backend, record, "two"))
    done = events[-1]
    assert isinstance(done, Completed) and done.text == reply_text("two")
    # The server counts the prompt: history (one, its reply) plus "two" cost more than "two".
    assert done.usage is not None and done.usage.input_tokens > 1 + len("two")


async def test_title_metadata_is_truncated_and_strings_only(
    backend_for: BackendFactory,
    store: Store,
    records: Records,
    async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    backend = backend_for("acme")
    long_title = "t" * 2000
    record = await session.create_and_record(records, backend, long_title, owner="o" * 600)
    conversation = await async_openai_client("acme").conversations.retrieve(record.id)
    assert conversation.metadata is not None
    assert conversation.metadata["title"] == "t" * METADATA_VALUE_MAX
    assert conversation.metadata["owner"] == "o" * METADATA_VALUE_MAX
    assert record.title == long_title  # the local record keeps the whole title


async def test_delete_reports_responses_it_could_not_remove_and_keeps_them(
    backend_for: BackendFactory,
    store: Store,
    records: Records,
    sandbox: Sandbox,
    async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    """A response id the server refuses to delete is listed; the record keeps it for later."""
    from tui.sandbox import Fault

    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Partly")
    await collect(session.send_message(records, backend, record, "a"))
    await collect(session.send_message(records, backend, record, "b"))
    first, second = record.server_meta["response_ids"]
    sandbox.faults.next(Fault.server_error(), path=f"/responses/{first}$", method="DELETE")
    report = await session.delete_thread(records, backend, record)
    assert report.thread_deleted and not report.complete
    assert report.removed == [second]
    assert [obj for obj, _ in report.failed] == [first]
    assert "HTTP 500" in report.failed[0][1] and "[acme]" in report.failed[0][1]
    assert "could not remove 1" in report.summary()
    kept = store.get(record.id)
    assert kept is not None and kept.status == ThreadStatus.GONE
    assert kept.server_meta["response_ids"] == [first]
    # A second delete finishes the job, although the conversation already answers 404.
    report = await session.delete_thread(records, backend, kept)
    assert report.complete and report.removed == [first], report.summary()
    assert store.get(record.id) is None
    with pytest.raises(openai.NotFoundError):
        await async_openai_client("acme").responses.retrieve(first)


async def test_delete_of_a_thread_this_profile_cannot_see(
    backend_for: BackendFactory, store: Store, records: Records
) -> None:
    """Its responses answer 404 too, and must not be reported as removed."""
    mine = backend_for("acme")
    record = await session.create_and_record(records, mine, "Acme's")
    await collect(session.send_message(records, mine, record, "hello"))
    report = await session.delete_thread(records, backend_for("personal"), record)
    assert report.not_found and not report.thread_deleted and not report.removed
    assert store.get(record.id) is not None and await mine.check(record)
    assert (await session.delete_thread(records, mine, record)).complete  # the owner can


async def test_failed_turn_keeps_partial_text_in_store(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    from tui.sandbox import Fault, split_tokens

    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Cut")
    sandbox.faults.next(Fault.cut(after=5))
    text, events = await collect(session.send_message(records, backend, record, PROMPT))
    assert isinstance(events[-1], Failed)
    assert text == "".join(split_tokens(reply_text(PROMPT))[:5])
    turns = store.transcript(record.id)
    assert turns[-1].interrupted and turns[-1].text == text and turns[-1].error
    assert store.get(record.id).status == ThreadStatus.INTERRUPTED  # type: ignore[union-attr]
    # The stored response of the cut reply was noted at response.created and is deleted later.
    assert len(record.server_meta["response_ids"]) == 1
    assert store.get(record.id).server_meta == record.server_meta  # type: ignore[union-attr]
    report = await session.delete_thread(records, backend, record)
    assert report.complete and report.removed == record.server_meta["response_ids"]
