"""`threadtui import`: record threads from a backup or from a text file of ids.

For "I kept the ids in a text file" and "move my record to the new laptop". Nothing already
recorded is overwritten unless asked, and every line that cannot be taken is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.commands.context import CliContext
from tui.commands.local_record import error, open_record
from tui.commands.progress_line import ProgressLine
from tui.core.records import Profile, ThreadRecord
from tui.core.safe_text import printable
from tui.core.store import ImportResult, Store, ThreadImport
from tui.core.transfer import (
    MAX_LINE_LENGTH,
    BackupContents,
    TransferError,
    looks_like_json,
    parse_backup,
    parse_id_list,
    record_for_id,
)

if TYPE_CHECKING:  # the readers (zipfile, sqlite, JSON streams) load when an import runs:
    from tui.core.history_import import HistoryKind  # not at every start of the app

IMPORT_HELP = f"""\
FILE is a JSON backup from `threadtui export`, a ChatGPT data export (its conversations.json
or conversations-NNN.json files, the unpacked folder, or the zip as downloaded), simonw/llm's
logs database (`llm logs path`), or a text file of thread/conversation ids, one
per line: blank lines and lines starting with # are skipped, and text after the id becomes the
title (`conv_abc  my note`). Ids are recorded under the current profile (--profile, else the
default) with status "unknown" until the app checks them; thread_ ids are Assistants threads,
conv_ ids are conversations. A backup keeps each thread's own profile. Lines that are not ids,
hold control characters or are longer than {MAX_LINE_LENGTH} characters are reported with
their line number and skipped (exit status 1). Nothing already recorded is overwritten unless
--replace is given (an id-list entry then replaces the row but keeps its transcript).
ChatGPT and llm conversations become threads that live only in the record; importing the
same source again updates them (new messages, times) without a second copy, keeping a
title you changed and your pins."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="record threads from a backup or a list of ids", description=IMPORT_HELP
    )
    parser.add_argument(
        "file",
        metavar="FILE",
        help="backup JSON, ChatGPT export, llm logs database or id list ('-': stdin)",
    )
    parser.add_argument("--replace", action="store_true", help="overwrite recorded threads")
    parser.add_argument(
        "--check",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="ask every profile which one owns each imported id, record it and fetch its"
        " transcript (needs the keys and the network; default: no)",
    )
    parser.set_defaults(func=run_import)


def run_import(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.core.history_import import detect_history

    if args.file != "-":
        kind = detect_history(Path(args.file))
        if kind is not None:
            return _import_history(args, ctx, Path(args.file), kind)
    raw = _read_input(ctx, args.file)
    if raw is None:
        return 1
    if looks_like_json(raw):
        return _import_backup(args, ctx, raw)
    return _import_id_list(args, ctx, raw)


def _import_history(
    args: argparse.Namespace, ctx: CliContext, path: Path, kind: HistoryKind
) -> int:
    """A ChatGPT export or llm's logs: threads that live only in the record."""
    from tui.core.history_import import HistoryFormatError, read_history, record_history

    if args.check or args.replace:
        flag = "--check" if args.check else "--replace"
        error(ctx, f"{flag} does not apply to a {kind}: its conversations live only in the "
                   "record, and importing again already updates them")
        return 2
    reading = ProgressLine(ctx.err, f"reading the {kind}")
    try:
        batch = read_history(kind, path, reading)
    except HistoryFormatError as exc:
        error(ctx, str(exc))
        return 1
    finally:
        reading.close()
    for problem in batch.problems:
        error(ctx, f"{problem}: skipped")
    with open_record(ctx) as store:
        if store is None:
            return 1
        writing = ProgressLine(ctx.err, "recording")
        try:
            result = record_history(store, batch.items, writing)
        finally:
            writing.close()
    for thread_id, why in result.rejected:
        error(ctx, f"{printable(thread_id)}: {printable(why)}: skipped")
    rejected = len(batch.problems) + len(result.rejected)
    print(
        f"import ({kind}): added {len(result.added)}, updated {len(result.updated)}, "
        f"unchanged {len(result.unchanged)}, rejected {rejected}",
        file=ctx.out,
    )
    return 1 if rejected else 0


def _read_input(ctx: CliContext, name: str) -> bytes | None:
    try:
        if name == "-":
            return sys.stdin.buffer.read()
        return Path(name).read_bytes()
    except OSError as exc:
        error(ctx, f"cannot read {printable(name)}: {exc.strerror or exc}")
        return None


def _import_backup(args: argparse.Namespace, ctx: CliContext, raw: bytes) -> int:
    try:
        contents = parse_backup(json.loads(raw.decode("utf-8-sig")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        error(ctx, f"{printable(args.file)} is not a readable JSON backup: {exc}")
        return 1
    except RecursionError:  # json recurses per nesting level: '[[[[…' is a traceback otherwise
        error(ctx, f"{printable(args.file)} is not a readable JSON backup: nested too deeply")
        return 1
    except TransferError as exc:
        error(ctx, f"{printable(args.file)}: {exc}")
        return 1
    for reason in contents.rejected:
        error(ctx, f"{printable(args.file)}: {reason}: skipped")
    with open_record(ctx) as store:
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
        error(ctx, f"{name}:{bad.line}: {bad.reason}: skipped")
    profile = ctx.profile
    first_lines: dict[str, int] = {}
    items = []
    now = time.time()
    for position, entry in enumerate(entries):
        if entry.thread_id in first_lines:
            duplicate = first_lines[entry.thread_id]
            error(ctx, f"{name}:{entry.line}: {entry.thread_id} repeats line {duplicate}")
            continue
        first_lines[entry.thread_id] = entry.line
        # Earlier lines a little newer, so `list` shows them in the file's order.
        record = _imported_record(entry.thread_id, entry.note, profile, now - position * 1e-3)
        items.append(ThreadImport(record))
    with open_record(ctx) as store:
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
    # Ids already recorded are checked too: their owner and status may have changed, and an
    # imported row may still lack the title and date the server has.
    ids = list(dict.fromkeys([*result.added, *result.replaced, *result.skipped]))
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
        error(ctx, f"{printable(thread_id)}: {printable(why)}: skipped")
    rejected += len(result.rejected)
    parts = [f"added {len(result.added)}"]
    if replace:
        parts.append(f"replaced {len(result.replaced)}")
    parts += [f"skipped {len(result.skipped) + repeats}", f"rejected {rejected}"]
    where = f" (profile {printable(profile)})" if profile else ""
    hint = "; --replace overwrites recorded threads" if result.skipped and not replace else ""
    print(f"import{where}: {', '.join(parts)}{hint}", file=ctx.out)
