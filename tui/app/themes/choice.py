"""Which theme to start with: `--theme`, else the one last picked in the app, else the config's
`theme`, else the default."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

DEFAULT_THEME = "threadtui-dusk"
"""The theme a new user sees."""

FALLBACK_THEME = "textual-dark"
"""Always registered (Textual's own), used if even the default theme failed to load."""


ThemeSource = Literal["cli", "state", "config", "default", "fallback"]


@dataclass(frozen=True, slots=True)
class ThemeChoice:
    """The theme to start with, where the name came from, and what to tell the user."""

    name: str
    source: ThemeSource
    message: str | None = None
    """Set when a requested name was unknown: which, close matches, what is used instead."""


def choose_theme(
    available: Collection[str],
    *,
    cli: str | None = None,
    config: str | None = None,
    default: str = DEFAULT_THEME,
    remembered: str | None = None,
) -> ThemeChoice:
    """`--theme`, else ``remembered`` (picked in the app last time), else the config's
    `theme`, else the default; unknown names are reported.

    An unknown name falls through to the next source (a typo in `--theme` should not also
    throw away the theme the user configured), and the message lists close matches and
    every available name so the fix is one copy away.
    """
    unknown: list[str] = []
    requested: list[tuple[ThemeSource, str | None, str]] = [
        ("cli", cli, "--theme"),
        ("state", remembered, "the theme last picked in the app"),
        ("config", config, "theme in the config"),
        ("default", default, "the default"),
    ]
    chosen: tuple[str, ThemeSource] = (FALLBACK_THEME, "fallback")
    for source, name, label in requested:
        if not name:
            continue
        if name in available:
            chosen = (name, source)
            break
        close = difflib.get_close_matches(name, sorted(available), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        unknown.append(f"{name!r} ({label}{hint})")
    if not unknown:
        return ThemeChoice(*chosen)
    message = (
        f"No theme named {' or '.join(unknown)}. Using {chosen[0]!r}. "
        f"Available: {', '.join(sorted(available))}."
    )
    return ThemeChoice(*chosen, message=message)
