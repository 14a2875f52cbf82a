"""Continue a thread elsewhere: a new thread under any profile whose history is the record's.

A retired Assistants thread, a conversation that is gone, one made under an organization the
user has left: the server will not continue them, but the record holds their transcript.
Continuing makes a new thread under the chosen profile carrying that transcript in order
(``Backend.create_with_history``), records it, links the two records ("continued as" /
"continued from") and leaves the original as it was. Moving does the same, then really
deletes the original (``session.delete_thread``) and says what could not be deleted.

Nothing is left half-made: a copy that fails partway is deleted by the backend, and a copy the
record then refuses to store is deleted too, since an id that is not recorded is lost.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from tui.core.api.base import ApiError, Backend
from tui.core.damage import StoreError
from tui.core.record_access import Records
from tui.core.records import DeleteReport, Role, ThreadRecord, Turn
from tui.core.session import delete_thread
from tui.core.store import Store, ThreadImport
from tui.core.trash import TrashReason

CONTINUED_FROM = "continued_from"
"""``server_meta`` of a continuation: {"id", "profile", "at"} of the thread it continues."""
CONTINUED_AS = "continued_as"
"""``server_meta`` of an original: a list of {"id", "profile", "at"}, one per continuation."""


FORKED_FROM = "forked_from"
"""``server_meta`` of a fork: {"id", "profile", "at", "message"}: the thread it was forked from
and the position (1-based) of the message that was edited."""
FORKS = "forks"
"""``server_meta`` of a thread forked from: a list of {"id", "profile", "at", "message"}."""


class NothingToContinue(ValueError):
    """The record holds no message of the thread to carry over."""


class ContinuationNotRecorded(Exception):
    """The new thread was made but the record refused it; the copy was deleted (or not:
    the message says which, and names its id)."""


@dataclass
class Continuation:
    original: ThreadRecord
    new: ThreadRecord
    carried: int
    moved: DeleteReport | None = None  # the original's delete, when moving
    original_forgotten: bool = False  # moved, and nothing of it was left on its server

    def summary(self) -> str:
        messages = f"{self.carried} {'message' if self.carried == 1 else 'messages'}"
        line = f"continued {self.original.id} as {self.new.id} ({messages})"
        return line + (f" under profile {self.new.profile}" if self.new.profile else "")


def carried_turns(turns: list[Turn]) -> list[Turn]:
    """What a new thread is made of: every message with text, in order, as fresh turns (the
    new server gives them new ids). A failed reply's empty placeholder carries nothing."""
    return [
        Turn(role=turn.role, text=turn.text, at=turn.at, usage=turn.usage,
             refusal=turn.refusal, interrupted=turn.interrupted)
        for turn in turns
        if turn.text.strip() and turn.role in (Role.USER, Role.ASSISTANT, Role.SYSTEM)
    ]


def link(at: float, record: ThreadRecord) -> dict[str, Any]:
    return {"id": record.id, "profile": record.profile, "at": at}


async def continue_thread(
    records: Records,
    target: Backend,
    record: ThreadRecord,
    *,
    move_with: Backend | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Continuation:
    """Continue ``record`` under ``target``'s profile; with ``move_with`` (a backend of the
    original's own profile), delete the original afterwards.

    Raises ``NothingToContinue``, ``ApiError`` (nothing was made, or what was made is
    deleted: the message says), ``ContinuationNotRecorded``.
    """
    turns = carried_turns(await records.call(Store.transcript, record.id))
    if not turns:
        raise NothingToContinue(
            f"{record.id} has no stored message to continue from (only its id is recorded)"
        )
    title = record.title or record.display_title
    new = await target.create_with_history(title, turns, progress=progress)
    now = time.time()
    new.server_meta[CONTINUED_FROM] = link(now, record)
    new.last_active = max(now, new.last_active)
    await _record_or_discard(records, target, new, turns, "the new thread")
    with contextlib.suppress(StoreError):  # the link back is a nicety; the copy is recorded
        links = [*record.server_meta.get(CONTINUED_AS, []), link(now, new)]
        meta = {**record.server_meta, CONTINUED_AS: links}
        await records.call(Store.update_thread, record.id, server_meta=meta)
        record = replace(record, server_meta=meta)
    continuation = Continuation(original=record, new=new, carried=len(turns))
    if move_with is not None:
        await _move(records, move_with, continuation)
    return continuation


async def _record_or_discard(
    records: Records, backend: Backend, new: ThreadRecord, turns: list[Turn], what: str
) -> None:
    """Record a thread just made on the server, or delete it there: an id that is not in the
    record is lost, so a copy the record refuses must not stay behind unsaid."""
    try:
        result = await records.call(Store.import_threads, [ThreadImport(new, turns)])
        if result.rejected:
            raise StoreError(result.rejected[0][1])
    except StoreError as exc:
        gone = False
        with contextlib.suppress(ApiError):
            gone = (await backend.delete(new)).thread_deleted
        fate = "it was deleted again" if gone else f"{new.id} is still on the server: delete it"
        raise ContinuationNotRecorded(f"{what} could not be recorded ({exc}); {fate}") from exc


async def _move(records: Records, source: Backend, continuation: Continuation) -> None:
    """Delete the original for real; a thread its server no longer has (retired, gone) has
    nothing to delete there and is forgotten here, into the trash."""
    original = continuation.original
    try:
        report = await delete_thread(records, source, original)
    except ApiError as exc:
        continuation.moved = DeleteReport(thread_id=original.id, failed=[(original.id, str(exc))])
        return
    continuation.moved = report
    if report.not_found:
        await records.call(Store.delete, original.id, reason=TrashReason.FORGOTTEN)
        continuation.original_forgotten = True


class NotAQuestion(ValueError):
    """A fork starts from one of the user's own messages; the position named another."""


async def fork_thread(
    records: Records,
    backend: Backend,
    record: ThreadRecord,
    message: int,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ThreadRecord:
    """A new thread holding the messages before the user's message number ``message``
    (1-based, as the user counts them on screen), recorded and linked both ways. The caller
    then sends the edited message in it (``session.send_message``); the original stays as
    it was.
    """
    turns = await records.call(Store.transcript, record.id)
    if not 1 <= message <= len(turns) or turns[message - 1].role is not Role.USER:
        raise NotAQuestion(
            f"message {message} of {record.id} is not one of your messages: a fork starts "
            "from a question you asked"
        )
    history = carried_turns(turns[: message - 1])
    title = f"{record.title or record.display_title} (edited)"
    if history:
        new = await backend.create_with_history(title, history, progress=progress)
    else:
        new = await backend.create_thread(title)
    now = time.time()
    new.server_meta[FORKED_FROM] = {**link(now, record), "message": message}
    new.last_active = max(now, new.last_active)
    await _record_or_discard(records, backend, new, history, "the fork")
    with contextlib.suppress(StoreError):
        forks = [*record.server_meta.get(FORKS, []), {**link(now, new), "message": message}]
        await records.call(Store.update_thread, record.id,
                           server_meta={**record.server_meta, FORKS: forks})
    return new
