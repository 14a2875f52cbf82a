"""Shown instead of a traceback when there is no usable key and nothing recorded yet.

It says what to set and where the config lives, and points at ``threadtui --demo``, which
needs no key at all. Other profiles, if any, stay one key away (the app's ctrl+o; picking one
closes this screen).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static


def first_run_text(problem: str, config_path: Path, config_exists: bool, profiles: int) -> Content:
    where = "(it does not exist yet)" if not config_exists else ""
    parts: list[str | tuple[str, str]] = [
        ("Welcome to threadtui", "bold $accent"),
        "\n\nThere is no API key for the active profile:\n  ",
        (problem, "$text-warning"),
        "\n\nTo use your OpenAI account, either\n  ",
        ("export OPENAI_API_KEY=sk-…", "bold"),
        "   and run threadtui again, or\n  describe your profiles in ",
        (str(config_path), "bold"),
        f" {where}\n  (",
        ("threadtui config init", "bold"),
        " writes a commented example that keeps your OPENAI_API_KEY setup; a profile takes"
        " its key from api_key_env or api_key_cmd).\n\nTo look around without a key, run ",
        ("threadtui --demo", "bold"),
        ": a local stand-in server with two demo organizations.",
    ]
    if profiles > 1:
        parts.append("\n\nOr press ctrl+o to pick another of your profiles.")
    parts.append("\n\nPress q to quit.")
    return Content.assemble(*parts)


class FirstRunScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quit", show=False, id="first_run.quit"),
    ]

    def __init__(self, text: Content) -> None:
        super().__init__(id="first-run")
        self._text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(), Vertical(classes="first-run-box"):
            yield Static(self._text, markup=False)
        yield Footer()
