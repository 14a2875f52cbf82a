"""Legacy threads (the Assistants API): threads, messages, and runs that stream.

OpenAI shut this API down on 2026-08-26, but OpenAI-compatible servers may still serve it and
users have old threads recorded. A run needs an assistant: one is created per profile and
model and its id kept in the store (``assistant:<profile>:<model>``), so a session does not
litter the account with a new assistant per reply. The SDK warns on every call to this API;
the user cannot act on that, so the warning is silenced where each call is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections.abc import AsyncGenerator, Callable
from typing import Any, ParamSpec, TypeVar

import openai

from tui.core.api.answers import RAW_ANSWER, AnswerProblem, Pager, Shape, created, deleted, page
from tui.core.api.base import (
    ApiError,
    NotFound,
    ServerError,
    StreamEvent,
    Unsupported,
)
from tui.core.api.errors import error_from_code, unsupported
from tui.core.api.metadata import thread_metadata
from tui.core.api.sdk import ReplyState, SdkBackend, usage_from
from tui.core.api.servers import is_openai
from tui.core.records import DeleteReport, Dialect, Role, ThreadRecord, Turn

P = ParamSpec("P")
T = TypeVar("T")

PAGE_LIMIT = 100
SETTLE_TIMEOUT = 10.0
SETTLE_POLL = 0.1
ACTIVE_RUN = {"queued", "in_progress", "cancelling", "requires_action"}
ASSISTANT_NAME = "threadtui"
SHUT_DOWN = (
    "the Assistants API was shut down on 2026-08-26; this thread's transcript is kept locally"
)


def quietly(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call an SDK method of the Assistants API without its DeprecationWarning.

    The warning is raised synchronously when the coroutine is created, so a local filter
    around the call is enough and leaves the process's filters alone.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return call(*args, **kwargs)


def raw_quietly(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``quietly``, asking the SDK for the raw answer (what ``with_raw_response`` does, whose
    wrapper would warn only when awaited, out of the filter's reach): the boundary
    (``SdkBackend.answer``) reads and checks it."""
    return quietly(call, *args, extra_headers=RAW_ANSWER, **kwargs)


def assistant_meta_key(profile: str, model: str) -> str:
    return f"assistant:{profile}:{model}"


def _message_text(message: Shape | None) -> str:
    """The text parts of a message (or a message delta); wrong types raise AnswerProblem."""
    parts: list[str] = []
    for part in message.parts("content", "a part of a message") if message else []:
        kind = part.opt_text("type")
        if kind == "text":
            text = part.raw("text")
            if isinstance(text, str):
                parts.append(text)
            elif text is not None:
                parts.append(Shape(text, "a text part").opt_text("value") or "")
        elif kind == "refusal":
            parts.append(part.opt_text("refusal") or "")
    return "".join(parts)


class AssistantsBackend(SdkBackend):
    dialect = Dialect.ASSISTANTS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memory: dict[str, str] = {}  # assistant ids, also when there is no store
        # thread id → run whose stream we left before it ended (Esc). The server keeps such a
        # run going, and a thread with an active run refuses new messages.
        self._unfinished: dict[str, str] = {}

    def _retired(self, error: NotFound) -> ApiError:
        """On api.openai.com a 404 on the collections means the API is gone, not a thread."""
        if not is_openai(self.profile.base_url):
            return error
        return unsupported(self.errors, SHUT_DOWN, error.request_id)

    # ------------------------------------------------------------ assistant id

    async def _remembered(self, key: str) -> str | None:
        if key in self._memory:
            return self._memory[key]
        if self.store is not None:
            value = await self.store.get_meta(key)
            if isinstance(value, str) and value:
                self._memory[key] = value
                return value
        return None

    async def _remember(self, key: str, value: str) -> None:
        self._memory[key] = value
        if self.store is not None:
            await self.store.set_meta(key, value)

    async def assistant_id(self, model: str, *, fresh: bool = False) -> str:
        """The assistant runs use for ``model`` under this profile, created on first need."""
        key = assistant_meta_key(self.profile.name, model)
        if not fresh:
            known = await self._remembered(key)
            if known:
                return known
        try:
            data = await self.answer(
                raw_quietly(self.client.beta.assistants.create,
                    model=model,
                    name=ASSISTANT_NAME,
                    metadata={"app": ASSISTANT_NAME},
                ),
                "the new assistant",
            )
        except NotFound as exc:
            raise self._retired(exc) from None
        with self.translate():
            assistant = created(data, "the new assistant")
        await self._remember(key, assistant.id)
        return assistant.id

    async def _settle(self, record: ThreadRecord) -> None:
        """Before a new turn: cancel the run an earlier Esc left running and wait for its end.

        Best effort and bounded: a server without ``/cancel`` is waited for, and after
        ``SETTLE_TIMEOUT`` the new turn is tried anyway (its error then says why).
        """
        run_id = self._unfinished.pop(record.id, None)
        if run_id is None:
            return
        runs = self.client.beta.threads.runs
        deadline = time.monotonic() + SETTLE_TIMEOUT
        cancelled = False
        while time.monotonic() < deadline:
            try:
                data = await self.answer(
                    raw_quietly(runs.retrieve, run_id, thread_id=record.id),
                    "the run",
                )
                with self.translate():
                    status = Shape(data, "the run").opt_text("status")
            except ApiError:
                return
            if status not in ACTIVE_RUN:
                return
            if not cancelled:
                cancelled = True
                with contextlib.suppress(ApiError):
                    await self.answer(
                        raw_quietly(runs.cancel, run_id, thread_id=record.id),
                        "the cancelled run",
                    )
                continue
            await asyncio.sleep(SETTLE_POLL)

    # ------------------------------------------------------------ the protocol

    async def create_with_history(
        self,
        title: str,
        turns: list[Turn],
        owner: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ThreadRecord:
        """Not into a legacy thread: the Assistants API was shut down on OpenAI's own servers,
        and a copy made there would be retired too. Continue under a profile that speaks
        conversations (or chat)."""
        raise Unsupported(
            "a thread can be continued into conversations or a chat profile, not into a new"
            " Assistants thread (that API was shut down on 2026-08-26): pick another profile",
            profile=self.profile.name,
        )

    async def create_thread(self, title: str, owner: str | None = None) -> ThreadRecord:
        owner = owner if owner is not None else self.profile.owner
        try:
            data = await self.answer(
                raw_quietly(self.client.beta.threads.create,
                    metadata=thread_metadata(title, owner),
                ),
                "the new thread",
            )
        except NotFound as exc:
            raise self._retired(exc) from None
        with self.translate():
            thread = created(data, "the new thread")
        return self.new_record(thread.id, title, owner, thread.created_at)

    def stream_reply(self, record: ThreadRecord, text: str) -> AsyncGenerator[StreamEvent, None]:
        """Add the user's message, then stream a run; text arrives in thread.message.delta."""
        model = self.model_for(record)
        instructions = self.instructions_for(record)  # overrides the assistant's for this run

        async def start_run(assistant: str) -> Any:
            with self.translate():
                return await quietly(
                    self.client.beta.threads.runs.create,
                    record.id,
                    assistant_id=assistant,
                    stream=True,
                    instructions=instructions or openai.omit,  # none: the assistant's own
                )

        async def open_stream() -> Any:
            await self._settle(record)
            assistant = await self.assistant_id(model)
            data = await self.answer(
                raw_quietly(self.client.beta.threads.messages.create,
                    record.id, role="user", content=text,
                ),
                "the new message",
            )
            with self.translate():
                created(data, "the new message")
            try:
                return await start_run(assistant)
            except NotFound:
                # The thread was there a moment ago, so the remembered assistant is the one
                # missing (deleted in the dashboard): make a new one, once.
                if not await self.check(record):
                    raise
                return await start_run(await self.assistant_id(model, fresh=True))

        def handle(raw: Any, state: ReplyState) -> str | None:
            event = Shape(raw, "a stream event")
            kind = event.opt_text("event")
            data = event.part("data", f"the data of a {str(kind)[:60]} event")
            if data is None:
                return None
            if kind == "thread.message.delta":
                state.item_id = state.item_id or data.opt_id("id")
                return _message_text(data.part("delta", "a message delta")) or None
            if kind == "thread.run.created":
                state.response_id = data.opt_id("id")
                if state.response_id:
                    self._unfinished[record.id] = state.response_id
            elif kind == "thread.message.completed":
                state.item_id = data.opt_id("id") or state.item_id
                state.final_text = _message_text(data) or None
            elif kind == "thread.run.completed":
                state.response_id = data.opt_id("id") or state.response_id
                state.usage = usage_from(
                    data.raw("usage"), prompt="prompt_tokens", completion="completion_tokens"
                )
                state.complete()
            elif kind == "thread.run.failed":
                failure = data.part("last_error")
                state.fail(error_from_code(
                    failure.opt_text("code") if failure else None,
                    failure.opt_text("message") if failure else None,
                    self.errors, request_id=state.request_id,
                ))
            elif kind in {"thread.run.incomplete", "thread.run.expired", "thread.run.cancelled"}:
                state.fail(ServerError(
                    f"the run ended as {kind.rsplit('.', 1)[-1]} before the reply finished",
                    profile=self.profile.name, request_id=state.request_id,
                ))
            elif kind == "thread.run.requires_action":
                state.fail(Unsupported(
                    "the assistant asked to call a tool, which threadtui does not do",
                    profile=self.profile.name, request_id=state.request_id,
                ))
            elif kind == "error":
                state.fail(error_from_code(
                    data.opt_text("code"), data.opt_text("message"),
                    self.errors, request_id=state.request_id,
                ))
            if kind == "thread.run.completed":
                self._unfinished.pop(record.id, None)  # any other end is checked next turn
            return None

        return self.run_stream(open_stream, handle)

    async def fetch_transcript(self, record: ThreadRecord) -> list[Turn]:
        """Every message of the thread, oldest first; an expired thread answers NotFound."""
        turns: list[Turn] = []
        after: str | None = None
        pager = Pager("thread messages", self.limits)
        messages = self.client.beta.threads.messages
        while True:
            if after is None:
                call = raw_quietly(messages.list, record.id, limit=PAGE_LIMIT, order="asc")
            else:
                call = raw_quietly(
                    messages.list, record.id, limit=PAGE_LIMIT, order="asc", after=after
                )
            data = await self.answer(call, "the thread's messages")
            with self.translate():
                got = page(data, "thread messages")
                for message in got.items:
                    role = Role.ASSISTANT if message.opt_text("role") == "assistant" else Role.USER
                    turns.append(Turn(
                        role=role,
                        text=_message_text(message),
                        at=message.opt_number("created_at") or record.created_at,
                        item_id=message.id(),
                        response_id=message.opt_id("run_id"),
                    ))
                after = pager.next_cursor(got)
            if after is None:
                return turns

    async def rename(self, record: ThreadRecord, title: str) -> None:
        data = await self.answer(
            raw_quietly(self.client.beta.threads.update,
                record.id,
                metadata=thread_metadata(title, record.owner),
            ),
            "the renamed thread",
        )
        with self.translate():
            created(data, "the renamed thread")

    async def check(self, record: ThreadRecord) -> bool:
        try:
            data = await self.answer(
                raw_quietly(self.client.beta.threads.retrieve, record.id),
                "the thread",
            )
            with self.translate():
                created(data, "the thread")
        except NotFound:
            return False
        return True

    async def delete(self, record: ThreadRecord) -> DeleteReport:
        """Delete the thread (its messages and runs go with it); the shared assistant stays."""
        report = DeleteReport(thread_id=record.id)
        try:
            data = await self.answer(
                raw_quietly(self.client.beta.threads.delete, record.id),
                "the thread",
            )
            with self.translate():
                if not deleted(data, "the thread"):
                    raise AnswerProblem("said the thread was not deleted")
        except NotFound:
            report.not_found = True
        except ApiError as exc:
            report.failed.append((record.id, str(exc)))
        else:
            report.thread_deleted = True
        return report
