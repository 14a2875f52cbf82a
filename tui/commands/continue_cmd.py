"""`threadtui continue ID [--profile P] [--move]`: carry a thread's transcript to a new thread.

For a thread the server will not continue (retired, gone, another organization's) or one to
take elsewhere: a new conversation under the profile given (else the default) holds the
recorded transcript in order. The original is never changed; with --move it is then really
deleted (with its owner's key), after asking.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui.commands.context import CliContext
from tui.commands.local_record import error, run_with_records
from tui.commands.progress_line import ProgressLine
from tui.core.api.base import ApiError
from tui.core.safe_text import printable

if TYPE_CHECKING:
    from tui.core.record_access import Records
    from tui.core.records import Profile, ThreadRecord

CONTINUE_HELP = """\
Makes a new thread under --profile (else the default profile) whose history is the recorded
transcript of ID, in order, records it, and links the two ("continued as" / "continued from").
Works for any thread with a stored transcript: one that is fine, another organization's, gone,
a retired Assistants thread, or a chat thread that lives only in the record. The original is
not changed. --move then deletes the original for real with its own profile's key (asking
first; --yes skips the question) and says what could not be deleted. A copy that fails partway
is deleted again, so nothing is left half-made."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "continue", help="continue a thread under another profile (a new thread, same history)",
        description=CONTINUE_HELP,
    )
    parser.add_argument("thread_id", metavar="ID")
    parser.add_argument("--move", action="store_true",
                        help="then delete the original on its server and here")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask before --move")
    parser.set_defaults(func=run_continue)


def run_continue(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.core.store import Store

    target = ctx.profile
    with Store.open(ctx.data_dir) as store:
        record = store.get(args.thread_id)
        if record is None:
            error(ctx, f"{printable(args.thread_id)} is not in the record "
                       "(`threadtui list` shows what is)")
            return 1
        source = None
        if args.move:
            source = ctx.config.profiles.get(record.profile) if record.profile else None
            if record.profile and source is None:
                error(ctx, f"--move: the original's profile {printable(record.profile)} is not "
                           "configured, so it cannot be deleted; continue without --move")
                return 2
            if not args.yes and not _confirm(ctx, record, target.name):
                print("nothing done", file=ctx.out)
                return 1
        return run_with_records(store, lambda records: _continue(records, ctx, record, target,
                                                             source, args.move))


def _confirm(ctx: CliContext, record: ThreadRecord, target: str) -> bool:
    if not sys.stdin.isatty():
        error(ctx, "--move deletes the original: run it in a terminal to be asked, or add --yes")
        return False
    print(f"Continue {record.id} under profile {target}, then DELETE the original on its "
          f"server ({record.profile or 'nowhere: it lives only in the record'})? [y/N] ",
          end="", file=ctx.out, flush=True)
    return sys.stdin.readline().strip().lower() in {"y", "yes"}


async def _continue(
    records: Records, ctx: CliContext, record: ThreadRecord, target: Profile,
    source: Profile | None, move: bool,
) -> int:
    from tui.core.api.factory import make_backend
    from tui.core.continuation import ContinuationNotRecorded, NothingToContinue, continue_thread

    backend = make_backend(target, ctx.keyring, records)
    mover = make_backend(source, ctx.keyring, records, dialect=record.api) if source else None
    if move and mover is None:  # a thread that lives only in the record: its backend is local
        mover = make_backend(target, ctx.keyring, records, dialect=record.api)
    progress = ProgressLine(ctx.err, "copying messages")
    try:
        done = await continue_thread(records, backend, record, move_with=mover,
                                     progress=progress)
    except (NothingToContinue, ContinuationNotRecorded, ApiError) as exc:
        progress.close()
        error(ctx, f"not continued: {printable(str(exc))}")
        return 1
    finally:
        progress.close()
        await backend.aclose()
        if mover is not None:
            await mover.aclose()
    print(done.summary(), file=ctx.out)
    if done.moved is None:
        print(f"the original is unchanged; open the new one with its id: {done.new.id}",
              file=ctx.out)
        return 0
    if done.original_forgotten:
        print(f"{record.id} was not on its server any more (retired, gone or deleted): "
              "forgotten here, kept in the trash for 30 days", file=ctx.out)
        return 0
    print(done.moved.summary(), file=ctx.out)
    if done.moved.complete:
        print("the original is in the trash for 30 days "
              f"(`threadtui trash restore {record.id}`)", file=ctx.out)
        return 0
    print("the original is kept in the record so the rest can be deleted later "
          f"(`threadtui delete {record.id}`)", file=ctx.out)
    return 1
