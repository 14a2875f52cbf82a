"""An assistant reply's Markdown, in segments, so that streaming costs the same per token at the
100,000th as at the 2,000th.

Textual lays out every block of a ``Markdown`` widget again whenever one of them changes, so a
reply streamed into one widget cost more per flush the longer it grew (107 ms per 1,000
tokens at 2k, 147 at 100k). Here a reply is a column of ``Markdown`` widgets: text is
appended (``Markdown.append``: only the open block is parsed again) to the last one, and once
that one holds ``SEGMENT_BLOCKS`` blocks, the next top-level paragraph starts a new segment.
The finished segments are never touched again: their layout is cached, and a flush lays out
the open segment only. Textual still visits every widget of the screen at each layout, so the
finished segments above the last ``KEEP_UNFOLDED`` are folded while the reply streams: hidden
behind a stand-in of their height with nothing inside, which gives the place back the moment
it is drawn (scrolled to) or the width changes.

The split is invisible: it falls only before a paragraph that is complete (so its kind can no
longer change, e.g. into a setext heading), where one widget would have put the previous
block's bottom margin (a paragraph has none at its top), and everything before it is closed
blocks (no list, quote, table or fence is cut). The drawing equals that of the whole text in
one widget, which the tests compare.
"""

from __future__ import annotations

import asyncio

from markdown_it import MarkdownIt
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Markdown

SEGMENT_BLOCKS = 24
"""Blocks in a segment before the next paragraph may start another."""
KEEP_UNFOLDED = 2
"""Finished segments just above the open one that stay real widgets while the reply streams."""


class ReplyMarkdown(Vertical):
    """The body of an assistant message: ``source`` is the whole text, ``append`` streams."""

    DEFAULT_CSS = """
    ReplyMarkdown { height: auto; }
    ReplyMarkdown > Markdown { padding: 0; margin: 0; }
    """

    def __init__(self, text: str = "", *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._width = 0
        self._text = text
        self._parser = MarkdownIt("gfm-like")
        self._lock = asyncio.Lock()
        self._unsettled: Markdown | None = None  # a new segment whose first block may change

    def compose(self) -> ComposeResult:
        yield Markdown(self._text, open_links=False)

    @property
    def source(self) -> str:
        """The Markdown shown, across every segment."""
        return self._text

    @property
    def segments(self) -> list[Markdown]:
        return list(self.query_children(Markdown))

    async def append(self, fragment: str) -> None:
        """Add ``fragment`` at the end: the open segment takes it, or, once that one is full,
        a new segment from the first top-level paragraph that begins in it. One at a time: a
        flush and the end of the stream may both append, and text must keep its order."""
        if not fragment:
            return
        async with self._lock:
            await self._append(fragment)

    async def _append(self, fragment: str) -> None:
        self._text += fragment
        live = self.segments[-1]
        split = None
        if len(live.children) >= SEGMENT_BLOCKS:
            split = self._split(live.source, fragment)
        if split is None:
            await live.append(fragment)
            await self._settle()
            return
        if split:
            await live.append(fragment[:split])
            await self._settle()
        fresh = Markdown(open_links=False)
        await self.mount(fresh)
        await fresh.append(fragment[split:])
        self._unsettled = fresh
        await self._settle()
        await self._fold()

    async def _fold(self) -> None:
        """Stand in for finished segments above the last few: Textual walks every widget of
        the screen at each layout, so a segment left as it is would still cost each flush.
        A stand-in has the segment's height and no children; seen on screen (scrolled back
        to) or resized, it gives the place back (``unfold``)."""
        folding = [
            segment for segment in self.segments[: -1 - KEEP_UNFOLDED]
            if segment.display and segment.outer_size.height > 0
        ]
        for segment in folding:
            stand_in = SegmentStandIn(segment)
            await self.mount(stand_in, before=segment)
            segment.display = False

    async def unfold(self, stand_in: SegmentStandIn | None = None) -> None:
        """Put folded segments back (one, or all): scrolled into view, resized, or finished."""
        async with self._lock:
            for each in list(self.query_children(SegmentStandIn)):
                if stand_in is None or each is stand_in:
                    each.segment.display = True
                    await each.remove()

    def on_resize(self) -> None:
        """A new width gives every segment a new height: the stand-ins' are stale."""
        if self.size.width != self._width:
            self._width = self.size.width
            if self.query_children(SegmentStandIn):
                self.call_later(self.unfold)

    async def _settle(self) -> None:
        """A new segment's first block began as a paragraph; more text may make it something
        else (a setext heading, a table) with a top margin the split would add to the previous
        block's. Then its text goes back to the previous segment, as if never split. Once a
        second block follows, the first is what it will stay."""
        segments = self.segments
        live = segments[-1]
        if self._unsettled is not live:
            return
        blocks = live.children
        if blocks and not isinstance(blocks[0], live.get_block_class("paragraph_open")):
            self._unsettled = None
            moved = live.source
            await live.remove()
            await segments[-2].append(moved)
        elif len(blocks) > 1:
            self._unsettled = None

    async def update(self, text: str) -> None:
        """Show ``text`` instead, in one segment (a reply whose final text differs)."""
        async with self._lock:
            await self._update(text)

    async def _update(self, text: str) -> None:
        self._text = text
        await self.query_children(SegmentStandIn).remove()
        segments = self.segments
        segments[0].display = True
        if len(segments) > 1:
            await self.remove_children(segments[1:])
        await segments[0].update(text)

    def _split(self, before: str, fragment: str) -> int | None:
        """Where in ``fragment`` a top-level paragraph begins, if one does: the offset of its
        first line; None when no paragraph begins there."""
        text = before + fragment
        first_line = before.count("\n") + (0 if before.endswith("\n") or not before else 1)
        tokens = [t for t in self._parser.parse(text) if t.level == 0 and t.nesting >= 0]
        for token in tokens:
            if token.type == "paragraph_open" and token.map is not None \
                    and token.map[0] >= first_line:
                return _line_offset(text, token.map[0]) - len(before)
        return None


class SegmentStandIn(Widget):
    """The place of a folded segment: as tall as it was, with nothing inside to lay out."""

    DEFAULT_CSS = "SegmentStandIn { width: 1fr; }"

    def __init__(self, segment: Markdown) -> None:
        super().__init__()
        self.segment = segment
        self.styles.height = segment.outer_size.height

    def render(self) -> str:
        """Drawn means seen: give the place back to the segment (it shows next frame)."""
        reply = self.parent
        if isinstance(reply, ReplyMarkdown):
            self.call_later(reply.unfold, self)
        return ""


def _line_offset(text: str, line: int) -> int:
    """The offset in ``text`` where line ``line`` (from 0) begins."""
    offset = 0
    for _ in range(line):
        offset = text.index("\n", offset) + 1
    return offset
