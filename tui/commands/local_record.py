"""What `threadtui list|export|import` share: opening the local record and telling the user.

These commands must work over SSH with nothing but the core: no textual import, and nothing
printed raw that came from outside (titles and notes are escaped).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from tui.commands.context import CliContext
from tui.core.safe_text import printable
from tui.core.store import RecordBusy, RecordWriteFailed, Store, StoreError

if TYPE_CHECKING:
    from tui.core.record_access import Records


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


READ_LOCK_WAIT = 0.2
"""How long a reading command waits for the record's lock before it reads without it."""


def open_store_for_cli(ctx: CliContext, *, read_only_ok: bool = False) -> Store | None:
    """The record in ``ctx.data_dir``, with anything wrong with it told on stderr.

    ``read_only_ok`` (listing, searching, exporting): a record that cannot be written (a
    read-only disk, a snapshot, a backup mount) or that another process holds (stopped with
    ctrl+z) is read without the lock, at once, saying so. Otherwise a held record waits the
    lock's bound and then names its holder (``RecordBusy``). None (after saying why) when it
    cannot be opened at all.
    """
    try:
        store = Store.open(ctx.data_dir, lock_timeout=READ_LOCK_WAIT if read_only_ok else None)
    except (RecordWriteFailed, RecordBusy) as exc:
        if not read_only_ok:
            error(ctx, f"cannot open the local record in {ctx.data_dir}: {exc}")
            return None
        try:
            store = Store.open_read_only(ctx.data_dir)
        except (StoreError, OSError) as again:
            error(ctx, f"cannot open the local record in {ctx.data_dir}: {again}")
            return None
        if isinstance(exc, RecordBusy):
            error(ctx, f"{exc}; read what is on disk without waiting")
        else:
            error(ctx, f"read-only record ({exc.reason}): {ctx.data_dir} is read, "
                       "nothing in it can be changed")
    except (StoreError, OSError) as exc:
        error(ctx, f"cannot open the local record in {ctx.data_dir}: {exc}")
        return None
    report_problems(ctx, store)
    return store


def report_problems(ctx: CliContext, store: Store) -> None:
    for problem in store.take_problems():
        print(f"threadtui: {printable(problem.message)}", file=ctx.err)


@contextlib.contextmanager
def open_record(ctx: CliContext, *, read_only_ok: bool = False) -> Iterator[Store | None]:
    """The record for one command (None when it cannot be opened); problems told, then closed.

    A write the record refuses (``RecordWriteFailed``: a full or read-only disk) or a lock
    held past its bound (``RecordBusy``) inside the block propagates: ``tui.cli`` tells it in
    one line and exits 1, without a traceback."""
    store = open_store_for_cli(ctx, read_only_ok=read_only_ok)
    try:
        yield store
    finally:
        if store is not None:
            report_problems(ctx, store)
            store.close()


def error(ctx: CliContext, message: str) -> None:
    """One line on stderr, prefixed like every message of the command line."""
    print(f"threadtui: {message}", file=ctx.err)


def run_with_records(store: Store, flow: Callable[[Records], Coroutine[Any, Any, int]]) -> int:
    """Run ``flow`` on a fresh event loop with ``store`` behind a ``Records`` (closed after):
    how a command reaches the async session flows (delete, continue, import --check)."""
    from tui.core.record_access import Records

    records = Records(store)
    try:
        return asyncio.run(flow(records))
    finally:
        records.close()
