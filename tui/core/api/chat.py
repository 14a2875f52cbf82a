"""Chat Completions, for any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp …).

These servers keep no conversation: the thread id is ours (``chat_<hex>``), the history is the
local transcript, and the whole of it is sent with every turn. Nothing exists on the server to
rename, check or delete, so those calls only report.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

import openai

from tui.core.api.answers import AnswerProblem, Shape
from tui.core.api.base import StreamEvent
from tui.core.api.sdk import ReplyState, SdkBackend, usage_from
from tui.core.records import DeleteReport, Dialect, Role, ThreadRecord, Turn, Usage

THREAD_PREFIX = "chat_"


def new_thread_id() -> str:
    return f"{THREAD_PREFIX}{uuid.uuid4().hex}"


def before_last_question(turns: Sequence[Turn], text: str) -> list[Turn]:
    """The transcript before its latest user turn asking ``text`` (all of it if none)."""
    for index in range(len(turns) - 1, -1, -1):
        if turns[index].role is Role.USER and turns[index].text == text:
            return list(turns[:index])
    return list(turns)


def history_messages(turns: Sequence[Turn], text: str) -> list[dict[str, str]]:
    """The messages to send: the answered exchanges of the transcript, then ``text``.

    The session writes the user's turn to the store before it streams (nothing typed is ever
    lost), so the transcript may end with this very question, and a failed, stopped or lost
    reply leaves its question behind (followed by an ``interrupted`` assistant turn, or by
    nothing). None of that is sent: a question is sent only with the reply it got, and a
    retry (the same question after a failed reply) sends it once. A stopped reply that kept
    some text is sent as it was shown, unless its question was asked again. The result never
    holds two user messages in a row.
    """
    kept: list[Turn] = []
    pending: Turn | None = None  # a user turn waiting for its reply
    for index, turn in enumerate(turns):
        if turn.role is Role.USER:
            pending = turn  # an earlier question without a reply is dropped
            continue
        if turn.role is not Role.ASSISTANT:
            if turn.text:
                kept.append(turn)
            continue
        if pending is None:
            continue  # a reply to nothing (a merged or damaged transcript): no context
        if not turn.text or (turn.interrupted and _asked_again(turns, index, pending.text)):
            pending = None
            continue
        kept += [pending, turn]
        pending = None
    messages = [{"role": str(turn.role), "content": turn.text} for turn in kept]
    messages.append({"role": "user", "content": text})
    return messages


def _asked_again(turns: Sequence[Turn], index: int, question: str) -> bool:
    """Whether the next user turn after ``index`` repeats ``question`` (a retry)."""
    for later in turns[index + 1:]:
        if later.role is Role.USER:
            return later.text == question
    return False


def _first_choice(chunk: Shape) -> Shape | None:
    """Choice 0 of a chunk or completion (others are alternatives nobody asked for)."""
    for choice in chunk.parts("choices", "a choice of the reply"):
        index = choice.raw("index")
        if index in (0, None):
            return choice
        if isinstance(index, bool) or not isinstance(index, int):
            raise AnswerProblem("sent a choice whose index is not a number")
    return None


def whole_completion(data: Any) -> tuple[str, str | None, str | None, Usage | None]:
    """A whole Chat Completion sent where its stream was asked for: its text, id and usage."""
    completion = Shape(data, "the reply")
    choice = _first_choice(completion)
    message = choice.part("message", "the reply's message") if choice else None
    text = message.opt_text("content") if message else None
    if not text:
        raise AnswerProblem("answered a JSON body that is not a reply where a stream was asked for")
    usage = usage_from(
        completion.raw("usage"), prompt="prompt_tokens", completion="completion_tokens"
    )
    return text, completion.opt_id("id"), None, usage


class ChatBackend(SdkBackend):
    dialect = Dialect.CHAT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set to False once the server has refused stream_options: no point asking again.
        self.include_usage = True

    async def transcript(self, record: ThreadRecord) -> list[Turn]:
        """The local transcript; without a store (one-off use) there is no history to send."""
        if self.store is None:
            return []
        return list(await self.store.transcript(record.id))

    async def create_thread(self, title: str, owner: str | None = None) -> ThreadRecord:
        return self.new_record(new_thread_id(), title, owner)

    async def create_with_history(
        self,
        title: str,
        turns: list[Turn],
        owner: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ThreadRecord:
        """Chat Completions keeps no thread: the history is the record's transcript, which the
        caller writes, and is sent whole with every turn."""
        if progress:
            progress(len(turns), len(turns))
        return self.new_record(new_thread_id(), title, owner)

    def stream_reply(
        self, record: ThreadRecord, text: str, *, resend: bool = True
    ) -> AsyncGenerator[StreamEvent, None]:
        """Send the whole history; ask for usage unless the server has refused that once.

        ``resend=False``: ``text`` is the recorded latest question, to be answered anew
        (regenerate): the history sent stops before it, whatever replies followed it."""
        model = self.model_for(record)
        messages: list[dict[str, str]] = []

        async def create(include_usage: bool) -> Any:
            extra: dict[str, Any] = (
                {"stream_options": {"include_usage": True}} if include_usage else {}
            )
            return await self.client.chat.completions.create(
                model=model, messages=messages, stream=True, **extra  # type: ignore[arg-type]
            )

        async def open_stream() -> Any:
            instructions = self.instructions_for(record)
            if instructions:  # Chat Completions' instructions: a system message first
                messages.append({"role": "system", "content": instructions})
            turns = await self.transcript(record)
            if not resend:
                turns = before_last_question(turns, text)
            messages.extend(history_messages(turns, text))
            if not self.include_usage:
                return await create(False)
            try:
                return await create(True)
            except openai.BadRequestError:
                # Some servers reject stream_options outright; retry once without it and
                # remember only if that works (the 400 may have been about something else).
                stream = await create(False)
                self.include_usage = False
                return stream

        def handle(raw: Any, state: ReplyState) -> str | None:
            chunk = Shape(raw, "a chunk of the reply")
            state.response_id = state.response_id or chunk.opt_id("id")
            usage = chunk.raw("usage")
            if usage is not None:
                state.usage = usage_from(
                    usage, prompt="prompt_tokens", completion="completion_tokens"
                )
            delta_text: str | None = None
            choice = _first_choice(chunk)
            if choice is not None:
                delta = choice.part("delta", "a chunk's delta")
                content = delta.opt_text("content") if delta else None
                if content:
                    delta_text = content
                if choice.opt_text("finish_reason"):
                    # The text is whole; a usage chunk may follow when it was asked for, and
                    # a stream that ends without it still ends normally.
                    state.finished = True
            if state.finished and (usage is not None or not self.include_usage):
                state.complete()
            return delta_text

        return self.run_stream(open_stream, handle, whole_completion)

    async def fetch_transcript(self, record: ThreadRecord) -> list[Turn]:
        return await self.transcript(record)

    async def rename(self, record: ThreadRecord, title: str) -> None:
        """Nothing on the server has a title; the local record is all there is."""

    async def check(self, record: ThreadRecord) -> bool:
        return True

    async def delete(self, record: ThreadRecord) -> DeleteReport:
        """Nothing to delete on the server; the report says the thread is gone from it."""
        return DeleteReport(thread_id=record.id, thread_deleted=True)
