"""`threadtui list`: the recorded threads as a table (or JSON lines), filtered like the sidebar.

This answers the question people ask when they cannot find a thread ("which profile made
it?"). The search uses the sidebar's rule (``tui.core.thread_query``) through the store.
"""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, TextIO

from tui.commands.context import CliContext
from tui.commands.local_record import error, open_record, positive
from tui.core.records import ThreadRecord, ThreadStatus
from tui.core.safe_text import UNSAFE, display_width, fit, json_text, printable
from tui.core.search_index import is_best_first
from tui.core.store import Store

FULL_TEXT_LIMIT = 50
"""Matches a transcript search shows by default: the best ones, as a search engine would
(ranking and showing every thread that holds a common word costs more than it tells)."""

LIST_HELP = f"""\
Threads newest first (pinned ones on top), from every profile; --profile NAME shows only that
profile's threads. Threads marked gone (no profile can see them any more) are left out unless
--all is given; the count of those left out goes to stderr. A search of the transcripts
(--full-text) shows the {FULL_TEXT_LIMIT} best matches unless --limit says otherwise; when a
limit leaves threads out, how many goes to stderr."""


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
    parser.add_argument(
        "-n", "--limit", type=_limit, metavar="N",
        help=f"at most N threads; 0 for no limit (the default, except with --full-text: "
        f"{FULL_TEXT_LIMIT})",
    )
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


def _limit(text: str) -> int:
    """``--limit``: a positive number, or 0 for none."""
    return 0 if text.strip() == "0" else positive(text)


@dataclass(slots=True)
class Listing:
    """What ``threadtui list`` shows: the rows, and what a limit or ``--all`` left out."""

    records: list[ThreadRecord]
    total: int
    """Threads that match among the statuses shown (more than ``records`` under a limit)."""
    hidden: int
    """Threads that match but are marked gone, left out without ``--all``."""
    unranked: int = 0
    """How many threads' transcripts matched when that was too many to rank (the rows are
    then newest first); 0 when the matches are best first or the search was not full-text."""


def select(
    store: Store,
    *,
    profile: str | None,
    search: str | None,
    full_text: bool,
    show_all: bool,
    limit: int | None,
) -> Listing:
    """The rows to show and the counts to say, from an open record. ``limit`` None: the
    default (every thread, or ``FULL_TEXT_LIMIT`` for a transcript search); 0: every thread.
    The rows and their count come from one search; the index keeps its answer for the count
    of the gone and for whether it was ranked (nothing changed meanwhile)."""
    filters: dict[str, Any] = {"profile": profile, "text": search, "full_text": full_text}
    if limit is None:
        limit = FULL_TEXT_LIMIT if full_text and search else 0
    statuses = None if show_all else _SHOWN
    records, total = store.page_of_threads(**filters, statuses=statuses, limit=limit or None)
    hidden = 0 if show_all else store.count_threads(**filters, statuses=[ThreadStatus.GONE])
    unranked = 0
    if full_text and search:
        found = store.search.search(search)  # the answer just used, kept while unchanged
        if found is not None and not is_best_first(found):
            unranked = len(found)
    return Listing(records, total, hidden, unranked)


def write(listing: Listing, out: TextIO, err: TextIO, *, as_json: bool, width: int) -> None:
    """The rows on ``out`` (a table, or JSON lines); what was left out on ``err``."""
    records = listing.records
    if as_json:
        out.write("".join(json_text(record.to_dict()) + "\n" for record in records))
    elif records:
        _print_table(records, out, width)
    if listing.unranked:
        print(f"({listing.unranked:,} threads hold it: too many to rank, newest first)",
              file=err)
    more = listing.total - len(records)
    if more > 0:
        print(f"… {more:,} more (of {listing.total:,}); --limit 0 lists them all", file=err)
    if listing.hidden:
        print(f"({listing.hidden} thread(s) marked gone not shown; --all shows them)",
              file=err)


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    profile: str | None = getattr(args, "profile", None)
    with open_record(ctx, read_only_ok=True) as store:
        if store is None:
            return 1
        if profile and not _known_profile(profile, store, ctx):
            return 2
        if args.full_text and args.search and store.search.needs_building():
            print("threadtui: indexing the transcripts for search (once; at a million "
                  "messages this takes a minute or two)…", file=ctx.err, flush=True)
        listing = select(store, profile=profile, search=args.search, full_text=args.full_text,
                         show_all=args.all, limit=args.limit)
    if not listing.records:
        error(ctx, _nothing_found(profile, args.search, ctx.data_dir))
    write(listing, ctx.out, ctx.err, as_json=args.json, width=_terminal_width())
    return 0


def _nothing_found(profile: str | None, search: str | None, data_dir: Path) -> str:
    scope = f" for profile {printable(profile)}" if profile else ""
    if search:
        return f"no recorded threads{scope} match {printable(search)!r}"
    return f"no threads recorded{scope} in {data_dir}"


_HEADERS = ("ID", "TITLE", "PROFILE", "ORG/PROJECT", "LAST ACTIVE", "STATUS")
# Columns that give way, in order, when the terminal is narrow; and how far they may shrink.
_SHRINK_ORDER = ((1, 12), (3, 10), (2, 7))


def _columns(records: list[ThreadRecord]) -> list[list[str]]:
    """The table's columns, header first, every cell printable: built column by column, so
    that the check for unsafe characters is one scan of a column, not one per cell."""
    wheres = [" / ".join(p for p in (r.organization, r.project) if p) or "-" for r in records]
    texts = [
        [r.id for r in records],
        [r.title or "-" for r in records],
        [r.profile or "-" for r in records],
        wheres,
    ]
    columns = [[header, *_printable(column)]
               for header, column in zip(_HEADERS[:4], texts, strict=True)]
    columns.append([_HEADERS[4], *[_minute(r.last_active) for r in records]])
    columns.append([_HEADERS[5], *map(_status, records)])
    return columns


def _printable(cells: list[str]) -> list[str]:
    """``printable`` of each cell; one scan when none holds an unsafe character (the rule
    escapes, never drops, so a cell stays non-empty)."""
    if UNSAFE.search("".join(cells)) is None:
        return cells
    return [printable(cell) for cell in cells]


def _status(record: ThreadRecord) -> str:
    # "foreign" (from older versions) is not a state of the thread: it is "ok" elsewhere.
    shown = ThreadStatus.OK if record.status is ThreadStatus.FOREIGN else record.status
    return str(shown) + (" pinned" if record.pinned else "")


def _minute(moment: float) -> str:
    """The local minute of ``moment``; minutes repeat across rows, so each is formatted once."""
    minute = int(moment // 60)
    shown = _MINUTES.get(minute)
    if shown is None:
        shown = _MINUTES[minute] = time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))
    return shown


_MINUTES: dict[int, str] = {}


def _print_table(records: list[ThreadRecord], out: TextIO, width: int) -> None:
    columns = _columns(records)
    # Column by column, each cell measured once: the measure sizes the column and pads it.
    ascii_only = ["".join(column).isascii() for column in columns]
    measures = [list(map(len if plain else display_width, column))
                for column, plain in zip(columns, ascii_only, strict=True)]
    widths = [max(measure) for measure in measures]
    _fit_widths(widths, width)
    padded = [
        _padded(column, measure, w, plain)
        for column, measure, w, plain in zip(columns[:-1], measures, widths, ascii_only,
                                              strict=False)
    ]
    padded.append(columns[-1])  # the last column is not padded: lines end with their text
    out.write("".join(map("{}\n".format, map("  ".join, zip(*padded, strict=True)))))


def _padded(column: list[str], measure: list[int], width: int, plain: bool) -> list[str]:
    """Each cell cut or padded to exactly ``width`` columns."""
    if plain:  # ASCII: a character is a column; cut (as ``fit`` does), then padded from C
        if max(measure) > width:
            cut = max(width - 1, 0)
            column = [cell if len(cell) <= width else cell[:cut] + "…" for cell in column]
        return list(map(str.ljust, column, repeat(width)))
    return [cell + " " * (width - used) if used <= width else _pad(cell, used, width)
            for cell, used in zip(column, measure, strict=True)]


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
