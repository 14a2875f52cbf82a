"""Remembering a theme picked in the app: only real choices, written once, to the state file.

The choice goes to ``state.json`` in the data directory (``tui.core.app_state``), never to the
user's config: rewriting a config loses its comments and replaces a symlink with a plain file.
The config's ``theme`` stays the user's default; the remembered choice wins at the next start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tui.app.themes.problems import display_path
from tui.core.app_state import THEME, load_state, save_state, state_path


def remembered_theme(state_dir: Path | None) -> str | None:
    """The theme last picked in the app, if any."""
    if state_dir is None:
        return None
    value = load_state(state_dir).get(THEME)
    return value if isinstance(value, str) and value else None


def remember_theme(state_dir: Path, name: str) -> str | None:
    """Store the theme in the state file; an error message or None.

    Failing to save must not end the session: the error is returned for the app to show.
    """
    try:
        if remembered_theme(state_dir) == name:
            return None
        save_state(state_dir, {THEME: name})
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return (
            f"Theme {name!r} is used for now but was not remembered in "
            f"{display_path(state_path(state_dir))}: {reason}."
        )
    return None


class ThemeMemory:
    """Decides which theme changes are the user's choice and writes those to the state file.

    The app reports every change of `app.theme` (from `watch_theme`); setting the starting
    theme, or `--theme`, is not a choice to remember, and neither is re-selecting what is
    already remembered. Each real change is saved once, immediately (a small atomic write),
    so a crash or kill later still keeps it.
    """

    def __init__(
        self,
        state_dir: Path | None,
        *,
        startup_theme: str,
        saved_theme: str | None,
        save: Callable[[Path, str], str | None] = remember_theme,
    ) -> None:
        self.state_dir = state_dir
        self.current = startup_theme
        self.saved = saved_theme
        self._save = save

    def theme_changed(self, name: str) -> str | None:
        """Call on every theme change; returns an error message if saving failed."""
        if name == self.current:
            return None
        self.current = name
        if self.state_dir is None or name == self.saved:
            return None
        error = self._save(self.state_dir, name)
        if error is None:
            self.saved = name
        return error
