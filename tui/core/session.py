"""The flows behind the UI's verbs (send, create, open, rename, delete), with the record.

Written here, without any screen, so tests can drive them against the sandbox and the app's
workers stay thin. The order of writes is the point of this module: the user's text reaches
the store before any request is made, and whatever the reply became (whole, failed half-way,
or stopped by Esc) is written down before the caller hears of it.

Every store access goes through ``Records`` (``tui.core.record_access``): on its one worker
thread, in the order made, never on the caller's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from enum import StrEnum

from tui.core.api.base import ApiError, Backend, Completed, Failed, StreamEvent, TextDelta
from tui.core.keys import KeyResolutionError
from tui.core.record_access import Records
from tui.core.records import (
    RESPONSE_IDS,
    DeleteReport,
    Dialect,
    Role,
    ThreadRecord,
    ThreadStatus,
    Turn,
)
from tui.core.store import Store, TrashReason

STOPPED = "stopped before the reply finished"


async def create_and_record(
    records: Records, backend: Backend, title: str, owner: str | None = None
) -> ThreadRecord:
    """Create a thread on the server and record it at once: the API cannot list it later."""
    record = await backend.create_thread(title, owner)
    await records.call(Store.upsert, record)
    return record


async def send_message(
    records: Records, backend: Backend, record: ThreadRecord, text: str
) -> AsyncGenerator[StreamEvent, None]:
    """Send ``text`` and relay the reply's events, recording everything on the way.

    1. The user's turn is stored before the request (nothing typed is ever lost).
    2. Deltas are passed on as they come.
    3. ``Completed`` stores the assistant turn (text, usage, response id, item id), marks the
       thread ok and moves ``last_active``; it is stored before it is yielded.
    4. ``Failed``, or closing this iterator early (Esc: ``aclose()`` or task cancellation),
       stores the partial text as an assistant turn marked ``interrupted`` with the reason, and
       marks the thread ``interrupted``. The HTTP stream is closed before the store is written.

    ``record`` is updated in place (status, ``last_active``, ``server_meta``: the response ids
    the backend noted as soon as the stream revealed them) and persisted in every case.

    From before step 1 until the reply is written, the store's in-flight mark for the thread
    is held: if this process is killed in between, whoever opens the record next sees the
    question without a live sender and marks the lost reply (``Store.recover_unanswered``).
    """
    await records.call(_ensure_recorded, record)
    async with records.reply_in_flight(record.id):
        user_turn = Turn(role=Role.USER, text=text)
        await records.call(Store.append_turn, record.id, user_turn)
        record.last_active = user_turn.at
        received: list[str] = []
        ended = False
        try:
            async with aclosing(backend.stream_reply(record, text)) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        received.append(event.text)
                    elif isinstance(event, Completed):
                        await _record_reply(records, backend, record, event)
                        ended = True
                    elif isinstance(event, Failed):
                        await _record_interruption(
                            records, record, event.partial_text, str(event.error)
                        )
                        ended = True
                    yield event
        finally:
            if not ended:
                await _record_interruption(records, record, "".join(received), STOPPED)


def _ensure_recorded(store: Store, record: ThreadRecord) -> None:
    """Record ``record`` if it is not yet, and mark a reply a killed session lost in it (so
    the next question follows that mark, not the lost question)."""
    if record.id not in store:
        store.upsert(record)
    store.recover_unanswered(record.id)


async def _record_reply(
    records: Records, backend: Backend, record: ThreadRecord, done: Completed
) -> None:
    turn = Turn(
        role=Role.ASSISTANT,
        text=done.text,
        response_id=done.response_id,
        item_id=done.item_id,
        usage=done.usage,
        refusal=done.refusal,  # issue 16.7: a refusal stays marked in the record
    )
    await records.call(Store.append_turn, record.id, turn)
    record.last_active = turn.at
    record.status = ThreadStatus.OK
    seen = backend.last_identity
    if seen is not None and seen.profile == record.profile:
        record.organization = record.organization or seen.organization
        record.project = record.project or seen.project
    await _save(records, record)


async def _record_interruption(
    records: Records, record: ThreadRecord, text: str, why: str
) -> None:
    turn = Turn(role=Role.ASSISTANT, text=text, interrupted=True, error=why)
    await records.call(Store.append_turn, record.id, turn)
    record.last_active = turn.at
    record.status = ThreadStatus.INTERRUPTED
    await _save(records, record)


async def _save(records: Records, record: ThreadRecord) -> None:
    """Write only the fields these flows change, so another process's rename survives."""
    await records.call(
        Store.update_thread,
        record.id,
        status=record.status,
        last_active=record.last_active,
        server_meta=dict(record.server_meta),
        organization=record.organization,
        project=record.project,
    )


async def open_thread(
    records: Records, backend: Backend, record: ThreadRecord
) -> AsyncGenerator[list[Turn], None]:
    """Yield the local transcript at once, then the server's merged with it.

    The merge (by item id, else role and text) keeps turns only we have, such as interrupted
    partial replies, and is written to the store. A thread the server cannot find raises
    ``NotFound`` after the local transcript was yielded: the caller runs the 404 flow and
    still has something to show. A thread that opens is ``ok`` again if it was marked
    foreign, gone or unknown.
    """
    local = await local_transcript(records, record)
    yield local
    server = await backend.fetch_transcript(record)
    if server != local:
        local = await records.call(Store.merge_transcript, record.id, server)
    if record.status in {ThreadStatus.FOREIGN, ThreadStatus.GONE, ThreadStatus.UNKNOWN}:
        record.status = ThreadStatus.OK
        await records.call(Store.mark_status, record.id, record.status)
    yield local


async def local_transcript(records: Records, record: ThreadRecord) -> list[Turn]:
    """The stored transcript, after marking a reply lost with its process (kill -9 mid-reply).

    ``record`` is recorded if it was not, and takes the stored status (``interrupted`` when a
    lost reply was just marked).
    """
    status, turns = await records.call(_recovered_transcript, record)
    if status is not None:
        record.status = status
    return turns


def _recovered_transcript(
    store: Store, record: ThreadRecord
) -> tuple[ThreadStatus | None, list[Turn]]:
    if record.id not in store:
        store.upsert(record)
    status = None
    if store.recover_unanswered(record.id):
        stored = store.get(record.id)
        status = stored.status if stored is not None else None
    return status, store.transcript(record.id)


def unanswered_prompt(turns: list[Turn]) -> str | None:
    """The question to send again when the transcript ends in a failed, stopped or lost
    reply (an ``interrupted`` assistant turn right after the user's turn); else None."""
    if len(turns) < 2:
        return None
    question, reply = turns[-2], turns[-1]
    if question.role is Role.USER and reply.role is Role.ASSISTANT and reply.interrupted:
        return question.text
    return None


class ServerTitle(StrEnum):
    """What became of the server's copy of the title in a rename."""

    RENAMED = "renamed"  # the server has the new title too (or keeps none: a chat thread)
    NOT_ASKED = "not asked"  # not ours to rename there: gone, or another profile's
    FAILED = "failed"  # asked, and the request failed; the server kept its old title


@dataclass(frozen=True, slots=True)
class Renamed:
    """What a rename did: the local title always; ``server`` says what the server did, and
    ``reason`` why it was not renamed there (None when it was)."""

    record: ThreadRecord
    server: ServerTitle
    reason: str | None = None


async def rename_thread(
    records: Records,
    record: ThreadRecord,
    title: str,
    *,
    current_profile: str,
    backend_for: Callable[[Dialect], Awaitable[Backend]],
) -> Renamed:
    """Rename locally at once (the list is ours), then on the server where that can work.

    The server is asked only for a thread that is ours: not ``gone`` or ``foreign``, and filed
    under ``current_profile`` (another profile's key would get a 404). ``backend_for(dialect)``
    gives the current profile's backend; it is called only when the server is asked. A
    failure there (a key that cannot be had, an API error) keeps the local title and is
    returned as the reason, never raised. ``record`` is updated in place.
    """
    fresh = await records.call(Store.update_thread, record.id, title=title)
    record.title = title
    if fresh.status is ThreadStatus.GONE:
        return Renamed(fresh, ServerTitle.NOT_ASKED, "the server no longer has this thread")
    if fresh.status is ThreadStatus.FOREIGN or (
        fresh.profile and fresh.profile != current_profile
    ):
        owner = f"profile {fresh.profile}" if fresh.profile else "another profile"
        return Renamed(
            fresh, ServerTitle.NOT_ASKED, f"the thread belongs to {owner}, not {current_profile}"
        )
    try:
        backend = await backend_for(fresh.api)
        await backend.rename(fresh, title)
    except (ApiError, KeyResolutionError) as exc:
        return Renamed(fresh, ServerTitle.FAILED, str(exc))
    return Renamed(fresh, ServerTitle.RENAMED)


async def delete_thread(records: Records, backend: Backend, record: ThreadRecord) -> DeleteReport:
    """Delete on the server, then forget locally, and only as far as the server really did.

    A complete delete moves the local record into the trash (restorable for 30 days, as
    ``gone``: ``Store.restore``). A partial one keeps it, with only the stored
    responses that are still there, so a second delete can finish the job; a thread that is
    gone from the server but left responses behind is marked ``gone``. A thread the server
    cannot find (``report.not_found``) is left untouched for the 404 flow.
    """
    report = await backend.delete(record)
    if report.not_found:
        return report
    if report.complete:
        await records.call(Store.delete, record.id, reason=TrashReason.DELETED)
        return report
    if RESPONSE_IDS in record.server_meta:
        failed = {obj for obj, _ in report.failed}
        record.server_meta[RESPONSE_IDS] = [
            rid for rid in record.server_meta[RESPONSE_IDS] if rid in failed
        ]
    if report.thread_deleted:
        record.status = ThreadStatus.GONE
    if await records.call(Store.__contains__, record.id):
        await _save(records, record)
    return report
