"""Issue 16: what each dialect sends and shows when servers differ from the happy path.

Every test runs over real HTTP against the sandbox, through the real SDK.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from tui.core import session
from tui.core.api.base import (
    PART_SEPARATOR,
    Backend,
    Completed,
    Failed,
    Incomplete,
    NoConversations,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TextDelta,
)
from tui.core.keys import KeyRing
from tui.core.ownership import Verdict, resolve_not_found
from tui.core.record_access import Records
from tui.core.records import Dialect, Profile, Role, ThreadRecord, ThreadStatus
from tui.core.store import Store
from tui.sandbox import Fault, Sandbox, reply_text, split_tokens
from tui.sandbox.routes_responses import COMMENTARY_TEXT, REFUSAL_TEXT

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
        assert all(a != b for a, b in itertools.pairwise(roles)), messages
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


# ---------------------------------------------------------------- 3. several output items


async def test_several_output_messages_read_the_same_live_and_reopened(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Commentary")
    sandbox.faults.next(Fault.commentary(), path=r"/responses$")
    events = await ends(session.send_message(records, backend, record, "hello"))
    live = "".join(e.text for e in events if isinstance(e, TextDelta))
    done = events[-1]
    assert isinstance(done, Completed)
    expected = f"{COMMENTARY_TEXT}{PART_SEPARATOR}{reply_text('hello')}"
    assert live == done.text == expected
    stored = store.transcript(record.id)
    reopened = [turns async for turns in session.open_thread(records, backend, record)][-1]
    for turns in (stored, reopened, await backend.fetch_transcript(record)):
        assert [(t.role, t.text) for t in turns] == [
            (Role.USER, "hello"), (Role.ASSISTANT, expected)
        ]


# ---------------------------------------------------------------- 6. response.incomplete


async def test_an_incomplete_reply_says_why_and_is_not_offered_as_the_same_retry(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Incomplete")
    for reason, words in (("max_output_tokens", "output limit (max_output_tokens)"),
                          ("content_filter", "content filter")):
        sandbox.faults.next(Fault.incomplete(after=3, reason=reason), path=r"/responses$")
        events = await ends(session.send_message(records, backend, record, "long one"))
        end = events[-1]
        assert isinstance(end, Failed) and isinstance(end.error, Incomplete)
        assert end.error.reason == reason and not end.error.retryable
        assert words in str(end.error) and "same way" in str(end.error)
        assert end.partial_text == "".join(split_tokens(reply_text("long one"))[:3])
        assert store.transcript(record.id)[-1].text == end.partial_text


# ---------------------------------------------------------------- 7. refusals


async def test_a_refusal_streams_as_it_comes_marked_as_a_refusal(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Refusal")
    sandbox.faults.next(Fault.refusal(), path=r"/responses$")
    events = await ends(session.send_message(records, backend, record, "something bad"))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1 and all(d.refusal for d in deltas)
    assert "".join(d.text for d in deltas) == REFUSAL_TEXT
    done = events[-1]
    assert isinstance(done, Completed) and done.refusal and done.text == REFUSAL_TEXT
    assert store.transcript(record.id)[-1].refusal
    reopened = [turns async for turns in session.open_thread(records, backend, record)][-1]
    assert reopened[-1].refusal and reopened[-1].text == REFUSAL_TEXT
    # An ordinary reply is not marked.
    events = await ends(session.send_message(records, backend, record, "fine"))
    assert not any(e.refusal for e in events if isinstance(e, TextDelta | Completed))


async def test_a_refusal_stopped_half_way_stays_marked_in_the_record(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox
) -> None:
    """Stopped after two deltas (the user's ctrl+c), the part kept is still the model's
    refusal: the record says so, as the screen did while it streamed; an ordinary reply
    stopped the same way is not marked."""
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Refusal")
    for fault, marked in ((Fault.refusal(), True), (None, False)):
        if fault is not None:
            sandbox.faults.next(fault, path=r"/responses$")
        stream = session.send_message(records, backend, record, "something")
        seen: list[str] = []
        async for event in stream:
            if isinstance(event, TextDelta):
                seen.append(event.text)
                if len(seen) == 2:
                    break
        await stream.aclose()
        kept = store.transcript(record.id)[-1]
        assert kept.interrupted and kept.text == "".join(seen)
        assert kept.refusal is marked


# ---------------------------------------------------------------- 8. the error event


@pytest.mark.parametrize("fault", [Fault.error_event, Fault.nested_error],
                         ids=["flat", "nested"])
async def test_the_error_event_is_read_flat_or_nested(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    fault: Any,
) -> None:
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Errors")
    sandbox.faults.next(fault(after=2, message="the engine is overloaded"), path=r"/responses$")
    events = await ends(session.send_message(records, backend, record, "hi"))
    end = events[-1]
    assert isinstance(end, Failed) and isinstance(end.error, ServerError)
    assert "the engine is overloaded" in str(end.error)
    assert end.partial_text == "".join(split_tokens(reply_text("hi"))[:2])


# ---------------------------------------------------------------- 4. 429 without retry-after


@pytest.mark.parametrize(("wait", "header"), [(360.0, "6m0s"), (1.5, "1.5s"), (0.02, "20ms")])
async def test_a_429_without_retry_after_reads_the_rate_limit_reset(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    wait: float, header: str,
) -> None:
    from tui.sandbox.gateway import go_duration

    assert go_duration(wait) == header
    backend = backend_for("acme", max_retries=0)
    record = await session.create_and_record(records, backend, "Busy")
    sandbox.faults.next(Fault.rate_limit(wait, bare=True), path=r"/responses$")
    events = await ends(session.send_message(records, backend, record, "hi"))
    error = events[-1].error
    assert isinstance(error, RateLimited)
    assert error.retry_after is not None and abs(error.retry_after - wait) < 1e-6
    assert f"retry in {wait:g} s" in str(error)


# ---------------------------------------------------------------- 5. insufficient_quota


@pytest.mark.parametrize("bare", [False, True], ids=["x-should-retry", "no-header"])
async def test_insufficient_quota_is_not_retried(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox, bare: bool,
) -> None:
    backend = backend_for("acme", max_retries=2)
    record = await session.create_and_record(records, backend, "Broke")
    sandbox.faults.next(Fault.insufficient_quota(bare=bare), times=3, path=r"/responses$")
    events = await ends(session.send_message(records, backend, record, "hi"))
    assert isinstance(events[-1].error, QuotaExceeded)
    # One request reached the server: two of the three queued faults are left.
    assert [fault["times"] for fault in sandbox.faults.pending()] == [2]


# ---------------------------------------------------------------- 9. what a failed reply leaves


@pytest.mark.parametrize("leaves", ["nothing", "input", "partial"])
@pytest.mark.parametrize("fault", [Fault.cut, Fault.fail, Fault.error_event],
                         ids=["cut", "failed", "error-event"])
async def test_a_retry_puts_the_question_in_the_conversation_once(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    leaves: str, fault: Any,
) -> None:
    """Whatever a failed or cut-off response left in the conversation (nothing, the question,
    the question and a partial reply), ctrl+r's retry leaves the question there once, and the
    record agrees with the server's items."""
    sandbox.features.failed_turns = leaves
    backend = backend_for("acme")
    record = await session.create_and_record(records, backend, "Retry")
    await ends(session.send_message(records, backend, record, "one"))
    sandbox.faults.next(fault(after=2), path=r"/responses$")
    failed = await ends(session.send_message(records, backend, record, "two"))
    assert isinstance(failed[-1], Failed)
    left = [(t.role, t.text) for t in await backend.fetch_transcript(record)]
    assert left.count((Role.USER, "two")) == (0 if leaves == "nothing" else 1)

    retry = session.unanswered_prompt(store.transcript(record.id))
    assert retry == "two"
    again = await ends(session.send_message(records, backend, record, retry, again=True))
    assert isinstance(again[-1], Completed) and again[-1].text == reply_text("two")

    server = await backend.fetch_transcript(record)
    assert [t.text for t in server if t.role is Role.USER] == ["one", "two"]
    assert server[-1].role is Role.ASSISTANT and server[-1].text == reply_text("two")
    local = store.transcript(record.id)
    assert [t.text for t in local if t.role is Role.USER] == ["one", "two"]
    assert session.unanswered_prompt(local) is None
    reopened = [turns async for turns in session.open_thread(records, backend, record)][-1]
    assert [(t.role, t.text) for t in reopened if not t.interrupted] == [
        (t.role, t.text) for t in server if not t.interrupted
    ]
    assert [t.text for t in reopened if t.role is Role.USER] == ["one", "two"]


async def test_a_retry_that_cannot_read_the_items_sends_nothing(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
) -> None:
    """If the items cannot be read again, nothing is sent (it might be the second copy)
    and nothing is written: the retry stays on offer."""
    sandbox.features.failed_turns = "input"
    backend = backend_for("acme", max_retries=0)
    record = await session.create_and_record(records, backend, "Retry")
    sandbox.faults.next(Fault.cut(after=1), path=r"/responses$")
    await ends(session.send_message(records, backend, record, "two"))
    before = store.transcript(record.id)
    sandbox.faults.next(Fault.server_error(), path=r"/items$")
    events = await ends(session.send_message(records, backend, record, "two", again=True))
    assert [type(e) for e in events] == [Failed] and isinstance(events[0].error, ServerError)
    assert store.transcript(record.id) == before
    assert session.unanswered_prompt(before) == "two"
    server = await backend.fetch_transcript(record)
    assert [t.text for t in server if t.role is Role.USER] == ["two"]


# ---------------------------------------------------------------- 10. retired threads


async def test_a_legacy_thread_on_openai_is_retired_not_foreign_and_not_probed(
    store: Store, records: Records, sandbox: Sandbox, profiles: dict[str, Profile],
    keyring: KeyRing,
) -> None:
    openai_profiles = {
        name: Profile(name=name, api_key_env=p.api_key_env, api=Dialect.ASSISTANTS)
        for name, p in profiles.items()
    }  # on api.openai.com: any request would leave this machine, so none may be made
    record = ThreadRecord(id="thread_abc123", api=Dialect.ASSISTANTS, profile="acme",
                          base_url="https://api.openai.com/v1")
    store.upsert(record)
    outcome = await resolve_not_found(
        records, record, openai_profiles, keyring, current_profile="personal",
    )
    assert outcome.verdict is Verdict.RETIRED and outcome.owner is None and not outcome.probed
    assert "shut that API down on 2026-08-26" in outcome.message
    assert "another organization" not in outcome.message
    assert store.get(record.id).status is ThreadStatus.GONE  # type: ignore[union-attr]
    # A typed-in id without a server, asked from a profile on api.openai.com: the same.
    typed = ThreadRecord(id="thread_typed1", api=Dialect.ASSISTANTS)
    outcome = await resolve_not_found(
        records, typed, openai_profiles, keyring, current_profile="acme",
        current_answered=False,
    )
    assert outcome.verdict is Verdict.RETIRED


# ---------------------------------------------------------------- 12. data residency


async def test_a_thread_is_probed_on_the_host_it_was_made_on(
    backend_for: BackendFactory, store: Store, records: Records, sandbox: Sandbox,
    profiles: dict[str, Profile], keyring: KeyRing, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The profile now points at the global host; the thread was made on the regional one.
    Both hosts are played by the sandbox (``localhost`` vs ``127.0.0.1``), taken as OpenAI's."""
    from tui.core import ownership

    regional = sandbox.base_url  # http://127.0.0.1:PORT/v1, where the thread was made
    made = await backend_for("acme").create_thread("EU thread")
    record = ThreadRecord(id=made.id, profile="acme", base_url=regional)
    store.upsert(record)
    global_host = regional.replace("127.0.0.1", "localhost")
    moved = {name: Profile(name=p.name, api_key_env=p.api_key_env, base_url=global_host,
                           organization=p.organization) for name, p in profiles.items()}
    from tui.core.api import servers

    monkeypatch.setattr(ownership, "is_openai", lambda url: True)
    monkeypatch.setattr(servers, "is_openai", lambda url: True)
    outcome = await resolve_not_found(records, record, moved, keyring, current_profile="acme")
    assert outcome.verdict is Verdict.OWNER and outcome.owner == "acme"
    assert store.get(record.id).status is ThreadStatus.OK  # type: ignore[union-attr]


# ---------------------------------------------------------------- 13. a server without keys


async def test_a_keyless_chat_profile_works_end_to_end(
    store: Store, records: Records, sandbox: Sandbox,
) -> None:
    from tui.core.api.factory import make_backend
    from tui.core.keys import NO_KEY_PLACEHOLDER

    sandbox.features.keyless = True
    sandbox.features.conversations = False  # a local model server: chat only
    local = Profile(name="local", no_key=True, base_url=sandbox.base_url, api=Dialect.CHAT,
                    model="gpt-4.1-mini")
    backend = make_backend(local, KeyRing(environ={}), records)  # no variable set at all
    try:
        record = await session.create_and_record(records, backend, "Local")
        for question in ("one", "two"):
            events = await ends(session.send_message(records, backend, record, question))
            assert isinstance(events[-1], Completed), events[-1]
            assert events[-1].text == reply_text(question)
        assert sent(sandbox)[-1][0] == ("user", "one")
        assert NO_KEY_PLACEHOLDER not in str(store.get(record.id))
    finally:
        await backend.aclose()


def test_a_thread_is_reached_on_the_openai_host_it_was_made_on_and_nowhere_else() -> None:
    from tui.core.api.servers import thread_host

    eu, world = "https://eu.api.openai.com/v1", "https://api.openai.com/v1"
    assert thread_host(world, eu) == eu
    assert thread_host(None, eu) == eu  # no base_url: api.openai.com
    assert thread_host(eu, None) is None  # a record that names no host: the profile's
    assert thread_host(eu, eu + "/") is None  # the same host
    # Not OpenAI's: a local server's old port says nothing about where the thread is now.
    assert thread_host("http://127.0.0.1:11434/v1", "http://127.0.0.1:8080/v1") is None
    assert thread_host(world, "http://127.0.0.1:8080/v1") is None
