"""Bringing in history kept by other tools: a ChatGPT data export, simonw/llm's logs database.

Each reader turns its source into ``ThreadImport`` items for threads that live only in the
record (the chat dialect: no server holds them), and says what it could not read by name
rather than stopping. ``record_history`` writes them so that importing the same source again
updates what changed and never adds a second copy. Sources are untrusted files: wrong types,
cycles and absurd nesting end as a named problem, never a traceback.
"""

from __future__ import annotations

from tui.core.history_import.batch import HistoryBatch, HistoryFormatError, Progress
from tui.core.history_import.detect import HistoryKind, detect_history, read_history
from tui.core.history_import.recording import HistoryResult, record_history

__all__ = [
    "HistoryBatch",
    "HistoryFormatError",
    "HistoryKind",
    "HistoryResult",
    "Progress",
    "detect_history",
    "read_history",
    "record_history",
]
