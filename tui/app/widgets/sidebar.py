"""Past chats: every recorded thread, pinned first then newest first, with a type-to-filter box.

The sidebar keeps the index rows in memory (the store's index is small by design) so that
filtering is a string scan and never touches the disk; the match rule and the order are
``tui.core.thread_query``'s, the same as ``threadtui list -s``.
A query starting with ``?`` searches transcript text instead; that goes through the store in a
worker (see ``ThreadApp``), because transcripts are not in memory.
"""

from __future__ import annotations

import asyncio
import bisect
import gc
from collections.abc import Collection, Iterable
from itertools import chain
from operator import itemgetter
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static
from textual.widgets.option_list import Option

from tui.app.errors import guarded
from tui.app.widgets.steady_input import SteadyInput
from tui.app.widgets.thread_list import ThreadList
from tui.core.records import ThreadRecord
from tui.core.thread_query import keep_matching, query_words, record_haystack, record_sort_key

SIDEBAR_SHARE = 0.375
"""The sidebar's share of the terminal's width at first (30 columns of 80)."""
SIDEBAR_SHARE_RANGE = (0.2, 0.6)
SIDEBAR_COLUMNS = (24, 72)
"""Never narrower than a readable title, never wider than this, whatever the share."""
CHAT_MIN_COLUMNS = 40
"""The chat pane keeps at least this many columns beside the sidebar."""
NARROW_COLUMNS = 30
"""A narrow terminal (the sidebar shown on request, ctrl+b) gives it at most this."""

FULL_TEXT_PREFIX = "?"
_RECORD = itemgetter(0)  # of a (record, haystack) pair
MATCH_CACHE_SIZE = 32
WARM_CHUNK = 1_000
"""Rows whose haystack is made per turn of the event loop after a load (about 2 ms each), so
the first filter keystroke at 100,000 rows finds them made instead of taking 0.25 s."""


def _narrows(earlier: tuple[str, ...], later: tuple[str, ...]) -> bool:
    """True when every row matching ``later`` also matches ``earlier`` (each earlier word is
    contained in some later word), so ``later`` can be answered from ``earlier``'s rows."""
    return all(any(old in new for new in later) for old in earlier)


class FilterInput(SteadyInput):
    """The filter box; esc clears (down/enter to the list are app-level, see ThreadApp). One
    line, the sidebar's width: a keystroke repaints it and lays out nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "screen.clear_filter", "Clear filter", id="filter.clear",
                tooltip="Clear the filter, back to the list"),
    ]


def sidebar_columns(total: int, share: float, narrow: bool) -> int:
    """How wide the sidebar is in a terminal ``total`` columns wide."""
    if narrow:
        return max(1, min(NARROW_COLUMNS, total))
    low, high = SIDEBAR_COLUMNS
    high = max(low, min(high, total - CHAT_MIN_COLUMNS))
    return max(low, min(high, round(total * share)))


class Sidebar(Vertical):
    """Owns the in-memory index rows and shows them through ``ThreadList``."""

    width_share: reactive[float] = reactive(SIDEBAR_SHARE, init=False)
    """The sidebar's share of the terminal's width (< and > from the list change it); the
    width follows the terminal. Kept here so a state file can remember it."""

    class FullTextSearch(Message):
        """The user asked for transcript search; the app runs it off the UI thread."""

        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    def __init__(self, *, now: float, active_profile: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self._records: dict[str, ThreadRecord] = {}
        self._order: list[ThreadRecord] = []
        self._haystacks: dict[str, str] = {}
        self._options: dict[str, Option] = {}
        self.active_profile = active_profile
        self.now = now
        self.query_text = ""
        self._shown_ids: list[str] | None = None
        self.open_id: str | None = None
        """The thread open in the chat pane: its row carries the open marker."""
        self._match_cache: dict[
            tuple[str, ...], tuple[list[tuple[ThreadRecord, str]], list[ThreadRecord]]
        ] = {}
        self._pairs: list[tuple[ThreadRecord, str]] | None = None
        self._terminal = (80, False)

    def compose(self) -> ComposeResult:
        yield FilterInput(
            placeholder="/ filter · ?text searches chats", id="filter", compact=True
        )
        yield ThreadList(id="threads")
        yield Static("", id="sidebar-status", markup=False)

    @property
    def thread_list(self) -> ThreadList:
        return self.query_one(ThreadList)

    @property
    def filter_input(self) -> FilterInput:
        return self.query_one(FilterInput)

    # ------------------------------------------------------------ the model

    def load(self, records: Iterable[ThreadRecord]) -> None:
        """Replace every row (start-up, reload after another process wrote the store)."""
        self._records = {record.id: record for record in records}
        self._haystacks.clear()
        self._options.clear()
        self._resort()
        self.refresh_rows()
        self._start_warming()

    def add_records(self, records: Iterable[ThreadRecord]) -> None:
        """Add rows that arrived later (the rest of a paged load), without moving the cursor."""
        for record in records:
            self._records[record.id] = record
            self._haystacks.pop(record.id, None)
            self._options.pop(record.id, None)
        self._resort()
        self.refresh_rows()
        self._start_warming()

    def upsert(self, record: ThreadRecord) -> None:
        """Show a changed or new record (it moves to the top when it was just active)."""
        self.apply_changes([record], ())

    def remove_thread(self, thread_id: str) -> None:
        """Drop a row; a highlight on it moves to its neighbour (the next row, else the one
        before), not to the top: deleting several threads in a row stays where the user is."""
        self.apply_changes((), (thread_id,))

    def apply_changes(self, records: Iterable[ThreadRecord], removed: Collection[str]) -> None:
        """Take in rows that changed (``records``) or left the record (``removed``): only
        those rows are built again, each moved to its place in the order by bisection (no
        sort of every row); every other row keeps its built look. The highlight stays on its
        thread, or on a neighbour when its thread left."""
        changed = list(records)
        touched = {record.id for record in changed}.union(removed)
        if not touched:
            return
        listing = self.thread_list if self.is_mounted else None
        neighbour = self._neighbour(listing, removed) if listing is not None else None
        order = list(self._order)  # a copy: the list on screen must not change under it
        for thread_id in touched:
            old = self._records.pop(thread_id, None)
            self._haystacks.pop(thread_id, None)
            self._options.pop(thread_id, None)
            if old is not None:  # found by bisection: no pass over every row
                at = bisect.bisect_left(order, record_sort_key(old), key=record_sort_key)
                if at < len(order) and order[at].id == thread_id:
                    del order[at]
                else:  # not where its key says (never expected): the slow, sure way
                    order = [record for record in order if record.id != thread_id]
        for record in changed:
            self._records[record.id] = record
            bisect.insort(order, record, key=record_sort_key)
        self._order = order
        self._pairs = None
        self._match_cache.clear()
        self.refresh_rows()
        if listing is not None and neighbour is not None:
            listing.highlight_id(neighbour)

    @staticmethod
    def _neighbour(listing: ThreadList, removed: Collection[str]) -> str | None:
        """When the highlighted row is leaving: the thread listed after it that stays, else
        the one before (None: the highlight is not leaving, or nothing stays)."""
        row = listing.highlighted
        if row is None or listing.highlighted_id not in removed:
            return None
        shown = listing.shown_records
        for index in chain(range(row + 1, len(shown)), range(row - 1, -1, -1)):
            thread_id = shown[index].id
            if thread_id not in removed:
                return thread_id
        return None

    def get(self, thread_id: str) -> ThreadRecord | None:
        return self._records.get(thread_id)

    @property
    def records(self) -> list[ThreadRecord]:
        return list(self._order)

    @property
    def count(self) -> int:
        """Rows in the model (not ``__len__``: a widget must stay truthy, or messages from its
        children stop bubbling past it, since Textual tests ``if self._parent``)."""
        return len(self._records)

    def set_active_profile(self, name: str, now: float) -> None:
        """Badges are relative to the active profile: rebuild rows, keep the cursor's thread."""
        self.active_profile = name
        self._match_cache.clear()
        self.now = now
        self._options.clear()
        self.refresh_rows()

    # ------------------------------------------------------------ width

    def fit_width(self, total: int, narrow: bool) -> None:
        """Size the sidebar for a terminal ``total`` columns wide."""
        self._terminal = (total, narrow)
        self.styles.width = sidebar_columns(total, self.width_share, narrow)

    @property
    def columns(self) -> int:
        """The sidebar's width now, in columns."""
        total, narrow = self._terminal
        return sidebar_columns(total, self.width_share, narrow)

    def resize_by(self, columns: int) -> None:
        """Wider (positive) or narrower by about ``columns`` columns."""
        total, _narrow = self._terminal
        low, high = SIDEBAR_SHARE_RANGE
        share = max(low, min(high, self.width_share + columns / max(total, 1)))
        self.width_share = share

    @guarded
    def watch_width_share(self, share: float) -> None:
        self.fit_width(*self._terminal)

    def mark_open(self, thread_id: str | None) -> None:
        """Move the open marker to ``thread_id``'s row (None: no thread is open)."""
        if thread_id == self.open_id:
            return
        for changed in (self.open_id, thread_id):
            if changed is not None:
                self._options.pop(changed, None)  # rebuilt with the marker on or off
        self.open_id = thread_id
        self.refresh_rows()

    def _resort(self) -> None:
        self._order = sorted(self._records.values(), key=record_sort_key)
        self._pairs = None
        self._match_cache.clear()

    # ------------------------------------------------------------ filtering

    def set_query(self, text: str) -> None:
        """Apply a filter; a ``?`` query is handed to the app for a transcript search."""
        self.query_text = text
        if text.startswith(FULL_TEXT_PREFIX):
            words = text[len(FULL_TEXT_PREFIX) :].strip()
            if words:
                self.post_message(self.FullTextSearch(words))
                return
            self._shown_ids = None
        else:
            self._shown_ids = None
        self.refresh_rows()

    def show_ids(self, ids: Iterable[str]) -> None:
        """Show only these threads (the answer of a transcript search), in list order."""
        wanted = set(ids)
        self._shown_ids = [r.id for r in self._order if r.id in wanted]
        self.refresh_rows()

    def _matches(self) -> list[ThreadRecord]:
        if self._shown_ids is not None and self.query_text.startswith(FULL_TEXT_PREFIX):
            return [self._records[i] for i in self._shown_ids if i in self._records]
        words = query_words(self.query_text)
        if not words:
            return self._order
        cached = self._match_cache.pop(words, None)
        if cached is not None:
            self._match_cache[words] = cached  # the most recently used last: kept longest
            return cached[1]
        # Typing forward only narrows: scan the smallest earlier answer that holds every
        # match, for the words it does not already guarantee (the rule is the same; the rows
        # looked at are fewer, and "report p" looks for "p" only in the rows with "report").
        candidates = self._all_pairs()
        todo = words
        for key, (found, _records) in self._match_cache.items():
            if len(found) <= len(candidates) and _narrows(key, words):
                left = tuple(word for word in words if word not in key)
                if (len(found), len(left)) < (len(candidates), len(todo)):
                    candidates, todo = found, left
        candidates = keep_matching(candidates, todo)
        records = list(map(_RECORD, candidates))  # from C: at 100,000 rows, a third
        if len(self._match_cache) >= MATCH_CACHE_SIZE:
            self._match_cache.pop(next(iter(self._match_cache)))
        self._match_cache[words] = (candidates, records)
        return records

    @property
    def filter_ready(self) -> bool:
        """Every row's filter text is made, in list order: a filter keystroke makes none."""
        return self._pairs is not None

    def _all_pairs(self) -> list[tuple[ThreadRecord, str]]:
        """Every row with its haystack, in list order; haystacks are made once per row
        (``thread_query.record_haystack``) and kept until the row changes."""
        if self._pairs is None:
            hay = self._haystacks
            pairs = []
            for record in self._order:
                text = hay.get(record.id)
                if text is None:
                    text = hay[record.id] = record_haystack(record)
                pairs.append((record, text))
            self._pairs = pairs
        return self._pairs

    def _start_warming(self) -> None:
        """From the first row again (a load replaced the haystacks): the chunks of an earlier
        load stop, and this load's start."""
        self.run_worker(self._warm(), group="warm", exclusive=True, exit_on_error=False)

    @guarded
    async def _warm(self) -> None:
        """Make the haystacks of ``WARM_CHUNK`` rows at a time, and the rows' pairs in list
        order with them, giving the event loop back before each chunk (keys and paints come
        first): after a load, every row's haystack is ready before the first filter
        keystroke needs it. A row that changes meanwhile starts it over on the new order;
        rows that change later get theirs when a filter next looks at them (``_all_pairs``).

        A worker, not a chain of ``call_later``: Textual's message pump runs the messages
        queued for a widget back to back, so that chain never gave the loop back, and keys
        typed after a load at 100,000 rows waited for every chunk (about 200 ms).

        What a load built (the rows, their haystacks and pairs) lives until the next load:
        it is exempt from the cyclic GC like what start-up built (``ThreadApp._settle_memory``),
        the rows before the first chunk and the rest after the last. At 100,000 rows a full
        collection walked them in 50-150 ms, in the middle of a chunk or of a keystroke."""
        gc.freeze()
        order, start = self._order, 0
        pairs: list[tuple[ThreadRecord, str]] = []
        while True:
            await asyncio.sleep(0)
            if self._order is not order:  # a row changed meanwhile: over again, in chunks
                order, pairs, start = self._order, [], 0  # (the haystacks made are kept)
                continue
            if start >= len(order):
                break
            hay = self._haystacks
            for record in order[start:start + WARM_CHUNK]:
                text = hay.get(record.id)
                if text is None:
                    text = hay[record.id] = record_haystack(record)
                pairs.append((record, text))
            start += WARM_CHUNK
        if self._pairs is None:  # else a filter keystroke made them meanwhile
            self._pairs = pairs
        gc.freeze()

    def refresh_rows(self) -> None:
        if not self.is_mounted:
            return
        listing = self.thread_list
        keep = listing.highlighted_id
        matches = self._matches()
        listing.show_records(matches, self.active_profile, self.now, keep, self._options,
                             open_id=self.open_id)
        total = len(self._records)
        if self.query_text:
            status = f"{len(matches):,} of {total:,} threads"
        else:
            status = f"{total:,} thread{'s' if total != 1 else ''}"
        # One line of fixed height and width: no layout of the whole screen per keystroke.
        self.query_one("#sidebar-status", Static).update(status, layout=False)

    @guarded
    def on_mount(self) -> None:
        # The filter follows the box's value as it changes, in the same turn of the event
        # loop as the key: answered through ``Input.Changed`` (a message, handled a turn
        # later), the box was often painted in one frame and the list in the next, a whole
        # frame (16.7 ms) after it.
        self.watch(self.filter_input, "value", self._filter_value, init=False)

    @guarded
    def _filter_value(self, value: str) -> None:
        if value != self.query_text:
            self.set_query(value)

    @on(Input.Changed, "#filter")
    @guarded
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()  # already applied by _filter_value
