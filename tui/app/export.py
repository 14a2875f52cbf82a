"""Where the palette's export writes one thread as Markdown; what it writes is core's.

By default the file goes to ``<data dir>/exports/`` (created 0700), never silently into the
current directory: a transcript may hold anything the user typed, and the current directory
may be a shared project folder. The file is written atomically and private (0600), and never
over an earlier export (``-2``, ``-3`` … are added). The app tells the path; a caller that
asked the user for a folder passes it as ``directory``. The content is
``tui.core.transfer.transcript_markdown``, byte for byte what ``threadtui export --format md``
prints for the same thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tui.core.files import atomic_write, ensure_private_dir
from tui.core.records import ThreadRecord, Turn
from tui.core.safe_text import one_line
from tui.core.transfer import transcript_markdown

EXPORTS_DIR = "exports"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_export_dir(data_dir: Path) -> Path:
    """Where exports go unless the user chose a folder: ``<data dir>/exports``."""
    return data_dir / EXPORTS_DIR


def export_path(record: ThreadRecord, directory: Path) -> Path:
    """A file name in ``directory`` for the thread that no earlier export holds."""
    stem = _UNSAFE.sub("-", one_line(record.display_title, 48)).strip("-") or "thread"
    base = f"{stem}-{_UNSAFE.sub('-', record.id)[-24:]}"
    path = directory / f"{base}.md"
    number = 2
    while path.exists() or path.is_symlink():
        path = directory / f"{base}-{number}.md"
        number += 1
    return path


def export_thread(
    record: ThreadRecord, turns: list[Turn], data_dir: Path, directory: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the thread as Markdown (0600) into ``directory`` (default: ``default_export_dir``);
    the path written. Raises ``OSError`` when the folder cannot be written. ``progress(done,
    total)`` hears of the two steps a long thread takes time over: rendering, then writing
    (fsynced) the file."""
    step = progress or _no_progress
    folder = directory if directory is not None else default_export_dir(data_dir)
    ensure_private_dir(folder)
    path = export_path(record, folder)
    step(0, 2)
    text = transcript_markdown(record, turns).encode("utf-8")
    step(1, 2)
    atomic_write(path, text)
    step(2, 2)
    return path


def _no_progress(done: int, total: int) -> None:
    """Nobody is watching (the CLI's export has its own line)."""
