"""`threadtui list`: the recorded threads as a table (or JSON lines), filtered like the sidebar.

This answers the question people ask when they cannot find a thread ("which profile made
it?"). The search uses the sidebar's rule (``tui.core.thread_query``) through the store.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any, TextIO

from tui.commands.context import CliContext
from tui.commands.local_record import error, open_record, positive
from tui.core.records import ThreadRecord, ThreadStatus
from tui.core.safe_text import display_width, fit, json_text, printable
from tui.core.store import Store

LIST_HELP = """\
Threads newest first (pinned ones on top), from every profile; --profile NAME shows only that
profile's threads. Threads marked gone (no profile can see them any more) are left out unless
--all is given; the count of those left out goes to stderr."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("list", help="list recorded threads", description=LIST_HELP)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--all", action="store_true", help="include threads marked gone")
    parser.add_argument(
        "-s",
        "--search",
        metavar="TEXT",
        help="only threads where every word of TEXT is in the title, id, profile, "
        "organization, project or owner (any case; the sidebar's filter)",
    )
    parser.add_argument(
        "--full-text", action="store_true",
        help="with --search, also search the transcripts (those that match come first, best "
        "match first)"
    )
    parser.add_argument("-n", "--limit", type=positive, metavar="N", help="at most N threads")
    parser.set_defaults(func=run_list)


_SHOWN = [status for status in ThreadStatus if status is not ThreadStatus.GONE]


def _known_profile(name: str, store: Store, ctx: CliContext) -> bool:
    """Whether ``--profile NAME`` names a configured profile or one threads are filed under
    (a profile removed from the config still has its threads); else say which exist."""
    configured = set(ctx.config.profiles)
    if name in configured:
        return True
    recorded = {r.profile for r in store.list_threads() if r.profile}
    if name in recorded:
        return True
    known = ", ".join(sorted(configured)) or "none"
    extra = sorted(recorded - configured)
    also = f"; threads are also filed under: {', '.join(extra)}" if extra else ""
    error(ctx, f"no profile named {printable(name)!r} (profiles in {ctx.config.path}: "
               f"{printable(known)}{printable(also)})")
    return False


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    profile: str | None = getattr(args, "profile", None)
    with open_record(ctx, read_only_ok=True) as store:
        if store is None:
            return 1
        filters: dict[str, Any] = {
            "profile": profile,
            "text": args.search,
            "full_text": args.full_text,
        }
        if profile and not _known_profile(profile, store, ctx):
            return 2
        if args.full_text and args.search and store.search.needs_building():
            print("threadtui: indexing the transcripts for search (once; at a million "
                  "messages this takes a minute or two)…", file=ctx.err, flush=True)
        statuses = None if args.all else _SHOWN
        records = store.list_threads(**filters, statuses=statuses, limit=args.limit)
        hidden = 0 if args.all else store.count_threads(**filters, statuses=[ThreadStatus.GONE])
    if args.json:
        for record in records:
            print(json_text(record.to_dict()), file=ctx.out)
    elif records:
        _print_table(records, ctx.out, _terminal_width())
    if not records:
        error(ctx, _nothing_found(profile, args.search, ctx.data_dir))
    if hidden:
        print(f"({hidden} thread(s) marked gone not shown; --all shows them)", file=ctx.err)
    return 0


def _nothing_found(profile: str | None, search: str | None, data_dir: Path) -> str:
    scope = f" for profile {printable(profile)}" if profile else ""
    if search:
        return f"no recorded threads{scope} match {printable(search)!r}"
    return f"no threads recorded{scope} in {data_dir}"


_HEADERS = ("ID", "TITLE", "PROFILE", "ORG/PROJECT", "LAST ACTIVE", "STATUS")
# Columns that give way, in order, when the terminal is narrow; and how far they may shrink.
_SHRINK_ORDER = ((1, 12), (3, 10), (2, 7))


def _row(record: ThreadRecord) -> tuple[str, ...]:
    where = " / ".join(p for p in (record.organization, record.project) if p) or "-"
    # "foreign" (from older versions) is not a state of the thread: it is "ok" elsewhere.
    shown = ThreadStatus.OK if record.status is ThreadStatus.FOREIGN else record.status
    status = str(shown) + (" pinned" if record.pinned else "")
    return (
        printable(record.id),
        printable(record.title) or "-",
        printable(record.profile) or "-",
        printable(where),
        _minute(record.last_active),
        status,
    )


def _minute(moment: float) -> str:
    """The local minute of ``moment``; minutes repeat across rows, so each is formatted once."""
    minute = int(moment // 60)
    shown = _MINUTES.get(minute)
    if shown is None:
        shown = _MINUTES[minute] = time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))
    return shown


_MINUTES: dict[int, str] = {}


def _print_table(records: list[ThreadRecord], out: TextIO, width: int) -> None:
    columns = list(zip(_HEADERS, *map(_row, records), strict=True))
    # Column by column, each cell measured once: the measure sizes the column and pads it.
    measures = [list(map(display_width, column)) for column in columns]
    widths = [max(measure) for measure in measures]
    _fit_widths(widths, width)
    padded = [
        [_pad(cell, used, w) for cell, used in zip(column, measure, strict=True)]
        for column, measure, w in zip(columns, measures, widths, strict=True)
    ]
    out.write("".join("  ".join(cells).rstrip() + "\n" for cells in zip(*padded, strict=True)))


def _fit_widths(widths: list[int], total: int) -> None:
    """Shrink the flexible columns until the row fits; ids are never cut (they are copied)."""
    excess = sum(widths) + 2 * (len(widths) - 1) - total
    for column, minimum in _SHRINK_ORDER:
        if excess <= 0:
            return
        give = min(excess, max(0, widths[column] - minimum))
        widths[column] -= give
        excess -= give


def _pad(cell: str, used: int, width: int) -> str:
    """``cell`` (``used`` columns wide) cut or padded to exactly ``width`` columns."""
    if used > width:
        cell = fit(cell, width)
        used = display_width(cell)
    return cell + " " * (width - used)


def _terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns
