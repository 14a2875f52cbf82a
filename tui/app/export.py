"""Where the palette's export writes one thread as Markdown; what it writes is core's.

The file goes to the current directory when it is writable (where a user who ran the app from
a project folder looks first), else to ``<data dir>/exports``; the app says which. The content
is ``tui.core.transfer.transcript_markdown``, byte for byte what ``threadtui export --format
md`` prints for the same thread.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tui.core.records import ThreadRecord, Turn
from tui.core.safe_text import one_line
from tui.core.transfer import transcript_markdown

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


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
    path.write_bytes(transcript_markdown(record, turns).encode("utf-8"))
    return path
