"""Which kind of history a path holds, from its shape and first bytes (never its name alone)."""

from __future__ import annotations

import zipfile
from enum import StrEnum
from pathlib import Path

from tui.core.history_import import chatgpt, llm_logs
from tui.core.history_import.batch import HistoryBatch, Progress, no_progress


class HistoryKind(StrEnum):
    CHATGPT = "ChatGPT export"
    LLM = "llm logs database"


def detect_history(path: Path) -> HistoryKind | None:
    """The kind of history at ``path``; None when it is none of them (a threadtui backup or a
    list of ids, which ``threadtui import`` reads itself)."""
    if path.is_dir():
        return HistoryKind.CHATGPT
    if not path.is_file():
        return None
    if llm_logs.is_sqlite(path):
        return HistoryKind.LLM
    if zipfile.is_zipfile(path):
        return HistoryKind.CHATGPT
    try:
        with path.open("rb") as file:
            start = file.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return None
    return HistoryKind.CHATGPT if start.startswith(b"[") else None


def read_history(kind: HistoryKind, path: Path, progress: Progress = no_progress) -> HistoryBatch:
    if kind is HistoryKind.LLM:
        return llm_logs.read_database(path, progress)
    return chatgpt.read_export(path, progress)
