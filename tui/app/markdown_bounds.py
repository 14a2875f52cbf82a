"""Markdown that costs a bounded amount to lay out, however wide a server's table is.

Textual's Markdown lays a table out cell by cell at every relayout (ctrl+b, a resize,
reopening a thread): a reply with a 10,000-column table took 18-36 s and 1.7 GB each time.
What is drawn is cut here, line by line, before the Markdown widget sees it: a table row
keeps its first ``MAX_COLUMNS`` cells and one more that says ``…N more``, each cell at most
``MAX_CELL`` characters. The delimiter row is cut the same way, so the table stays a table.
Code blocks pass untouched (their lines are not cells). Only the drawing is cut: the stored
reply, copy (``y``) and export keep every column.

Works on a stream too: ``TableBounds.feed`` returns what may be drawn now. A line that may
be a table row is held back until it is complete (a row cannot be cut before its end is
known); any other text passes at once, so prose still streams word by word.
"""

from __future__ import annotations

import re

MAX_COLUMNS = 12
MAX_CELL = 120

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ROW_START = re.compile(r"^\s{0,3}\|")


def _cells(line: str) -> list[str]:
    """The cells of a table row, split on unescaped pipes (outer pipes dropped)."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return re.split(r"(?<!\\)\|", body)


def _is_delimiter(cells: list[str]) -> bool:
    return all(re.fullmatch(r"\s*:?-+:?\s*", cell) for cell in cells if cell.strip())


def _cut(cell: str) -> str:
    return cell if len(cell) <= MAX_CELL else cell[: MAX_CELL - 1] + "…"


def bound_row(line: str) -> str:
    """``line`` cut to the bounds if it is a table row that exceeds them, else unchanged."""
    pipes = line.count("|")
    if pipes < 2 or (pipes <= MAX_COLUMNS + 1 and len(line) <= MAX_CELL):
        return line  # the common case, decided without splitting
    cells = _cells(line)
    too_wide = len(cells) > MAX_COLUMNS + 1
    if not too_wide and all(len(cell) <= MAX_CELL for cell in cells):
        return line
    kept = [_cut(cell) for cell in (cells[:MAX_COLUMNS] if too_wide else cells)]
    if too_wide:
        kept.append(" --- " if _is_delimiter(cells) else f" …{len(cells) - MAX_COLUMNS:,} more ")
    return "|" + "|".join(kept) + "|"


class TableBounds:
    """Bounds Markdown as it streams in; one instance per message."""

    def __init__(self) -> None:
        self._held = ""  # the start of a line that may be a table row or a fence
        self._emitted = ""  # the start of the current line, already passed on
        self._in_fence = False

    def feed(self, text: str) -> str:
        """The part of ``text`` (after what was held) that may be drawn now, bounded."""
        text = self._held + text
        self._held = ""
        out: list[str] = []
        while "\n" in text:
            line, text = text.split("\n", 1)
            if self._emitted:  # its start went out already: only the fence state matters
                self._track_fence(self._emitted + line)
                out.append(line + "\n")
            else:
                out.append(self._line(line) + "\n")
            self._emitted = ""
        if text:
            if not self._emitted and self._may_need_whole(text):
                self._held = text
            else:
                out.append(text)
                self._emitted += text
        return "".join(out)

    def finish(self) -> str:
        """Whatever was held back, bounded (the stream has ended)."""
        held, self._held = self._held, ""
        return self._line(held) if held else ""

    def _may_need_whole(self, start: str) -> bool:
        """A line starting like this must be seen whole: a row to cut, or a fence."""
        if _FENCE.match(start) or re.fullmatch(r"\s{0,3}[`~]{1,2}", start):
            return True
        return not self._in_fence and bool(_ROW_START.match(start))

    def _track_fence(self, line: str) -> None:
        if _FENCE.match(line):
            self._in_fence = not self._in_fence

    def _line(self, line: str) -> str:
        if _FENCE.match(line):
            self._in_fence = not self._in_fence
            return line
        return line if self._in_fence else bound_row(line)


def bound_markdown(text: str) -> str:
    """A whole Markdown text, bounded (a stored reply being shown again)."""
    bounds = TableBounds()
    return bounds.feed(text) + bounds.finish()
