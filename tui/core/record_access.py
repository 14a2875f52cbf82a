"""The record for code that runs on an event loop: every call on one thread of its own, in order.

``Store`` is synchronous: a write fsyncs and renames files and may wait on another process's
``flock``. Called on the UI event loop, a slow disk, a big record or a stopped writer freezes
every key. ``Records`` runs each call on a single worker thread, so calls never overlap (the
store is not thread-safe and needs none: it is only ever touched from that thread) and they
happen in the order they were made: the user's turn before the reply, the reply before the
status. The app and the async flows in ``tui.core.session`` and ``tui.core.ownership`` take a
``Records``; synchronous callers (the CLI's listing and export) keep using ``Store``.

A call that has started always finishes, even when the awaiting task is cancelled: a reply
being written when the user presses Esc is written whole, never half.

A reply the disk refused (full, read-only, an I/O error) or that waited too long for another
process's lock is not dropped: ``tui.core.session`` hands it to ``keep_pending``, and it
stays here, in memory, with its in-flight mark still held, until ``flush_pending`` stores it
(the app: a retry key, or a timer). If the process ends first, the mark is left behind and
the next start says the reply was not stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from tui.core.records import Turn
from tui.core.store import Store

P = ParamSpec("P")
R = TypeVar("R")

THREAD_NAME = "threadtui-record"
"""The name of the one thread that touches the store (tests assert writes happen there)."""


@dataclass(eq=False)
class Flight:
    """A reply being awaited (``Records.reply_in_flight``). Set ``stored`` once the reply's
    turn is in the record: only then is the in-flight mark removed. ``pending`` is set by
    ``Records.keep_pending`` when the reply is kept in memory instead."""

    thread_id: str
    mark: AbstractContextManager[None]
    stored: bool = False
    pending: PendingReply | None = None


@dataclass(eq=False)
class PendingReply:
    """A reply on the screen that the record could not take yet.

    ``turn`` is the assistant turn to store (None: it is stored, only the thread's details
    are not), in place of the checkpoint dated ``checkpoint_at``; ``details`` are the thread's
    fields to save after it (``Store.update_thread``); ``error`` is the last refusal.
    """

    thread_id: str
    turn: Turn | None
    checkpoint_at: float | None
    details: dict[str, Any]
    error: Exception
    flight: Flight | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.turn.text if self.turn is not None else ""


class Records:
    """An async front for one ``Store``; ``close`` stops its thread (and not the store)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self.pending: list[PendingReply] = []
        """Replies kept in memory because the record refused them, oldest first."""

    @property
    def read_only(self) -> bool:
        return self._store.read_only

    async def call(
        self, method: Callable[Concatenate[Store, P], R], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run ``method(store, *args, **kwargs)`` on the record's thread and return its result.

        Shielded: cancelling the caller does not interrupt a write that has begun (its result
        is dropped, its effect stays)."""
        loop = asyncio.get_running_loop()
        job = functools.partial(method, self._store, *args, **kwargs)
        future = loop.run_in_executor(self._executor, job)
        return await asyncio.shield(future)

    @contextlib.asynccontextmanager
    async def reply_in_flight(self, thread_id: str) -> AsyncIterator[Flight]:
        """``Store.reply_in_flight`` held from the record's thread for the body's duration.

        The mark is removed at the end only when the body set ``flight.stored``; a reply kept
        pending keeps it held until it is stored; otherwise it is released and left behind,
        so the lost reply is marked (``Store.recover_unanswered``).
        """
        manager = self._store.reply_in_flight(thread_id)
        await self._run(manager.__enter__)
        flight = Flight(thread_id, manager)
        try:
            yield flight
        except BaseException as exc:
            if flight.pending is None:
                if flight.stored:
                    await self._run(manager.__exit__, None, None, None)
                else:
                    await self._run(manager.__exit__, type(exc), exc, exc.__traceback__)
            raise
        if flight.pending is None:
            if flight.stored:
                await self._run(manager.__exit__, None, None, None)
            else:
                error = RuntimeError("the reply was not stored")
                await self._run(manager.__exit__, RuntimeError, error, None)

    def keep_pending(self, pending: PendingReply, flight: Flight | None) -> None:
        """Keep a reply the record refused, with its mark, until ``flush_pending``."""
        pending.flight = flight
        if flight is not None:
            flight.pending = pending
        self.pending.append(pending)

    async def flush_pending(self) -> int:
        """Store the replies kept in memory, oldest first; how many were stored.

        Raises the record's refusal again (``RecordWriteFailed``, ``RecordBusy``) when it
        still cannot take them; those not stored stay pending.
        """
        stored = 0
        while self.pending:
            pending = self.pending[0]
            try:
                await self.call(_store_pending, pending)
            except Exception as exc:
                pending.error = exc
                raise
            self.pending.pop(0)
            stored += 1
            if pending.flight is not None:
                await self._run(pending.flight.mark.__exit__, None, None, None)
        return stored

    async def _run(self, fn: Callable[..., R], *args: object) -> R:
        loop = asyncio.get_running_loop()
        return await asyncio.shield(loop.run_in_executor(self._executor, fn, *args))

    # The slice of the record the backends use (``tui.core.api.sdk.LocalStore``).
    async def get_meta(self, key: str, default: Any = None) -> Any:
        return await self.call(Store.get_meta, key, default)

    async def set_meta(self, key: str, value: Any) -> None:
        await self.call(Store.set_meta, key, value)

    async def transcript(self, thread_id: str) -> list[Turn]:
        return await self.call(Store.transcript, thread_id)

    def close(self) -> None:
        """Finish the calls already made, then stop the thread.

        Replies still pending are dropped here with their marks left behind, so the next
        start says they were not stored: an app should ``flush_pending`` (and, failing, warn)
        before it quits."""
        for pending in self.pending:
            if pending.flight is not None:
                error = RuntimeError("the reply was not stored")
                with contextlib.suppress(Exception):
                    self._executor.submit(
                        pending.flight.mark.__exit__, RuntimeError, error, None
                    ).result()
        self.pending.clear()
        self._executor.shutdown(wait=True)


def _store_pending(store: Store, pending: PendingReply) -> None:
    if pending.turn is not None:
        store.put_reply(pending.thread_id, pending.turn, pending.checkpoint_at)
        pending.turn = None  # stored: a retry of the details alone never adds it twice
    if pending.details:
        store.update_thread(pending.thread_id, **pending.details)
