"""One theme file → a Textual ``Theme``, or exactly one ``ThemeProblem`` with every reason.

`App.register_theme` accepts anything, and a bad colour or variable only blows up when the theme
is *applied*, as a stylesheet error that ends the app; so everything is checked here first.
Pure: no running app needed.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.css.tokenize import tokenize_value
from textual.theme import Theme

from tui.app.themes.problems import ThemeProblem
from tui.app.themes.variables import APP_VARIABLES, css_value_problem, known_variables

MAX_THEME_FILE_BYTES = 64 * 1024
"""A theme is a few dozen lines; anything much bigger is not a theme file."""


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


@dataclass(frozen=True, slots=True)
class ThemeFileResult:
    """What one file gave: a theme, a problem, or a theme with a non-fatal problem."""

    theme: Theme | None
    problem: ThemeProblem | None = None


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
            if var_name not in known_variables():
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
    if name not in known_variables():
        return None  # unused, so any readable value is harmless (reported as unknown instead)
    kind = _variable_kind(name)
    reason = css_value_problem(kind, value)
    if reason is None:
        return None
    expected = {
        "background": 'a colour, e.g. "#232b3a" or "#232b3a 50%"',
        "color": 'a colour, e.g. "#232b3a", "#78a6dc 35%" or "auto 87%"',
        "text-style": 'a text style, e.g. "bold", "none" or "bold underline"',
    }[kind]
    return f'variable "{name}" = {value!r} is not {expected}{reason}'


def _unknown_key(key: str) -> str:
    if key in APP_VARIABLES or key in known_variables():
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
    candidates = sorted(known_variables())
    normalised = name.replace("_", "-").lower()
    if normalised in known_variables():
        return normalised
    close = difflib.get_close_matches(normalised, candidates, n=1, cutoff=0.75)
    return close[0] if close else None


def _suggest_name(file: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", file.stem).strip("-") or "my-theme"
    return stem if _NAME.match(stem) else f"theme-{stem}"


def _type_name(value: Any) -> str:
    names: dict[type, str] = {bool: "true/false", int: "a number", float: "a number"}
    names |= {str: "a string", list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)
