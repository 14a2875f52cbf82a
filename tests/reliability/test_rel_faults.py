"""Network faults during a reply, in the API layer and in the running app.

Each fault is injected by the sandbox over real HTTP on 127.0.0.1, on the reply's request only
(``/responses``), after a first exchange made the thread. For each one:

- the API layer (``session.send_message`` on a real Store) ends with exactly one ``Failed``,
  and the store holds the question and the partial reply marked interrupted, with the error;
- the app (Pilot) keeps running, shows the question, the partial reply and the error under it,
  notifies what happened and what to do, and ctrl+r then gets the whole reply;
- with the SDK's own retries (the app's default) a single 500 or 429-with-retry-after is
  invisible: the reply simply arrives.

Client retries are off (``max_retries=0``) where the failure itself is under test, and the
client timeout is one second for the slow-first-byte case, through ``ThreadApp``'s
``backend_factory`` seam: the real factory, with other client settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from app_harness import AppEnv, idle, make_app_env, wait_until
from rel_harness import backends, notifications, screen_text

from tui.app.widgets.message import MessageView
from tui.core import session
from tui.core.api.base import (
    ApiError,
    AuthFailed,
    Completed,
    Failed,
    Network,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TextDelta,
    Timeout,
)
from tui.core.api.factory import make_backend
from tui.core.keys import KeyRing
from tui.core.record_access import Records
from tui.core.records import Profile, Role, ThreadStatus
from tui.core.store import Store
from tui.sandbox import ACME_KEY, Fault, Sandbox, reply_text, split_tokens

FIRST = "first question"
SECOND = "second question"
AFTER = 10  # deltas before a mid-stream fault: "## Sandbox reply\n\nYou said: second"
REPLY_PATH = r"/responses$"
SLOW_TIMEOUT = 1.0  # client timeout for the slow-first-byte case (the server waits 3 s)


@dataclass(frozen=True)
class Case:
    fault: Fault
    error: type[ApiError]
    words: tuple[str, ...]  # what the message must say: what happened, what to do
    midstream: bool = False
    timeout: float | None = None

    @property
    def partial(self) -> str:
        return "".join(split_tokens(reply_text(SECOND))[:AFTER]) if self.midstream else ""


CASES = {
    "cut": Case(Fault.cut(after=AFTER), Network, ("closed before the reply finished",), True),
    "response.failed": Case(
        Fault.fail(after=AFTER, message="the model fell over"), ServerError,
        ("the reply failed on the server", "the model fell over"), True,
    ),
    "error-event": Case(
        Fault.error_event(after=AFTER, message="overloaded, try later"), ServerError,
        ("the reply failed on the server", "overloaded, try later"), True,
    ),
    "malformed-sse": Case(
        Fault.malformed(after=AFTER), ServerError, ("malformed event stream", "try again"), True
    ),
    "500": Case(Fault.server_error(), ServerError, ("HTTP 500", "try again later")),
    "429-retry-after": Case(Fault.rate_limit(retry_after=1), RateLimited, ("rate limited",
                                                                           "retry in 1 s")),
    "429-quota": Case(
        Fault.insufficient_quota(), QuotaExceeded,
        ("out of quota", "add credit", "retrying will not help"),
    ),
    "401": Case(
        Fault.unauthorized(), AuthFailed,
        ("was rejected (sk-…acme)", "threadtui config check"),
    ),
    "slow-first-byte": Case(
        Fault.slow_first_byte(seconds=3), Timeout, ("did not answer in time", "try again"),
        timeout=SLOW_TIMEOUT,
    ),
}


# ---------------------------------------------------------------------------- API layer


@pytest.fixture
def api_store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "data")


@pytest.fixture
def api_records(api_store: Store) -> Iterator[Records]:
    records = Records(api_store)
    yield records
    records.close()


def acme(sandbox: Sandbox) -> Profile:
    return Profile(name="acme", api_key_env="REL_KEY", base_url=sandbox.base_url)


async def exchange(
    records: Records, backend, record, text: str
) -> tuple[str, Completed | Failed]:
    received, end = "", None
    async for event in session.send_message(records, backend, record, text):
        if isinstance(event, TextDelta):
            assert end is None, "no delta after the end"
            received += event.text
        else:
            assert end is None, "exactly one end"
            end = event
    assert end is not None
    return received, end


@pytest.mark.parametrize("name", list(CASES))
async def test_api_layer_keeps_the_question_and_partial_reply_and_a_retry_works(
    name: str, sandbox: Sandbox, api_store: Store, api_records: Records
) -> None:
    case = CASES[name]
    options = {"timeout": case.timeout} if case.timeout else {}
    backend = make_backend(
        acme(sandbox), KeyRing(environ={"REL_KEY": ACME_KEY}), api_records, max_retries=0,
        **options,
    )
    try:
        record = await session.create_and_record(api_records, backend, "faults")
        _, end = await exchange(api_records, backend, record, FIRST)
        assert isinstance(end, Completed)

        sandbox.faults.next(case.fault, path=REPLY_PATH)
        received, end = await exchange(api_records, backend, record, SECOND)
        assert isinstance(end, Failed) and isinstance(end.error, case.error), end
        assert received == end.partial_text == case.partial
        message = str(end.error)
        assert all(words in message for words in case.words), message
        assert ACME_KEY not in message
        turns = api_store.transcript(record.id)
        assert [(t.role, t.text) for t in turns[-2:]] == [
            (Role.USER, SECOND), (Role.ASSISTANT, case.partial)
        ]
        assert turns[-1].interrupted and turns[-1].error == message
        assert api_store.get(record.id).status is ThreadStatus.INTERRUPTED

        # The backend is still usable: asking again gets the whole reply, recorded after.
        _, end = await exchange(api_records, backend, record, SECOND)
        assert isinstance(end, Completed) and end.text == reply_text(SECOND)
        turns = api_store.transcript(record.id)
        assert [t.text for t in turns] == [
            FIRST, reply_text(FIRST), SECOND, case.partial, SECOND, reply_text(SECOND)
        ]
        assert api_store.get(record.id).status is ThreadStatus.OK
    finally:
        await backend.aclose()
        api_store.close()


@pytest.mark.parametrize(
    "fault", [Fault.server_error(), Fault.rate_limit(retry_after=1)], ids=["500", "429"]
)
async def test_api_layer_one_500_or_429_then_success_is_retried_by_the_client(
    fault: Fault, sandbox: Sandbox, api_store: Store, api_records: Records,
    figures: Callable[[str], None],
) -> None:
    backend = make_backend(acme(sandbox), KeyRing(environ={"REL_KEY": ACME_KEY}), api_records)
    try:
        record = await session.create_and_record(api_records, backend, "retried")
        sandbox.faults.next(fault, path=REPLY_PATH)
        started = time.monotonic()
        _, end = await exchange(api_records, backend, record, SECOND)
        took = time.monotonic() - started
        assert isinstance(end, Completed) and end.text == reply_text(SECOND)
        assert sandbox.faults.pending() == []  # the fault was really served, then retried
        assert [t.text for t in api_store.transcript(record.id)] == [SECOND, reply_text(SECOND)]
        figures(f"reply after one {fault.kind} arrived in {took:.2f} s (SDK retry)")
    finally:
        await backend.aclose()
        api_store.close()


# ---------------------------------------------------------------------------- the app


def reply_view(app) -> MessageView:
    view = app.main.chat.last_view(Role.ASSISTANT)
    assert view is not None
    return view


async def send(pilot, text: str) -> None:
    pilot.app.main.composer.focus()
    pilot.app.main.composer.load_text(text)
    await pilot.press("enter")


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path):
    made = make_app_env(tmp_path, sandbox.base_url, sandbox)
    yield made
    made.store.close()


@pytest.mark.parametrize("name", list(CASES))
async def test_app_keeps_running_shows_what_happened_and_ctrl_r_gets_the_reply(
    name: str, env: AppEnv
) -> None:
    case = CASES[name]
    app = env.make_app(backend_factory=backends(timeout=case.timeout, max_retries=0))
    async with app.run_test(size=(120, 40)) as pilot:
        await idle(pilot, app)
        await send(pilot, FIRST)
        await idle(pilot, app, timeout=15)
        record = app.main.chat.record
        assert record is not None

        env.sandbox.faults.next(case.fault, path=REPLY_PATH)
        await send(pilot, SECOND)
        await wait_until(pilot, lambda: not app.main.replying, timeout=20)
        await idle(pilot, app, timeout=15)
        assert app.is_running

        # In the store: the question, then the partial reply marked interrupted, with why.
        turns = env.store.transcript(record.id)
        assert [(t.role, t.text) for t in turns[-2:]] == [
            (Role.USER, SECOND), (Role.ASSISTANT, case.partial)
        ]
        assert turns[-1].interrupted
        assert all(words in (turns[-1].error or "") for words in case.words), turns[-1].error
        assert env.store.get(record.id).status is ThreadStatus.INTERRUPTED

        # On screen: the question, the partial text, the error and the key that asks again.
        view = reply_view(app)
        assert view.turn.text == case.partial
        footer = str(view.query_one(".message-footer").render())
        assert all(words in footer for words in case.words), footer
        assert "ctrl+r" in footer
        screen = screen_text(app)
        assert SECOND in screen
        if case.midstream:
            assert "You said: second" in screen
        toast = [n for n in notifications(app) if n.startswith("Reply failed")]
        assert toast and all(words in toast[-1] for words in case.words), toast
        assert "ctrl+r" in toast[-1]
        assert ACME_KEY not in screen and all(ACME_KEY not in n for n in notifications(app))

        # ctrl+r asks again and the whole reply arrives, recorded after the failed one; the
        # question is in the record once, as in the server's conversation (issue 16.9).
        assert app.main.check_action("retry", ()) is True
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.main.replying, timeout=20)
        await idle(pilot, app, timeout=15)
        assert reply_view(app).turn.text == reply_text(SECOND)
        assert not reply_view(app).turn.error
        turns = env.store.transcript(record.id)
        assert [t.text for t in turns] == [
            FIRST, reply_text(FIRST), SECOND, case.partial, reply_text(SECOND)
        ]
        assert env.store.get(record.id).status is ThreadStatus.OK
        assert "deterministic" in screen_text(app)


@pytest.mark.parametrize(
    "fault", [Fault.server_error(), Fault.rate_limit(retry_after=1)], ids=["500", "429"]
)
async def test_app_one_500_or_429_then_success_just_arrives(fault: Fault, env: AppEnv) -> None:
    app = env.make_app()  # the app's own client settings: the SDK retries twice
    async with app.run_test(size=(120, 40)) as pilot:
        await idle(pilot, app)
        env.sandbox.faults.next(fault, path=REPLY_PATH)
        await send(pilot, SECOND)
        await wait_until(pilot, lambda: not app.main.replying, timeout=20)
        await idle(pilot, app, timeout=15)
        assert env.sandbox.faults.pending() == []
        assert reply_view(app).turn.text == reply_text(SECOND)
        assert not reply_view(app).turn.error
        assert not [n for n in notifications(app) if n.startswith("Reply failed")]
        turns = env.store.transcript(app.main.chat.record.id)
        assert [t.text for t in turns] == [SECOND, reply_text(SECOND)]
