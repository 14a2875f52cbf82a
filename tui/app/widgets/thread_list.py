"""The list of recorded threads: an OptionList whose rows are all exactly two lines high.

Why not the stock OptionList as is: it measures every option (wrapping its text) whenever the
options change, and ``set_options`` makes and indexes an ``Option`` per row, which at 100,000
threads cost over 100 ms per filter keystroke. Here the rows are a view over the list of
matching records (``RowView``): an ``Option`` is made only when its row is looked at (drawn,
highlighted), the line map is arithmetic (every row is two lines: ``TwoLineRows``), and an
id's position is found by bisection in the list order. So a keystroke costs the filter's
scan and the rows on screen, not the number of rows. Each row's text is built only when the
row is first drawn (``ThreadRow.visualize``), and options are cached by thread id across
filters. Drawing, keys, the highlight, the mouse and the look are OptionList's own.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar, cast, overload

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size, Spacing
from textual.strip import Strip
from textual.style import Style
from textual.visual import Padding, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from tui.app.errors import guarded
from tui.app.focus import focus_now
from tui.app.formatting import age
from tui.core.legacy_expiry import days_until_legacy_expiry, near_legacy_expiry
from tui.core.ownership import is_retired
from tui.core.records import ThreadRecord, ThreadStatus
from tui.core.safe_text import one_line
from tui.core.thread_query import record_sort_key

ROW_HEIGHT = 2
TITLE_LIMIT = 200


def is_foreign(record: ThreadRecord, active_profile: str) -> bool:
    """Another profile's thread, seen from the active one: computed, never stored (a status
    stored as "foreign" goes stale the moment the user switches to its owner)."""
    return bool(record.profile) and record.profile != active_profile


def row_badges(record: ThreadRecord, active_profile: str, now: float) -> list[tuple[str, str]]:
    """(label, style) pairs for a row, most important first; shared with the chat header."""
    badges: list[tuple[str, str]] = []
    if is_retired(record):
        # A legacy thread on OpenAI's API: retired with the Assistants API (2026-08-26), not
        # another organization's and not one that expired; its transcript is kept.
        return [("retired", "$badge-gone")]
    if record.status is ThreadStatus.GONE:
        badges.append(("gone", "$badge-gone"))
    elif is_foreign(record, active_profile):
        badges.append(("foreign", "$badge-foreign"))
    if record.status is ThreadStatus.INTERRUPTED:
        badges.append(("interrupted", "$badge-interrupted"))
    if record.status is not ThreadStatus.GONE and near_legacy_expiry(record, now):
        left = days_until_legacy_expiry(record, now)
        label = f"expires {left}d" if left >= 0 else "may be expired"
        badges.append((label, "$badge-gone"))
    return badges


def owner_tag(record: ThreadRecord) -> str:
    """``profile/organization``, the words a user recognises a thread's owner by."""
    profile = one_line(record.profile or "?", 24)
    if record.organization:
        return f"{profile}/{one_line(record.organization, 24)}"
    return profile


OPEN_MARKER = "▌"
"""Beside the thread open in the chat pane, on both of its lines (not the highlight: the
highlight is where the keyboard is; this is what you are reading)."""


class ThreadRow:
    """A row's prompt, turned into styled text only when the list first draws it.

    Two looks: ``visualize()`` on the list's own background, where badges and the quiet
    text (age, owner) have their theme colours; and ``on_cursor()`` for the highlighted row,
    where everything takes the cursor's own foreground, since no one colour reads on both
    the sidebar and the cursor bar (dusk's lavender badge on its blue cursor was 1.3:1).
    """

    __slots__ = ("_content", "_cursor_content", "active_profile", "is_open", "now", "record")

    def __init__(
        self, record: ThreadRecord, active_profile: str, now: float, is_open: bool = False
    ) -> None:
        self.record = record
        self.active_profile = active_profile
        self.now = now
        self.is_open = is_open
        self._content: Content | None = None
        self._cursor_content: Content | None = None

    @property
    def built(self) -> bool:
        """True once the row has been drawn (and so styled); rows off screen stay cheap."""
        return self._content is not None

    def visualize(self, *_args: object) -> Content:
        if self._content is None:
            self._content = self._build(on_cursor=False)
        return self._content

    def on_cursor(self) -> Content:
        """The row as drawn under the cursor: the cursor's colours, badges still bold."""
        if self._cursor_content is None:
            self._cursor_content = self._build(on_cursor=True)
        return self._cursor_content

    def _build(self, on_cursor: bool) -> Content:
        record = self.record

        def colour(style: str) -> str:
            return "" if on_cursor else style

        title = one_line(record.display_title, TITLE_LIMIT) or record.id
        marker = (OPEN_MARKER if self.is_open else " ", colour("$accent"))
        parts: list[str | tuple[str, str]] = [marker]
        if record.pinned:
            parts.append(("● ", colour("$accent")))
        parts.append((title, "bold" if record.status is ThreadStatus.OK else ""))
        parts.append("\n")
        parts.append(marker)
        parts.append((f"{age(record.last_active, self.now):>3} ", colour("$text-muted")))
        # Badges before the owner tag: a narrow sidebar cuts the end of the line.
        for label, style in row_badges(record, self.active_profile, self.now):
            parts.append((label, f"bold {colour(style)}".strip()))
            parts.append(" ")
        parts.append((owner_tag(record), colour("$text-muted")))
        return Content.assemble(*parts)


class RowView(Sequence[Option]):
    """The list's options as a view over the matching records, in list order: an ``Option``
    is made (or taken from ``cache``, by thread id) only when a row is looked at, and its
    position noted in ``positions`` (OptionList's option → index map, which it reads for the
    rows it draws)."""

    def __init__(
        self,
        records: list[ThreadRecord],
        make: Callable[[ThreadRecord], Option],
        cache: dict[str, Option],
        positions: dict[Option, int],
    ) -> None:
        self.records = records
        self._make = make
        self._cache = cache
        self._positions = positions

    def __len__(self) -> int:
        return len(self.records)

    def _option(self, index: int) -> Option:
        record = self.records[index]
        option = self._cache.get(record.id)
        if option is None:
            option = self._cache[record.id] = self._make(record)
        self._positions[option] = index
        return option

    @overload
    def __getitem__(self, index: int) -> Option: ...

    @overload
    def __getitem__(self, index: slice) -> list[Option]: ...

    def __getitem__(self, index: int | slice) -> Option | list[Option]:
        if isinstance(index, slice):
            return [self._option(i) for i in range(*index.indices(len(self.records)))]
        if index < 0:
            index += len(self.records)
        if not 0 <= index < len(self.records):
            raise IndexError(index)
        return self._option(index)

    def __iter__(self) -> Iterator[Option]:
        return (self._option(i) for i in range(len(self.records)))

    def index_of(self, thread_id: str, record: ThreadRecord | None) -> int | None:
        """The row of ``thread_id`` (``record``: its row, for the sort key), by bisection."""
        if record is None:
            return None
        records = self.records
        at = bisect.bisect_left(records, record_sort_key(record), key=record_sort_key)
        if at < len(records) and records[at].id == thread_id:
            return at
        return None


class _Lines(Sequence[tuple[int, int]]):
    """Line ``n`` is line ``n % 2`` of row ``n // 2``: no list of every line."""

    def __init__(self, rows: int) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return self.rows * ROW_HEIGHT

    @overload
    def __getitem__(self, line: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, line: slice) -> list[tuple[int, int]]: ...

    def __getitem__(self, line: int | slice) -> tuple[int, int] | list[tuple[int, int]]:
        if isinstance(line, slice):
            return [self[n] for n in range(*line.indices(len(self)))]
        if line < 0:
            line += len(self)
        if not 0 <= line < len(self):
            raise IndexError(line)
        return divmod(line, ROW_HEIGHT)


class _Arithmetic(dict[int, int]):
    """A row → value map computed, not stored (row heights, a row's first line)."""

    def __init__(self, value: Callable[[int], int]) -> None:
        super().__init__()
        self._value = value

    def __missing__(self, row: int) -> int:
        return self._value(row)

    def get(self, row: int, default: int | None = None) -> int | None:  # type: ignore[override]
        return self._value(row)


class TwoLineRows:
    """OptionList's line cache for rows that are all two lines high (``lines``, ``heights``,
    ``index_to_line``), in constant memory."""

    def __init__(self) -> None:
        self.lines = _Lines(0)
        self.heights = _Arithmetic(lambda row: ROW_HEIGHT)
        self.index_to_line = _Arithmetic(lambda row: row * ROW_HEIGHT)

    def clear(self) -> None:
        self.lines = _Lines(0)


class ThreadList(OptionList):
    """Newest first; enter opens; the sidebar's keys live here so they act on the highlight."""

    # Priority bindings: handled the moment the key arrives, before the keys behind it in
    # the same packet, so `d` has its question on screen (which ignores the rest of the
    # sentence) and enter has the composer focused (which takes the rest as text).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, priority=True, id="sidebar.down"),
        Binding("k", "cursor_up", "Up", show=False, priority=True, id="sidebar.up"),
        Binding("g", "first", "First", show=False, priority=True, id="sidebar.first"),
        Binding("G", "last", "Last", show=False, priority=True, id="sidebar.last"),
        Binding("enter", "screen.open_highlighted", "Open", priority=True, id="sidebar.open",
                tooltip="Open the thread"),
        Binding("n", "screen.new_thread", "New", priority=True, id="sidebar.new",
                tooltip="Start a new chat"),
        Binding("r", "screen.rename_thread", "Rename", priority=True, id="sidebar.rename",
                tooltip="Rename the thread"),
        Binding("d", "screen.delete_thread", "Delete", priority=True, id="sidebar.delete",
                tooltip="Delete on the server, then locally"),
        Binding("p", "screen.toggle_pin", "Pin", show=False, priority=True, id="sidebar.pin",
                tooltip="Pin/unpin (pinned stay on top)"),
        Binding("m", "screen.thread_model", "Model", show=False, priority=True,
                id="sidebar.model", tooltip="The model this thread's replies come from"),
        Binding("i", "screen.thread_instructions", "Instructions", show=False, priority=True,
                id="sidebar.instructions", tooltip="This thread's instructions"),
        Binding("c", "screen.continue_thread", "Continue", show=False, priority=True,
                id="sidebar.continue",
                tooltip="Continue under a profile you pick (a new thread, same history)"),
        Binding("escape", "screen.clear_filter", "Clear filter", show=False, id="sidebar.clear",
                tooltip="Clear the filter"),
        # < and > are plain characters: they reach the app over SSH in every terminal, which
        # ctrl+arrows do not (many send nothing, or move by word in the composer).
        Binding("less_than_sign", "resize_sidebar(-2)", "Narrower", show=False, priority=True,
                id="sidebar.narrower", tooltip="Make the sidebar narrower"),
        Binding("greater_than_sign", "resize_sidebar(2)", "Wider", show=False, priority=True,
                id="sidebar.wider", tooltip="Make the sidebar wider"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._drawing_cursor = False
        self._line_cache = TwoLineRows()  # type: ignore[assignment]
        self._rows = RowView([], self._row_option, {}, self._option_to_index)
        self._options = self._rows  # type: ignore[assignment]
        self._row_look: tuple[str, float, str | None] = ("", 0.0, None)
        self._drawn: LRUCache[tuple[Option, Style, Spacing, int, bool], list[Strip]] = (
            LRUCache(maxsize=1024))

    # ------------------------------------------------------------ drawing a row
    # Textual draws an option through _get_option_render (cached per option and style, and the
    # highlighted style is its own key) which asks _get_visual for the prompt's visual; the
    # highlighted row gets ThreadRow.on_cursor() instead of its usual look. Textual's cache is
    # emptied whenever the rows change (a drawn row carries its index, for the mouse): the
    # lines of a row are also kept here without the index, by option, style and width, so a
    # filter keystroke that brings back rows drawn before only stamps them with their new
    # index instead of laying their text out again (most of a keystroke's drawing).

    def _get_option_render(self, option: Option, style: Style) -> list[Strip]:
        padding = self.get_component_styles("option-list--option").padding
        strips = self._option_render_cache.get((option, style, padding))
        if strips is not None:
            return strips
        if option._divider:  # never made here; Textual's own way, to be sure
            return super()._get_option_render(option, style)
        highlighted = self.highlighted
        on_cursor = (
            highlighted is not None
            and highlighted < len(self.options)
            and self.options[highlighted] is option
        )
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        key = (option, style, padding, width, on_cursor)
        drawn = self._drawn.get(key)
        if drawn is None:
            self._drawing_cursor = on_cursor
            try:
                visual = self._get_visual(option)
            finally:
                self._drawing_cursor = False
            if padding:
                visual = Padding(visual, padding)
            drawn = [
                strip.extend_cell_length(width, style.rich_style)
                for strip in visual.to_strips(self, visual, width, None, style)
            ]
            self._drawn[key] = drawn
        meta = {"option": self._option_to_index[option]}
        strips = [strip.apply_meta(meta) for strip in drawn]
        self._option_render_cache[(option, style, padding)] = strips
        return strips

    def _clear_caches(self) -> None:
        self._drawn.clear()
        super()._clear_caches()

    def _get_visual(self, option: Option) -> Visual:
        prompt = option.prompt
        if self._drawing_cursor and isinstance(prompt, ThreadRow):
            return prompt.on_cursor()
        return super()._get_visual(option)

    @guarded
    def action_resize_sidebar(self, columns: int) -> None:
        # The Sidebar around the list (found by what it does: it imports this module).
        for ancestor in self.ancestors:
            resize = getattr(ancestor, "resize_by", None)
            if callable(resize):
                resize(columns)
                return

    @guarded
    async def on_key(self, event: events.Key) -> None:
        """A printable key that is none of the list's keys was meant as text: it goes to the
        composer (which takes the keyboard), never lost, never read as a command."""
        if event.key in self.app.active_bindings:
            return  # one of the list's keys (as the keymap has it): its binding acts
        if event.is_printable and event.character:
            screen = self.screen
            composer = getattr(screen, "composer", None)
            if composer is not None and not composer.read_only:
                event.stop()
                event.prevent_default()
                focus_now(composer)
                composer.insert(event.character)

    # ------------------------------------------------------------ fixed-height line map

    def _update_lines(self) -> None:
        if not self.scrollable_content_region:
            return
        cache = cast(TwoLineRows, self._line_cache)
        if cache.lines.rows != len(self._rows):
            cache.lines = _Lines(len(self._rows))
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        virtual_size = Size(width, len(cache.lines))
        if virtual_size != self.virtual_size:
            # Set without the layout the reactive asks for: the list's own size is the
            # sidebar's (1fr), whatever its rows, and a layout is a reflow of the whole screen
            # whose resizes repaint the scrollbar once more in a frame of its own, after the
            # one that showed the rows. The scrollbar is updated here, before that frame; when
            # it appears or goes, ``show_vertical_scrollbar`` still asks for the layout.
            self.set_reactive(OptionList.virtual_size, virtual_size)
            self._scroll_update(virtual_size)
            self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows) * ROW_HEIGHT

    # ------------------------------------------------------------ rows

    def _row_option(self, record: ThreadRecord) -> Option:
        active_profile, now, open_id = self._row_look
        row = ThreadRow(record, active_profile, now, is_open=record.id == open_id)
        return Option(cast(Content, row), id=record.id)

    def show_records(
        self,
        records: Sequence[ThreadRecord],
        active_profile: str,
        now: float,
        keep: str | None = None,
        cache: dict[str, Option] | None = None,
        open_id: str | None = None,
    ) -> None:
        """Show ``records`` (in list order), keeping the highlight on thread ``keep`` when
        it is still listed. Nothing is made per row here: options are made as rows are
        drawn, and ``cache`` (thread id → option) keeps them across calls when given.
        """
        self._row_look = (active_profile, now, open_id)
        self._option_to_index = {}
        self._id_to_option = {}
        self._rows = RowView(
            records if isinstance(records, list) else list(records), self._row_option,
            cache if cache is not None else {}, self._option_to_index,
        )
        self._options = self._rows  # type: ignore[assignment]
        self._line_cache.clear()
        self._option_render_cache.clear()  # drawn rows carry their index (for the mouse)
        self.highlighted = None
        self.scroll_y = 0
        self._update_lines()
        self.refresh()
        self.highlight_id(keep)

    def get_option(self, option_id: str) -> Option:
        index = self.get_option_index(option_id)
        return self._rows[index]

    def get_option_index(self, option_id: str) -> int:
        """The row of thread ``option_id``, found by bisection (no map of every id)."""
        option = self._rows._cache.get(option_id)
        record = option.prompt.record if option is not None and isinstance(
            option.prompt, ThreadRow) else self._record_for(option_id)
        index = self._rows.index_of(option_id, record)
        if index is None:
            raise OptionDoesNotExist(f"There is no option with an id of {option_id!r}")
        return index

    def _record_for(self, thread_id: str) -> ThreadRecord | None:
        for record in self._rows.records:  # only for an id never drawn: rare, linear
            if record.id == thread_id:
                return record
        return None

    def highlight_id(self, thread_id: str | None) -> None:
        """Highlight the row of ``thread_id``, else the first row."""
        if not self._rows:
            return
        index = 0
        if thread_id is not None:
            try:
                index = self.get_option_index(thread_id)
            except OptionDoesNotExist:
                index = 0
        self.highlighted = index

    @property
    def highlighted_id(self) -> str | None:
        record = self.record_at_highlight()
        return record.id if record is not None else None

    @property
    def shown_records(self) -> Sequence[ThreadRecord]:
        """The records listed, in order (no option is made for them)."""
        return self._rows.records

    def record_at_highlight(self) -> ThreadRecord | None:
        """The highlighted row's record (read from the rows: no option is made for it)."""
        highlighted = self.highlighted
        records = self._rows.records
        if highlighted is None or not 0 <= highlighted < len(records):
            return None
        return records[highlighted]
