"""Write one thread to a Markdown file the user can keep, grep or share.

The file goes to the current directory when it is writable (where a user who ran the app from
a project folder looks first), else to ``<data dir>/exports``; the app says which.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from tui.app.formatting import one_line
from tui.core.records import Role, ThreadRecord, Turn
from tui.core.safe_text import printable, printable_block

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def thread_markdown(record: ThreadRecord, turns: list[Turn]) -> str:
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at))
    lines = [
        f"# {one_line(record.display_title)}",
        "",
        f"- id: `{printable(record.id)}`",
        f"- profile: {record.profile or '?'}"
        + (f" ({record.organization})" if record.organization else "")
        + (f", project {record.project}" if record.project else ""),
        f"- api: {record.api}, model: {record.model or '?'}",
        f"- created: {created}",
        "",
    ]
    for turn in turns:
        who = {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.SYSTEM: "System"}[turn.role]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(turn.at))
        lines.append(f"## {who} · {when}")
        lines.append("")
        # Escapes spelt out, as `threadtui export` does: `cat thread.md` must not let a reply
        # (or a pasted log) retitle or clear the terminal.
        lines.append(printable_block(turn.text))
        if turn.interrupted:
            lines.append("\n*(interrupted: partial reply)*")
        if turn.error:
            lines.append(f"\n*(error: {printable(one_line(turn.error))})*")
        lines.append("")
    return "\n".join(lines)


def export_path(record: ThreadRecord, data_dir: Path, cwd: Path | None = None) -> Path:
    folder = cwd if cwd is not None else Path.cwd()
    if not os.access(folder, os.W_OK):
        folder = data_dir / "exports"
    stem = _UNSAFE.sub("-", one_line(record.display_title, 48)).strip("-") or "thread"
    return folder / f"{stem}-{_UNSAFE.sub('-', record.id)[-24:]}.md"


def export_thread(
    record: ThreadRecord, turns: list[Turn], data_dir: Path, cwd: Path | None = None
) -> Path:
    path = export_path(record, data_dir, cwd)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(thread_markdown(record, turns), encoding="utf-8")
    return path
