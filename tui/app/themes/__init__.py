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

Choosing and remembering: the starting theme is `--theme`, else the theme last picked in the
app (``state.json`` in the data directory), else `theme` in the config, else `threadtui-dusk`
(an unknown name is reported, with the close matches and the list of names, and the next
source is used). A theme picked *in the app* (ctrl+p → "Theme", which sets `app.theme`) is
written to the state file (``tui.core.app_state``), never to the user's config, whose
comments and symlink must survive. `--theme` is for one run and is never written; neither is
the theme the app started with.

NO_COLOR: Textual applies a monochrome filter after the theme; nothing here depends on it.

Modules (one job each; this package re-exports what the app and the tests use):

``validation``  one theme file → a ``Theme`` or one ``ThemeProblem`` (TOML, keys, colours, CSS)
``catalog``     where themes come from (shipped, the user's folder) and which wins a name
``variables``   threadtui's CSS variables and their defaults for any theme
``choice``      the starting theme: ``--theme``, remembered, config, default; unknowns reported
``memory``      writing a theme picked in the app to the state file, only when it is a choice
``start``       wiring it into a running app: register, choose, notify, feed theme changes
``problems``    ``ThemeProblem``, the message shown for a bad file
"""

from tui.app.themes.catalog import (
    THEMES_FOLDER,
    LoadedTheme,
    ThemeCatalog,
    ThemeOrigin,
    load_theme_folder,
    load_themes,
    shipped_theme_names,
    shipped_themes_dir,
    user_themes_dir,
)
from tui.app.themes.choice import (
    DEFAULT_THEME,
    FALLBACK_THEME,
    ThemeChoice,
    ThemeSource,
    choose_theme,
)
from tui.app.themes.memory import ThemeMemory, remember_theme, remembered_theme
from tui.app.themes.problems import ThemeProblem
from tui.app.themes.start import ThemeStart, prepare_themes, register_themes
from tui.app.themes.validation import (
    MAX_THEME_FILE_BYTES,
    THEME_KEYS,
    ThemeFileResult,
    read_theme_file,
    theme_from_data,
)
from tui.app.themes.variables import APP_VARIABLE_DEFAULTS, APP_VARIABLES, app_variable_defaults

__all__ = [
    "APP_VARIABLES",
    "APP_VARIABLE_DEFAULTS",
    "DEFAULT_THEME",
    "FALLBACK_THEME",
    "MAX_THEME_FILE_BYTES",
    "THEMES_FOLDER",
    "THEME_KEYS",
    "LoadedTheme",
    "ThemeCatalog",
    "ThemeChoice",
    "ThemeFileResult",
    "ThemeMemory",
    "ThemeOrigin",
    "ThemeProblem",
    "ThemeSource",
    "ThemeStart",
    "app_variable_defaults",
    "choose_theme",
    "load_theme_folder",
    "load_themes",
    "prepare_themes",
    "read_theme_file",
    "register_themes",
    "remember_theme",
    "remembered_theme",
    "shipped_theme_names",
    "shipped_themes_dir",
    "theme_from_data",
    "user_themes_dir",
]
