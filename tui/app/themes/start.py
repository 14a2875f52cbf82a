"""Wiring themes into the app at start-up: register, choose, notify, and feed changes to memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.app import App

from tui.app.themes.catalog import ThemeCatalog, load_themes
from tui.app.themes.choice import ThemeChoice, choose_theme
from tui.app.themes.memory import ThemeMemory, remembered_theme
from tui.app.themes.problems import ThemeProblem


def register_themes(
    app: App[Any],
    config_file: Path | None = None,
    *,
    catalog: ThemeCatalog | None = None,
) -> list[ThemeProblem]:
    """Register every good theme on ``app``; return one problem per bad file, for notifying.

    Pass the config file to include the user's folder. Registering replaces a theme of the
    same name, which is how a user theme overrides a shipped or built-in one.
    """
    if catalog is None:
        catalog = load_themes(config_file)
    for loaded in catalog.themes.values():
        app.register_theme(loaded.theme)
    return list(catalog.problems)


@dataclass(slots=True)
class ThemeStart:
    """What `prepare_themes` did: the choice, the bad files, and the memory to feed changes to."""

    choice: ThemeChoice
    problems: list[ThemeProblem]
    memory: ThemeMemory
    notified: bool = field(default=False, init=False)

    @property
    def messages(self) -> list[str]:
        """Everything to tell the user at start-up: each bad file, then an unknown theme name.

        Plain text, not Textual markup: a file name or a TOML table like `[variables]` in a
        message would be read as a markup tag, and a stray `[/x]` makes the toast raise.
        """
        messages = [problem.message for problem in self.problems]
        if self.choice.message:
            messages.append(self.choice.message)
        return messages

    def notify(self, app: App[Any], *, timeout: float = 15) -> None:
        """Show each start-up message as a notification, once per run (call from on_mount)."""
        if self.notified:
            return
        self.notified = True
        for message in self.messages:
            app.notify(message, title="Theme", severity="warning", timeout=timeout, markup=False)

    def theme_changed(self, app: App[Any], name: str) -> None:
        """Feed every `app.theme` change here (from `watch_theme`); saving errors are shown."""
        error = self.memory.theme_changed(name)
        if error:
            app.notify(error, title="Theme not saved", severity="error", markup=False)


def prepare_themes(
    app: App[Any],
    *,
    config_path: Path | None,
    config_theme: str | None,
    cli_theme: str | None = None,
    remember: bool = True,
    catalog: ThemeCatalog | None = None,
    state_dir: Path | None = None,
) -> ThemeStart:
    """Register the themes, choose the starting one, and prepare remembering changes.

    Call from the app's `__init__` after `super().__init__()`, keep the result, *then* set
    `self.theme = result.choice.name` (before the first paint: no flash of Textual's default).
    It does not set the theme itself because setting it calls the app's `watch_theme` at once,
    which needs the result already stored. ``config_path`` finds the user's theme folder;
    choices are remembered in ``state_dir``'s state file (the data directory; never the
    config), and the one remembered there wins over the config's ``theme`` at the next start.
    ``remember=False`` (e.g. `--demo`) never writes.
    """
    if catalog is None:
        catalog = load_themes(config_path)
    problems = register_themes(app, catalog=catalog)
    remembered = remembered_theme(state_dir)
    choice = choose_theme(
        app.available_themes, cli=cli_theme, config=config_theme, remembered=remembered
    )
    memory = ThemeMemory(
        state_dir if remember else None, startup_theme=choice.name, saved_theme=remembered
    )
    return ThemeStart(choice, problems, memory)
