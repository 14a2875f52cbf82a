"""What the three dialects share: one SDK client, error translation, identity, the stream loop.

Each dialect module says only how its calls and its stream events look; how a stream is
opened, read, cut off, closed and turned into ``TextDelta`` / ``Completed`` / ``Failed`` is
written once here, so the three cannot drift apart in the one place the UI depends on most.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

import openai

from tui.core.api.answers import (
    DEFAULT_LIMITS,
    AnswerLimits,
    AnswerProblem,
    Shape,
    is_event_stream,
    looks_sse,
    model_ids,
    model_shutdowns,
    parse_json,
    raise_error_body,
    read_json,
)
from tui.core.api.base import (
    ApiError,
    Completed,
    Failed,
    Network,
    StreamEvent,
    TextDelta,
)
from tui.core.api.errors import ErrorContext, to_api_error
from tui.core.api.identity import IdentityTracker, identity_from_headers
from tui.core.records import (
    Dialect,
    Identity,
    Profile,
    ThreadRecord,
    ThreadStatus,
    Turn,
    Usage,
)


class LocalStore(Protocol):
    """The slice of the record the backends use (assistant ids, chat history): async, so a
    backend never reads or writes a file on the caller's event loop (``Records`` serves it)."""

    async def get_meta(self, key: str, default: Any = None) -> Any: ...

    async def set_meta(self, key: str, value: Any) -> None: ...

    async def transcript(self, thread_id: str) -> list[Turn]: ...


class ClosableStream(Protocol):
    """What we need of ``openai.AsyncStream``: its HTTP response, iteration and close."""

    @property
    def response(self) -> Any: ...

    def __aiter__(self) -> AsyncIterator[Any]: ...

    async def close(self) -> None: ...


@dataclass(slots=True)
class ReplyState:
    """What one reply has produced so far; a dialect's event handler fills it in."""

    parts: list[str] = field(default_factory=list)
    response_id: str | None = None
    item_id: str | None = None
    usage: Usage | None = None
    final_text: str | None = None
    request_id: str | None = None
    # The reply's text is complete: the stream ending now is a normal end, not a cut-off.
    finished: bool = False
    outcome: Completed | Failed | None = None
    # The output message the last text came from (several in one reply are kept apart), and
    # whether the reply's text is all refusal.
    last_item: str | None = None
    refusal: bool = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def complete(self) -> None:
        text = self.final_text if self.final_text else self.text
        self.outcome = Completed(
            self.response_id, self.usage, text, self.item_id, refusal=self.refusal
        )

    def fail(self, error: ApiError) -> None:
        self.outcome = Failed(error, self.text)


def usage_from(raw: Any, *, prompt: str, completion: str) -> Usage | None:
    """Token counts from a usage object (or dict); the Responses API and the older two name
    them apart (``input_tokens`` vs ``prompt_tokens``). Counts that are not non-negative
    integers are refused (``AnswerProblem``)."""
    if raw is None:
        return None
    shape = Shape(raw, "a usage report")
    # Responses: input_tokens_details; Chat Completions: prompt_tokens_details.
    details = shape.part("input_tokens_details") or shape.part("prompt_tokens_details")
    return Usage(
        input_tokens=shape.count(prompt),
        output_tokens=shape.count(completion),
        total_tokens=shape.count("total_tokens"),
        cached_input_tokens=details.count("cached_tokens") if details else 0,
    )


# A dialect's handler: look at one SDK event, return new text (or None), set state.outcome at
# the end. Raising is allowed: the loop turns it into Failed.
EventHandler = Callable[[Any, ReplyState], str | None]
# A dialect's reading of a whole JSON body sent where a stream was asked for: the reply's
# (text, response id, item id, usage). Raises AnswerProblem when it is not a reply.
WholeReply = Callable[[Any], tuple[str, str | None, str | None, Usage | None]]


def _no_whole_reply(data: Any) -> tuple[str, str | None, str | None, Usage | None]:
    raise AnswerProblem("answered a JSON body where an event stream was asked for")


class SdkBackend:
    """Base of the SDK-backed dialects: one profile, one ``AsyncOpenAI`` client."""

    dialect: ClassVar[Dialect]

    def __init__(
        self,
        profile: Profile,
        client: openai.AsyncOpenAI,
        *,
        key_hint: str,
        tracker: IdentityTracker,
        secrets: Callable[[], Iterable[str]] = lambda: (),
        store: LocalStore | None = None,
        limits: AnswerLimits = DEFAULT_LIMITS,
    ) -> None:
        self.limits = limits
        self.profile = profile
        self.profile_name = profile.name
        self.client = client
        self.key_hint = key_hint
        self.store = store
        self._tracker = tracker
        self.errors = ErrorContext(profile=profile, key_hint=key_hint, secrets=secrets)

    # ------------------------------------------------------------ identity

    @property
    def last_identity(self) -> Identity | None:
        """The organization/project (and rate limits) the server's latest response reported."""
        return self._tracker.last

    async def whoami(self) -> Identity:
        """Check the key with the cheapest call and read who it bills from the headers.

        A 403 on ``/models`` means the key works but may not list models (restricted project
        keys): the headers are still read and ``models_listable`` is False.
        """
        try:
            raw = await self.client.models.with_raw_response.list()
        except openai.PermissionDeniedError as exc:
            return identity_from_headers(
                self.profile, self.key_hint, exc.response.headers, models_listable=False
            )
        except Exception as exc:
            raise self.error(exc) from None
        identity = identity_from_headers(self.profile, self.key_hint, raw.headers)
        try:
            shutdowns = model_shutdowns(read_json(raw.http_response))
        except AnswerProblem:  # the key works; a list that cannot be read warns of nothing
            return identity
        return replace(identity, model_shutdowns=tuple(sorted(shutdowns.items())))

    async def list_models(self) -> list[tuple[str, dt.date | None]]:
        """The models this key may use, each with the date the server says it shuts down."""
        data = await self.answer(self.client.models.with_raw_response.list(), "the models")
        with self.translate():
            shutdowns = model_shutdowns(data)
            return [(model, shutdowns.get(model)) for model in model_ids(data)]

    # ------------------------------------------------------------ errors

    def error(
        self, exc: BaseException, request_id: str | None = None, *, midstream: bool = False
    ) -> ApiError:
        return to_api_error(exc, self.errors, request_id=request_id, midstream=midstream)

    @contextmanager
    def translate(self) -> Iterator[None]:
        """Re-raise anything a call raised as the taxonomy: SDK exceptions, the boundary's
        ``AnswerProblem``, and whatever else reading an answer threw (ValueError, TypeError,
        KeyError, UnicodeError …). Only cancellation (not an Exception) passes.

        ``from None`` on purpose: the SDK's exception holds the request and its Authorization
        header, which must not ride along into a traceback the UI might log.
        """
        try:
            yield
        except ApiError:
            raise
        except Exception as exc:
            raise self.error(exc) from None

    async def answer(self, call: Awaitable[Any], what: str) -> Any:
        """The boundary for a plain call: ``call`` is an SDK ``with_raw_response`` coroutine;
        the result is the answer's JSON value, read and checked here (never the SDK's model,
        which is built without validation). Raises only ApiError."""
        with self.translate():
            raw = await call
            data = read_json(raw.http_response)
            raise_error_body(data)
            return data

    # ------------------------------------------------------------ records

    def new_record(
        self, thread_id: str, title: str, owner: str | None, created_at: float | None = None
    ) -> ThreadRecord:
        """A record for a thread this backend just made, stamped with who made it and where."""
        now = time.time()
        seen = self.last_identity
        return ThreadRecord(
            id=thread_id,
            api=self.dialect,
            profile=self.profile.name,
            organization=(seen.organization if seen else None) or self.profile.organization,
            project=(seen.project if seen else None) or self.profile.project,
            key_hint=self.key_hint,
            base_url=self.profile.base_url,
            model=self.profile.model,
            title=title,
            owner=owner if owner is not None else self.profile.owner,
            created_at=float(created_at) if created_at else now,
            last_active=now,
            status=ThreadStatus.OK,
        )

    def model_for(self, record: ThreadRecord) -> str:
        return record.model or self.profile.model

    def instructions_for(self, record: ThreadRecord) -> str | None:
        """The thread's own instructions, else its profile's default (None: none at all)."""
        return record.instructions or self.profile.instructions or None

    # ------------------------------------------------------------ streaming

    async def run_stream(
        self,
        open_stream: Callable[[], Awaitable[ClosableStream]],
        handle: EventHandler,
        whole: WholeReply = _no_whole_reply,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Open a stream, translate its events, and always end with Completed or Failed.

        Errors before the first byte (401, 429, 5xx after the SDK's retries, no network) and
        errors half-way (connection cut, ``error`` events, malformed SSE) both end as
        ``Failed`` with the text received so far; nothing raises out of here except
        cancellation. Closing this generator (``aclose()``) or cancelling the task reading it
        closes the HTTP response at once, so the server sees the connection go.

        An answer that is not an event stream (some servers and proxies answer a streaming
        request with one JSON body) is read whole and used: a reply becomes one TextDelta and
        Completed (``whole`` reads it), an error body becomes Failed.
        """
        state = ReplyState()
        try:
            stream = await open_stream()
        except Exception as exc:
            yield Failed(self.error(exc), "")
            return
        request_id = stream.response.headers.get("x-request-id")
        state.request_id = request_id
        try:
            if not is_event_stream(stream.response):
                body = await stream.response.aread()
                if not looks_sse(body):
                    text, response_id, item_id, usage = whole(
                        parse_json(body, _mime(stream.response))
                    )
                    if text:
                        yield TextDelta(text)
                    yield Completed(response_id, usage, text, item_id)
                    return
            async for event in stream:
                delta = handle(event, state)
                if delta:
                    state.parts.append(delta)
                    yield TextDelta(delta, refusal=state.refusal)
                if state.outcome is not None:
                    break
            if state.outcome is None and state.finished:
                state.complete()
            elif state.outcome is None:
                state.fail(
                    Network(
                        f"the connection to {self.errors.server} closed before the reply"
                        " finished",
                        profile=self.profile.name,
                        request_id=request_id,
                    )
                )
        except Exception as exc:
            state.fail(self.error(exc, request_id, midstream=True))
        finally:
            await stream.close()
        assert state.outcome is not None
        yield state.outcome

    # ------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        await self.client.close()


def _mime(response: Any) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
