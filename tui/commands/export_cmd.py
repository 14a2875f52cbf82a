"""`threadtui export`: transcripts as Markdown or JSON, or a backup of the whole record."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tui.commands.context import CliContext
from tui.commands.local_record import error, open_record
from tui.core.files import atomic_write
from tui.core.safe_text import json_text, printable
from tui.core.store import Store
from tui.core.transfer import backup_document, transcript_markdown

EXPORT_HELP = """\
With thread ids: their transcripts, as Markdown (default) or --format json. Without ids: the
whole record (every thread, transcript and app state) as one JSON backup (the default format
then), which `threadtui import` reads back, e.g. on another machine. Files written with -o are
readable by you alone (mode 0600)."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export", help="write transcripts, or a backup of the whole record", description=EXPORT_HELP
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="thread ids (default: everything)")
    parser.add_argument("--format", choices=("md", "json"), help="md or json (see above)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    parser.set_defaults(func=run_export)


def run_export(args: argparse.Namespace, ctx: CliContext) -> int:
    ids: list[str] = list(dict.fromkeys(args.ids))
    fmt = args.format or ("md" if ids else "json")
    with open_record(ctx, read_only_ok=True) as store:
        if store is None:
            return 1
        unknown = [thread_id for thread_id in ids if thread_id not in store]
        if unknown:
            names = ", ".join(printable(thread_id) for thread_id in unknown)
            error(ctx, f"not in the local record: {names} (see `threadtui list --all`)")
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
        error(ctx, f"cannot write {path}: {exc.strerror or exc}")
        return 1
    print(f"wrote {count} thread(s) to {path}", file=ctx.err)
    return 0
