"""Where themes come from (the shipped folder, the user's folder) and which one wins a name."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from textual.theme import Theme

from tui.app.themes.problems import ThemeProblem
from tui.app.themes.validation import read_theme_file
from tui.core.paths import config_dir
from tui.core.resources import shipped

THEMES_FOLDER = "themes"


class ThemeOrigin(StrEnum):
    SHIPPED = "shipped"
    USER = "user"


@dataclass(frozen=True, slots=True)
class LoadedTheme:
    theme: Theme
    file: Path
    origin: ThemeOrigin
    overrides: Path | None = None
    """The shipped file whose theme of the same name this (user) theme replaces."""


@dataclass(slots=True)
class ThemeCatalog:
    """The good themes found (by name) and one problem per bad file."""

    themes: dict[str, LoadedTheme] = field(default_factory=dict)
    problems: list[ThemeProblem] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted(self.themes)


def shipped_themes_dir() -> Path:
    """The shipped themes, from the wheel (`tui/_data/themes`) or the source tree."""
    return shipped(THEMES_FOLDER)


def user_themes_dir(config_file: Path) -> Path:
    """`<config dir>/themes`: the user's themes live next to their config."""
    return config_dir(config_file) / THEMES_FOLDER


def load_theme_folder(folder: Path, origin: ThemeOrigin = ThemeOrigin.USER) -> ThemeCatalog:
    """Every `*.toml` file directly in ``folder`` (sorted, hidden files skipped).

    A folder that does not exist is normal (most users have no themes of their own) and gives
    an empty catalog. Two files with the same theme name: the first (by file name) wins and
    the second is reported, rather than one silently shadowing the other.
    """
    catalog = ThemeCatalog()
    if not folder.exists():
        return catalog
    if not folder.is_dir():
        catalog.problems.append(ThemeProblem(folder, "is not a folder, so no themes were read"))
        return catalog
    try:
        files = sorted(
            path for path in folder.glob("*.toml") if not path.name.startswith(".")
        )
    except OSError as exc:
        catalog.problems.append(ThemeProblem(folder, f"cannot list it ({exc.strerror or exc})"))
        return catalog
    for path in files:
        if not path.is_file():
            catalog.problems.append(ThemeProblem(path, "is not a regular file"))
            continue
        result = read_theme_file(path)
        if result.theme is None:
            if result.problem is not None:
                catalog.problems.append(result.problem)
            continue
        name = result.theme.name
        if name in catalog.themes:
            first = catalog.themes[name].file.name
            catalog.problems.append(
                ThemeProblem(path, f"theme {name!r} is already defined by {first} in this folder")
            )
            continue
        if result.problem is not None:
            catalog.problems.append(result.problem)
        catalog.themes[name] = LoadedTheme(result.theme, path, origin)
    return catalog


def load_themes(
    config_file: Path | None = None,
    *,
    shipped_dir: Path | None = None,
    user_dir: Path | None = None,
) -> ThemeCatalog:
    """The shipped themes, then the user's (which win on the same name).

    ``config_file`` locates the user folder (`<config dir>/themes`); ``user_dir`` names it
    directly. With neither, only the shipped themes are loaded: no implicit look at the real
    home directory, so tests and `--demo` never pick up a developer's own themes.
    """
    catalog = load_theme_folder(shipped_dir or shipped_themes_dir(), ThemeOrigin.SHIPPED)
    if user_dir is None and config_file is not None:
        user_dir = user_themes_dir(config_file)
    if user_dir is None:
        return catalog
    mine = load_theme_folder(user_dir, ThemeOrigin.USER)
    catalog.problems.extend(mine.problems)
    for name, loaded in mine.themes.items():
        replaced = catalog.themes.get(name)
        overrides = replaced.file if replaced is not None else None
        catalog.themes[name] = dataclasses.replace(loaded, overrides=overrides)
    return catalog


def shipped_theme_names() -> list[str]:
    """Names of the themes shipped with threadtui, sorted (for parametrized tests/snapshots)."""
    return load_theme_folder(shipped_themes_dir(), ThemeOrigin.SHIPPED).names
