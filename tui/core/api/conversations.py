"""The default dialect: a Conversation holds the state, each turn is a streamed Response.

The conversation object has no title field, so the title (and the owner tag) live in its
metadata, within the API's limits. Deleting a conversation leaves its items and the stored
responses behind, so ``delete`` removes every response the app made in it first; their ids
are written into ``record.server_meta["response_ids"]`` the moment the stream reveals them, so
even an interrupted reply can be deleted later.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import Any

import openai

from tui.core.api.answers import AnswerProblem, Pager, Shape, created, deleted, page
from tui.core.api.base import (
    PART_SEPARATOR,
    ApiError,
    BadRequest,
    HistoryNotCarried,
    Incomplete,
    NoConversations,
    NotFound,
    ServerError,
    StreamEvent,
)
from tui.core.api.errors import error_from_code
from tui.core.api.metadata import thread_metadata
from tui.core.api.sdk import ReplyState, SdkBackend, usage_from
from tui.core.records import RESPONSE_IDS, DeleteReport, Dialect, Role, ThreadRecord, Turn, Usage

PAGE_LIMIT = 100
RECENT_ITEMS = 20  # enough to see past a failed reply's leftovers to its question
ITEMS_PER_CALL = 20  # the API takes at most 20 items per create call


def history_item(turn: Turn) -> dict[str, Any]:
    """A conversation item carrying one turn of a transcript, as the API takes it."""
    kind = "output_text" if turn.role is Role.ASSISTANT else "input_text"
    return {
        "type": "message",
        "role": str(turn.role),
        "content": [{"type": kind, "text": turn.text}],
    }


def _role(value: str | None) -> Role | None:
    if value == "user":
        return Role.USER
    if value == "assistant":
        return Role.ASSISTANT
    if value in {"system", "developer"}:
        return Role.SYSTEM
    return None


def _content_text(message: Shape) -> str:
    """Join the text parts of a message (input_text, output_text, text, refusal); parts of
    other kinds (images, files) carry no text. Wrong types are refused (``AnswerProblem``)."""
    return _content(message)[0]


def _content(message: Shape) -> tuple[str, bool]:
    """The text of a message, and whether it is all refusal (and not empty)."""
    parts: list[str] = []
    refused = False
    other = False
    for part in message.parts("content", "a part of a message"):
        kind = part.opt_text("type")
        if kind == "refusal":
            parts.append(part.opt_text("refusal") or "")
            refused = True
        elif kind in {"input_text", "output_text", "text", None}:
            parts.append(part.opt_text("text") or "")
            other = True
    return "".join(parts), refused and not other


def turn_from_item(item: Any, at: float) -> Turn | None:
    """A transcript turn from one conversation item (a dict or the SDK's model); None for
    items that are not messages. Raises ``AnswerProblem`` for a message of the wrong shape."""
    shape = item if isinstance(item, Shape) else Shape(item, "a conversation item")
    if shape.opt_text("type") != "message":
        return None
    role = _role(shape.opt_text("role"))
    if role is None:
        return None
    # Every item the API lists has an id; merging with the local transcript relies on it.
    text, refused = _content(shape)
    # A reply cut off or failed may leave its partial message behind (``incomplete``): it
    # is shown as the interrupted reply it was, never glued to the next reply.
    cut = role is Role.ASSISTANT and shape.opt_text("status") == "incomplete"
    return Turn(role=role, text=text, at=at, item_id=shape.id("id"), refusal=refused,
                interrupted=cut)


def join_replies(turns: list[Turn]) -> list[Turn]:
    """One turn per reply: the output messages of one response (a commentary message, then
    the answer) are consecutive assistant items, joined as they were shown live, in the
    server's order, by ``PART_SEPARATOR``; the turn keeps the first message's item id. An
    interrupted message (left by a reply that did not complete) is a reply of its own."""
    joined: list[Turn] = []
    for turn in turns:
        last = joined[-1] if joined else None
        if (last is not None and last.role is Role.ASSISTANT and turn.role is Role.ASSISTANT
                and not last.interrupted and not turn.interrupted):
            if turn.text:
                last.text = f"{last.text}{PART_SEPARATOR}{turn.text}" if last.text else turn.text
            last.refusal = last.refusal and turn.refusal
            continue
        joined.append(turn)
    return joined


def _event(event: Any) -> Shape:
    return Shape(event, f"a stream event ({str(getattr(event, 'type', '?'))[:60]})")


def whole_response(data: Any) -> tuple[str, str | None, str | None, Usage | None]:
    """A whole Response object sent where its stream was asked for: its text, ids, usage."""
    response = Shape(data, "the reply")
    if response.opt_text("object") not in {"response", None} or response.raw("output") is None:
        raise AnswerProblem("answered a JSON body that is not a reply where a stream was asked for")
    status = response.opt_text("status")
    if status == "incomplete":
        details = response.part("incomplete_details")
        raise incomplete(details.opt_text("reason") if details else None)
    if status in {"failed", "cancelled"}:
        error = response.part("error")
        raise ServerError(
            f"the reply ended as {status}"
            + (f": {error.opt_text('message') or ''}" if error else "")
        )
    text, item_id, _ = _output(response)
    if not text:
        raise AnswerProblem("answered a reply without any text where a stream was asked for")
    usage = usage_from(response.raw("usage"), prompt="input_tokens", completion="output_tokens")
    return text, response.id(), item_id, usage


def _output(response: Shape) -> tuple[str, str | None, bool]:
    """The text of a response's message outputs in the server's order (joined by
    ``PART_SEPARATOR``, as shown live), the first message's item id, and whether it is all
    refusal."""
    texts: list[str] = []
    item_id: str | None = None
    refused = True
    for item in response.parts("output", "an output of the reply"):
        if item.opt_text("type") == "message":
            item_id = item_id or item.opt_id("id")
            text, is_refusal = _content(item)
            if text:
                texts.append(text)
                refused = refused and is_refusal
    return PART_SEPARATOR.join(texts), item_id, refused and bool(texts)


INCOMPLETE_REASONS = {
    "max_output_tokens": "it reached the output limit (max_output_tokens)",
    "content_filter": "the content filter stopped it",
}


def incomplete(reason: str | None, **kwargs: Any) -> Incomplete:
    """The reply ended ``incomplete``: why, and that asking the same again ends the same."""
    why = INCOMPLETE_REASONS.get(reason or "", f"reason: {reason or 'none given'}")
    return Incomplete(
        f"the reply stopped early: {why}; sending the same request again would stop the same"
        " way (the partial reply is kept)",
        reason=reason, **kwargs,
    )


class ConversationsBackend(SdkBackend):
    dialect = Dialect.CONVERSATIONS

    async def answer(self, call: Any, what: str) -> Any:
        """``SdkBackend.answer``, knowing that a server without ``/v1/conversations`` (a
        local model server) answers 404 or 405 for the path itself: that is a profile
        problem, said as such (``NoConversations``), never a verdict on a thread."""
        try:
            return await super().answer(call, what)
        except (NotFound, BadRequest) as exc:
            if (isinstance(exc, NotFound) and exc.route_missing) or exc.status_code == 405:
                raise self.no_conversations(exc) from None
            raise

    def no_conversations(self, error: ApiError) -> NoConversations:
        name = self.profile.name
        return NoConversations(
            f"the server at {self.errors.server} does not serve conversations"
            f" (HTTP {error.status_code or 404} for /v1/conversations): use api = \"chat\""
            f" for profile {name} in the config",
            profile=name, request_id=error.request_id, status_code=error.status_code,
        )

    async def create_thread(self, title: str, owner: str | None = None) -> ThreadRecord:
        owner = owner if owner is not None else self.profile.owner
        data = await self.answer(
            self.client.conversations.with_raw_response.create(
                metadata=thread_metadata(title, owner)
            ),
            "the new conversation",
        )
        with self.translate():
            conversation = created(data, "the new conversation")
        record = self.new_record(conversation.id, title, owner, conversation.created_at)
        record.server_meta[RESPONSE_IDS] = []
        return record

    async def create_with_history(
        self,
        title: str,
        turns: list[Turn],
        owner: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ThreadRecord:
        """A conversation made with its first 20 items, then 20 more per call; a failure
        after it exists deletes it (``HistoryNotCarried`` says whether that worked)."""
        owner = owner if owner is not None else self.profile.owner
        # Plain dicts in the API's documented shape; the SDK's TypedDict union adds nothing.
        items: list[Any] = [history_item(turn) for turn in turns]
        data = await self.answer(
            self.client.conversations.with_raw_response.create(
                metadata=thread_metadata(title, owner), items=items[:ITEMS_PER_CALL]
            ),
            "the new conversation",
        )
        with self.translate():
            conversation = created(data, "the new conversation")
        record = self.new_record(conversation.id, title, owner, conversation.created_at)
        record.server_meta[RESPONSE_IDS] = []
        done = min(len(items), ITEMS_PER_CALL)
        if progress:
            progress(done, len(items))
        try:
            while done < len(items):
                chunk = items[done : done + ITEMS_PER_CALL]
                data = await self.answer(
                    self.client.conversations.items.with_raw_response.create(
                        conversation.id, items=chunk
                    ),
                    "the added messages",
                )
                with self.translate():
                    page(data, "the added messages")
                done += len(chunk)
                if progress:
                    progress(done, len(items))
        except asyncio.CancelledError:
            await asyncio.shield(self._discard(conversation.id))
            raise
        except ApiError as exc:
            cleaned = await asyncio.shield(self._discard(conversation.id))
            fate = (
                f"the half-built conversation {conversation.id} was deleted"
                if cleaned
                else f"the half-built conversation {conversation.id} could not be deleted:"
                " delete it with `threadtui delete` (it is not in the record)"
            )
            raise HistoryNotCarried(
                f"copying message {done + 1} of {len(items)} failed ({exc.detail}); {fate}",
                profile=self.profile.name,
                request_id=exc.request_id,
            ) from exc
        return record

    async def _discard(self, conversation_id: str) -> bool:
        """Delete a conversation this backend just made (True when it is gone)."""
        with contextlib.suppress(ApiError):
            await self._delete(
                self.client.conversations.with_raw_response.delete(conversation_id),
                "the half-built conversation",
            )
            return True
        return False

    async def question_pending(self, record: ThreadRecord, text: str) -> bool:
        """Whether the conversation already holds ``text`` as its latest question, with no
        complete reply after it: what a failed or cut-off response may leave behind (the API
        does not document it, so the items are read again rather than guessed). A retry then
        asks for a new response on the items as they are instead of adding the question a
        second time."""
        data = await self.answer(
            self.client.conversations.items.with_raw_response.list(
                record.id, limit=RECENT_ITEMS, order="desc"
            ),
            "the conversation's items",
        )
        with self.translate():
            for item in page(data, "conversation items").items:
                turn = turn_from_item(item, record.created_at)
                if turn is None:
                    continue
                if turn.role is Role.USER:
                    return turn.text == text
                if turn.role is Role.ASSISTANT and not turn.interrupted:
                    return False  # answered: the question is not waiting there
        return False

    async def drop_last_reply(self, record: ThreadRecord) -> int:
        """Delete the assistant items after the conversation's latest question (to answer it
        anew: regenerate). Returns how many were deleted; the record keeps them."""
        data = await self.answer(
            self.client.conversations.items.with_raw_response.list(
                record.id, limit=RECENT_ITEMS, order="desc"
            ),
            "the conversation's items",
        )
        doomed: list[str] = []
        with self.translate():
            for item in page(data, "conversation items").items:
                shape = item if isinstance(item, Shape) else Shape(item, "a conversation item")
                if shape.opt_text("type") == "message" and shape.opt_text("role") == "user":
                    break
                doomed.append(shape.id("id"))
        for item_id in doomed:
            data = await self.answer(
                self.client.conversations.items.with_raw_response.delete(
                    item_id, conversation_id=record.id
                ),
                "the conversation after the deleted reply",
            )
            with self.translate():
                created(data, "the conversation after the deleted reply")
        return len(doomed)

    def stream_reply(
        self, record: ThreadRecord, text: str, *, resend: bool = True
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream one turn; see ``SdkBackend.run_stream`` for how it ends and is cancelled.

        ``resend=False``: the question is already the conversation's latest item (see
        ``question_pending``): a new response is asked for on the items as they are, with no
        new input, so the question is in the conversation once."""
        response_ids: list[str] = record.server_meta.setdefault(RESPONSE_IDS, [])

        async def open_stream() -> Any:
            instructions = self.instructions_for(record)
            return await self.client.responses.create(
                model=self.model_for(record), input=text if resend else [],
                conversation=record.id, stream=True,
                instructions=instructions or openai.omit,  # none: leave the field out
            )

        def handle(raw: Any, state: ReplyState) -> str | None:
            # Every field used is checked here (the SDK builds events without validation): an
            # id that is a number must fail the reply, not reach the record.
            event = _event(raw)
            kind = event.opt_text("type")
            if kind in {"response.output_text.delta", "response.refusal.delta"}:
                item_id = event.opt_id("item_id")
                state.item_id = state.item_id or item_id
                state.refusal = kind == "response.refusal.delta"
                delta = event.opt_text("delta") or ""
                if not delta:
                    return None
                # A reply's next output message starts a new part, as it will when reopened.
                new_part = item_id is not None and item_id != state.last_item and state.parts
                state.last_item = item_id or state.last_item
                return f"{PART_SEPARATOR}{delta}" if new_part else delta
            if kind == "response.created":
                response = event.part("response", "the new reply")
                response_id = response.id() if response else None
                if response_id:
                    state.response_id = response_id
                    if response_id not in response_ids:
                        response_ids.append(response_id)
            elif kind == "response.output_item.added":
                item = event.part("item", "a new output")
                if item and item.opt_text("type") == "message" and not state.item_id:
                    state.item_id = item.opt_id("id")
            elif kind == "response.completed":
                response = event.part("response", "the finished reply")
                if response is not None:
                    state.response_id = response.opt_id("id") or state.response_id
                    state.usage = usage_from(
                        response.raw("usage"), prompt="input_tokens", completion="output_tokens"
                    )
                    state.final_text, item_id, state.refusal = _output(response)
                    state.item_id = state.item_id or item_id
                state.complete()
            elif kind == "response.failed":
                response = event.part("response", "the failed reply")
                failure = response.part("error") if response else None
                state.fail(self._stream_error(failure, state))
            elif kind == "response.incomplete":
                response = event.part("response", "the unfinished reply")
                details = response.part("incomplete_details") if response else None
                state.fail(incomplete(
                    details.opt_text("reason") if details else None,
                    profile=self.profile.name, request_id=state.request_id,
                ))
            elif kind == "error" or (kind is None and event.raw("error") is not None):
                # The documented event is flat (code, message, param); the live API nests
                # them under ``error``. Either is read.
                nested = event.part("error", "the stream's error")
                state.fail(self._stream_error(nested or event, state))
            return None

        def whole(data: Any) -> tuple[str, str | None, str | None, Usage | None]:
            reply = whole_response(data)
            if reply[1] and reply[1] not in response_ids:
                response_ids.append(reply[1])  # a stored response: a real delete removes it
            return reply

        return self.run_stream(open_stream, handle, whole)

    def _stream_error(self, failure: Shape | None, state: ReplyState) -> ApiError:
        return error_from_code(
            failure.opt_text("code") if failure else None,
            failure.opt_text("message") if failure else None,
            self.errors,
            request_id=state.request_id,
        )

    async def fetch_transcript(self, record: ThreadRecord) -> list[Turn]:
        """Every message of the conversation, oldest first (paged 100 at a time)."""
        turns: list[Turn] = []
        after: str | None = None
        pager = Pager("conversation items", self.limits)
        items = self.client.conversations.items.with_raw_response
        while True:
            if after is None:
                call = items.list(record.id, limit=PAGE_LIMIT, order="asc")
            else:
                call = items.list(record.id, limit=PAGE_LIMIT, order="asc", after=after)
            data = await self.answer(call, "the conversation's items")
            with self.translate():
                got = page(data, "conversation items")
                for item in got.items:
                    turn = turn_from_item(item, record.created_at)
                    if turn is not None:
                        turns.append(turn)
                after = pager.next_cursor(got)
            if after is None:
                return join_replies(turns)

    async def rename(self, record: ThreadRecord, title: str) -> None:
        data = await self.answer(
            self.client.conversations.with_raw_response.update(
                record.id, metadata=thread_metadata(title, record.owner)
            ),
            "the renamed conversation",
        )
        with self.translate():
            created(data, "the renamed conversation")

    async def check(self, record: ThreadRecord) -> bool:
        try:
            data = await self.answer(
                self.client.conversations.with_raw_response.retrieve(record.id),
                "the conversation",
            )
            with self.translate():
                created(data, "the conversation")
        except NotFound:
            return False
        return True

    async def _delete(self, call: Any, what: str) -> None:
        """One delete, its answer checked; ``deleted: false`` is a failure, not a success."""
        data = await self.answer(call, what)
        with self.translate():
            if not deleted(data, what):
                raise AnswerProblem(f"said {what} was not deleted")

    async def delete(self, record: ThreadRecord) -> DeleteReport:
        """Delete the stored responses the app made, then the conversation.

        The conversation is looked up first. When it answers 404, the responses are still
        tried: if any of them really is deleted, they were this profile's and the conversation
        was already gone (a second delete after a partial one); if none is, the thread is not
        this profile's to delete (``not_found``), and their 404s must not be counted as
        "removed". Raises ApiError only when the look-up fails for another reason (nothing has
        been touched then).
        """
        report = DeleteReport(thread_id=record.id)
        visible = await self.check(record)
        deleted_any = False
        for response_id in list(record.server_meta.get(RESPONSE_IDS) or []):
            try:
                await self._delete(
                    self.client.responses.with_raw_response.delete(response_id),
                    "the stored response",
                )
            except NotFound:
                report.removed.append(response_id)  # already gone: nothing left to remove
            except ApiError as exc:
                report.failed.append((response_id, str(exc)))
            else:
                report.removed.append(response_id)
                deleted_any = True
        if not visible:
            if deleted_any:
                report.thread_deleted = True
            else:
                return DeleteReport(thread_id=record.id, not_found=True)
            return report
        try:
            await self._delete(
                self.client.conversations.with_raw_response.delete(record.id),
                "the conversation",
            )
        except NotFound:
            report.thread_deleted = True  # gone between the look-up and now
        except ApiError as exc:
            report.failed.append((record.id, str(exc)))
        else:
            report.thread_deleted = True
        return report
