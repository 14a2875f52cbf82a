"""Every way a reply can go wrong ends as one ``Failed`` event, never an exception.

Faults are injected by the sandbox (over real HTTP); the streaming request of each dialect is
targeted by its path, so the setup calls before it (a legacy thread's message) go through.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest

from tui.core.api.base import (
    ApiError,
    AuthFailed,
    Backend,
    BadAnswer,
    BadRequest,
    Completed,
    Failed,
    Network,
    NotFound,
    QuotaExceeded,
    RateLimited,
    ServerError,
    StreamEvent,
    TextDelta,
    Timeout,
)
from tui.core.records import Dialect, Profile, ThreadRecord
from tui.core.store import Store
from tui.sandbox import Fault, Sandbox, reply_text, split_tokens

BackendFactory = Callable[..., Backend]  # the backend_for fixture

PROMPT = "Tell me about faults"
STREAM_PATH = {
    Dialect.CONVERSATIONS: r"/responses$",
    Dialect.ASSISTANTS: r"/runs$",
    Dialect.CHAT: r"/chat/completions$",
}


async def run(events: AsyncIterator[StreamEvent]) -> tuple[str, Failed | Completed]:
    text = ""
    last: Failed | Completed | None = None
    async for event in events:
        if isinstance(event, TextDelta):
            assert last is None, "no delta after the end"
            text += event.text
        else:
            assert last is None, "exactly one end event"
            last = event
    assert last is not None
    return text, last


async def thread(backend_for: BackendFactory, dialect: Dialect, store: Store) -> ThreadRecord:
    record = await backend_for("acme", dialect).create_thread("faults")
    store.upsert(record)
    return record


def partial(after: int) -> str:
    return "".join(split_tokens(reply_text(PROMPT))[:after])


@pytest.mark.parametrize("dialect", list(Dialect))
@pytest.mark.parametrize(
    ("fault", "error_class", "words"),
    [
        (Fault.cut(after=4), Network, "closed before the reply finished"),
        (Fault.fail(after=4, message="the model fell over"), ServerError, "the model fell over"),
        (Fault.error_event(after=4, message="overloaded now"), ServerError, "overloaded now"),
        (Fault.malformed(after=4), BadAnswer, "malformed event stream"),
    ],
    ids=["cut", "fail", "error_event", "malformed"],
)
async def test_a_stream_cut_off_half_way_keeps_its_partial_text(
    dialect: Dialect,
    fault: Fault,
    error_class: type[ApiError],
    words: str,
    backend_for: BackendFactory,
    store: Store,
    sandbox: Sandbox,
) -> None:
    record = await thread(backend_for, dialect, store)
    backend = backend_for("acme", dialect)
    sandbox.faults.next(fault, path=STREAM_PATH[dialect])
    text, end = await run(backend.stream_reply(record, PROMPT))
    assert isinstance(end, Failed), end
    assert type(end.error) is error_class, str(end.error)
    assert words in str(end.error)
    assert str(end.error).startswith("[acme] ")
    assert text == end.partial_text == partial(4)
    # The backend is still usable after a broken stream.
    text, end = await run(backend.stream_reply(record, PROMPT))
    assert isinstance(end, Completed) and text == reply_text(PROMPT)


@pytest.mark.parametrize("dialect", list(Dialect))
@pytest.mark.parametrize(
    ("fault", "error_class", "words"),
    [
        (
            Fault.unauthorized(),
            AuthFailed,
            "[acme] the key from $TT_ACME_KEY was rejected (sk-…acme): check it or run"
            " `threadtui config check`",
        ),
        (Fault.rate_limit(retry_after=3), RateLimited, "retry in 3 s"),
        (Fault.insufficient_quota(), QuotaExceeded, "retrying will not help"),
        (Fault.server_error(503), ServerError, "HTTP 503"),
    ],
    ids=["401", "429", "quota", "503"],
)
async def test_errors_before_the_first_byte_are_failed_with_no_text(
    dialect: Dialect,
    fault: Fault,
    error_class: type[ApiError],
    words: str,
    backend_for: BackendFactory,
    store: Store,
    sandbox: Sandbox,
) -> None:
    record = await thread(backend_for, dialect, store)
    sandbox.faults.next(fault, path=STREAM_PATH[dialect])
    text, end = await run(backend_for("acme", dialect).stream_reply(record, PROMPT))
    assert isinstance(end, Failed) and text == end.partial_text == ""
    assert type(end.error) is error_class
    message = str(end.error)
    assert words in message
    assert end.error.request_id and f"(request {end.error.request_id})" in message
    assert "sk-proj-sandbox" not in message  # the key itself never
    if isinstance(end.error, RateLimited):
        assert end.error.retry_after == 3


async def test_server_errors_are_retried_by_the_sdk_before_failing(
    backend_for: BackendFactory, store: Store, sandbox: Sandbox
) -> None:
    record = await thread(backend_for, Dialect.CONVERSATIONS, store)
    sandbox.faults.next(Fault.server_error(), times=3, path=STREAM_PATH[Dialect.CONVERSATIONS])
    backend = backend_for("acme", max_retries=2)
    _, end = await run(backend.stream_reply(record, PROMPT))
    assert isinstance(end, Failed) and isinstance(end.error, ServerError)
    assert sandbox.faults.pending() == []  # all three attempts reached the server
    # Two failures then a success: the SDK's retries hide it from the user.
    sandbox.faults.next(Fault.server_error(), times=2, path=STREAM_PATH[Dialect.CONVERSATIONS])
    text, end = await run(backend.stream_reply(record, PROMPT))
    assert isinstance(end, Completed) and text == reply_text(PROMPT)


async def test_wrong_key_and_foreign_thread_and_unknown_model(
    backend_for: BackendFactory,
    store: Store,
    profiles: dict[str, Profile],
) -> None:
    record = await thread(backend_for, Dialect.CONVERSATIONS, store)
    _, end = await run(backend_for("personal").stream_reply(record, PROMPT))
    assert isinstance(end, Failed) and isinstance(end.error, NotFound)
    assert "[personal] not found" in str(end.error)

    from dataclasses import replace

    odd = replace(record, model="gpt-nonexistent")
    _, end = await run(backend_for("acme").stream_reply(odd, PROMPT))
    assert isinstance(end, Failed) and isinstance(end.error, BadRequest)
    assert "choose another `model`" in str(end.error)

    with pytest.raises(NotFound):
        await backend_for("personal").fetch_transcript(record)


async def test_unreachable_server_and_timeout(
    backend_for: BackendFactory,
    store: Store,
    sandbox: Sandbox,
    profiles: dict[str, Profile],
    dead_url: str,
) -> None:
    record = await thread(backend_for, Dialect.CONVERSATIONS, store)
    from dataclasses import replace

    nowhere = replace(profiles["acme"], base_url=dead_url)
    _, end = await run(backend_for(profile=nowhere).stream_reply(record, PROMPT))
    assert isinstance(end, Failed) and isinstance(end.error, Network)
    assert f"cannot reach {dead_url}" in str(end.error)

    sandbox.faults.next(Fault.slow_first_byte(seconds=10))
    started = time.monotonic()
    _, end = await run(backend_for("acme", timeout=0.5).stream_reply(record, PROMPT))
    assert isinstance(end, Failed) and isinstance(end.error, Timeout)
    assert time.monotonic() - started < 5  # generous: the timeout is 0.5 s


async def test_errors_outside_streams_raise_the_taxonomy(
    backend_for: BackendFactory, sandbox: Sandbox
) -> None:
    sandbox.faults.next(Fault.unauthorized())
    with pytest.raises(AuthFailed, match=r"\$TT_ACME_KEY was rejected \(sk-…acme\)"):
        await backend_for("acme").create_thread("x")
    sandbox.faults.next(Fault.rate_limit(retry_after=0.25))
    with pytest.raises(RateLimited) as caught:
        await backend_for("acme").whoami()
    assert caught.value.retry_after == 0.25
