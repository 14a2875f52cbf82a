"""Themes: the shipped files, the user's folder, broken files, choosing and remembering.

The pure loaders are tested without an app (fast). The Pilot tests run ThreadApp itself
with its own stylesheet and a thread open, so a theme that would break the real screen
breaks here.
`SHIPPED_THEME_NAMES` is the list to parametrize per-theme snapshots of the real screen with.
"""

from __future__ import annotations

import json
import re
import stat
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from app_harness import AppEnv, config_text, idle, notifications, open_first, wait_until
from rich._palettes import EIGHT_BIT_PALETTE
from rich.color import Color as RichColor
from rich.color import ColorSystem as RichColorSystem
from textual.app import App
from textual.color import Color
from textual.command import CommandList, CommandPalette
from textual.theme import BUILTIN_THEMES

from tui.app.app import ThreadApp
from tui.app.themes import (
    APP_VARIABLE_DEFAULTS,
    APP_VARIABLES,
    DEFAULT_THEME,
    FALLBACK_THEME,
    ThemeMemory,
    ThemeOrigin,
    app_variable_defaults,
    choose_theme,
    load_theme_folder,
    load_themes,
    read_theme_file,
    remember_theme,
    remembered_theme,
    shipped_theme_names,
    shipped_themes_dir,
    user_themes_dir,
)
from tui.app.widgets.message import MessageView
from tui.core.config import load_config
from tui.core.store import Store
from tui.sandbox import Sandbox

SHIPPED_THEME_NAMES: list[str] = shipped_theme_names()

GOOD_USER_THEME = """\
name = "my-theme"
primary = "#3a7bd5"
background = "#101418"
foreground = "#e8e8e8"
dark = true
"""


def shipped_data(name: str) -> dict[str, Any]:
    path = shipped_themes_dir() / f"{name}.toml"
    with path.open("rb") as handle:
        return tomllib.load(handle)


def write_config(
    tmp_path: Path, theme: str | None = None, base_url: str = "http://127.0.0.1:9/v1"
) -> Path:
    """A config with other keys (profiles, a keymap) that remembering a theme must keep.

    Its profiles are the app harness's (keys from ``ENV``); pass the sandbox's ``base_url``
    when an app will run on it.
    """
    path = tmp_path / "config.toml"
    lines = ["key_command_timeout = 5"]
    if theme is not None:
        lines.append(f'theme = "{theme}"')
    text = config_text(base_url, keymap={"sidebar.delete": "delete"})
    path.write_text("\n".join(lines) + "\n" + text, encoding="utf-8")
    return path


def user_theme(config_file: Path, file_name: str, content: str | bytes) -> Path:
    folder = user_themes_dir(config_file)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the shipped themes


def test_the_shipped_folder_holds_our_four_themes() -> None:
    assert SHIPPED_THEME_NAMES == [
        "threadtui-dusk",
        "threadtui-midnight-256",
        "threadtui-paper",
        "threadtui-sand",
    ]
    assert DEFAULT_THEME in SHIPPED_THEME_NAMES
    dark = {name for name in SHIPPED_THEME_NAMES if shipped_data(name)["dark"]}
    assert len(dark) == 2 and len(SHIPPED_THEME_NAMES) - len(dark) == 2
    assert all(name not in BUILTIN_THEMES for name in SHIPPED_THEME_NAMES)


@pytest.mark.parametrize("name", SHIPPED_THEME_NAMES)
def test_shipped_theme_loads_validates_and_generates(name: str) -> None:
    result = read_theme_file(shipped_themes_dir() / f"{name}.toml")
    assert result.problem is None
    assert result.theme is not None and result.theme.name == name
    generated = result.theme.to_color_system().generate()
    assert generated["background"].lower() == shipped_data(name)["background"].lower()
    # Every app variable is chosen by hand in our own themes, not left to the defaults.
    assert set(APP_VARIABLES) <= set(result.theme.variables)


def _luminance(hex_color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    color = Color.parse(hex_color)
    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("name", SHIPPED_THEME_NAMES)
def test_shipped_theme_is_comfortable_to_read(name: str) -> None:
    """Body text ≥ 7:1 (WCAG AAA) wherever messages are read; quiet text and badges ≥ 4.5:1."""
    data = shipped_data(name)
    variables = data["variables"]
    reading = [
        data["background"],
        data["surface"],
        variables["user-message-background"],
        variables["assistant-message-background"],
        variables["sidebar-background"],
    ]
    for background in reading:
        assert contrast(data["foreground"], background) >= 7, background
    assert contrast(variables["switcher-foreground"], variables["switcher-background"]) >= 7
    quiet = ["message-meta-foreground", "badge-foreign", "badge-gone", "badge-interrupted"]
    for part in quiet:
        for background in (data["background"], variables["sidebar-background"],
                           variables["user-message-background"]):
            assert contrast(variables[part], background) >= 4.5, (part, background)
    # The three badges mean different things and must not look alike.
    assert len({variables[p].lower() for p in quiet[1:]}) == 3


def test_midnight_256_uses_only_the_xterm_palette_and_nothing_collapses() -> None:
    """What the comment in the file promises: exact palette entries, still distinct in 256."""
    data = shipped_data("threadtui-midnight-256")
    colors = {k: v for k, v in data.items() if isinstance(v, str) and v.startswith("#")}
    colors |= {
        f"variables.{k}": v.split()[0]
        for k, v in data["variables"].items()
        if v.startswith("#")
    }
    palette = {EIGHT_BIT_PALETTE[n].hex.lower() for n in range(16, 256)}
    for key, value in colors.items():
        assert value.lower() in palette, key
    reduced = {
        key: RichColor.parse(value).downgrade(RichColorSystem.EIGHT_BIT).number
        for key, value in colors.items()
    }
    by_value: dict[str, set[int | None]] = {}
    for key, value in colors.items():
        by_value.setdefault(value.lower(), set()).add(reduced[key])
    numbers = [next(iter(n)) for n in by_value.values()]
    assert len(numbers) == len(set(numbers)), "two different colours became one in 256 colours"
    areas = ["background", "surface", "panel", "variables.user-message-background"]
    assert len({reduced[a] for a in areas}) == 4


# ------------------------------------------------------------------ app variables


def test_app_variable_defaults_name_every_variable() -> None:
    assert set(APP_VARIABLE_DEFAULTS) == set(APP_VARIABLES)


@pytest.mark.parametrize("name", sorted(BUILTIN_THEMES))
def test_every_builtin_theme_gets_valid_app_variables(name: str) -> None:
    defaults = app_variable_defaults(BUILTIN_THEMES[name])
    assert set(defaults) == set(APP_VARIABLES)
    for variable, value in defaults.items():
        assert "$" not in value, variable  # variables cannot refer to variables
        Color.parse(value.split()[0])  # a concrete colour
    assert len({defaults[b] for b in ("badge-foreign", "badge-gone", "badge-interrupted")}) >= 2


# ------------------------------------------------------------------ user themes


def test_user_theme_is_picked_up_and_overrides_a_shipped_one(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    user_theme(config, "mine.toml", GOOD_USER_THEME)
    user_theme(
        config,
        "dusk-tweak.toml",
        'name = "threadtui-dusk"\nprimary = "#ff8800"\nbackground = "#000000"\n',
    )
    catalog = load_themes(config)
    assert catalog.problems == []
    assert "my-theme" in catalog.names and set(SHIPPED_THEME_NAMES) <= set(catalog.names)
    mine = catalog.themes["my-theme"]
    assert mine.origin is ThemeOrigin.USER and mine.overrides is None
    dusk = catalog.themes["threadtui-dusk"]
    assert dusk.origin is ThemeOrigin.USER
    assert dusk.theme.primary == "#ff8800"
    assert dusk.overrides == shipped_themes_dir() / "threadtui-dusk.toml"


def test_no_user_folder_and_no_config_are_normal(tmp_path: Path) -> None:
    assert load_themes(tmp_path / "nowhere" / "config.toml").problems == []
    assert load_themes().names == SHIPPED_THEME_NAMES  # shipped only, never the real home


BROKEN_FILES: list[tuple[str, str | bytes, str]] = [
    ("bad-key.toml", 'name = "x"\nprimary = "#112233"\nprimry = "#fff"\n',
     "unknown key \"primry\" (did you mean 'primary'?)"),
    ("bad-colour.toml", 'name = "x"\nprimary = "#112233"\nbackground = "blu"\n',
     "\"background\" is not a colour: 'blu' (did you mean 'blue'?)"),
    ("bad-toml.toml", 'name = "x\nprimary = "#112233"\n', "not valid TOML"),
    ("not-toml.toml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a text file"),
    ("prose.toml", "These are my favourite colours: blue and grey.\n", "not valid TOML"),
    ("types.toml", 'name = 7\nprimary = "#112233"\ndark = "yes"\n',
     '"name" must be a string, not a number'),
    ("no-name.toml", 'primary = "#112233"\n', 'missing "name" (add e.g. name = "no-name")'),
    ("no-primary.toml", 'name = "x"\n', 'missing "primary"'),
    ("variable-type.toml", 'name = "x"\nprimary = "#112233"\n[variables]\nbadge-gone = 3\n',
     'variable "badge-gone" must be a string'),
    ("variable-ref.toml",
     'name = "x"\nprimary = "#112233"\n[variables]\nbadge-gone = "$error"\n',
     "variables cannot refer to other variables"),
    ("variable-value.toml",
     'name = "x"\nprimary = "#112233"\n[variables]\nuser-message-background = "auto 50%"\n',
     'variable "user-message-background"'),
    ("style-value.toml",
     'name = "x"\nprimary = "#112233"\n[variables]\nblock-cursor-text-style = "red"\n',
     "is not a text style"),
    ("misplaced.toml", 'name = "x"\nprimary = "#112233"\nbadge-gone = "#ff0000"\n',
     '"badge-gone" is a variable: put it under [variables]'),
    ("unused-variable.toml",  # Textual tokenizes every variable, used or not
     'name = "x"\nprimary = "#112233"\n[variables]\nmy-own = "@@"\n',
     'variable "my-own" = \'@@\' is not a value Textual CSS can read'),
    ("bad-name.toml", 'name = "my theme"\nprimary = "#112233"\n', '"name" \'my theme\' must'),
    ("fraction.toml", 'name = "x"\nprimary = "#112233"\ntext_alpha = 5\n',
     '"text_alpha" must be between 0 and 1'),
]


@pytest.mark.parametrize(("file_name", "content", "reason"), BROKEN_FILES,
                         ids=[case[0] for case in BROKEN_FILES])
def test_a_broken_file_is_exactly_one_problem_naming_file_and_reason(
    tmp_path: Path, file_name: str, content: str | bytes, reason: str
) -> None:
    config = write_config(tmp_path)
    path = user_theme(config, file_name, content)
    user_theme(config, "mine.toml", GOOD_USER_THEME)
    catalog = load_themes(config)
    assert len(catalog.problems) == 1
    problem = catalog.problems[0]
    assert problem.file == path and problem.skipped
    assert reason in problem.reason
    assert file_name in problem.message and reason in problem.message
    assert "my-theme" in catalog.names  # the good files still load


def test_everything_wrong_in_one_file_is_in_its_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text('primry = "#fff"\ndark = 1\n[variables]\nbadge-gone = "nope"\n')
    problem = read_theme_file(path).problem
    assert problem is not None
    for part in ('"primry"', 'missing "name"', 'missing "primary"', '"dark"', '"badge-gone"'):
        assert part in problem.reason


def test_an_unknown_variable_is_reported_but_the_theme_still_loads(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    typo = '[variables]\nuser-mesage-background = "#000000"\n'
    user_theme(config, "typo.toml", GOOD_USER_THEME + typo)
    catalog = load_themes(config)
    assert "my-theme" in catalog.names
    [problem] = catalog.problems
    assert not problem.skipped
    assert "did you mean 'user-message-background'?" in problem.message


def test_two_files_with_one_name_the_first_wins_and_the_second_is_reported(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.toml").write_text(GOOD_USER_THEME)
    (tmp_path / "b.toml").write_text(GOOD_USER_THEME.replace("#3a7bd5", "#ff0000"))
    (tmp_path / ".hidden.toml").write_text("garbage =")
    catalog = load_theme_folder(tmp_path)
    assert catalog.themes["my-theme"].file.name == "a.toml"
    [problem] = catalog.problems
    assert problem.file.name == "b.toml" and "already defined by a.toml" in problem.reason


def test_a_themes_path_that_is_a_file_is_reported_not_fatal(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    user_themes_dir(config).write_text("oops")
    catalog = load_themes(config)
    assert len(catalog.problems) == 1 and "is not a folder" in catalog.problems[0].message
    assert catalog.names == SHIPPED_THEME_NAMES


# ------------------------------------------------------------------ choosing


AVAILABLE = [*SHIPPED_THEME_NAMES, *BUILTIN_THEMES]


def test_the_remembered_theme_wins_over_the_config_but_not_over_cli() -> None:
    names = ["threadtui-dusk", "threadtui-sand", "threadtui-paper"]
    picked = choose_theme(names, config="threadtui-dusk", remembered="threadtui-sand")
    assert (picked.name, picked.source) == ("threadtui-sand", "state")
    cli = choose_theme(names, cli="threadtui-paper", remembered="threadtui-sand")
    assert cli.source == "cli"
    stale = choose_theme(names, config="threadtui-dusk", remembered="my-deleted-theme")
    assert stale.name == "threadtui-dusk" and "last picked in the app" in (stale.message or "")


def test_choice_order_is_cli_then_config_then_default() -> None:
    assert choose_theme(AVAILABLE) == choose_theme(AVAILABLE, cli=None, config=None)
    assert choose_theme(AVAILABLE).name == DEFAULT_THEME
    assert choose_theme(AVAILABLE, config="nord").name == "nord"
    chosen = choose_theme(AVAILABLE, cli="threadtui-paper", config="nord")
    assert (chosen.name, chosen.source, chosen.message) == ("threadtui-paper", "cli", None)


def test_an_unknown_name_is_reported_with_the_available_names_and_falls_through() -> None:
    chosen = choose_theme(AVAILABLE, cli="threadtui-dsk", config="threadtui-sand")
    assert (chosen.name, chosen.source) == ("threadtui-sand", "config")
    assert chosen.message is not None
    assert "'threadtui-dsk' (--theme; did you mean 'threadtui-dusk'" in chosen.message
    assert "Using 'threadtui-sand'" in chosen.message
    assert all(name in chosen.message for name in AVAILABLE)
    unknown = choose_theme(AVAILABLE, config="no-such-theme")
    assert unknown.name == DEFAULT_THEME and unknown.source == "default"
    nothing = choose_theme([FALLBACK_THEME], config="x")
    assert nothing.name == FALLBACK_THEME and nothing.source == "fallback"


# ------------------------------------------------------------------ remembering


def test_remember_theme_writes_the_state_file_not_the_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, theme="threadtui-dusk")
    before = config.read_bytes()
    data = tmp_path / "data"
    assert remember_theme(data, "threadtui-sand") is None
    assert config.read_bytes() == before
    assert remembered_theme(data) == "threadtui-sand"
    state = data / "state.json"
    assert json.loads(state.read_text()) == {"theme": "threadtui-sand"}
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert remembered_theme(None) is None and remembered_theme(tmp_path / "none") is None


def test_a_damaged_state_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{half")
    assert remembered_theme(tmp_path) is None
    assert remember_theme(tmp_path, "threadtui-paper") is None
    assert remembered_theme(tmp_path) == "threadtui-paper"


def test_remember_theme_reports_instead_of_raising(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    message = remember_theme(blocked / "data", "threadtui-paper")
    assert message is not None and "was not remembered" in message and "state.json" in message


def test_theme_memory_saves_only_choices_made_in_the_app(tmp_path: Path) -> None:
    saved: list[str] = []

    def save(path: Path, name: str) -> str | None:
        saved.append(name)
        return None

    # Started with --theme paper, config says dusk.
    memory = ThemeMemory(tmp_path, startup_theme="threadtui-paper",
                         saved_theme="threadtui-dusk", save=save)
    assert memory.theme_changed("threadtui-paper") is None  # the start-up set: not a choice
    assert saved == []
    memory.theme_changed("threadtui-sand")  # picked in the palette
    memory.theme_changed("threadtui-sand")
    assert saved == ["threadtui-sand"]
    memory.theme_changed("threadtui-dusk")
    memory.theme_changed("threadtui-dusk")
    assert saved == ["threadtui-sand", "threadtui-dusk"]
    off = ThemeMemory(None, startup_theme="a", saved_theme=None, save=save)
    off.theme_changed("b")  # --demo: never writes
    assert saved == ["threadtui-sand", "threadtui-dusk"]


# ------------------------------------------------------------------ in a running app
#
# ThreadApp itself, with its own stylesheet (tui/app/app.tcss), so a theme that would break
# the real screen breaks here. One thread is opened so every themed part is on screen.

# Textual's SVG export draws a window around the screen, and Rich's export has a default text
# colour: these are the export's own colours, not the theme's.
EXPORT_COLOURS = {"#ff5f57", "#febc2e", "#28c840", "#292929", "#c5c8c6"}


def svg_colours(svg: str) -> set[str]:
    """Every colour the screenshot paints (backgrounds) or writes with (text)."""
    found = re.findall(r'fill(?:="|: )(#[0-9a-fA-F]{6})', svg)
    return {colour.lower() for colour in found} - EXPORT_COLOURS


def is_grey(colour: str) -> bool:
    parsed = Color.parse(colour)
    return parsed.r == parsed.g == parsed.b


@pytest.fixture
def start_app(sandbox: Sandbox, tmp_path: Path) -> Iterator[Callable[..., ThreadApp]]:
    """``start_app(config_path, cli_theme=…, remember=…)``: a ThreadApp on that config file
    (default: a fresh one), with a thread to open (see ``open_thread``) and its own record."""
    envs: list[AppEnv] = []

    def start(
        config_path: Path | None = None, *, cli_theme: str | None = None, remember: bool = True,
        data: str | None = None,
    ) -> ThreadApp:
        if config_path is None:
            config_path = write_config(tmp_path, base_url=sandbox.base_url)
        data_dir = tmp_path / (data or f"data-{len(envs)}")
        config = load_config(config_path, {})
        env = AppEnv(sandbox, tmp_path, config, Store.open(data_dir), data_dir)
        envs.append(env)
        env.seeded("Trip plan", [("user", "How long is the flight?"),
                                 ("assistant", "About **eleven hours** non-stop.")])
        return env.make_app(cli_theme=cli_theme, remember_theme=remember)

    yield start
    for env in envs:
        env.store.close()


async def open_thread(pilot: Any) -> None:
    """Open the thread from the sidebar: the user message and the reply are then on screen."""
    app = pilot.app
    await idle(pilot, app)
    await open_first(pilot, app)
    await wait_until(pilot, lambda: len(app.query(MessageView)) == 2)
    await pilot.pause()


def user_message(app: ThreadApp) -> MessageView:
    return app.query_one("MessageView.-user", MessageView)


def theme_messages(app: ThreadApp) -> list[str]:
    return [n.message for n in notifications(app) if n.title == "Theme"]


def variable_color(app: App[Any], name: str) -> Color:
    return Color.parse(app.theme_variables[name].split()[0])


@pytest.mark.parametrize("name", SHIPPED_THEME_NAMES)
async def test_each_shipped_theme_renders_the_app_parts(
    start_app, sandbox: Sandbox, tmp_path: Path, name: str
) -> None:
    variables = shipped_data(name)["variables"]
    app = start_app(write_config(tmp_path, theme=name, base_url=sandbox.base_url), remember=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_thread(pilot)
        assert app.theme == name and app.theme_start.messages == []
        assert user_message(app).styles.background == Color.parse(
            variables["user-message-background"]
        )
        assert app.query_one("#switcher").styles.background == variable_color(
            app, "switcher-background"
        )
        # The whole screen renders in this theme: its hand-picked colours are what is painted.
        painted = svg_colours(app.export_screenshot())
        for variable in ("user-message-background", "switcher-background", "sidebar-background"):
            assert variables[variable].lower() in painted, variable


@pytest.mark.parametrize("name", ["textual-dark", "textual-light", "nord", "ansi-dark"])
async def test_builtin_and_ansi_themes_work_with_the_app_css(start_app, name: str) -> None:
    app = start_app(cli_theme=name, remember=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_thread(pilot)
        assert app.theme == name
        assert app.theme_variables["badge-gone"] == app_variable_defaults(
            BUILTIN_THEMES[name]
        )["badge-gone"]
        app.theme = DEFAULT_THEME  # switching from it re-parses the CSS with our values
        await pilot.pause()
        assert app.theme_variables["badge-gone"] == shipped_data(DEFAULT_THEME)["variables"][
            "badge-gone"
        ]


async def test_a_user_theme_without_app_variables_gets_the_defaults(
    start_app, sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, theme="my-theme", base_url=sandbox.base_url)
    user_theme(config, "mine.toml", GOOD_USER_THEME)
    app = start_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_thread(pilot)
        assert app.theme == "my-theme" and app.theme_start.messages == []
        defaults = app_variable_defaults(app.current_theme)
        for variable in APP_VARIABLES:
            assert app.theme_variables[variable] == defaults[variable]
        assert user_message(app).styles.background == Color.parse(
            defaults["user-message-background"]
        )


async def test_every_value_the_validation_accepts_really_applies(
    start_app, sandbox: Sandbox, tmp_path: Path
) -> None:
    """The other side of validation: what passes must not break the stylesheet when applied."""
    config = write_config(tmp_path, theme="my-theme", base_url=sandbox.base_url)
    accepted = GOOD_USER_THEME + (
        "[variables]\n"
        'text = "auto 80%"\n'
        'button-focus-text-style = "b reverse"\n'
        'input-selection-background = "#3a7bd5 35%"\n'
        'badge-gone = "ansi_red"\n'
        'user-message-background = "rgb(20,30,40)"\n'
        'my-own-note = "1 2"\n'
    )
    user_theme(config, "mine.toml", accepted)
    app = start_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_thread(pilot)
        assert app.theme == "my-theme"
        [message] = app.theme_start.messages  # only the note about the unknown variable
        assert "my-own-note" in message and "has no effect" in message
        assert user_message(app).styles.background == Color(20, 30, 40)
        assert "#141e28" in svg_colours(app.export_screenshot())  # rgb(20,30,40), painted


async def test_broken_theme_files_are_notified_once_and_the_app_keeps_running(
    start_app, sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, theme="my-theme", base_url=sandbox.base_url)
    for file_name, content, _reason in BROKEN_FILES[:5]:
        user_theme(config, file_name, content)
    user_theme(config, "mine.toml", GOOD_USER_THEME)
    # Text that looks like Textual markup (here a bad colour, quoted) must not break a toast.
    user_theme(config, "markup.toml", 'name = "y"\nprimary = "[/i]"\n')
    app = start_app(config)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await idle(pilot, app)
        assert app.theme == "my-theme"
        shown = theme_messages(app)
        assert len(shown) == 6
        for file_name, _content, _reason in BROKEN_FILES[:5]:
            assert sum(file_name in message for message in shown) == 1
        assert any("markup.toml" in message and "[/i]" in message for message in shown)
        assert len(app.screen.query("Toast")) >= 6  # the toasts really drew
        app.theme = "threadtui-sand"  # a change of theme does not repeat them
        await open_thread(pilot)  # still alive and responding
        assert theme_messages(app) == shown
        assert app.is_running and app.return_code is None


async def test_an_unknown_theme_name_is_notified_and_the_default_is_used(
    start_app, sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, theme="no-such-theme", base_url=sandbox.base_url)
    app = start_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        assert app.theme == DEFAULT_THEME
        [message] = theme_messages(app)
        assert "no-such-theme" in message and "threadtui-paper" in message
    assert load_config(config).theme == "no-such-theme"  # falling back is not a choice


async def wait_for_hit(pilot: Any, text: str) -> None:
    """Wait until the palette's highlighted hit mentions ``text`` (searching is async)."""
    for _ in range(100):
        await pilot.pause(0.02)
        found = pilot.app.screen.query(CommandList)
        option = found.first().highlighted_option if found else None
        if option is not None and text.lower() in str(option.prompt).lower():
            return
    raise AssertionError(f"the command palette never offered {text!r}")


async def pick_theme_in_palette(pilot: Any, name: str, query: str) -> None:
    """What a user does: ctrl+p, "theme", enter, part of the theme's name, enter."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*"theme")
    await wait_for_hit(pilot, "theme")
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)  # now the theme picker
    await pilot.press(*query)  # each key runs a search: keep it short
    await wait_for_hit(pilot, name)
    await pilot.press("enter")
    await pilot.pause()


async def test_a_theme_picked_in_the_palette_is_remembered_for_the_next_start(
    start_app, sandbox: Sandbox, tmp_path: Path
) -> None:
    """The choice goes to state.json; a commented, symlinked config stays byte for byte."""
    real = write_config(tmp_path, theme="threadtui-dusk", base_url=sandbox.base_url)
    real.write_text("# my own notes, kept\n" + real.read_text())
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    config = dotfiles / "config.toml"
    config.symlink_to(real)
    before = real.read_bytes()
    app = start_app(config, data="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        assert app.theme == "threadtui-dusk"
        await pick_theme_in_palette(pilot, "threadtui-sand", query="sand")
        assert app.theme == "threadtui-sand"
        assert not isinstance(app.screen, CommandPalette)
    assert config.is_symlink() and real.read_bytes() == before
    assert json.loads((tmp_path / "data" / "state.json").read_text()) == {
        "theme": "threadtui-sand"
    }

    restarted = start_app(config, data="data")
    async with restarted.run_test(size=(80, 24)) as pilot:
        await idle(pilot, restarted)
        assert restarted.theme == "threadtui-sand"
        assert restarted.theme_start.choice.source == "state"
    assert real.read_bytes() == before


async def test_cli_theme_is_for_one_run_only(start_app, sandbox: Sandbox, tmp_path: Path) -> None:
    config = write_config(tmp_path, theme="threadtui-dusk", base_url=sandbox.base_url)
    before = config.read_text()
    app = start_app(config, cli_theme="threadtui-paper")
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        assert app.theme == "threadtui-paper"
    assert config.read_text() == before


async def test_a_theme_that_cannot_be_saved_is_used_and_the_user_is_told(
    start_app, tmp_path: Path
) -> None:
    app = start_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        (tmp_path / "data-0" / "state.json").mkdir()  # the file cannot be replaced now
        app.theme = "threadtui-paper"
        await pilot.pause()
        assert app.theme == "threadtui-paper" and app.is_running
        saving = [n.message for n in notifications(app) if n.title == "Theme not saved"]
        assert len(saving) == 1 and "was not remembered" in saving[0]


async def test_themes_work_under_no_color(start_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = start_app(cli_theme="threadtui-paper", remember=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_thread(pilot)
        assert app.no_color
        for name in SHIPPED_THEME_NAMES:
            app.theme = name
            await pilot.pause()
            painted = svg_colours(app.export_screenshot())
            # Textual's monochrome filter: the theme still applies (no crash, several shades),
            # but nothing on screen has a hue.
            hues = sorted(c for c in painted if not is_grey(c))
            assert len(painted) >= 3 and hues == [], name
            user_background = shipped_data(name)["variables"]["user-message-background"]
            assert is_grey(user_background) or user_background.lower() not in painted
