"""threadtui's own CSS variables, and their values for a theme that does not set them.

See the package docstring (``tui.app.themes``) for what each variable colours.
"""

from __future__ import annotations

import re

from textual.color import Color
from textual.css.styles import Styles
from textual.theme import BUILTIN_THEMES, Theme

from tui.app.themes.choice import FALLBACK_THEME

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
"""threadtui's own CSS variables and what they colour (see the package docstring)."""


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
        return value if css_value_problem("background", value) is None else fallback

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


def css_value_problem(prop: str, value: str) -> str | None:
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


def known_variables() -> frozenset[str]:
    """Every variable Textual generates (truecolour and ANSI themes) plus threadtui's own."""
    global _KNOWN_VARIABLES
    if _KNOWN_VARIABLES is None:
        names = set(APP_VARIABLES)
        for sample in ("textual-dark", "ansi-dark"):
            names.update(BUILTIN_THEMES[sample].to_color_system().generate())
        _KNOWN_VARIABLES = frozenset(names)
    return _KNOWN_VARIABLES


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


# Computed last: it needs the helpers above.
APP_VARIABLE_DEFAULTS: dict[str, str] = app_variable_defaults(BUILTIN_THEMES[FALLBACK_THEME])
"""threadtui's variables as derived for Textual's default theme (`textual-dark`).

Every name in `APP_VARIABLES`, each a concrete colour. Prefer
`app_variable_defaults(app.current_theme)` in the app, which fits whichever theme is active.
"""
