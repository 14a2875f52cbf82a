"""Issue 16: what each dialect sends and shows when servers differ from the happy path.

Every test runs over real HTTP against the sandbox, through the real SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tui.core import session
from tui.core.api.base import Backend, Completed, Failed, NoConversations
from tui.core.keys import KeyRing
from tui.core.ownership import Verdict, resolve_not_found
from tui.core.record_access import Records
from tui.core.records import Dialect, Profile, Role, ThreadRecord, ThreadStatus
from tui.core.store import Store
from tui.sandbox import Fault, Sandbox

BackendFactory = Callable[..., Backend]  # the backend_for fixture


async def ends(events: Any) -> list[Any]:
    return [event async for event in events]


def sent(sandbox: Sandbox) -> list[list[tuple[str, str]]]:
    with sandbox.store.lock:
        return [[(m["role"], m["content"]) for m in messages]
                for messages in sandbox.store.chat_requests]


# ---------------------------------------------------------------- 1. chat history


async def test_chat_retry_sends_the_question_once_and_failed_questions_are_not_resent(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    backend = backend_for("acme", Dialect.CHAT)
    record = await session.create_and_record(records, backend, "Chat")
    first = await ends(session.send_message(records, backend, record, "one"))
    answer_one = first[-1].text
    sandbox.faults.next(Fault.server_error(), path=r"/chat/completions$")
    failed = await ends(session.send_message(records, backend, record, "two"))
    assert isinstance(failed[-1], Failed)
    # ctrl+r: the unanswered question is sent again, as the app does.
    retry = session.unanswered_prompt(store.transcript(record.id))
    assert retry == "two"
    again = await ends(session.send_message(records, backend, record, retry))
    assert isinstance(again[-1], Completed)
    # A question whose reply was cut half-way and then asked again is sent once, too.
    sandbox.faults.next(Fault.cut(after=2), path=r"/chat/completions$")
    await ends(session.send_message(records, backend, record, "three"))
    await ends(session.send_message(records, backend, record, "three"))
    await ends(session.send_message(records, backend, record, "four"))

    requests = sent(sandbox)
    assert requests[1] == [("user", "one"), ("assistant", answer_one), ("user", "two")]
    last = requests[-1]
    assert [m for m in last if m[0] == "user"] == [
        ("user", "one"), ("user", "two"), ("user", "three"), ("user", "four")
    ]
    for messages in requests:
        roles = [role for role, _ in messages]
        assert all(a != b for a, b in zip(roles, roles[1:], strict=False)), messages
    assert store.transcript(record.id)[-1].role is Role.ASSISTANT


# ---------------------------------------------------------------- 2. no /v1/conversations


@pytest.mark.parametrize("style", ["invalid_url", "detail", "405"])
async def test_a_server_without_conversations_is_a_profile_problem_not_a_missing_thread(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    profiles: dict[str, Profile], keyring: KeyRing, style: str,
) -> None:
    sandbox.features.conversations = False
    sandbox.features.missing_route = style
    backend = backend_for("acme")
    with pytest.raises(NoConversations) as raised:
        await backend.create_thread("New chat")
    said = str(raised.value)
    assert 'use api = "chat" for profile acme' in said
    assert "belongs to another" not in said and "not found" not in said

    # A recorded id is never marked gone because the server lacks the endpoint.
    record = ThreadRecord(id="conv_recorded1", profile="acme", base_url=sandbox.base_url)
    store.upsert(record)
    with pytest.raises(NoConversations):
        await backend.check(record)
    with pytest.raises(NoConversations):
        await backend.delete(record)
    outcome = await resolve_not_found(
        records, record, profiles, keyring, current_profile="acme", current_answered=False,
    )
    assert outcome.verdict is Verdict.UNKNOWN
    assert store.get(record.id).status is ThreadStatus.OK  # type: ignore[union-attr]
