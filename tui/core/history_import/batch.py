"""What every history reader hands back, and the failure that stops a whole source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tui.core.thread_docs import ThreadImport

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called as a long read or write goes on (a progress bar)."""


def no_progress(done: int, total: int) -> None:
    """The default: nobody is watching."""


class HistoryFormatError(Exception):
    """The source cannot be read at all (not the format it looked like, unreadable, empty of
    conversations); the message names the file and what is wrong with it."""


@dataclass
class HistoryBatch:
    """Threads read from one source; ``problems`` names each conversation left out and why."""

    source: str  # in words: "ChatGPT export", "llm logs database"
    items: list[ThreadImport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
