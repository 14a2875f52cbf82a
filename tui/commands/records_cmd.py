"""`threadtui list|export|import`: the local record from the shell, without the app.

These answer the questions people ask when they cannot find a thread ("which profile made
it?", "I kept the ids in a text file", "move my record to the new laptop") and must work over
SSH with nothing but the core: no textual import, and nothing printed raw that came from
outside (titles and notes are escaped).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from tui.commands.context import CliContext
from tui.core.files import atomic_write
from tui.core.records import Profile, ThreadRecord, ThreadStatus
from tui.core.safe_text import display_width, fit, json_text, printable
from tui.core.store import ImportResult, Store, StoreError, ThreadImport
from tui.core.transfer import (
    MAX_LINE_LENGTH,
    BackupContents,
    TransferError,
    backup_document,
    looks_like_json,
    parse_backup,
    parse_id_list,
    record_for_id,
    transcript_markdown,
)

LIST_HELP = """\
Threads newest first (pinned ones on top), from every profile; --profile NAME shows only that
profile's threads. Threads marked gone (no profile can see them any more) are left out unless
--all is given; the count of those left out goes to stderr."""

EXPORT_HELP = """\
With thread ids: their transcripts, as Markdown (default) or --format json. Without ids: the
whole record (every thread, transcript and app state) as one JSON backup (the default format
then), which `threadtui import` reads back, e.g. on another machine. Files written with -o are
readable by you alone (mode 0600)."""

IMPORT_HELP = f"""\
FILE is a JSON backup from `threadtui export`, or a text file of thread/conversation ids, one
per line: blank lines and lines starting with # are skipped, and text after the id becomes the
title (`conv_abc  my note`). Ids are recorded under the current profile (--profile, else the
default) with status "unknown" until the app checks them; thread_ ids are Assistants threads,
conv_ ids are conversations. A backup keeps each thread's own profile. Lines that are not ids,
hold control characters or are longer than {MAX_LINE_LENGTH} characters are reported with
their line number and skipped (exit status 1). Nothing already recorded is overwritten unless
--replace is given (an id-list entry then replaces the row but keeps its transcript)."""


def register(subparsers: Any) -> None:
    _register_list(subparsers)
    _register_export(subparsers)
    _register_import(subparsers)


def _register_list(subparsers: Any) -> None:
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
        "--full-text", action="store_true", help="with --search, also search the transcripts"
    )
    parser.add_argument("-n", "--limit", type=_positive, metavar="N", help="at most N threads")
    parser.set_defaults(func=run_list)


def _register_export(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export", help="write transcripts, or a backup of the whole record", description=EXPORT_HELP
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="thread ids (default: everything)")
    parser.add_argument("--format", choices=("md", "json"), help="md or json (see above)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    parser.set_defaults(func=run_export)


def _register_import(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="record threads from a backup or a list of ids", description=IMPORT_HELP
    )
    parser.add_argument("file", metavar="FILE", help="backup JSON or id list ('-': stdin)")
    parser.add_argument("--replace", action="store_true", help="overwrite recorded threads")
    parser.add_argument(
        "--check",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="ask every profile which one owns each imported id, record it and fetch its"
        " transcript (needs the keys and the network; default: no)",
    )
    parser.set_defaults(func=run_import)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


# -- opening the store ----------------------------------------------------------------------


def open_store_for_cli(ctx: CliContext) -> Store | None:
    """The record in ``ctx.data_dir``, with anything wrong with it told on stderr.

    None (after saying why) when it cannot be opened at all.
    """
    try:
        store = Store.open(ctx.data_dir)
    except (StoreError, OSError) as exc:
        _error(ctx, f"cannot open the local record in {ctx.data_dir}: {exc}")
        return None
    report_problems(ctx, store)
    return store


def report_problems(ctx: CliContext, store: Store) -> None:
    for problem in store.take_problems():
        print(f"threadtui: {printable(problem.message)}", file=ctx.err)


@contextlib.contextmanager
def _record(ctx: CliContext) -> Iterator[Store | None]:
    store = open_store_for_cli(ctx)
    try:
        yield store
    finally:
        if store is not None:
            report_problems(ctx, store)
            store.close()


def _error(ctx: CliContext, message: str) -> None:
    print(f"threadtui: {message}", file=ctx.err)


# -- list ------------------------------------------------------------------------------------

_SHOWN = [status for status in ThreadStatus if status is not ThreadStatus.GONE]


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    profile: str | None = getattr(args, "profile", None)
    with _record(ctx) as store:
        if store is None:
            return 1
        filters: dict[str, Any] = {
            "profile": profile,
            "text": args.search,
            "full_text": args.full_text,
        }
        statuses = None if args.all else _SHOWN
        records = store.list_threads(**filters, statuses=statuses, limit=args.limit)
        hidden = 0 if args.all else store.count_threads(**filters, statuses=[ThreadStatus.GONE])
    if args.json:
        for record in records:
            print(json_text(record.to_dict()), file=ctx.out)
    elif records:
        _print_table(records, ctx.out, _terminal_width())
    if not records:
        _error(ctx, _nothing_found(profile, args.search, ctx.data_dir))
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
    status = str(record.status) + (" pinned" if record.pinned else "")
    return (
        printable(record.id),
        printable(record.title) or "-",
        printable(record.profile) or "-",
        printable(where),
        time.strftime("%Y-%m-%d %H:%M", time.localtime(record.last_active)),
        status,
    )


def _print_table(records: list[ThreadRecord], out: TextIO, width: int) -> None:
    rows = [_row(record) for record in records]
    columns = zip(_HEADERS, *rows, strict=True)
    widths = [max(display_width(cell) for cell in column) for column in columns]
    _fit_widths(widths, width)
    for cells in (_HEADERS, *rows):
        line = "  ".join(_pad(fit(cell, w), w) for cell, w in zip(cells, widths, strict=True))
        print(line.rstrip(), file=out)


def _fit_widths(widths: list[int], total: int) -> None:
    """Shrink the flexible columns until the row fits; ids are never cut (they are copied)."""
    excess = sum(widths) + 2 * (len(widths) - 1) - total
    for column, minimum in _SHRINK_ORDER:
        if excess <= 0:
            return
        give = min(excess, max(0, widths[column] - minimum))
        widths[column] -= give
        excess -= give


def _pad(cell: str, width: int) -> str:
    return cell + " " * max(0, width - display_width(cell))


def _terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


# -- export ----------------------------------------------------------------------------------


def run_export(args: argparse.Namespace, ctx: CliContext) -> int:
    ids: list[str] = list(dict.fromkeys(args.ids))
    fmt = args.format or ("md" if ids else "json")
    with _record(ctx) as store:
        if store is None:
            return 1
        unknown = [thread_id for thread_id in ids if thread_id not in store]
        if unknown:
            names = ", ".join(printable(thread_id) for thread_id in unknown)
            _error(ctx, f"not in the local record: {names} (see `threadtui list --all`)")
            return 1
        text = _export_text(store, ids, fmt)
        count = len(ids) if ids else len(store)
    if args.output and args.output != "-":
        return _write_export(ctx, Path(args.output), text, count)
    ctx.out.write(text)
    return 0


def _export_text(store: Store, ids: list[str], fmt: str) -> str:
    if fmt == "json":
        return json_text(backup_document(store, ids or None), indent=1) + "\n"
    records = [store.get(i) for i in ids] if ids else store.list_threads()
    parts = [transcript_markdown(r, store.transcript(r.id)) for r in records if r is not None]
    return "\n---\n\n".join(parts)


def _write_export(ctx: CliContext, path: Path, text: str, count: int) -> int:
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        _error(ctx, f"cannot write {path}: {exc.strerror or exc}")
        return 1
    print(f"wrote {count} thread(s) to {path}", file=ctx.err)
    return 0


# -- import ----------------------------------------------------------------------------------


def run_import(args: argparse.Namespace, ctx: CliContext) -> int:
    raw = _read_input(ctx, args.file)
    if raw is None:
        return 1
    if looks_like_json(raw):
        return _import_backup(args, ctx, raw)
    return _import_id_list(args, ctx, raw)


def _read_input(ctx: CliContext, name: str) -> bytes | None:
    try:
        if name == "-":
            return sys.stdin.buffer.read()
        return Path(name).read_bytes()
    except OSError as exc:
        _error(ctx, f"cannot read {printable(name)}: {exc.strerror or exc}")
        return None


def _import_backup(args: argparse.Namespace, ctx: CliContext, raw: bytes) -> int:
    try:
        contents = parse_backup(json.loads(raw.decode("utf-8-sig")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _error(ctx, f"{printable(args.file)} is not a readable JSON backup: {exc}")
        return 1
    except RecursionError:  # json recurses per nesting level: '[[[[…' is a traceback otherwise
        _error(ctx, f"{printable(args.file)} is not a readable JSON backup: nested too deeply")
        return 1
    except TransferError as exc:
        _error(ctx, f"{printable(args.file)}: {exc}")
        return 1
    for reason in contents.rejected:
        _error(ctx, f"{printable(args.file)}: {reason}: skipped")
    with _record(ctx) as store:
        if store is None:
            return 1
        result = _apply_backup(store, contents, args.replace)
    _summary(ctx, result, len(contents.rejected), args.replace)
    unchecked = _check_owners(ctx, args.check, result)
    return 1 if contents.rejected or unchecked else 0


def _apply_backup(store: Store, contents: BackupContents, replace: bool) -> ImportResult:
    result = store.import_threads(contents.items, replace=replace)
    store.import_meta(contents.meta, replace=replace)
    return result


def _import_id_list(args: argparse.Namespace, ctx: CliContext, raw: bytes) -> int:
    entries, rejected = parse_id_list(raw)
    name = printable(args.file)
    for bad in rejected:
        _error(ctx, f"{name}:{bad.line}: {bad.reason}: skipped")
    profile = ctx.profile
    first_lines: dict[str, int] = {}
    items = []
    now = time.time()
    for position, entry in enumerate(entries):
        if entry.thread_id in first_lines:
            duplicate = first_lines[entry.thread_id]
            _error(ctx, f"{name}:{entry.line}: {entry.thread_id} repeats line {duplicate}")
            continue
        first_lines[entry.thread_id] = entry.line
        # Earlier lines a little newer, so `list` shows them in the file's order.
        record = _imported_record(entry.thread_id, entry.note, profile, now - position * 1e-3)
        items.append(ThreadImport(record))
    with _record(ctx) as store:
        if store is None:
            return 1
        result = store.import_threads(items, replace=args.replace)
    repeats = len(entries) - len(items)
    _summary(ctx, result, len(rejected), args.replace, profile.name, repeats)
    unchecked = _check_owners(ctx, args.check, result)
    return 1 if rejected or unchecked else 0


def _check_owners(ctx: CliContext, wanted: bool, result: ImportResult) -> int:
    """`--check`: the ownership probe for each imported id (see tui.commands.api_cmd).

    Imported lazily: the SDK it needs costs half a second that a plain import should not pay.
    """
    ids = [*result.added, *result.replaced]
    if not wanted or not ids:
        return 0
    from tui.commands.api_cmd import check_imported

    return check_imported(ctx, ids)


def _imported_record(thread_id: str, note: str, profile: Profile, when: float) -> ThreadRecord:
    return record_for_id(
        thread_id,
        note,
        profile.name,
        organization=profile.organization,
        project=profile.project,
        base_url=profile.base_url,
        owner=profile.owner,
        when=when,
    )


def _summary(
    ctx: CliContext,
    result: ImportResult,
    rejected: int,
    replace: bool,
    profile: str = "",
    repeats: int = 0,
) -> None:
    """One line a user can check at a glance; skipped counts ids already recorded and ids
    repeated in the file."""
    for thread_id, why in result.rejected:
        _error(ctx, f"{printable(thread_id)}: {printable(why)}: skipped")
    rejected += len(result.rejected)
    parts = [f"added {len(result.added)}"]
    if replace:
        parts.append(f"replaced {len(result.replaced)}")
    parts += [f"skipped {len(result.skipped) + repeats}", f"rejected {rejected}"]
    where = f" (profile {printable(profile)})" if profile else ""
    hint = "; --replace overwrites recorded threads" if result.skipped and not replace else ""
    print(f"import{where}: {', '.join(parts)}{hint}", file=ctx.out)
