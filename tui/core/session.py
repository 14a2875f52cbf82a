"""The flows behind the UI's verbs (send, create, open, rename, delete), with the record.

Written here, without any screen, so tests can drive them against the sandbox and the app's
workers stay thin. The order of writes is the point of this module: the user's text reaches
the store before any request is made, and whatever the reply became (whole, failed half-way,
or stopped by Esc) is written down before the caller hears of it.

Every store access goes through ``Records`` (``tui.core.record_access``): on its one worker
thread, in the order made, never on the caller's event loop.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tui.core.api.base import ApiError, Backend, Completed, Failed, StreamEvent, TextDelta
from tui.core.keys import KeyResolutionError
from tui.core.record_access import Flight, PendingReply, Records
from tui.core.records import (
    RESPONSE_IDS,
    DeleteReport,
    Dialect,
    Role,
    ThreadRecord,
    ThreadStatus,
    Turn,
)
from tui.core.store import (
    CHECKPOINT,
    RecordBusy,
    RecordWriteFailed,
    Store,
    StoreError,
    TrashReason,
    merge_turns,
)

STOPPED = "stopped before the reply finished"


async def create_and_record(
    records: Records, backend: Backend, title: str, owner: str | None = None
) -> ThreadRecord:
    """Create a thread on the server and record it at once: the API cannot list it later."""
    record = await backend.create_thread(title, owner)
    await records.call(Store.upsert, record)
    return record


@dataclass(frozen=True, slots=True)
class Checkpoints:
    """How often a streaming reply's text is written down while it arrives.

    A checkpoint is written when ``every_bytes`` (UTF-8) arrived since the last one, or
    ``every_seconds`` passed since it, whichever first: a kill -9 then loses at most about
    one interval of what was on screen. The environment can set both for a whole process
    (tests, a pty run): ``THREADTUI_CHECKPOINT_SECONDS``, ``THREADTUI_CHECKPOINT_BYTES``.
    """

    every_seconds: float = 2.0
    every_bytes: int = 4096

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Checkpoints:
        env = os.environ if environ is None else environ
        default = cls()
        try:
            seconds = float(env.get("THREADTUI_CHECKPOINT_SECONDS", default.every_seconds))
            size = int(env.get("THREADTUI_CHECKPOINT_BYTES", default.every_bytes))
        except ValueError:
            return default
        return cls(max(seconds, 0.0), max(size, 1))


class ReplyNotStored(StoreError):
    """The reply reached the screen, but the record refused it (a full or read-only disk, an
    I/O error, another process holding the lock): it is kept in memory, in
    ``Records.pending``, and ``Records.flush_pending()`` stores it when the disk can take it.

    ``cause`` is the refusal (``RecordWriteFailed`` or ``RecordBusy``); ``pending`` the kept
    reply (``pending.text`` is its text).
    """

    def __init__(self, cause: Exception, pending: PendingReply) -> None:
        self.cause = cause
        self.pending = pending
        super().__init__(
            f"{cause}. The reply is kept in memory and was not stored yet: free some space "
            "and retry saving it, or copy it before you quit."
        )


async def send_message(
    records: Records,
    backend: Backend,
    record: ThreadRecord,
    text: str,
    *,
    checkpoints: Checkpoints | None = None,
    again: bool = False,
    redo: bool = False,
) -> AsyncGenerator[StreamEvent, None]:
    """Send ``text`` and relay the reply's events, recording everything on the way.

    ``redo``: ``text`` is the thread's latest question, already recorded (and on the server,
    whose old reply ``regenerate`` removed); a new reply is asked for, nothing is added.

    ``again``: ``text`` is asked again after its reply failed, was stopped or cut off
    (ctrl+r). On a server that keeps the thread (``keeps_thread_on_server``) the question is
    then neither recorded nor sent a second time when it is already there: the server's items
    are read again first (``question_pending``); if that read fails, its error is the
    ``Failed`` event and nothing is written or sent.

    1. The user's turn is stored before the request (nothing typed is ever lost). If the
       record refuses it (``RecordWriteFailed``, ``RecordBusy``), that is raised and nothing
       is sent: the caller gives the text back to the user.
    2. Deltas are passed on as they come; every ``checkpoints`` interval the text so far is
       written as an assistant turn marked ``interrupted`` with ``CHECKPOINT`` as its error, in
       the background (a slow or refusing disk never holds up the stream; a checkpoint that
       fails is skipped, the next one tries again).
    3. ``Completed`` stores the assistant turn (text, usage, response id, item id) in place of
       the checkpoint, marks the thread ok and moves ``last_active``; it is stored before it
       is yielded.
    4. ``Failed``, or closing this iterator early (Esc: ``aclose()`` or task cancellation),
       stores the partial text as an assistant turn marked ``interrupted`` with the reason, and
       marks the thread ``interrupted``. The HTTP stream is closed before the store is written.
    5. If the record refuses the reply's turn (3 or 4), the reply is kept in
       ``records.pending`` with its in-flight mark held, the event is still yielded (the
       screen shows the whole reply), and ``ReplyNotStored`` is raised at the next step of
       the iteration. When the iterator was closed early it cannot raise: the caller checks
       ``records.pending``.

    ``record`` is updated in place (status, ``last_active``, ``server_meta``: the response ids
    the backend noted as soon as the stream revealed them) and persisted in every case.

    From before step 1 until the reply is written, the store's in-flight mark for the thread
    is held: if this process is killed in between, whoever opens the record next sees the
    question (and the last checkpoint) without a live sender and marks the reply
    interrupted (``Store.recover_unanswered``); the checkpoint's text is kept.
    """
    policy = checkpoints or Checkpoints.from_env()
    await records.call(_ensure_recorded, record)
    record_question, resend = not redo, not redo
    if again and not redo and keeps_thread_on_server(backend):
        # Issue 16.9: the server's thread may already hold the question (a failed or cut-off
        # response can leave it there): read its items again rather than guess, and ask it
        # once. The record holds it once too.
        try:
            resend = not await question_pending(backend, record, text)
        except ApiError as exc:
            yield Failed(exc, "")  # nothing sent, nothing written: ctrl+r can ask again
            return
        local = await records.call(Store.transcript, record.id)
        record_question = unanswered_prompt(local) != text
    async with records.reply_in_flight(record.id) as flight:
        if record_question:
            user_turn = Turn(role=Role.USER, text=text)
            await records.call(Store.append_turn, record.id, user_turn)
            record.last_active = user_turn.at
        saver = _CheckpointSaver(records, record.id, policy)
        ended = False
        refused: ReplyNotStored | None = None
        stream = (backend.stream_reply(record, text) if resend
                  else backend.stream_reply(record, text, resend=False))  # type: ignore[call-arg]
        try:
            async with aclosing(stream) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        saver.add(event.text, refusal=event.refusal)
                    elif isinstance(event, Completed):
                        ended = True
                        refused = await _record_reply(records, backend, record, event, saver,
                                                      flight)
                    elif isinstance(event, Failed):
                        ended = True
                        refused = await _record_interruption(
                            records, record, event.partial_text, str(event.error), saver, flight
                        )
                    yield event
                    if refused is not None:
                        raise refused
        finally:
            if not ended:
                await _record_interruption(records, record, saver.text, STOPPED, saver, flight)


class _CheckpointSaver:
    """The text of the reply so far, written down in the background every interval."""

    def __init__(self, records: Records, thread_id: str, policy: Checkpoints) -> None:
        self._records = records
        self._thread_id = thread_id
        self._policy = policy
        self._pieces: list[str] = []
        self._unsaved_bytes = 0
        self._last = time.monotonic()
        self._task: asyncio.Future[None] | None = None
        self.at: float | None = None  # when the first checkpoint was made: its turn's date
        self.written = 0
        self.failed = 0
        self.error: Exception | None = None
        self.refusal = False
        """The reply so far is the model's refusal (its deltas say so)."""

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    def add(self, piece: str, *, refusal: bool = False) -> None:
        self._pieces.append(piece)
        self.refusal = refusal
        self._unsaved_bytes += len(piece.encode("utf-8", "surrogatepass"))
        due = (self._unsaved_bytes >= self._policy.every_bytes
               or time.monotonic() - self._last >= self._policy.every_seconds)
        if due and (self._task is None or self._task.done()):
            self._start()

    def _start(self) -> None:
        if self.at is None:
            self.at = time.time()
        turn = Turn(role=Role.ASSISTANT, text=self.text, at=self.at, interrupted=True,
                    error=CHECKPOINT, refusal=self.refusal)
        self._unsaved_bytes = 0
        self._last = time.monotonic()
        self._task = asyncio.ensure_future(self._write(turn))

    async def _write(self, turn: Turn) -> None:
        try:
            await self._records.call(Store.put_reply, self._thread_id, turn, turn.at)
        except (RecordWriteFailed, RecordBusy) as exc:
            self.failed += 1
            self.error = exc
        else:
            self.written += 1

    async def settle(self) -> None:
        """Wait for a checkpoint being written (the final turn must replace it)."""
        if self._task is not None:
            await asyncio.shield(self._task)


def _ensure_recorded(store: Store, record: ThreadRecord) -> None:
    """Record ``record`` if it is not yet, and mark a reply a killed session lost in it (so
    the next question follows that mark, not the lost question)."""
    if record.id not in store:
        store.upsert(record)
    store.recover_unanswered(record.id)


async def _record_reply(
    records: Records,
    backend: Backend,
    record: ThreadRecord,
    done: Completed,
    saver: _CheckpointSaver,
    flight: Flight,
) -> ReplyNotStored | None:
    turn = Turn(
        role=Role.ASSISTANT,
        text=done.text,
        response_id=done.response_id,
        item_id=done.item_id,
        usage=done.usage,
        refusal=done.refusal,  # issue 16.7: a refusal stays marked in the record
    )
    record.last_active = turn.at
    record.status = ThreadStatus.OK
    seen = backend.last_identity
    if seen is not None and seen.profile == record.profile:
        record.organization = record.organization or seen.organization
        record.project = record.project or seen.project
    return await _store_reply(records, record, turn, saver, flight)


async def _record_interruption(
    records: Records,
    record: ThreadRecord,
    text: str,
    why: str,
    saver: _CheckpointSaver,
    flight: Flight,
) -> ReplyNotStored | None:
    # A refusal cut off stays marked a refusal in the record, as it was on screen.
    turn = Turn(role=Role.ASSISTANT, text=text, interrupted=True, error=why,
                refusal=saver.refusal and bool(text))
    record.last_active = turn.at
    record.status = ThreadStatus.INTERRUPTED
    return await _store_reply(records, record, turn, saver, flight)


async def _store_reply(
    records: Records,
    record: ThreadRecord,
    turn: Turn,
    saver: _CheckpointSaver,
    flight: Flight,
) -> ReplyNotStored | None:
    """Write the reply's turn (in place of its checkpoint) and the thread's details; on a
    refusal keep both pending and return what to raise."""
    await saver.settle()
    details = _details(record)
    stored_turn: Turn | None = turn
    try:
        await records.call(Store.put_reply, record.id, turn, saver.at)
        stored_turn = None
        flight.stored = True
        await records.call(Store.update_thread, record.id, **details)
    except (RecordWriteFailed, RecordBusy) as exc:
        pending = PendingReply(record.id, stored_turn, saver.at, details, exc)
        records.keep_pending(pending, None if flight.stored else flight)
        return ReplyNotStored(exc, pending)
    return None


def _details(record: ThreadRecord) -> dict[str, Any]:
    """Only the fields these flows change, so another process's rename survives."""
    return {
        "status": record.status,
        "last_active": record.last_active,
        "server_meta": dict(record.server_meta),
        "organization": record.organization,
        "project": record.project,
    }


async def _save(records: Records, record: ThreadRecord) -> None:
    """Write only the fields these flows change, so another process's rename survives."""
    await records.call(Store.update_thread, record.id, **_details(record))


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
    try:
        if server != local:
            local = await records.call(Store.merge_transcript, record.id, server)
        if record.status in {ThreadStatus.FOREIGN, ThreadStatus.GONE, ThreadStatus.UNKNOWN}:
            record.status = ThreadStatus.OK
            await records.call(Store.mark_status, record.id, record.status)
    except (RecordWriteFailed, RecordBusy):
        # The server keeps what the merge would have added: show it, store it next time.
        local = merge_turns(local, server)
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
    reply (``interrupted`` assistant turns right after the user's turn: a retry that failed
    too adds one more); else None."""
    index = len(turns) - 1
    if index < 1 or turns[index].role is not Role.ASSISTANT:
        return None
    while index >= 0 and turns[index].role is Role.ASSISTANT and turns[index].interrupted:
        index -= 1
    if index >= 0 and index < len(turns) - 1 and turns[index].role is Role.USER:
        return turns[index].text
    return None


class NothingToRegenerate(ValueError):
    """There is no answered question at the end of the thread, or its server cannot
    answer one anew (a legacy Assistants thread)."""


def regenerable_question(record: ThreadRecord, turns: list[Turn]) -> str:
    """The latest question, when it has a reply to replace; else ``NothingToRegenerate``."""
    asked = max((i for i, t in enumerate(turns) if t.role is Role.USER), default=None)
    replies = turns[asked + 1 :] if asked is not None else []
    if asked is None or not any(t.role is Role.ASSISTANT and t.text for t in replies):
        raise NothingToRegenerate("there is no answered question at the end of this thread")
    if record.api is Dialect.ASSISTANTS:
        raise NothingToRegenerate(
            "a legacy Assistants thread cannot be answered anew; continue it as a"
            " conversation first"
        )
    return turns[asked].text


async def regenerate(
    records: Records,
    backend: Backend,
    record: ThreadRecord,
    *,
    checkpoints: Checkpoints | None = None,
    turns: list[Turn] | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """Answer the thread's latest question anew; the replaced reply stays in the record as
    the new reply's first ``alternatives`` entry (the user can page back to it). ``turns``:
    the transcript, when the caller has just read it (to say early that there is nothing to
    answer anew): read once, not twice (read again, even from the cache, a 100,000-turn
    thread costs 0.2 s).

    On a server that keeps the thread the old reply's items are deleted there first, so the
    new reply answers the same items the old one did. Until the new reply is complete the old
    one stays where it was in the record (a kill loses neither); a new reply that fails is
    kept after it, as any failed reply is, and nothing is folded.
    """
    local = turns if turns is not None else await records.call(Store.transcript, record.id)
    question = regenerable_question(record, local)
    asked = max(i for i, t in enumerate(local) if t.role is Role.USER)
    replies = local[asked + 1 :]
    if keeps_thread_on_server(backend):
        dropper = getattr(backend, "drop_last_reply", None)
        try:
            if callable(dropper):
                await dropper(record)
        except ApiError as exc:
            yield Failed(exc, "")  # nothing deleted locally, nothing sent
            return
    completed = False
    async for event in send_message(records, backend, record, question,
                                    checkpoints=checkpoints, redo=True):
        completed = completed or isinstance(event, Completed)
        yield event
    if completed:
        await records.call(_fold_replaced_reply, record.id, asked, len(replies))


def _fold_replaced_reply(store: Store, thread_id: str, asked: int, replaced: int) -> None:
    """[…, question, old reply…, new reply] becomes […, question, new reply] with the old
    turns as the new reply's first alternative; anything else (another session wrote in
    between) is left as it is, which loses nothing."""
    turns = store.transcript(thread_id)
    if len(turns) != asked + replaced + 2 or turns[asked].role is not Role.USER:
        return
    new = turns[-1]
    if new.role is not Role.ASSISTANT or new.interrupted:
        return
    old = turns[asked + 1 : asked + 1 + replaced]
    earlier: list[list[Turn]] = []
    if len(old) == 1:  # a reply regenerated before: its alternatives become siblings
        earlier, old[0].alternatives = old[0].alternatives, []
    new.alternatives = [old, *earlier, *new.alternatives]
    store.replace_transcript(thread_id, [*turns[: asked + 1], new])


def keeps_thread_on_server(backend: Backend) -> bool:
    """Whether the server holds the thread's items (conversations), so a retry must look at
    them before it asks; a chat server keeps nothing and is sent the history each turn."""
    return callable(getattr(backend, "question_pending", None))


async def question_pending(backend: Backend, record: ThreadRecord, text: str) -> bool:
    """Whether the server's thread already ends with ``text`` unanswered (see
    ``ConversationsBackend.question_pending``); False for servers that keep nothing."""
    check = getattr(backend, "question_pending", None)
    return bool(await check(record, text)) if callable(check) else False


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
