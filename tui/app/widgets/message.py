"""One message in the chat pane: focusable (so it can be copied by keyboard), plain or Markdown.

User text is shown as typed (plain text: a prompt full of ``[brackets]`` or ``*stars*`` stays
as it was written). Assistant text is Markdown (``ReplyMarkdown``); while a reply streams, the
deltas are batched and appended every ``FLUSH_SECONDS``, and each append lays out only the
open segment of the reply, so a flush costs the same at the end of a long reply as at its start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from tui.app.errors import guarded
from tui.app.formatting import message_time
from tui.app.markdown_bounds import TableBounds, bound_markdown
from tui.core.pricing import format_dollars
from tui.core.records import Role, Turn, Usage
from tui.core.safe_text import strip_controls

if TYPE_CHECKING:  # imported where a reply is drawn: Markdown is not needed for the first screen
    from tui.app.widgets.reply_markdown import ReplyMarkdown

#: Longest text drawn for a stored message; a 1 MB paste would take seconds to wrap and lay
#: out. The whole text is kept, copied with y, and exported; only the drawing is cut.
DISPLAY_LIMIT = 50_000

#: How often a streaming reply's new text is handed to the Markdown widget (see ``write``).
FLUSH_SECONDS = 0.05


def shown_text(text: str, limit: int = DISPLAY_LIMIT) -> str:
    text = strip_controls(text)
    if len(text) <= limit:
        return text
    return text[:limit]


def hidden_note(text: str, limit: int = DISPLAY_LIMIT) -> str:
    extra = len(text) - limit
    return f"… {extra:,} more characters not shown (y copies all of it)" if extra > 0 else ""


def code_blocks(text: str) -> list[str]:
    """The fenced (and indented) code blocks of a Markdown text, in order, as their code."""
    from markdown_it import MarkdownIt  # Textual's own Markdown parser (it depends on it)

    tokens = MarkdownIt("commonmark").parse(text)
    return [token.content for token in tokens if token.type in ("fence", "code_block")]


def usage_text(usage: Usage | None) -> str:
    if usage is None:
        return ""
    return (
        f"{usage.total_tokens:,} tokens (in {usage.input_tokens:,} · out {usage.output_tokens:,})"
    )


def _restyle(static: Static, content: Content) -> None:
    """Show ``content`` in ``static``; when only its styles changed (the same text, lit
    differently), without a layout: the height cannot change, and a layout of the screen is
    what a keystroke in the find bar would otherwise cost (measured: most of 70 ms)."""
    shown = static.visual
    same_text = isinstance(shown, Content) and shown.plain == content.plain
    static.update(content, layout=not same_text)


class RovingFocus:
    """Only one message is a tab stop (the last one focused, else the newest): tab reaches the
    chat pane in one press instead of walking every message; up/down move inside it."""

    tab_stop: bool = False

    def allow_focus(self) -> bool:
        return self.tab_stop


class MessageView(RovingFocus, Vertical, can_focus=True):
    """A turn: header (who, when), body, and a footer for usage, interruption or the error."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy", id="chat.copy",
                tooltip="Copy message (OSC 52: works over SSH)"),
        Binding("c", "copy_code", "Copy code", show=False, id="chat.copy_code",
                tooltip="Copy a code block (again: the next one; OSC 52)"),
        Binding("g", "screen.message_first", "First", show=False, id="chat.first",
                tooltip="First message"),
        Binding("G", "screen.message_last", "Last", show=False, id="chat.last",
                tooltip="Last message"),
        Binding("ctrl+up", "line(-1)", "Line up", show=False, id="chat.line_up",
                tooltip="Scroll up a line"),
        Binding("ctrl+down", "line(1)", "Line down", show=False, id="chat.line_down",
                tooltip="Scroll down a line"),
        Binding("e", "screen.edit_and_fork", "Edit & fork", show=False, id="chat.fork",
                tooltip="Edit this question in a new thread (the original stays)"),
        Binding("left_square_bracket", "version(-1)", "Older version", show=False,
                id="chat.version_back", tooltip="Page back to a reply this one replaced"),
        Binding("right_square_bracket", "version(1)", "Newer version", show=False,
                id="chat.version_forward", tooltip="Page forward through the reply's versions"),
        Binding("up,k", "screen.message_previous", "Previous", show=False, id="chat.previous",
                tooltip="Previous message"),
        Binding("down,j", "screen.message_next", "Next", show=False, id="chat.next",
                tooltip="Next message (then the composer)"),
        Binding("n", "screen.find_again(1)", "Find next", show=False, id="chat.find_next",
                tooltip="Next match of the last find (as n in less)"),
        Binding("N", "screen.find_again(-1)", "Find previous", show=False,
                id="chat.find_previous", tooltip="Previous match of the last find"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="chat.page_up",
                tooltip="Scroll up a page"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="chat.page_down",
                tooltip="Scroll down a page"),
    ]

    def __init__(self, turn: Turn, *, streaming: bool = False) -> None:
        classes = f"message -{turn.role}"
        super().__init__(classes=classes)
        self.turn = turn
        self.streaming = streaming
        self._stream: ReplyMarkdown | None = None
        self._pending: list[str] = []
        self.hint: str | None = None
        """A key worth knowing about this message (e.g. how to retry it), shown after it."""
        self._flush_timer: Timer | None = None
        self._body: ReplyMarkdown | Static | None = None
        self._bounds = TableBounds()
        self.version = 0
        """Which of ``versions()`` is shown: 0 the turn itself, then its alternatives."""
        self.cost_of: Callable[[Usage], float | None] | None = None
        """What a reply's tokens cost at the thread's model (set by the chat pane)."""
        self._code_copied = -1  # the code block ``c`` copied last
        self._found: Static | None = None  # a reply's plain body while the find bar lights it

    def compose(self) -> ComposeResult:
        yield Static(self._header(), classes="message-header", markup=False)
        text = shown_text(self.turn.text)
        if self.turn.role is Role.ASSISTANT:
            from tui.app.widgets.reply_markdown import ReplyMarkdown

            self._body = ReplyMarkdown(bound_markdown(text), classes="message-body")
        else:
            self._body = Static(Content(text), classes="message-body", markup=False)
        yield self._body
        footer = Static(self._footer(), classes="message-footer", markup=False)
        # Decided here, not in on_mount: a view removed while mounting (a redraw racing a
        # refresh) has no children by then, and looking the footer up there crashed the app.
        footer.display = bool(self._footer().plain)
        yield footer

    def _header(self) -> Content:
        who = {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.SYSTEM: "System"}[
            self.turn.role
        ]
        parts: list[str | tuple[str, str]] = [(who, "bold")]
        if self.turn.refusal and self.turn.role is Role.ASSISTANT:
            parts.append(("  refused", "$text-error bold"))  # the model declined to answer
        parts.append(("  " + message_time(self.turn.at, self._now()), "$text-muted"))
        if self.turn.alternatives:
            total = len(self.turn.alternatives) + 1
            label = "current" if self.version == 0 else "replaced"
            parts.append((f"  version {self.version + 1} of {total} ({label}) · [ ] pages",
                          "$text-muted"))
        if self.streaming:
            parts.append(("  streaming… esc stops", "$text-warning"))
        return Content.assemble(*parts)

    def _now(self) -> float:
        """The app's clock (fixed in tests), else the real time."""
        try:
            clock = getattr(self.app, "clock", None)
        except Exception:  # not attached to an app
            clock = None
        return clock() if callable(clock) else time.time()

    def _footer(self) -> Content:
        turn = self.turn
        parts: list[str | tuple[str, str]] = []
        if not self.streaming and (note := hidden_note(turn.text)):
            parts.append((note, "$text-warning"))
        if turn.error or turn.interrupted:
            if parts:
                parts.append("  ")
            why = strip_controls(turn.error or "interrupted")
            kept = "; the partial reply is kept" if turn.interrupted and turn.text else ""
            parts.append((why + kept, "$text-warning" if turn.interrupted else "$text-error"))
            if self.hint:
                parts.append((f" · {self.hint}", "bold"))
        if turn.usage:
            if parts:
                parts.append("  ")
            parts.append((usage_text(turn.usage), "$text-muted"))
            if self.cost_of is not None:
                parts.append((f" · {format_dollars(self.cost_of(turn.usage))}", "$text-muted"))
        return Content.assemble(*parts)

    def refresh_chrome(self) -> None:
        """Redraw header and footer after the turn changed (finished, failed, stopped)."""
        headers = self.query(".message-header")
        footers = self.query(".message-footer")
        if not self.is_mounted or not headers or not footers:
            return  # not composed yet (a redraw raced this one): compose uses the new turn
        headers.first(Static).update(self._header())
        footer = footers.first(Static)
        footer.update(self._footer())
        footer.display = bool(self._footer().plain)

    # ------------------------------------------------------------ streaming

    @property
    def markdown(self) -> ReplyMarkdown | None:
        return None if isinstance(self._body, Static | None) else self._body

    def start_stream(self) -> None:
        assert self.markdown is not None, "only assistant messages stream"
        self.streaming = True
        self._stream = self.markdown

    async def write(self, fragment: str) -> None:
        """Take a delta; the Markdown gets what arrived at most every ``FLUSH_SECONDS``.

        Every append re-lays out the reply's open segment on the next frame; handing it one
        batch per interval instead of one token at a time keeps a fast reply from spending
        its time in layout (measured: a 20,000-token reply went from 22 s to 5 s).
        """
        self.turn.text += fragment
        self._pending.append(fragment)
        if self._flush_timer is None and self._stream is not None:
            self._flush_timer = self.set_timer(FLUSH_SECONDS, self._flush)

    async def _flush(self) -> None:
        self._flush_timer = None
        if self._pending and self._stream is not None:
            text = "".join(self._pending)
            self._pending.clear()
            drawable = self._bounds.feed(strip_controls(text))
            if drawable:
                await self._stream.append(drawable)

    async def end_stream(self, final_text: str | None = None) -> None:
        """Stop streaming; re-render once only if the server's final text differs."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        await self._flush()
        if self._stream is not None:
            rest = self._bounds.finish()  # a last table row held back for its end
            if rest:
                await self._stream.append(rest)
            self._stream = None
        self.streaming = False
        if final_text is not None and final_text != self.turn.text:
            self.turn.text = final_text
            if self.markdown is not None:
                await self.markdown.update(bound_markdown(strip_controls(final_text)))
        self.refresh_chrome()

    async def abandon_stream(self) -> None:
        """The view left the screen mid-reply: end the stream; drawing into it may fail."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._pending.clear()
        self._stream = None
        self.streaming = False

    # ------------------------------------------------------------ find

    @property
    def shown_source(self) -> str:
        """The text drawn for the version shown (what the find bar searches and highlights)."""
        return shown_text(self.versions()[self.version])

    def show_found(self, content: Content | None) -> None:
        """Show the body as plain text with the find bar's highlights, or (None) as before.

        A reply's Markdown is hidden, not replaced, while it shows highlights: positions found
        in the text are exact in plain text, while Textual's Markdown widget keeps no public
        map from its rendered blocks back to the source; closing the bar puts it back as it
        was laid out, at no cost."""
        body = self._body
        if isinstance(body, Static):  # a question: its body is the plain text already
            _restyle(body, content if content is not None else Content(self.shown_source))
            return
        if body is None:
            return
        found = self._found
        if content is None:
            if found is not None:
                found.display = False
            body.display = True
            return
        if found is None:
            found = self._found = Static(content, classes="message-body found", markup=False)
            self.mount(found, after=body)
        else:
            _restyle(found, content)
        found.display = True
        body.display = False

    @property
    def found_body(self) -> Static | None:
        """The plain body that shows highlights, when it is shown (None otherwise)."""
        if isinstance(self._body, Static):
            return self._body
        return self._found if self._found is not None and self._found.display else None

    @guarded
    def action_page(self, direction: int) -> None:
        scroller = self.parent
        if isinstance(scroller, Widget):
            if direction < 0:
                scroller.scroll_page_up(animate=False)
            else:
                scroller.scroll_page_down(animate=False)

    def versions(self) -> list[str]:
        """The turn's text, then each alternative it replaced (a branch of several messages
        shows its first, and says how many follow)."""
        texts = [self.turn.text]
        for branch in self.turn.alternatives:
            first = branch[0].text if branch else ""
            more = len(branch) - 1
            texts.append(first + (f"\n\n*(and {more} more messages in this branch)*"
                                  if more > 0 else ""))
        return texts

    @guarded
    async def action_version(self, step: int) -> None:
        """Show another version of this reply (one it replaced, kept in the record)."""
        versions = self.versions()
        if len(versions) < 2 or self.streaming:
            return
        self.version = (self.version + step) % len(versions)
        self.show_found(None)  # lit spans were of the other version; find lights this one
        text = shown_text(versions[self.version])
        if self.markdown is not None:
            await self.markdown.update(bound_markdown(text))
        elif isinstance(self._body, Static):
            self._body.update(Content(text))
        self.refresh_chrome()

    @guarded
    def action_line(self, step: int) -> None:
        scroller = self.parent
        if isinstance(scroller, Widget):
            scroller.scroll_relative(y=step, animate=False)

    @guarded
    def action_copy_code(self) -> None:
        """Copy one fenced code block of the version shown; pressed again, the next one."""
        blocks = code_blocks(self.versions()[self.version])
        if not blocks:
            self.app.notify("No code block in this message", timeout=3)
            return
        self._code_copied = (self._code_copied + 1) % len(blocks)
        self.app.copy_to_clipboard(blocks[self._code_copied])
        self.app.notify(
            f"Copied code block {self._code_copied + 1} of {len(blocks)} (OSC 52)"
            + (" · c again for the next" if len(blocks) > 1 else ""), timeout=4)

    @guarded
    def action_copy(self) -> None:
        text = self.versions()[self.version]  # what is shown
        self.app.copy_to_clipboard(text)
        self.app.notify(f"Copied {len(text):,} characters (OSC 52)", timeout=3)
