"""The prompt box: enter sends, shift+enter or ctrl+j inserts a newline, up recalls.

ctrl+j is the newline key every terminal can send (shift+enter only reaches the app on
terminals with an extended keyboard protocol). A paste larger than ``PASTE_INLINE_LIMIT`` is
kept aside and shown as one placeholder token: a TextArea re-wraps its whole document on each
edit, and a measured 1 MB paste froze it for one to two seconds per keystroke. The token is
replaced by the pasted text when the prompt is sent.
"""

from __future__ import annotations

import re
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

from tui.app.errors import guarded
from tui.core.wording import plural

PASTE_INLINE_LIMIT = 16_000
COMPOSER_PLACEHOLDER = "Message · enter sends · ctrl+j newline"
HISTORY_LIMIT = 200
_TOKEN = re.compile(r"⟦paste (\d+): [^⟧]*⟧")
_TOKEN_NUMBERS = _TOKEN.findall


def paste_token(number: int, text: str) -> str:
    lines = text.count("\n") + 1
    return f"⟦paste {number}: {plural(len(text), 'char')}, {plural(lines, 'line')}⟧"


class Composer(TextArea):
    """Multi-line input; posts ``Composer.Submitted`` with the full text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+j,shift+enter", "newline", "Newline", show=False, id="composer.newline",
                tooltip="Insert a newline"),
        # Not while a reply streams: then esc stops the reply (the screen's binding).
        Binding("escape", "screen.to_threads", "Past chats", id="composer.to_threads",
                tooltip="To the past chats (the sidebar)"),
    ]

    class Submitted(Message):
        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text

        @property
        def control(self) -> Composer:
            return self.composer

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            compact=True,
            placeholder=COMPOSER_PLACEHOLDER,
        )
        self.prompts: list[str] = []
        self._history_index: int | None = None
        self._pastes: dict[int, str] = {}
        self._paste_count = 0

    # ------------------------------------------------------------ keys

    @guarded
    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.submit()
            return
        if event.key == "up" and self._can_recall(-1):
            event.stop()
            event.prevent_default()
            self._recall(-1)
            return
        if event.key == "down" and self._history_index is not None:
            event.stop()
            event.prevent_default()
            self._recall(1)
            return
        await super()._on_key(event)

    @guarded
    def action_newline(self) -> None:
        self.insert("\n")

    def _can_recall(self, _direction: int) -> bool:
        if not self.prompts:
            return False
        return not self.text or (
            self._history_index is not None and self.cursor_location[0] == 0
        )

    def _recall(self, direction: int) -> None:
        """Walk the prompt history: up goes back from the newest, down comes forward."""
        if self._history_index is None:
            index = len(self.prompts) - 1 if direction < 0 else None
        else:
            index = self._history_index + direction
            if index < 0:
                index = 0
            elif index >= len(self.prompts):
                index = None
        self._history_index = index
        self.load_text("" if index is None else self.prompts[index])
        self.move_cursor(self.document.end)

    # ------------------------------------------------------------ paste and submit

    @guarded
    async def _on_paste(self, event: events.Paste) -> None:
        if self.read_only or len(event.text) <= PASTE_INLINE_LIMIT:
            await super()._on_paste(event)
            return
        event.stop()
        event.prevent_default()
        self._paste_count += 1
        self._pastes[self._paste_count] = event.text
        self.insert(paste_token(self._paste_count, event.text))
        self.app.notify(
            f"Pasted {len(event.text):,} characters as one block; it is sent in full.", timeout=4
        )

    def expanded_text(self) -> str:
        """The prompt with every paste token replaced by what was pasted."""

        def expand(match: re.Match[str]) -> str:
            return self._pastes.get(int(match.group(1)), match.group(0))

        return _TOKEN.sub(expand, self.text)

    def submit(self) -> None:
        text = self.expanded_text()
        if not text.strip():
            return
        if not self.prompts or self.prompts[-1] != self.text:
            self.prompts.append(self.text)
            del self.prompts[:-HISTORY_LIMIT]
        self._history_index = None
        self.clear()
        self._forget_unused_pastes()
        self.post_message(self.Submitted(self, text))

    def _forget_unused_pastes(self) -> None:
        """Keep only the pasted blocks a recallable prompt still names: the history is
        bounded, so what it holds is bounded too (a paste is not kept for ever)."""
        named = {int(number) for prompt in self.prompts for number in _TOKEN_NUMBERS(prompt)}
        named.update(int(number) for number in _TOKEN_NUMBERS(self.text))
        for number in [n for n in self._pastes if n not in named]:
            del self._pastes[number]

    @property
    def held_pastes(self) -> int:
        """How many pasted blocks the composer still holds (for recall from the history)."""
        return len(self._pastes)
