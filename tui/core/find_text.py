"""Finding a query inside one thread's messages: the match rule, smart case, and which match
is current. Pure (no Textual), so the chat pane's find bar and its tests share one rule.

The rule is the one of ``less`` and of editors' "smart case": a query is found as written,
literally (no pattern syntax: ``.`` and ``*`` are themselves), in any case unless it holds a
capital letter, in which case exactly. Matches never overlap and are found left to right, in
message order. How many are kept is bounded (``MATCH_LIMIT``): a one-letter query in a thread
of thousands of messages would otherwise build a list of a million spans on every keystroke;
beyond the bound the ones nearest the place looked from are kept, the bar says "10,000+
matches", and next/previous move among them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

MATCH_LIMIT = 10_000


Span = tuple[int, int, int]
"""One match: (message index, start, end) in that message's text; ordered as read. A plain
tuple: a NamedTuple's constructor cost most of a one-letter search's time (10,000 spans)."""


def case_sensitive(query: str) -> bool:
    """Smart case: a query with a capital letter is matched exactly, any other in any case."""
    return any(ch.isupper() for ch in query)


def query_pattern(query: str) -> re.Pattern[str] | None:
    """The compiled rule for ``query`` (literal text, smart case); None for an empty query."""
    if not query:
        return None
    flags = 0 if case_sensitive(query) else re.IGNORECASE
    return re.compile(re.escape(query), flags)


@dataclass
class Matches:
    """Every match of a query over a thread's messages, in reading order (bounded)."""

    spans: list[Span] = field(default_factory=list)
    capped: bool = False
    """True when there were more than ``MATCH_LIMIT`` and only the first ones are kept."""

    def __len__(self) -> int:
        return len(self.spans)

    def in_message(self, message: int) -> list[Span]:
        """The spans inside one message (a slice found by bisection: the list is ordered)."""
        low = bisect_left(self.spans, (message, -1, -1))
        high = bisect_left(self.spans, (message + 1, -1, -1))
        return self.spans[low:high]

    def count_words(self, current: int | None) -> str:
        """What the bar says: "3 of 17", "no matches", or "10,000+ matches" (capped: a
        place among the nearest would read as a place in the whole thread)."""
        if not self.spans:
            return "no matches"
        if self.capped:
            return f"{len(self.spans):,}+ matches"
        return f"{(current or 0) + 1:,} of {len(self.spans):,}"


def find_all(
    texts: Sequence[str], query: str, limit: int = MATCH_LIMIT, around: int | None = None,
    only: Sequence[int] | None = None,
) -> Matches:
    """Every match of ``query`` in ``texts`` (one text per message), in reading order.

    Past ``limit`` only the matches nearest message ``around`` are kept (None: the newest
    message): messages are read from it to the end, then back from it to the start, and each
    message is kept whole, so what is lit in a message is all it holds. ``only``: the
    messages to look in (ascending), when the others are known not to match."""
    pattern = query_pattern(query)
    found = Matches()
    if pattern is None or not texts:
        return found
    start = len(texts) - 1 if around is None else max(0, min(around, len(texts) - 1))
    if only is not None:
        order = list(only)
        start = 0  # read in order: no sort needed
    else:
        order = [*range(start, len(texts)), *range(start - 1, -1, -1)]
    spans = found.spans
    for index in order:
        if len(spans) >= limit:
            found.capped = True
            break
        spans.extend([(index, m.start(), m.end()) for m in pattern.finditer(texts[index])])
    if start > 0 and len(spans) > 0:
        spans.sort()
    return found


def pick(matches: Matches, anchor: tuple[int, int] | None) -> int | None:
    """Which match becomes current after the query changed: the first at or after
    ``anchor`` (message, offset), else the last before it: the nearest that follows, never a
    jump to the other end of the thread while a query is typed; with no anchor the last one
    (a chat is read from its bottom, where the newest messages are). None: nothing matched."""
    if not matches.spans:
        return None
    if anchor is None:
        return len(matches.spans) - 1
    index = bisect_left(matches.spans, (anchor[0], anchor[1], -1))
    return min(index, len(matches.spans) - 1)


def step(current: int | None, count: int, direction: int) -> int | None:
    """The next (``direction`` 1) or previous (-1) match, wrapping at either end."""
    if count == 0:
        return None
    if current is None:
        return 0 if direction > 0 else count - 1
    return (current + direction) % count


class Searcher:
    """``find_all`` again and again as a query is typed, at the cost of what changed.

    A query that extends the last one (same case rule, not capped) can only match in the
    messages the last one matched, so only those are read; a query seen before over the same
    texts (backspace) is answered from memory. The texts are compared by identity, message
    by message: the caller hands the same string objects while a message is unchanged."""

    MEMORY = 32

    def __init__(self) -> None:
        self._texts: Sequence[str] | None = None
        self._seen: dict[tuple[str, int | None], Matches] = {}
        self._last: tuple[str, Matches] | None = None

    def find(self, texts: Sequence[str], query: str, around: int | None = None) -> Matches:
        if not self._same(texts):
            self._texts = texts
            self._seen.clear()
            self._last = None
        found = self._seen.get((query, None))
        if found is None:
            found = self._seen.get((query, around))
        if found is None:
            only = None
            last = self._last
            if (last is not None and last[0] and query.startswith(last[0])
                    and not last[1].capped
                    and case_sensitive(query) == case_sensitive(last[0])):
                only = sorted({span[0] for span in last[1].spans})
            found = find_all(texts, query, around=around, only=only)
            if len(self._seen) >= self.MEMORY:
                del self._seen[next(iter(self._seen))]
            self._seen[(query, around if found.capped else None)] = found
        self._last = (query, found)
        return found

    def _same(self, texts: Sequence[str]) -> bool:
        old = self._texts
        return old is not None and len(old) == len(texts) and all(
            a is b for a, b in zip(old, texts, strict=True))
