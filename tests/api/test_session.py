"""The order of writes in the session flows: nothing typed or received is ever lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import openai
import pytest

from tui.core import session
from tui.core.api.base import Backend, Completed, Failed
from tui.core.keys import KeyResolutionError
from tui.core.record_access import Records
from tui.core.records import Dialect, Profile, Role, ThreadStatus
from tui.core.store import Store
from tui.sandbox import Fault, Sandbox, reply_text, split_tokens

BackendFactory = Callable[..., Backend]  # the backend_for fixture


async def ends(events: object) -> list[object]:
    return [event async for event in events]  # type: ignore[attr-defined]


async def test_the_users_text_is_stored_even_when_no_server_answers(
    backend_for: BackendFactory, store: Store, records: Records,
    profiles: dict[str, Profile], dead_url: str
) -> None:
    record = await session.create_and_record(records, backend_for("acme"), "Offline")
    offline = backend_for(profile=replace(profiles["acme"], base_url=dead_url))
    events = await ends(session.send_message(records, offline, record, "please keep this"))
    assert len(events) == 1 and isinstance(events[0], Failed)
    user, answer = store.transcript(record.id)
    assert (user.role, user.text) == (Role.USER, "please keep this")
    assert answer.role == Role.ASSISTANT and answer.interrupted and answer.text == ""
    assert answer.error is not None and "cannot reach" in answer.error
    assert store.get(record.id).status == ThreadStatus.INTERRUPTED  # type: ignore[union-attr]

    # The next reply that completes makes the thread ok again.
    events = await ends(session.send_message(records, backend_for("acme"), record, "again"))
    assert isinstance(events[-1], Completed)
    assert store.get(record.id).status == ThreadStatus.OK  # type: ignore[union-attr]


async def test_open_thread_keeps_an_interrupted_partial_where_it_was(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    """A cut reply leaves nothing in the conversation; the local partial stays in place when
    the server's transcript is merged in."""
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Merge")
    sandbox.faults.next(Fault.cut(after=3))
    await ends(session.send_message(records, backend, record, "first"))
    await ends(session.send_message(records, backend, record, "second"))
    local, merged = [turns async for turns in session.open_thread(records, backend, record)]
    expected = [
        (Role.USER, "first", False),
        (Role.ASSISTANT, "".join(split_tokens(reply_text("first"))[:3]), True),
        (Role.USER, "second", False),
        (Role.ASSISTANT, reply_text("second"), False),
    ]
    assert [(t.role, t.text, t.interrupted) for t in local] == expected
    assert [(t.role, t.text, t.interrupted) for t in merged] == expected
    assert merged[2].item_id and merged[3].item_id  # the server's turns carry their ids now
    assert store.transcript(record.id) == merged


async def test_open_thread_of_a_legacy_thread_after_esc(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    """The user's turn, stored locally without an id, meets the server's copy once (matched
    by role and text), and the partial the user saw stays visible beside the server's view."""
    backend = backend_for("acme", Dialect.ASSISTANTS)
    record = await session.create_and_record(records, backend, "Legacy")
    sandbox.model.update(tokens=40, delay_s=0.005)
    events = session.send_message(records, backend, record, "go")
    async for _ in events:
        break
    await events.aclose()
    views = [turns async for turns in session.open_thread(records, backend, record)]
    assert views[0][-1].interrupted
    roles = [t.role for t in views[1]]
    assert roles[0] == Role.USER and roles.count(Role.USER) == 1
    assert any(t.interrupted for t in views[1])


# ---------------------------------------------------------------------------- rename


async def test_rename_is_local_first_then_on_the_server_for_a_thread_of_ours(
    backend_for: BackendFactory, store: Store, records: Records,
    async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Before")
    asked: list[Dialect] = []

    async def acme(dialect: Dialect) -> Backend:
        asked.append(dialect)
        return backend

    renamed = await session.rename_thread(
        records, record, "After", current_profile="acme", backend_for=acme
    )
    stored = store.get(record.id)
    assert stored is not None and stored.title == "After"
    assert renamed == session.Renamed(stored, session.ServerTitle.RENAMED)
    assert asked == [Dialect.CONVERSATIONS] and record.title == "After"
    conversation = await async_openai_client("acme").conversations.retrieve(record.id)
    assert conversation.metadata["title"] == "After"  # type: ignore[index]


@pytest.mark.parametrize(
    ("status", "profile", "why"),
    [
        (ThreadStatus.GONE, "acme", "the server no longer has this thread"),
        (ThreadStatus.FOREIGN, "personal", "belongs to profile personal, not acme"),
        (ThreadStatus.OK, "personal", "belongs to profile personal, not acme"),
    ],
)
async def test_rename_of_a_thread_not_ours_stays_local_and_asks_no_server(
    status: ThreadStatus, profile: str, why: str,
    backend_for: BackendFactory, store: Store, records: Records,
    async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    record = await session.create_and_record(records, backend_for("acme"), "Before")
    store.update_thread(record.id, status=status, profile=profile)

    async def never(dialect: Dialect) -> Backend:
        raise AssertionError("no backend is needed")

    renamed = await session.rename_thread(
        records, replace(record, status=status, profile=profile), "After",
        current_profile="acme", backend_for=never,
    )
    assert renamed.server is session.ServerTitle.NOT_ASKED and why in (renamed.reason or "")
    assert store.get(record.id).title == "After"  # type: ignore[union-attr]
    conversation = await async_openai_client("acme").conversations.retrieve(record.id)
    assert conversation.metadata["title"] == "Before"  # type: ignore[index]


async def test_a_failed_server_rename_keeps_the_local_title_and_says_why(
    backend_for: BackendFactory, store: Store, records: Records,
    profiles: dict[str, Profile], dead_url: str,
) -> None:
    record = await session.create_and_record(records, backend_for("acme"), "Before")
    offline = backend_for(profile=replace(profiles["acme"], base_url=dead_url))

    async def unreachable(dialect: Dialect) -> Backend:
        return offline

    renamed = await session.rename_thread(
        records, record, "After", current_profile="acme", backend_for=unreachable
    )
    assert renamed.server is session.ServerTitle.FAILED
    assert renamed.reason is not None and "cannot reach" in renamed.reason
    assert store.get(record.id).title == "After"  # type: ignore[union-attr]

    async def no_key(dialect: Dialect) -> Backend:
        raise KeyResolutionError("acme", "no key for acme")

    renamed = await session.rename_thread(
        records, record, "Again", current_profile="acme", backend_for=no_key
    )
    assert (renamed.server, renamed.reason) == (session.ServerTitle.FAILED, "no key for acme")
    assert store.get(record.id).title == "Again"  # type: ignore[union-attr]
