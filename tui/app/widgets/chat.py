"""The chat pane: a header naming the open thread, and its transcript as focusable messages.

Opening a thread mounts only the newest ``WINDOW`` messages (mounting hundreds of Markdown
widgets would stall the UI); the older ones are one key away. The transcript container is
anchored, so a streaming reply is followed while the user is at the bottom and left alone once
they scroll up (Textual releases the anchor on a user scroll and restores it at the bottom).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from tui.app.errors import guarded
from tui.app.focus import focus_now
from tui.app.thread_find import ThreadFinder
from tui.app.widgets.find_bar import FindBar
from tui.app.widgets.message import MessageView, RovingFocus
from tui.app.widgets.thread_list import owner_tag, row_badges
from tui.core.pricing import PriceTable, format_dollars
from tui.core.records import Role, ThreadRecord, Turn, Usage
from tui.core.safe_text import one_line
from tui.core.wording import plural

WINDOW = 40

EMPTY_TEXT = (
    "New chat. Type below and press enter to send.\n"
    "esc: past chats · ctrl+o: switch profile · f1: every key"
)


NOTHING_STORED_TEXT = (
    "No message of this thread is stored here (an id imported or recorded without its"
    " transcript). If the server still has it, its messages appear once it answers."
)


class EarlierMessages(RovingFocus, Static, can_focus=True):
    """A marker standing in for messages not mounted yet; enter shows them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "show_earlier", "Show earlier", id="chat.earlier",
                tooltip="Show earlier messages"),
        Binding("down,j", "screen.message_next", "Next", show=False, id="chat.earlier_next",
                tooltip="Next message"),
    ]

    def __init__(self, hidden: int) -> None:
        super().__init__("", markup=False, classes="earlier")
        self.hidden = hidden

    @guarded
    def on_mount(self) -> None:
        self.update(self.words())

    def words(self) -> str:
        return f"… {plural(self.hidden, 'earlier message')}: press enter to show them"

    @guarded
    async def action_show_earlier(self) -> None:
        pane = self.screen.query_one(ChatPane)
        await pane.show_all()


class LaterMessages(EarlierMessages):
    """Below a stretch of older messages that find brought on screen: stands for the newer
    ones not mounted; enter goes back to the newest (as the thread opens)."""

    def words(self) -> str:
        return f"… {plural(self.hidden, 'later message')}: press enter to show the newest"

    @guarded
    async def action_show_earlier(self) -> None:
        pane = self.screen.query_one(ChatPane)
        await pane.show_newest()
        newest = pane.last_view()
        if newest is not None:
            pane.focus_message(newest)  # the marker that had the keyboard is gone


class Transcript(VerticalScroll, can_focus=False):
    """The scrolling column of messages; the messages take the focus, not the column."""


class ChatPane(Vertical):
    """Shows one thread; the app drives it (open, stream, merge), it never calls the network."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.record: ThreadRecord | None = None
        self.turns: list[Turn] = []
        self.active_profile = ""
        self.now = 0.0
        self.finder = ThreadFinder(self)
        self._find_return: Widget | None = None  # where the keyboard was before ctrl+f
        self._find_told: set[str] = set()  # notes already said since the bar opened

    def compose(self) -> ComposeResult:
        yield Static("", id="chat-header", markup=False)
        with Transcript(id="transcript"):
            yield Static(EMPTY_TEXT, id="empty", markup=False)
        yield FindBar(id="find-bar")

    @guarded
    def on_mount(self) -> None:
        self.transcript.anchor()
        self._update_header()

    @property
    def transcript(self) -> VerticalScroll:
        return self.query_one("#transcript", VerticalScroll)

    @property
    def messages(self) -> list[MessageView]:
        return list(self.transcript.query_children(MessageView))  # not every Markdown block

    # ------------------------------------------------------------ header

    def _update_header(self) -> None:
        header = self.query_one("#chat-header", Static)
        record = self.record
        if record is None:
            header.update(
                Content.assemble(("New chat", "bold"), ("  (not sent yet)", "$text-muted"))
            )
            return
        parts: list[str | tuple[str, str]] = [
            (one_line(record.display_title, 80), "bold"),
            ("  " + one_line(record.id, 60), "$text-muted"),
            ("  " + owner_tag(record), "$text-muted"),
        ]
        for label, style in row_badges(record, self.active_profile, self.now):
            parts.extend([" ", (f" {label} ", style)])
        cost = self._cost_words()
        if cost:
            parts.append(("  " + cost, "$text-muted"))
        link = link_words(record)
        if link:
            parts.append(("\n" + link, "$text-muted"))
        header.update(Content.assemble(*parts))

    def set_context(self, active_profile: str, now: float) -> None:
        self.active_profile = active_profile
        self.now = now
        self._update_header()

    def update_record(self, record: ThreadRecord) -> None:
        """The open thread's record changed (renamed, marked gone…): redraw the header."""
        if self.record is not None and self.record.id == record.id:
            self.record = record
            self._update_header()

    # ------------------------------------------------------------ content

    async def show(self, record: ThreadRecord | None, turns: list[Turn]) -> None:
        """Replace the pane's content with ``record``'s transcript (``None``: a new chat)."""
        if (record.id if record else None) != (self.record.id if self.record else None):
            self.finder.start(None)  # another thread: its newest match, not the old place
        self.record = record
        self.turns = list(turns)
        self._update_header()
        await self._mount_turns(self.turns[-WINDOW:], hidden=max(0, len(self.turns) - WINDOW))
        if self.find_bar.display:  # the bar stays open: light what the new content holds
            await self.finder.search(self.finder.query)
            self._say_found()

    async def show_all(self) -> None:
        await self._mount_turns(self.turns, hidden=0)
        self.transcript.scroll_home(animate=False)
        if self.find_bar.display:
            await self.finder.show(scroll=False)

    async def show_from(self, index: int) -> None:
        """Mount the stretch of messages that starts at ``index`` (find reached one that was
        not mounted): ``WINDOW`` of them, so a match early in a thread of thousands costs
        what opening the thread costs; a marker stands for the newer ones."""
        index = max(0, min(index, len(self.turns)))
        end = min(len(self.turns), index + WINDOW)
        if len(self.turns) - end < WINDOW // 2:
            end = len(self.turns)  # a few more: mount them, no marker
        await self._mount_turns(self.turns[index:end], hidden=index,
                                later=len(self.turns) - end)

    async def show_newest(self) -> None:
        """Back to the newest messages, as the thread opens."""
        await self._mount_turns(self.turns[-WINDOW:], hidden=max(0, len(self.turns) - WINDOW))
        if self.find_bar.display:
            await self.finder.show(scroll=False)

    async def _mount_turns(self, turns: list[Turn], hidden: int, later: int = 0) -> None:
        transcript = self.transcript
        with self.app.batch_update():
            await transcript.remove_children()
            widgets: list[Static | MessageView] = []
            if hidden:
                widgets.append(EarlierMessages(hidden))
            widgets.extend(self._view(turn) for turn in turns)
            if not widgets:
                text = EMPTY_TEXT if self.record is None else NOTHING_STORED_TEXT
                widgets.append(Static(text, id="empty", markup=False))
            if isinstance(widgets[-1], MessageView):
                widgets[-1].tab_stop = True
            if later:
                widgets.append(LaterMessages(later))
            await transcript.mount_all(widgets)
        if not later:
            transcript.anchor()
        else:
            transcript.anchor(False)  # a stretch in the middle: nothing new arrives below it

    @property
    def newest_shown(self) -> bool:
        """Whether the newest message is mounted (not a stretch that find brought back)."""
        return not self.transcript.query(LaterMessages)

    async def add_turn(self, turn: Turn, *, streaming: bool = False) -> MessageView:
        """Append a message at the bottom (the user's prompt, or a reply about to stream)."""
        if not self.newest_shown:
            await self.show_newest()
        self.turns.append(turn)
        transcript = self.transcript
        empty = transcript.query("#empty")
        if empty:
            await empty.remove()
        view = self._view(turn, streaming=streaming)
        self._set_tab_stop(view)
        await transcript.mount(view)
        transcript.anchor()  # sending jumps to the bottom and follows the reply from there
        return view

    def _view(self, turn: Turn, *, streaming: bool = False) -> MessageView:
        view = MessageView(turn, streaming=streaming)
        view.cost_of = self.cost_of
        return view

    def cost_of(self, usage: Usage) -> float | None:
        """A reply's cost at the open thread's model (``tui.core.pricing``); None: no price."""
        prices: PriceTable | None = getattr(self.app, "prices", None)
        model = self.record.model if self.record is not None else None
        return prices.cost(model, usage) if prices is not None else None

    def _cost_words(self) -> str:
        """The thread's cost so far: its replies at its model's price, or why not known."""
        costs = [self.cost_of(turn.usage) for turn in self.turns if turn.usage]
        if not costs:
            return ""
        if any(cost is None for cost in costs):
            model = self.record.model if self.record is not None else None
            return f"no price for {one_line(model or 'this model', 30)}"
        return f"≈ {format_dollars(sum(c for c in costs if c is not None))}"

    async def merge(self, turns: list[Turn]) -> bool:
        """Show a refreshed transcript if it differs from what is shown; True when redrawn."""
        if [(t.role, t.text) for t in turns] == [(t.role, t.text) for t in self.turns]:
            return False
        at_bottom = transcript_at_bottom(self.transcript)
        await self.show(self.record, turns)
        if not at_bottom:
            self.transcript.scroll_home(animate=False)
        return True

    # ------------------------------------------------------------ find (ctrl+f)

    @property
    def find_bar(self) -> FindBar:
        return self.query_one(FindBar)

    def open_find(self, focused: Widget | None) -> None:
        """Show the find bar and give it the keyboard at once (keys typed behind ctrl+f are
        the query). Opened again, its query is selected: typing replaces it."""
        bar = self.find_bar
        if not bar.display:
            self._find_return = focused
            self._find_told.clear()
            anchor = None
            index = self.index_of(focused) if isinstance(focused, MessageView) else None
            if index is not None:
                anchor = (index, 0)
            elif isinstance(focused, EarlierMessages):
                anchor = (0, 0)
            self.finder.start(anchor)
            bar.display = True
            if bar.query_text:
                self.run_worker(self._search(bar.query_text), group="find", exclusive=True)
            else:
                self._say_found()
        focus_now(bar.input)
        bar.input.select_all()

    async def find_again(self, direction: int, focused: Widget | None) -> None:
        """``n`` / ``N`` on a message, as in less: the last query's next (1) or previous (-1)
        match, from the last one found while the keyboard is still on its message, else
        from this message. The keyboard goes to the message holding it (``y`` then copies
        what was found). With the bar closed nothing stays lit, and a note says which match
        it is; with it open, this is its enter or shift+enter."""
        query = self.find_bar.query_text
        if not query:
            self.app.notify("Nothing to find again yet: ctrl+f finds in this thread",
                            timeout=5)
            return
        finder, bar_open = self.finder, bool(self.find_bar.display)
        here = self.index_of(focused) if isinstance(focused, MessageView) else None
        current = finder.current_span()
        if finder.query == query and current is not None and (bar_open or current[0] == here):
            await finder.step(direction)
        else:
            finder.start(None if here is None else (here, 0))
            await finder.search(query)  # the first match at or after this message, if any
            found = finder.current_span()
            before_here = found is not None and here is not None and found[0] < here
            if found is not None and (direction > 0) == before_here:
                await finder.step(direction)  # none after it (wrap), or N: the one before
        found = finder.current_span()
        view = finder.view_of(found[0]) if found is not None else None
        if bar_open:
            self._say_found()
        else:
            finder.clear()
            notes = finder.notes() if found is not None else []
            self.app.notify(notes[0] if notes and view is None else
                            f"{one_line(query, 40)}: {finder.words()}",
                            timeout=4 if found is not None else 6)
        if view is not None:
            self.focus_message(view)

    def index_of(self, view: MessageView) -> int | None:
        """Where ``view``'s turn stands in the transcript (None: not one of its messages)."""
        for index, turn in enumerate(self.turns):
            if turn is view.turn:
                return index
        return None

    async def _search(self, query: str) -> None:
        await self.finder.search(query)
        self._say_found()

    def _say_found(self) -> None:
        finder = self.finder
        self.find_bar.say(finder.words(), found=bool(finder.matches) or not finder.query)
        for note in finder.notes():
            if note not in self._find_told:
                self._find_told.add(note)
                self.app.notify(note, timeout=8)

    @on(FindBar.Changed)
    @guarded
    async def _find_changed(self, message: FindBar.Changed) -> None:
        message.stop()
        await self._search(message.query)

    @on(FindBar.Step)
    @guarded
    async def _find_step(self, message: FindBar.Step) -> None:
        message.stop()
        await self.finder.step(message.direction)
        self._say_found()

    @on(FindBar.Closed)
    @guarded
    def _find_closed(self, message: FindBar.Closed) -> None:
        """Highlights go; the keyboard goes back where it was, but one that was on a message
        goes to the message of the current match (y or c then act on what was found)."""
        message.stop()
        found = self.finder.current_span()
        view = self.finder.view_of(found[0]) if found is not None else None
        self.finder.clear()
        self.find_bar.display = False
        back = self._find_return
        self._find_return = None
        if isinstance(back, (MessageView, EarlierMessages)) and view is not None:
            self.focus_message(view)
        elif back is not None and back.is_attached and back.focusable:
            focus_now(back)
        else:
            focus_now(self.screen.query_one("#composer"))
        if view is not None:
            self.call_after_refresh(view.scroll_visible, animate=False)

    def _set_tab_stop(self, target: Widget) -> None:
        for widget in self.transcript.query("EarlierMessages, MessageView"):
            if isinstance(widget, RovingFocus):
                widget.tab_stop = widget is target
        if isinstance(target, RovingFocus):
            target.tab_stop = True

    def focus_message(self, target: Widget) -> None:
        """Move the keyboard to one message (it becomes the pane's tab stop)."""
        self._set_tab_stop(target)
        focus_now(target)
        target.scroll_visible(animate=False)

    def show_prompt(self, prompt: Widget) -> None:
        """A question that arrived on its own (the 404 prompt), at the bottom, not focused."""
        transcript = self.transcript
        for old in transcript.query(".owner-prompt"):
            old.remove()
        transcript.mount(prompt)
        transcript.anchor()

    def show_notice(self, text: str) -> None:
        """A line under the transcript that says what went wrong (plain text)."""
        transcript = self.transcript
        if not transcript.is_attached:  # the app is closing: the notification said it
            return
        notice = Static(Content(text), classes="notice -error", markup=False)
        transcript.mount(notice)
        transcript.anchor()

    def last_view(self, role: Role | None = None) -> MessageView | None:
        for view in reversed(self.messages):
            if role is None or view.turn.role is role:
                return view
        return None


def link_words(record: ThreadRecord) -> str:
    """Where a thread came from or went (continued, moved, forked), as its record says."""
    meta = record.server_meta
    words = []
    for key, verb in (("continued_from", "continued from"), ("forked_from", "forked from")):
        link = meta.get(key)
        if isinstance(link, dict) and isinstance(link.get("id"), str):
            at = f" at message {link['message']}" if isinstance(link.get("message"), int) else ""
            words.append(f"{verb} {one_line(link['id'], 40)}{at}")
    for key, verb in (("continued_as", "continued as"), ("forks", "forked as")):
        links = meta.get(key)
        if isinstance(links, list):
            ids = [one_line(x["id"], 40) for x in links
                   if isinstance(x, dict) and isinstance(x.get("id"), str)]
            if ids:
                words.append(f"{verb} {', '.join(ids[-2:])}"
                             + (f" (+{len(ids) - 2})" if len(ids) > 2 else ""))
    return " · ".join(words)


def transcript_at_bottom(scroll: VerticalScroll) -> bool:
    return scroll.max_scroll_y - scroll.scroll_y <= 1
