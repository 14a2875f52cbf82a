"""Every key the app answers to, as remapped by the user's ``[keymap]``.

The table is built from the same ``Binding`` objects the widgets use, with the keymap applied
by binding id, so it cannot drift from what the keys really do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.errors import guarded

HelpGroup = tuple[str, Sequence[Binding | tuple[str, str]]]


def effective_keys(binding: Binding, keymap: Mapping[str, str]) -> str:
    """The keys a binding answers to after the user's ``[keymap]``."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key


def help_content(groups: Sequence[HelpGroup], keymap: Mapping[str, str], display) -> Content:
    """Lines of ``keys  description`` under a heading per group.

    ``display`` turns one key name into what the user presses (``App.get_key_display``).
    """
    parts: list[str | tuple[str, str]] = []
    for title, entries in groups:
        if parts:
            parts.append("\n")
        parts.append((title, "bold $accent"))
        parts.append("\n")
        for entry in entries:
            if isinstance(entry, Binding):
                keys = effective_keys(entry, keymap)
                shown = ", ".join(
                    display(Binding(key.strip(), entry.action)) for key in keys.split(",")
                )
                description = entry.tooltip or entry.description or entry.action
                tail = f" {entry.id}" if entry.id else ""
            else:
                shown, description = entry
                tail = ""
            parts.append((f"  {shown:<13}", "bold"))
            parts.append(f" {description:<37}")
            parts.append((tail, "$text-muted"))
            parts.append("\n")
    return Content.assemble(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
    ]

    def __init__(self, content: Content) -> None:
        super().__init__(classes="dialog-screen")
        self._content = content

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Static("Keys", classes="dialog-title", markup=False)
            with VerticalScroll(id="help-scroll"):
                yield Static(self._content, markup=False)
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
