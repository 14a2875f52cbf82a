"""Every key the app answers to, as remapped by the user's ``[keymap]``.

The table is built from the same ``Binding`` objects the widgets use, with the keymap applied
by binding id, so it cannot drift from what the keys really do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from tui.app.errors import guarded

HelpGroup = tuple[str, Sequence[Binding | tuple[str, str]]]


def effective_keys(binding: Binding, keymap: Mapping[str, str]) -> str:
    """The keys a binding answers to after the user's ``[keymap]``."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key


@dataclass(frozen=True, slots=True)
class HelpRow:
    """One line of the help: a heading (``title`` only) or keys, what they do, binding id."""

    keys: str = ""
    description: str = ""
    binding_id: str = ""
    title: str = ""


def help_rows(groups: Sequence[HelpGroup], keymap: Mapping[str, str], display) -> list[HelpRow]:
    """The help's lines: a heading per group, then one row per key.

    ``display`` turns one key name into what the user presses (``App.get_key_display``).
    """
    rows: list[HelpRow] = []
    for title, entries in groups:
        rows.append(HelpRow(title=title))
        for entry in entries:
            if isinstance(entry, Binding):
                keys = effective_keys(entry, keymap)
                shown = ", ".join(
                    display(Binding(key.strip(), entry.action)) for key in keys.split(",")
                )
                description = entry.tooltip or entry.description or entry.action
                rows.append(HelpRow(shown, description, entry.id or ""))
            else:
                rows.append(HelpRow(entry[0], entry[1]))
    return rows


GAP = 2
"""Spaces between the columns: key, description and id never touch."""
KEY_WIDTH = (8, 16)
ID_WIDTH = (10, 22)
INDENT = 2


def fit(text: str, width: int) -> str:
    """``text`` in ``width`` cells: cut with … when longer, padded when shorter."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def help_content(rows: Sequence[HelpRow], width: int) -> Content:
    """The rows laid out in ``width`` cells: three columns, each cut with … to fit."""
    entries = [row for row in rows if not row.title]
    key_width = max([cell_len(r.keys) for r in entries] + [KEY_WIDTH[0]])
    key_width = min(key_width, KEY_WIDTH[1])
    id_width = min(max([cell_len(r.binding_id) for r in entries] + [ID_WIDTH[0]]), ID_WIDTH[1])
    description_width = width - INDENT - key_width - GAP - GAP - id_width
    if description_width < 16:  # very narrow: the ids go first
        id_width = 0
        description_width = width - INDENT - key_width - GAP
    parts: list[str | tuple[str, str]] = []
    for row in rows:
        if parts:
            parts.append("\n")
        if row.title:
            if len(parts) > 0:
                parts.append("\n")
            parts.append((fit(row.title, width).rstrip(), "bold $accent"))
            continue
        gap = " " * GAP
        parts.append(" " * INDENT)
        parts.append((fit(row.keys, key_width), "bold"))
        parts.append(gap)
        if id_width:
            parts.append(fit(row.description, description_width))
            parts.append(gap)
            parts.append((fit(row.binding_id, id_width).rstrip(), "$text-muted"))
        else:
            parts.append(fit(row.description, description_width).rstrip())
    return Content.assemble(*parts)


class HelpTable(Widget):
    """The help rows, laid out again whenever the width changes."""

    DEFAULT_CSS = """
    HelpTable { height: auto; padding: 0 1 0 0; }
    """

    def __init__(self, rows: Sequence[HelpRow]) -> None:
        super().__init__()
        self.rows = list(rows)

    def render(self) -> Content:
        return help_content(self.rows, self.content_size.width or 76)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return sum(2 if row.title else 1 for row in self.rows) - 1


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
    ]

    def __init__(self, rows: Sequence[HelpRow]) -> None:
        super().__init__(classes="dialog-screen")
        self._rows = list(rows)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Static("Keys", classes="dialog-title", markup=False)
            with VerticalScroll(id="help-scroll"):
                yield HelpTable(self._rows)
            yield Static(
                "↑/↓ scroll · esc closes · remap with [keymap] in config.toml, e.g."
                ' "sidebar.delete" = "x"',
                classes="dialog-keys",
                markup=False,
            )

    @guarded
    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)
