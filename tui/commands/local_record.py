"""What `threadtui list|export|import` share: opening the local record and telling the user.

These commands must work over SSH with nothing but the core: no textual import, and nothing
printed raw that came from outside (titles and notes are escaped).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from tui.commands.context import CliContext
from tui.core.safe_text import printable
from tui.core.store import Store, StoreError


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def open_store_for_cli(ctx: CliContext) -> Store | None:
    """The record in ``ctx.data_dir``, with anything wrong with it told on stderr.

    None (after saying why) when it cannot be opened at all.
    """
    try:
        store = Store.open(ctx.data_dir)
    except (StoreError, OSError) as exc:
        error(ctx, f"cannot open the local record in {ctx.data_dir}: {exc}")
        return None
    report_problems(ctx, store)
    return store


def report_problems(ctx: CliContext, store: Store) -> None:
    for problem in store.take_problems():
        print(f"threadtui: {printable(problem.message)}", file=ctx.err)


@contextlib.contextmanager
def open_record(ctx: CliContext) -> Iterator[Store | None]:
    """The record for one command (None when it cannot be opened); problems told, then closed."""
    store = open_store_for_cli(ctx)
    try:
        yield store
    finally:
        if store is not None:
            report_problems(ctx, store)
            store.close()


def error(ctx: CliContext, message: str) -> None:
    """One line on stderr, prefixed like every message of the command line."""
    print(f"threadtui: {message}", file=ctx.err)
