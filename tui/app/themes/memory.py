"""Remembering a theme picked in the app: only real choices, written once, to the config."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

from tui.app.themes.problems import display_path
from tui.core.config import save_config_values


def remember_theme(config_path: Path, name: str) -> str | None:
    """Store ``theme = name`` in the config, keeping every other key; an error message or None.

    The write is skipped when the config already says so (rewriting drops comments, so it is
    done only when something changes). Failing to save must not end the session: the error is
    returned for the app to show.
    """
    try:
        if config_path.exists():
            current = tomllib.loads(config_path.read_text(encoding="utf-8"))
            if current.get("theme") == name:
                return None
        save_config_values(config_path, {"theme": name})
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        return (
            f"Theme {name!r} is used for now but was not saved: "
            f"{display_path(config_path)} is not valid TOML ({exc or 'nested too deeply'})."
        )
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return (
            f"Theme {name!r} is used for now but was not saved to "
            f"{display_path(config_path)}: {reason}."
        )
    return None


class ThemeMemory:
    """Decides which theme changes are the user's choice and writes those to the config.

    The app reports every change of `app.theme` (from `watch_theme`); setting the starting
    theme, or `--theme`, is not a choice to remember, and neither is re-selecting what the
    config already holds. Each real change is saved once, immediately (a small atomic write),
    so a crash or kill later still keeps it.
    """

    def __init__(
        self,
        config_path: Path | None,
        *,
        startup_theme: str,
        saved_theme: str | None,
        save: Callable[[Path, str], str | None] = remember_theme,
    ) -> None:
        self.config_path = config_path
        self.current = startup_theme
        self.saved = saved_theme
        self._save = save

    def theme_changed(self, name: str) -> str | None:
        """Call on every theme change; returns an error message if saving failed."""
        if name == self.current:
            return None
        self.current = name
        if self.config_path is None or name == self.saved:
            return None
        error = self._save(self.config_path, name)
        if error is None:
            self.saved = name
        return error
