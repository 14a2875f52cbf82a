"""The default dialect: a Conversation holds the state, each turn is a streamed Response.

The conversation object has no title field, so the title (and the owner tag) live in its
metadata, within the API's limits. Deleting a conversation leaves its items and the stored
responses behind, so ``delete`` removes every response the app made in it first; their ids
are written into ``record.server_meta["response_ids"]`` the moment the stream reveals them, so
even an interrupted reply can be deleted later.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from tui.core.api.base import (
    ApiError,
    NotFound,
    ServerError,
    StreamEvent,
)
from tui.core.api.errors import error_from_code
from tui.core.api.metadata import thread_metadata
from tui.core.api.sdk import ReplyState, SdkBackend, usage_from
from tui.core.records import RESPONSE_IDS, DeleteReport, Dialect, Role, ThreadRecord, Turn

PAGE_LIMIT = 100


def _role(value: str | None) -> Role | None:
    if value == "user":
        return Role.USER
    if value == "assistant":
        return Role.ASSISTANT
    if value in {"system", "developer"}:
        return Role.SYSTEM
    return None


def _content_text(content: Any) -> str:
    """Join the text parts of a message (input_text, output_text, text, refusal)."""
    parts: list[str] = []
    for part in content or []:
        kind = getattr(part, "type", None)
        if kind == "refusal":
            parts.append(str(getattr(part, "refusal", "") or ""))
        else:
            text = getattr(part, "text", None)
            if isinstance(text, str):
                parts.append(text)
    return "".join(parts)


def turn_from_item(item: Any, at: float) -> Turn | None:
    """A transcript turn from one conversation item; None for items that are not messages."""
    if getattr(item, "type", None) != "message":
        return None
    role = _role(getattr(item, "role", None))
    if role is None:
        return None
    return Turn(role=role, text=_content_text(getattr(item, "content", None)), at=at,
                item_id=getattr(item, "id", None))


class ConversationsBackend(SdkBackend):
    dialect = Dialect.CONVERSATIONS

    async def create_thread(self, title: str, owner: str | None = None) -> ThreadRecord:
        owner = owner if owner is not None else self.profile.owner
        with self.translate():
            conversation = await self.client.conversations.create(
                metadata=thread_metadata(title, owner)
            )
        record = self.new_record(conversation.id, title, owner, conversation.created_at)
        record.server_meta[RESPONSE_IDS] = []
        return record

    def stream_reply(self, record: ThreadRecord, text: str) -> AsyncGenerator[StreamEvent, None]:
        """Stream one turn; see ``SdkBackend.run_stream`` for how it ends and is cancelled."""
        response_ids: list[str] = record.server_meta.setdefault(RESPONSE_IDS, [])

        async def open_stream() -> Any:
            return await self.client.responses.create(
                model=self.model_for(record), input=text, conversation=record.id, stream=True
            )

        def handle(event: Any, state: ReplyState) -> str | None:
            kind = getattr(event, "type", None)
            if kind == "response.output_text.delta":
                state.item_id = state.item_id or getattr(event, "item_id", None)
                return str(getattr(event, "delta", "") or "")
            if kind == "response.created":
                response_id = getattr(getattr(event, "response", None), "id", None)
                if response_id:
                    state.response_id = response_id
                    if response_id not in response_ids:
                        response_ids.append(response_id)
            elif kind == "response.output_item.added":
                item = getattr(event, "item", None)
                if getattr(item, "type", None) == "message" and not state.item_id:
                    state.item_id = getattr(item, "id", None)
            elif kind == "response.completed":
                response = getattr(event, "response", None)
                state.usage = usage_from(
                    getattr(response, "usage", None), prompt="input_tokens",
                    completion="output_tokens",
                )
                state.final_text = self._output_text(response)
                state.complete()
            elif kind == "response.failed":
                failure = getattr(getattr(event, "response", None), "error", None)
                state.fail(self._stream_error(failure, state))
            elif kind == "response.incomplete":
                details = getattr(getattr(event, "response", None), "incomplete_details", None)
                reason = getattr(details, "reason", None) or "no reason given"
                state.fail(ServerError(
                    f"the reply stopped early ({reason})",
                    profile=self.profile.name, request_id=state.request_id,
                ))
            elif kind == "error":
                state.fail(self._stream_error(event, state))
            return None

        return self.run_stream(open_stream, handle)

    def _stream_error(self, failure: Any, state: ReplyState) -> ApiError:
        return error_from_code(
            getattr(failure, "code", None),
            getattr(failure, "message", None),
            self.errors,
            request_id=state.request_id,
        )

    @staticmethod
    def _output_text(response: Any) -> str | None:
        """The reply's text as the server reported it in ``response.completed``."""
        texts = [
            _content_text(getattr(item, "content", None))
            for item in getattr(response, "output", None) or []
            if getattr(item, "type", None) == "message"
        ]
        return "".join(texts) or None

    async def fetch_transcript(self, record: ThreadRecord) -> list[Turn]:
        """Every message of the conversation, oldest first (paged 100 at a time)."""
        turns: list[Turn] = []
        after: str | None = None
        with self.translate():
            while True:
                if after is None:
                    page = await self.client.conversations.items.list(
                        record.id, limit=PAGE_LIMIT, order="asc"
                    )
                else:
                    page = await self.client.conversations.items.list(
                        record.id, limit=PAGE_LIMIT, order="asc", after=after
                    )
                for item in page.data:
                    turn = turn_from_item(item, record.created_at)
                    if turn is not None:
                        turns.append(turn)
                last_id = page.last_id or (page.data[-1].id if page.data else None)
                if not page.has_more or not last_id or last_id == after:
                    break
                after = last_id
        return turns

    async def rename(self, record: ThreadRecord, title: str) -> None:
        with self.translate():
            await self.client.conversations.update(
                record.id, metadata=thread_metadata(title, record.owner)
            )

    async def check(self, record: ThreadRecord) -> bool:
        try:
            with self.translate():
                await self.client.conversations.retrieve(record.id)
        except NotFound:
            return False
        return True

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
                with self.translate():
                    await self.client.responses.delete(response_id)
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
            with self.translate():
                await self.client.conversations.delete(record.id)
        except NotFound:
            report.thread_deleted = True  # gone between the look-up and now
        except ApiError as exc:
            report.failed.append((record.id, str(exc)))
        else:
            report.thread_deleted = True
        return report
