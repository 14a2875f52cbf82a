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
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from tui.core.records import Turn
from tui.core.store import Store

P = ParamSpec("P")
R = TypeVar("R")

THREAD_NAME = "threadtui-record"
"""The name of the one thread that touches the store (tests assert writes happen there)."""


class Records:
    """An async front for one ``Store``; ``close`` stops its thread (and not the store)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)

    @property
    def data_dir(self) -> Path:
        return self._store.data_dir

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
    async def reply_in_flight(self, thread_id: str) -> AsyncIterator[None]:
        """``Store.reply_in_flight`` held from the record's thread for the body's duration."""
        manager = self._store.reply_in_flight(thread_id)
        await self._run(manager.__enter__)
        try:
            yield
        finally:
            await self._run(manager.__exit__, None, None, None)

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
        """Finish the calls already made, then stop the thread."""
        self._executor.shutdown(wait=True)
