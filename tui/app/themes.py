"""Theme files (the shipped `themes/` folder and the user's own) → Textual `Theme` objects.

A theme file is TOML whose keys are those of `textual.theme.Theme`::

    name = "my-theme"            # required; letters, digits, "-" and "_"
    primary = "#78a6dc"          # required
    secondary = "…"  accent = "…"  warning = "…"  error = "…"  success = "…"
    foreground = "…"  background = "…"  surface = "…"  panel = "…"  boost = "…"
    dark = true                  # false for a light theme
    # luminosity_spread, text_alpha (0..1) and ansi (bool) are accepted too

    [variables]                  # optional: threadtui's variables below, or Textual's own
    user-message-background = "#232b3a"

Why files are validated here and not left to Textual: `App.register_theme` accepts anything,
and a bad colour or variable only blows up when the theme is *applied*, as a stylesheet
error that ends the app. So every file is checked first (TOML syntax, unknown keys with a
suggestion, a missing `name`, wrong types, colours that do not parse, the colour system
actually generating, every variable value parsing as the CSS it will be used in), and a bad
file becomes exactly one `ThemeProblem` (file and reason) instead of a crash. The loading
functions are pure (no running app needed) so they are fast to test.

Where themes come from, later ones winning on the same `name`:

1. Textual's built-in themes (`textual-dark`, `nord`, …);
2. the shipped folder, `shipped("themes")`;
3. the user's folder, `<config dir>/themes/*.toml`. A user theme with the name of a shipped
   (or built-in) one replaces it; `LoadedTheme.overrides` says which file it replaced.

threadtui's own CSS variables
-----------------------------
`tui/app/app.tcss` may use these; every theme gets them, because Textual CSS fails to parse
on an undefined variable. All are concrete colours (usable with `background:` and `color:`):

``switcher-background`` / ``switcher-foreground``
    The profile/organization switcher bar at the top.
``sidebar-background``
    The past-threads sidebar.
``user-message-background`` / ``user-message-border``
    A message you wrote, and the rule (e.g. `border-left: outer $user-message-border`) that
    marks it; the rule keeps speakers apart in 256 colours and under NO_COLOR too.
``assistant-message-background`` / ``assistant-message-border``
    A reply; the background is usually the chat pane's own, for long reading.
``message-meta-foreground``
    Times, model names, token counts: readable but quiet (≥ 4.5:1 in the shipped themes).
``badge-foreign`` / ``badge-gone`` / ``badge-interrupted``
    Text colour of the sidebar badges for a thread owned by another profile, a thread the
    server no longer has, and a reply that was cut short. Readable on the sidebar, the chat
    pane and a user message.

The shipped themes set all of them. For any other theme (Textual's built-ins, a user file
that leaves some out) `app_variable_defaults(theme)` derives them from the theme's own colour
system (e.g. the user message is the background tinted 12% towards `primary`, the badges
are Textual's contrast-adjusted `text-secondary` / `text-error` / `text-warning`). Theme
variables cannot refer to other variables (`"$warning"` is not substituted inside a
variable), which is why these are computed colours. `APP_VARIABLE_DEFAULTS` is the same for
Textual's default theme, for reference and tests.

How the app wires this (ThreadApp)::

    class ThreadApp(App[None]):
        def __init__(self, config: Config, cli_theme: str | None) -> None:
            super().__init__()
            self.theme_start = prepare_themes(
                self, config_path=config.path, config_theme=config.theme, cli_theme=cli_theme
            )  # registers every theme (shipped + user) and picks the starting one
            self.theme = self.theme_start.choice.name  # after the line above: see watch_theme

        def get_theme_variable_defaults(self) -> dict[str, str]:
            return app_variable_defaults(self.current_theme)   # any theme gets our variables

        def on_mount(self) -> None:
            self.theme_start.notify(self)   # each bad file / unknown name, once, as plain text

        def watch_theme(self, name: str) -> None:   # the palette's picker, or any other change
            self.theme_start.theme_changed(self, name)   # saves user choices; shows save errors

If the app shows the messages itself, it must pass `markup=False` to `notify`: they quote
file names and TOML (`[variables]`), which Textual markup would try to interpret.

Choosing and remembering: the starting theme is `--theme`, else `theme` in the config, else
`threadtui-dusk` (an unknown name is reported, with the close matches and the list of
names, and the next source is used). A theme picked *in the app* (ctrl+p → "Theme", which
sets `app.theme`) is written to the config with `save_config_values`, because that is what
a user who picks a theme expects to see next time. `--theme` is for one run and is never
written; neither is the theme the app started with. The config is only rewritten when the
stored value actually changes, since the rewrite drops TOML comments.

NO_COLOR: Textual applies a monochrome filter after the theme; nothing here depends on it.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from textual.app import App
from textual.color import Color, ColorParseError
from textual.css.styles import Styles
from textual.css.tokenize import tokenize_value
from textual.theme import BUILTIN_THEMES, Theme

from tui.core.config import save_config_values
from tui.core.paths import config_dir
from tui.core.resources import shipped

DEFAULT_THEME = "threadtui-dusk"
"""The theme a new user sees."""

FALLBACK_THEME = "textual-dark"
"""Always registered (Textual's own), used if even the default theme failed to load."""

THEMES_FOLDER = "themes"
MAX_THEME_FILE_BYTES = 64 * 1024
"""A theme is a few dozen lines; anything much bigger is not a theme file."""

APP_VARIABLES: dict[str, str] = {
    "switcher-background": "the switcher bar at the top",
    "switcher-foreground": "text on the switcher bar",
    "sidebar-background": "the past-threads sidebar",
    "user-message-background": "a message you wrote",
    "user-message-border": "the rule beside a message you wrote",
    "assistant-message-background": "a reply",
    "assistant-message-border": "the rule beside a reply",
    "message-meta-foreground": "times, model names, token counts",
    "badge-foreign": "badge: the thread belongs to another profile",
    "badge-gone": "badge: the server no longer has the thread",
    "badge-interrupted": "badge: the reply was cut short",
}
"""threadtui's own CSS variables and what they colour (see the module docstring)."""

_COLOR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_BOOL_KEYS = ("dark", "ansi")
_FRACTION_KEYS = ("luminosity_spread", "text_alpha")
THEME_KEYS: frozenset[str] = frozenset(f.name for f in dataclasses.fields(Theme))
"""Keys a theme file may use: exactly the fields of `textual.theme.Theme`."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


class ThemeOrigin(StrEnum):
    SHIPPED = "shipped"
    USER = "user"


@dataclass(frozen=True, slots=True)
class ThemeProblem:
    """One theme file that could not be used (or only partly), and why.

    There is at most one per file, however many things are wrong in it, so the app shows one
    notification per file and the user sees every reason at once.
    """

    file: Path
    reason: str
    skipped: bool = True
    """True: the file's theme was not registered. False: it was, and something was ignored."""

    @property
    def message(self) -> str:
        """The text the app shows, naming the file so the user can find and fix it."""
        where = _display_path(self.file)
        if self.skipped:
            return f"Theme file {where} was not loaded: {self.reason}"
        return f"Theme file {where}: {self.reason}"

    def __str__(self) -> str:
        return self.message


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


@dataclass(frozen=True, slots=True)
class ThemeFileResult:
    """What one file gave: a theme, a problem, or a theme with a non-fatal problem."""

    theme: Theme | None
    problem: ThemeProblem | None = None


# --------------------------------------------------------------------------- loading


def shipped_themes_dir() -> Path:
    """The shipped themes, from the wheel (`tui/_data/themes`) or the source tree."""
    return shipped(THEMES_FOLDER)


def user_themes_dir(config_file: Path) -> Path:
    """`<config dir>/themes`: the user's themes live next to their config."""
    return config_dir(config_file) / THEMES_FOLDER


def read_theme_file(path: Path) -> ThemeFileResult:
    """Read and validate one theme file; never raises for anything the file contains."""
    try:
        size = path.stat().st_size
        if size > MAX_THEME_FILE_BYTES:
            return _fail(path, f"{size} bytes is too large for a theme file")
        raw = path.read_bytes()
    except OSError as exc:
        return _fail(path, f"cannot read it ({exc.strerror or exc})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _fail(path, "not a text file (TOML must be UTF-8 text)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return _fail(path, f"not valid TOML: {exc}")
    except RecursionError:  # tomllib recurses per nesting level: `a = [[[[…` in 4 KB
        return _fail(path, "not valid TOML: nested too deeply to read")
    return theme_from_data(data, path)


def theme_from_data(data: Mapping[str, Any], file: Path) -> ThemeFileResult:
    """Validate parsed TOML and build the `Theme`, collecting every reason it is unusable.

    The colour system is generated here, before anything is registered, because that is where
    Textual would otherwise fail: when the theme is applied in a running app.
    """
    fatal: list[str] = []
    notes: list[str] = []

    for key in data:
        if key not in THEME_KEYS:
            fatal.append(_unknown_key(key))

    name = data.get("name")
    if name is None:
        fatal.append(f'missing "name" (add e.g. name = "{_suggest_name(file)}")')
    elif not isinstance(name, str):
        fatal.append(f'"name" must be a string, not {_type_name(name)}')
    elif not _NAME.match(name):
        fatal.append(
            f'"name" {name!r} must be 1-64 letters, digits, "-" or "_", not starting with a digit'
        )

    if "primary" not in data:
        fatal.append('missing "primary" (the main colour, e.g. primary = "#78a6dc")')
    bad_colors = 0
    for key in _COLOR_KEYS:
        if key in data:
            reason = _color_problem(data[key])
            if reason:
                bad_colors += 1
                fatal.append(f'"{key}" {reason}')
    if bad_colors:
        fatal[-1] += ' (colours look like "#1a1d24", "rgb(26,29,36)", "hsl(220,16%,12%)", "navy")'
    for key in _BOOL_KEYS:
        if key in data and not isinstance(data[key], bool):
            fatal.append(f'"{key}" must be true or false, not {_type_name(data[key])}')
    for key in _FRACTION_KEYS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                fatal.append(f'"{key}" must be a number, not {_type_name(value)}')
            elif not 0 <= value <= 1:
                fatal.append(f'"{key}" must be between 0 and 1, not {value}')

    variables: dict[str, str] = {}
    raw_variables = data.get("variables", {})
    if not isinstance(raw_variables, dict):
        fatal.append(f'"variables" must be a table ([variables]), not {_type_name(raw_variables)}')
    else:
        for var_name, value in raw_variables.items():
            if not isinstance(value, str):
                fatal.append(
                    f'variable "{var_name}" must be a string, not {_type_name(value)}'
                    f' (write it in quotes: {var_name} = "…")'
                )
                continue
            reason = _variable_problem(var_name, value)
            if reason:
                fatal.append(reason)
                continue
            if var_name not in _known_variables():
                notes.append(_unknown_variable(var_name))
            variables[var_name] = value

    if fatal:
        return _fail(file, "; ".join(fatal + notes))

    kwargs: dict[str, Any] = {key: data[key] for key in data if key != "variables"}
    for key in _FRACTION_KEYS:
        if key in kwargs:
            kwargs[key] = float(kwargs[key])
    try:
        theme = Theme(**kwargs, variables=variables)
        theme.to_color_system().generate()
    except Exception as exc:  # Textual's own check; whatever it raises is the file's fault
        return _fail(file, f"Textual cannot build its colours from it ({exc})")

    if notes:
        return ThemeFileResult(theme, ThemeProblem(file, "; ".join(notes), skipped=False))
    return ThemeFileResult(theme)


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


# --------------------------------------------------------------------------- variables


def app_variable_defaults(theme: Theme) -> dict[str, str]:
    """threadtui's variables for a theme that does not set them, from its own colours.

    Meant for `App.get_theme_variable_defaults` (the theme's own `[variables]` still win,
    because Textual merges defaults first). ANSI themes (colours the terminal chooses) cannot
    be blended, so they get transparent backgrounds and their ANSI colours for the rest.
    """
    try:
        colors = theme.to_color_system().generate()
    except Exception:  # a theme registered without our validation; keep the app drawable
        return dict(_STATIC_DEFAULTS)
    background = _opaque(colors.get("background"))
    foreground = _opaque(colors.get("foreground"))
    primary = _opaque(colors.get("primary"))

    def pick(name: str, fallback: str) -> str:
        value = colors.get(name, fallback)
        return value if _css_value_problem("background", value) is None else fallback

    defaults = {
        "switcher-background": pick("panel", "transparent"),
        "switcher-foreground": pick("foreground", "ansi_default"),
        "sidebar-background": pick("surface", "transparent"),
        "assistant-message-background": pick("background", "transparent"),
        "user-message-border": pick("primary", "ansi_blue"),
        "badge-gone": pick("text-error", "ansi_red"),
        "badge-interrupted": pick("text-warning", "ansi_yellow"),
    }
    # "Owned by another profile" is information, not alarm: the first of these colours that
    # differs from the other two badges (Textual's default theme has accent == warning).
    taken = {defaults["badge-gone"].lower(), defaults["badge-interrupted"].lower()}
    foreign = [pick(name, "ansi_magenta") for name in ("text-secondary", "text-accent")]
    foreign.append(pick("text-primary", "ansi_magenta"))
    defaults["badge-foreign"] = next((c for c in foreign if c.lower() not in taken), foreign[0])
    if background is not None and foreground is not None and primary is not None:
        defaults["user-message-background"] = background.blend(primary, 0.12).hex
        defaults["assistant-message-border"] = background.blend(foreground, 0.25).hex
        defaults["message-meta-foreground"] = foreground.blend(background, 0.38).hex
    else:
        defaults["user-message-background"] = "transparent"
        defaults["assistant-message-border"] = pick("secondary", "ansi_bright_black")
        defaults["message-meta-foreground"] = pick("foreground", "ansi_default")
    return defaults


_STATIC_DEFAULTS: dict[str, str] = {
    "switcher-background": "#2a2f3a",
    "switcher-foreground": "#e1e4ea",
    "sidebar-background": "#1e2129",
    "user-message-background": "#232b3a",
    "user-message-border": "#78a6dc",
    "assistant-message-background": "#1a1d24",
    "assistant-message-border": "#434a5a",
    "message-meta-foreground": "#8e96a6",
    "badge-foreign": "#c2aef0",
    "badge-gone": "#f08a92",
    "badge-interrupted": "#e6b450",
}



# --------------------------------------------------------------------------- choosing


ThemeSource = Literal["cli", "config", "default", "fallback"]


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
) -> ThemeChoice:
    """`--theme`, else the config's `theme`, else the default; unknown names are reported.

    An unknown name falls through to the next source (a typo in `--theme` should not also
    throw away the theme the user configured), and the message lists close matches and
    every available name so the fix is one copy away.
    """
    unknown: list[str] = []
    requested: list[tuple[ThemeSource, str | None, str]] = [
        ("cli", cli, "--theme"),
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
            f"{_display_path(config_path)} is not valid TOML ({exc or 'nested too deeply'})."
        )
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return (
            f"Theme {name!r} is used for now but was not saved to "
            f"{_display_path(config_path)}: {reason}."
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
) -> ThemeStart:
    """Register the themes, choose the starting one, and prepare remembering changes.

    Call from the app's `__init__` after `super().__init__()`, keep the result, *then* set
    `self.theme = result.choice.name` (before the first paint: no flash of Textual's default).
    It does not set the theme itself because setting it calls the app's `watch_theme` at once,
    which needs the result already stored. ``remember=False`` (e.g. `--demo`) never writes.
    """
    if catalog is None:
        catalog = load_themes(config_path)
    problems = register_themes(app, catalog=catalog)
    choice = choose_theme(app.available_themes, cli=cli_theme, config=config_theme)
    memory = ThemeMemory(
        config_path if remember else None, startup_theme=choice.name, saved_theme=config_theme
    )
    return ThemeStart(choice, problems, memory)


# --------------------------------------------------------------------------- helpers


def _fail(file: Path, reason: str) -> ThemeFileResult:
    return ThemeFileResult(None, ThemeProblem(file, reason))


def _color_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a colour in quotes, not {_type_name(value)}"
    try:
        Color.parse(value)
    except ColorParseError as exc:
        hint = f" (did you mean {exc.suggested_color!r}?)" if exc.suggested_color else ""
        return f"is not a colour: {value!r}{hint}"
    except Exception:
        return f"is not a colour: {value!r}"
    return None


def _variable_kind(name: str) -> str:
    """The CSS property a variable's value must be valid for (how Textual's CSS uses it)."""
    if name in APP_VARIABLES:
        return "background"  # ours are concrete colours: usable as background and as color
    if name.endswith("style"):
        return "text-style"
    return "color"  # Textual's colour variables; `color:` also accepts its "auto 87%" values


def _variable_problem(name: str, value: str) -> str | None:
    """Why a variable's value would break the stylesheet, or None.

    Textual tokenizes *every* theme variable whenever it builds the stylesheet, so even a
    variable nothing uses must tokenize; the ones its CSS (or ours) uses must also be valid for
    the property they are used in.
    """
    if "$" in value:
        return f'variable "{name}" = {value!r}: variables cannot refer to other variables'
    try:
        if any(ch in value for ch in ";{}") or any(ord(ch) < 32 for ch in value):
            raise ValueError(value)
        list(tokenize_value(value, ("theme", name)))
    except Exception:
        return f'variable "{name}" = {value!r} is not a value Textual CSS can read'
    if name not in _known_variables():
        return None  # unused, so any readable value is harmless (reported as unknown instead)
    kind = _variable_kind(name)
    reason = _css_value_problem(kind, value)
    if reason is None:
        return None
    expected = {
        "background": 'a colour, e.g. "#232b3a" or "#232b3a 50%"',
        "color": 'a colour, e.g. "#232b3a", "#78a6dc 35%" or "auto 87%"',
        "text-style": 'a text style, e.g. "bold", "none" or "bold underline"',
    }[kind]
    return f'variable "{name}" = {value!r} is not {expected}{reason}'


def _css_value_problem(prop: str, value: str) -> str | None:
    """None when ``value`` is valid for ``prop`` in Textual CSS, else a short detail ("" ok).

    Parsed with Textual's own declaration parser, so what passes here is exactly what its
    stylesheet will accept when the variable is substituted.
    """
    if any(ch in value for ch in ";{}$") or any(ord(ch) < 32 for ch in value):
        if "$" in value:
            return " (variables cannot refer to other variables)"
        return ""
    try:
        Styles.parse(f"{prop}: {value};", ("theme", prop))
    except Exception as exc:
        found = re.search(r"Did you mean '([^']+)'\?", str(exc))
        return f" (did you mean {found.group(1)!r}?)" if found else ""
    return None


_KNOWN_VARIABLES: frozenset[str] | None = None


def _known_variables() -> frozenset[str]:
    """Every variable Textual generates (truecolour and ANSI themes) plus threadtui's own."""
    global _KNOWN_VARIABLES
    if _KNOWN_VARIABLES is None:
        names = set(APP_VARIABLES)
        for sample in ("textual-dark", "ansi-dark"):
            names.update(BUILTIN_THEMES[sample].to_color_system().generate())
        _KNOWN_VARIABLES = frozenset(names)
    return _KNOWN_VARIABLES


def _unknown_key(key: str) -> str:
    if key in APP_VARIABLES or key in _known_variables():
        return f'"{key}" is a variable: put it under [variables]'
    close = difflib.get_close_matches(key, sorted(THEME_KEYS), n=1)
    if close:
        return f'unknown key "{key}" (did you mean {close[0]!r}?)'
    return f'unknown key "{key}"; theme keys are: {", ".join(sorted(THEME_KEYS))}'


def _unknown_variable(name: str) -> str:
    close = _close_variable(name)
    hint = f" (did you mean {close!r}?)" if close else ""
    return f'variable "{name}" is not one threadtui or Textual uses, so it has no effect{hint}'


def _close_variable(name: str) -> str | None:
    candidates = sorted(_known_variables())
    normalised = name.replace("_", "-").lower()
    if normalised in _known_variables():
        return normalised
    close = difflib.get_close_matches(normalised, candidates, n=1, cutoff=0.75)
    return close[0] if close else None


def _opaque(value: str | None) -> Color | None:
    """A colour that can be blended: parsed, not ANSI, fully opaque."""
    if value is None:
        return None
    try:
        color = Color.parse(value)
    except Exception:
        return None
    if color.ansi is not None or color.a < 1:
        return None
    return color


def _suggest_name(file: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", file.stem).strip("-") or "my-theme"
    return stem if _NAME.match(stem) else f"theme-{stem}"


def _type_name(value: Any) -> str:
    names: dict[type, str] = {bool: "true/false", int: "a number", float: "a number"}
    names |= {str: "a string", list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _display_path(path: Path) -> str:
    """The path with the home directory as `~`: shorter in a notification, same meaning."""
    home = os.path.expanduser("~")
    text = str(path)
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


# Computed last: it needs the helpers above.
APP_VARIABLE_DEFAULTS: dict[str, str] = app_variable_defaults(BUILTIN_THEMES[FALLBACK_THEME])
"""threadtui's variables as derived for Textual's default theme (`textual-dark`).

Every name in `APP_VARIABLES`, each a concrete colour. Prefer
`app_variable_defaults(app.current_theme)` in the app, which fits whichever theme is active.
"""
