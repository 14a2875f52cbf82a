"""`threadtui trash [list|restore ID|empty]` and `threadtui forget ID`: the local trash.

A thread deleted (on the server and here) or forgotten (here only) stays in the trash of the
data directory for 30 days (``tui.core.trash``), because neither the server nor anything else
can give it back. Local only: nothing here talks to a server.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tui.commands.context import CliContext
from tui.commands.local_record import error, open_record
from tui.core.safe_text import printable
from tui.core.store import StoreError, TrashReason, UnknownThread
from tui.core.trash import KEEP_DAYS, KEEP_SECONDS

TRASH_HELP = f"""\
Deleted and forgotten threads stay here for {KEEP_DAYS} days (the server's copy of a deleted
thread cannot come back; this is the only one left). `restore ID` puts one back in the record
(marked gone when it was deleted on the server); `empty` removes them all for good."""


def register(subparsers: Any) -> None:
    trash = subparsers.add_parser(
        "trash", help=f"list, restore or empty deleted and forgotten threads ({KEEP_DAYS} days)",
        description=TRASH_HELP,
    )
    actions = trash.add_subparsers(dest="trash_action", metavar="ACTION")
    actions.add_parser("list", help="what can be restored, newest first (the default)")
    restore = actions.add_parser("restore", help="put a thread back into the record")
    restore.add_argument("thread_id", metavar="ID")
    empty = actions.add_parser("empty", help="remove every thread in the trash for good")
    empty.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    trash.set_defaults(func=run_trash, trash_action=None)

    forget = subparsers.add_parser(
        "forget",
        help="forget a thread locally (into the trash; the server is not asked)",
        description="Take a thread out of the local record without asking any server, e.g. "
        f"one marked gone. It goes to the trash for {KEEP_DAYS} days: `threadtui trash "
        "restore ID` brings it back.",
    )
    forget.add_argument("thread_id", metavar="ID")
    forget.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(func=run_forget)


def run_trash(args: argparse.Namespace, ctx: CliContext) -> int:
    action = args.trash_action or "list"
    if action == "empty" and not args.yes and not sys.stdin.isatty():
        error(ctx, "`trash empty` removes threads for good: confirm on a terminal, or pass --yes")
        return 2
    with open_record(ctx) as store:
        if store is None:
            return 1
        if action == "list":
            entries = store.trash_entries()
            if not entries:
                print("the trash is empty", file=ctx.out)
                return 0
            now = time.time()
            for entry in entries:
                left = max(0, int((entry.trashed_at + KEEP_SECONDS - now) // 86400))
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.trashed_at))
                title = f' "{printable(entry.title)}"' if entry.title else ""
                print(
                    f"{printable(entry.thread_id)}{title}  {entry.reason.words} {when}"
                    f" ({len(entry.turns)} message(s); kept {left} more day(s))",
                    file=ctx.out,
                )
            print("restore one with `threadtui trash restore ID`", file=ctx.out)
            return 0
        if action == "restore":
            trashed = store.trash_entry(args.thread_id)
            try:
                record = store.restore(args.thread_id)
            except UnknownThread:
                error(ctx, f"no thread {printable(args.thread_id)} in the trash"
                      " (`threadtui trash list` shows what is there)")
                return 1
            except StoreError as exc:
                error(ctx, f"not restored: {exc}")
                return 1
            deleted = trashed is not None and trashed.reason is TrashReason.DELETED
            note = (" (marked gone: its server copy was deleted; the transcript is local)"
                    if deleted else f" ({record.status})")
            print(f"restored {printable(record.id)} to the local record{note}", file=ctx.out)
            return 0
        count = len(store.trash_entries())
        if count == 0:
            print("the trash is empty", file=ctx.out)
            return 0
        if not args.yes and not _confirm(
            f"Remove {count} thread(s) in the trash for good? Their transcripts cannot be"
            " restored afterwards.", ctx
        ):
            print("nothing removed", file=ctx.out)
            return 1
        removed = store.empty_trash()
        print(f"removed {removed} thread(s) for good", file=ctx.out)
        return 0


def run_forget(args: argparse.Namespace, ctx: CliContext) -> int:
    with open_record(ctx) as store:
        if store is None:
            return 1
        record = store.get(args.thread_id)
        if record is None:
            error(ctx, f"no thread {printable(args.thread_id)} in the local record; nothing to"
                  " forget")
            return 1
        label = printable(record.id) + (f' "{printable(record.title)}"' if record.title else "")
        if not args.yes and not _confirm(
            f"Forget {label} locally (the server is not asked)? It stays in the trash for"
            f" {KEEP_DAYS} days.", ctx
        ):
            print("not forgotten", file=ctx.out)
            return 1
        store.delete(record.id, reason=TrashReason.FORGOTTEN)
        print(f"forgot {label}; `threadtui trash restore {printable(record.id)}` brings it"
              " back", file=ctx.out)
        return 0


def _confirm(question: str, ctx: CliContext) -> bool:
    print(f"{question} [y/N] ", end="", file=ctx.out, flush=True)
    return sys.stdin.readline().strip().lower() in {"y", "yes"}
