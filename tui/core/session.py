"""The flows behind the UI's verbs (send, create, open, rename, delete), with the store.

Written here, without any screen, so tests can drive them against the sandbox and the app's
workers stay thin. The order of writes is the point of this module: the user's text reaches
the store before any request is made, and whatever the reply became (whole, failed half-way,
or stopped by Esc) is written down before the caller hears of it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing

from tui.core.api.base import Backend, Completed, Failed, StreamEvent, TextDelta
from tui.core.records import DeleteReport, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import Store

STOPPED = "stopped before the reply finished"
RESPONSE_IDS = "response_ids"


async def create_and_record(
    store: Store, backend: Backend, title: str, owner: str | None = None
) -> ThreadRecord:
    """Create a thread on the server and record it at once: the API cannot list it later."""
    record = await backend.create_thread(title, owner)
    store.upsert(record)
    return record


async def send_message(
    store: Store, backend: Backend, record: ThreadRecord, text: str
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
    if record.id not in store:
        store.upsert(record)
    # A reply lost here by a killed session is marked before this question follows it.
    store.recover_unanswered(record.id)
    with store.reply_in_flight(record.id):
        user_turn = Turn(role=Role.USER, text=text)
        store.append_turn(record.id, user_turn)
        record.last_active = user_turn.at
        received: list[str] = []
        ended = False
        try:
            async with aclosing(backend.stream_reply(record, text)) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        received.append(event.text)
                    elif isinstance(event, Completed):
                        _record_reply(store, backend, record, event)
                        ended = True
                    elif isinstance(event, Failed):
                        _record_interruption(store, record, event.partial_text, str(event.error))
                        ended = True
                    yield event
        finally:
            if not ended:
                _record_interruption(store, record, "".join(received), STOPPED)


def _record_reply(store: Store, backend: Backend, record: ThreadRecord, done: Completed) -> None:
    turn = Turn(
        role=Role.ASSISTANT,
        text=done.text,
        response_id=done.response_id,
        item_id=done.item_id,
        usage=done.usage,
    )
    store.append_turn(record.id, turn)
    record.last_active = turn.at
    record.status = ThreadStatus.OK
    seen = backend.last_identity
    if seen is not None and seen.profile == record.profile:
        record.organization = record.organization or seen.organization
        record.project = record.project or seen.project
    _save(store, record)


def _record_interruption(store: Store, record: ThreadRecord, text: str, why: str) -> None:
    turn = Turn(role=Role.ASSISTANT, text=text, interrupted=True, error=why)
    store.append_turn(record.id, turn)
    record.last_active = turn.at
    record.status = ThreadStatus.INTERRUPTED
    _save(store, record)


def _save(store: Store, record: ThreadRecord) -> None:
    """Write only the fields these flows change, so another process's rename survives."""
    store.update_thread(
        record.id,
        status=record.status,
        last_active=record.last_active,
        server_meta=dict(record.server_meta),
        organization=record.organization,
        project=record.project,
    )


async def open_thread(
    store: Store, backend: Backend, record: ThreadRecord
) -> AsyncIterator[list[Turn]]:
    """Yield the local transcript at once, then the server's merged with it.

    The merge (by item id, else role and text) keeps turns only we have, such as interrupted
    partial replies, and is written to the store. A thread the server cannot find raises
    ``NotFound`` after the local transcript was yielded: the caller runs the 404 flow and
    still has something to show. A thread that opens is ``ok`` again if it was marked
    foreign, gone or unknown.
    """
    local = local_transcript(store, record)
    yield local
    server = await backend.fetch_transcript(record)
    merged = local if server == local else store.merge_transcript(record.id, server)
    if record.status in {ThreadStatus.FOREIGN, ThreadStatus.GONE, ThreadStatus.UNKNOWN}:
        record.status = ThreadStatus.OK
        store.mark_status(record.id, record.status)
    yield merged


def local_transcript(store: Store, record: ThreadRecord) -> list[Turn]:
    """The stored transcript, after marking a reply lost with its process (kill -9 mid-reply).

    ``record`` is recorded if it was not, and takes the stored status (``interrupted`` when a
    lost reply was just marked).
    """
    if record.id not in store:
        store.upsert(record)
    if store.recover_unanswered(record.id):
        stored = store.get(record.id)
        if stored is not None:
            record.status = stored.status
    return store.transcript(record.id)


def unanswered_prompt(turns: list[Turn]) -> str | None:
    """The question to send again when the transcript ends in a failed, stopped or lost
    reply (an ``interrupted`` assistant turn right after the user's turn); else None."""
    if len(turns) < 2:
        return None
    question, reply = turns[-2], turns[-1]
    if question.role is Role.USER and reply.role is Role.ASSISTANT and reply.interrupted:
        return question.text
    return None


async def rename_thread(store: Store, backend: Backend, record: ThreadRecord, title: str) -> None:
    """Rename on the server (where the dialect has a title), then locally."""
    await backend.rename(record, title)
    record.title = title
    store.update_thread(record.id, title=title)


async def delete_thread(store: Store, backend: Backend, record: ThreadRecord) -> DeleteReport:
    """Delete on the server, then forget locally, and only as far as the server really did.

    A complete delete removes the local record. A partial one keeps it, with only the stored
    responses that are still there, so a second delete can finish the job; a thread that is
    gone from the server but left responses behind is marked ``gone``. A thread the server
    cannot find (``report.not_found``) is left untouched for the 404 flow.
    """
    report = await backend.delete(record)
    if report.not_found:
        return report
    if report.complete:
        store.delete(record.id)
        return report
    if RESPONSE_IDS in record.server_meta:
        failed = {obj for obj, _ in report.failed}
        record.server_meta[RESPONSE_IDS] = [
            rid for rid in record.server_meta[RESPONSE_IDS] if rid in failed
        ]
    if report.thread_deleted:
        record.status = ThreadStatus.GONE
    if record.id in store:
        _save(store, record)
    return report
