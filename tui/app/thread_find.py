"""Find inside the open thread: what is searched, how matches are lit, and where the view goes.

The chat pane owns one ``ThreadFinder``; its find bar (``widgets/find_bar.py``) says what was
typed and which way to move, this decides the rest with the rule of ``tui.core.find_text``.

- What is searched is the whole transcript the record holds for the thread, not only the
  messages mounted: reaching a match in a message behind "… earlier messages" mounts a
  stretch of messages from it (``ChatPane.show_from``: as many as opening a thread mounts,
  so a thread of thousands costs no more), with a marker for the newer ones. While a reply
  streams, no other stretch is mounted (the reply would leave the screen): the bar says so.
- Each message is searched as it is drawn (``MessageView.shown_source``): controls removed,
  the version shown by ``[`` / ``]``. A reply still streaming is left out until it ends, and
  the bar says so: its text changes under the highlights with every delta.
- A message with matches shows its text plain with every match lit and the current one
  distinct (see ``MessageView.show_found``); the others keep their Markdown. A reply once
  shown plain stays plain (unlit when it no longer matches) until the bar closes: swapping
  it back and forth lays the screen out each time (measured: most of a slow keystroke),
  while restyling the same text does not.
- Each keystroke searches again from the current match (at first the focused message, else
  the newest match: a chat is read from its bottom) and takes the nearest that follows, else
  the nearest before: typing never jumps to the other end of a long thread, which would mount
  another stretch of it. Next/previous move from the current match and wrap. Only messages
  whose lit spans changed are redrawn.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any, Protocol

from rich.cells import cell_len
from textual.containers import VerticalScroll
from textual.content import Content
from textual.content import Span as StyleSpan
from textual.geometry import Region

from tui.app.widgets.message import MessageView, shown_text
from tui.core.find_text import Matches, Searcher, Span, pick, step
from tui.core.records import Turn

MATCH_STYLE = "$text on $warning-muted"
CURRENT_STYLE = "bold reverse"


def highlighted(text: str, spans: list[Span], current: Span | None) -> Content:
    """``text`` with every span lit, the current one distinctly (built in one go: a message
    with a thousand matches must not copy its span list a thousand times)."""
    styles = [
        StyleSpan(span[1], span[2], CURRENT_STYLE if span == current else MATCH_STYLE)
        for span in spans
    ]
    return Content(text, spans=styles)


def rows_before(text: str, offset: int, width: int) -> int:
    """About how many rows ``text`` wrapped at ``width`` takes before ``offset`` (to scroll
    a long message to its match; word wrapping may differ by a row, the match is centred)."""
    lines = text[:offset].split("\n")
    width = max(1, width)
    full = sum(max(1, -(-cell_len(line) // width)) for line in lines[:-1])
    return full + cell_len(lines[-1]) // width


class FindHost(Protocol):
    """What the finder needs of the chat pane (named here: the pane imports the finder)."""

    turns: list[Turn]

    @property
    def messages(self) -> list[MessageView]: ...

    @property
    def transcript(self) -> VerticalScroll: ...

    async def show_from(self, index: int) -> None: ...

    def call_after_refresh(self, callback: Callable[..., Any], *args: Any) -> bool: ...


class ThreadFinder:
    """The find state of one chat pane: query, matches, the current one, what is lit."""

    def __init__(self, pane: FindHost) -> None:
        self.pane = pane
        self.query = ""
        self.matches = Matches()
        self.current: int | None = None
        self.anchor: tuple[int, int] | None = None
        """Where a changed query looks from: the focused message when the bar opens, then
        the current match (None: from the newest match)."""
        self.streaming_left_out = False
        self.waits_for_stream = False
        """The current match is in a message not mounted, shown once the reply ends."""
        self._lit: dict[MessageView, tuple[tuple[Span, ...], Span | None, int]] = {}
        self._drawn: dict[int, tuple[str, str]] = {}  # id(turn) -> (source, drawn text)
        self._searcher = Searcher()

    # ------------------------------------------------------------ searching

    def texts(self) -> list[str]:
        """Each message's text as drawn, in transcript order ("" for a reply that streams)."""
        views = {id(view.turn): view for view in self.pane.messages}
        self.streaming_left_out = False
        texts: list[str] = []
        for turn in self.pane.turns:
            view = views.get(id(turn))
            if view is not None and view.streaming:
                self.streaming_left_out = True
                texts.append("")
                continue
            source = view.versions()[view.version] if view is not None else turn.text
            cached = self._drawn.get(id(turn))
            if cached is not None and cached[0] is source:
                texts.append(cached[1])
                continue
            drawn = shown_text(source)
            self._drawn[id(turn)] = (source, drawn)
            texts.append(drawn)
        return texts

    def _find(self, query: str) -> Matches:
        """Every match, or past the bound the nearest the place looked from."""
        return self._searcher.find(self.texts(), query,
                                   around=None if self.anchor is None else self.anchor[0])

    def start(self, anchor: tuple[int, int] | None) -> None:
        self.anchor = anchor
        self.current = None

    async def search(self, query: str) -> None:
        """The query changed: find it again from the anchor, light it, show the current."""
        self.query = query
        self.matches = self._find(query)
        self.current = pick(self.matches, self.anchor)
        span = self.current_span()
        if span is not None:  # the next keystroke looks from here: no jumps while typing
            self.anchor = span[:2]
        await self.show(scroll=True)

    async def step(self, direction: int) -> None:
        """Next (1) or previous (-1) match. Searched again first: a reply may have ended or
        another version be shown since; the current match is kept by its place."""
        if not self.query:
            return
        here = self.current_span()
        self.matches = self._find(self.query)
        if here is not None:
            spans = self.matches.spans
            after = bisect_left(spans, (here[0], here[1], -1))  # the first at or after it
            kept = after < len(spans) and spans[after] == here
            # A current match that is gone leaves its place: the next is the one after it.
            self.current = after if kept or direction < 0 else after - 1
        self.current = step(self.current, len(self.matches), direction)
        span = self.current_span()
        if span is not None:
            self.anchor = span[:2]
        await self.show(scroll=True)

    def current_span(self) -> Span | None:
        if self.current is None or self.current >= len(self.matches):
            return None
        return self.matches.spans[self.current]

    def words(self) -> str:
        """What the bar's count says (short: it has a fixed width)."""
        if not self.query:
            return "esc closes"
        return self.matches.count_words(self.current)

    def notes(self) -> list[str]:
        """What the count cannot say: told once each time the bar opens."""
        notes = []
        if self.query and self.waits_for_stream:
            notes.append("This match is in an earlier message, shown once the reply ends")
        if self.query and self.streaming_left_out:
            notes.append("The reply still streaming is searched once it ends (enter: again)")
        return notes

    # ------------------------------------------------------------ showing

    async def show(self, *, scroll: bool) -> None:
        """Light the matches of the mounted messages; bring the current one on screen."""
        span = self.current_span()
        self.waits_for_stream = False
        if span is not None and self.view_of(span[0]) is None:
            if any(view.streaming for view in self.pane.messages):
                # Mounting another stretch would take the streaming reply off the screen.
                self.waits_for_stream = True
            else:
                await self.pane.show_from(span[0])
        index_of = {id(turn): index for index, turn in enumerate(self.pane.turns)}
        for view in list(self._lit):
            if not view.is_attached:
                del self._lit[view]
        for view in self.pane.messages:
            index = index_of.get(id(view.turn))
            spans = tuple(self.matches.in_message(index)) if index is not None else ()
            current = span if span is not None and span in spans else None
            if not spans:
                if self._lit.get(view, ((),))[0]:  # lit before: stays plain, unlit
                    self._lit[view] = ((), None, view.version)
                    view.show_found(highlighted(view.shown_source, [], None))
                continue
            if self._lit.get(view) != (spans, current, view.version):
                self._lit[view] = (spans, current, view.version)
                view.show_found(highlighted(view.shown_source, list(spans), current))
        if scroll and span is not None:
            target = self.view_of(span[0])
            if target is not None:
                self.pane.call_after_refresh(self._scroll_to, target, span)

    def clear(self) -> None:
        """Take every highlight away (the bar closed)."""
        for view in self._lit:
            if view.is_attached:
                view.show_found(None)
        self._lit.clear()
        self._drawn.clear()

    def view_of(self, message: int) -> MessageView | None:
        if not 0 <= message < len(self.pane.turns):
            return None
        turn = self.pane.turns[message]
        for view in self.pane.messages:
            if view.turn is turn:
                return view
        return None

    def _scroll_to(self, view: MessageView, span: Span) -> None:
        body = view.found_body
        if body is None or not view.is_attached:
            return
        row = rows_before(view.shown_source, span[1], body.content_size.width)
        y = view.virtual_region.y + body.virtual_region.y + row
        self.pane.transcript.scroll_to_region(
            Region(0, y, 1, 1), animate=False, center=True, immediate=True)
