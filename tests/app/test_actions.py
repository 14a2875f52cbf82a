"""Rename, pin, new chat, the palette's commands, the help screen and [keymap] remaps."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app_harness import (
    AppEnv,
    answer_question,
    idle,
    notification_text,
    screen_lines,
    to_list,
    wait_until,
)
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from tui.app.screens.help import HelpScreen, HelpTable
from tui.app.screens.rename import RenameScreen
from tui.core.records import ThreadStatus


def help_text(app) -> str:
    """What the help screen lists, read from the widget that shows it."""
    return app.screen.query_one(HelpTable).render().plain


def palette(app, name: str):
    """The palette's entry ``name`` (Textual's own and ours come from get_system_commands)."""
    return next(c for c in app.get_system_commands(app.main) if c.title == name)


async def test_r_renames_locally_and_on_the_server(app_env: AppEnv, openai_client) -> None:
    record = app_env.seeded("Old title", [("user", "hi")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("r")
        assert isinstance(app.screen, RenameScreen)
        field = app.screen.query_one(Input)
        assert field.value == "Old title"
        field.value = ""
        await pilot.press(*"New [b]title[/b]", "enter")
        await idle(pilot, app)
        assert app_env.store.get(record.id).title == "New [b]title[/b]"
        row = app.main.sidebar.thread_list.options[0].prompt.visualize().plain
        assert row[1:].startswith("New [b]title[/b]")  # after the open-thread marker column
        server = openai_client("acme").conversations.retrieve(record.id)
        assert "New [b]title[/b]" in (server.metadata or {}).values()


async def test_escape_in_rename_changes_nothing(app_env: AppEnv) -> None:
    record = app_env.record("conv_x", "Same", status=ThreadStatus.GONE)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("r", "x", "escape")
        assert app_env.store.get(record.id).title == "Same"


async def test_p_pins_to_the_top_and_n_starts_a_new_chat(app_env: AppEnv) -> None:
    app_env.record("conv_new", "Newer", age_days=1, status=ThreadStatus.GONE)
    app_env.record("conv_old", "Older", age_days=5, status=ThreadStatus.GONE)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("j", "p")
        assert [o.id for o in app.main.sidebar.thread_list.options] == ["conv_old", "conv_new"]
        assert app_env.store.get("conv_old").pinned
        await pilot.press("enter")
        await idle(pilot, app)
        assert app.main.chat.record.id == "conv_old"
        app.main.sidebar.thread_list.focus()
        await pilot.press("n")
        await idle(pilot, app)
        assert app.main.chat.record is None and app.main.composer.has_focus


async def test_palette_lists_the_commands_and_runs_them(app_env: AppEnv) -> None:
    record = app_env.seeded("Export me", [("user", "hello"), ("assistant", "**hi**")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"export")
        listing = app.screen.query_one(CommandList)

        def offered() -> str:
            return " ".join(str(getattr(o.prompt, "plain", o.prompt)) for o in listing.options)

        await wait_until(pilot, lambda: "Export thread to Markdown" in offered())
        await pilot.press("escape")
        names = {c.title for c in app.get_system_commands(app.main)}
        assert {
            "New chat", "Switch profile…", "Rename thread", "Delete thread",
            "Export thread to Markdown", "Copy thread id", "Who am I", "Theme", "Quit", "Keys",
            "Switch to profile home",
        } <= names
        palette(app, "Export thread to Markdown").callback()
        await pilot.pause()
        field = app.screen.query_one(Input)  # asks where, offering the configured folder
        assert field.value == str(app_env.tmp)
        await pilot.press("enter")
        await idle(pilot, app)
        exported = list(Path(app_env.tmp).glob("Export-me-*.md"))
        assert len(exported) == 1
        assert oct(exported[0].stat().st_mode & 0o777) == "0o600"
        text = exported[0].read_text()
        assert "# Export me" in text and "**hi**" in text and record.id in text
        assert str(exported[0]) in notification_text(app)
        palette(app, "Copy thread id").callback()
        assert app.clipboard == record.id
        palette(app, "Who am I").callback()
        await idle(pilot, app)
        assert "organization: acme-corp" in notification_text(app)
        assert "project: proj_sandboxacmedefault" in notification_text(app)
        palette(app, "Switch to profile home").callback()
        await idle(pilot, app)
        assert app.main.profile_name == "home"


async def test_palette_theme_opens_the_theme_list(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        palette(app, "Theme").callback()
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_help_lists_bindings_with_ids(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("question_mark")  # in the composer: a question mark, typed
        assert not isinstance(app.screen, HelpScreen) and app.main.composer.text == "?"
        await to_list(pilot, app)
        await pilot.press("question_mark")  # anywhere else: help
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app)
        for expected in ("sidebar.delete", "app.switch_profile", "chat.copy", "chat.cancel",
                         "composer.newline", "foreign.switch", "?words"):
            assert expected in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_help_columns_never_touch_at_80x24(app_env: AppEnv) -> None:
    """Key, description and id are apart by two spaces at least on every row a person sees
    (issue 12: "Stop the reply, keep the partial textchat.cancel"); long ones are cut with …."""
    from tui.app.app import ThreadApp
    from tui.app.help_keys import help_groups
    from tui.app.main_screen import MainScreen

    ids = {
        entry.id
        for _title, entries in help_groups([*ThreadApp.BINDINGS, *MainScreen.BINDINGS])
        for entry in entries
        if not isinstance(entry, tuple) and entry.id
    }
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("f1")
        scroll = app.screen.query_one("#help-scroll")
        seen: list[str] = []
        while True:
            await pilot.pause()
            seen += [line.strip("│ ▁▂▃▄▅▆▇█▀▐▌") for line in screen_lines(app)]  # frame, scrollbar
            if scroll.scroll_y >= scroll.max_scroll_y:
                break
            await pilot.press("pagedown")
        for binding_id in sorted(ids):
            rows = [line for line in seen if re.search(rf"(^|\s){re.escape(binding_id)}$", line)]
            assert rows, f"{binding_id} not shown whole on any row"
            for row in rows:
                columns = [c for c in re.split(r"\s{2,}", row) if c]
                assert len(columns) == 3 and columns[2] == binding_id, row
        assert any("…" in line for line in seen)  # the long description is cut, not run on
        assert all("textchat" not in line for line in seen)


async def test_keymap_remaps_bindings_and_help_shows_the_new_keys(make_env) -> None:
    env = make_env(keymap={"sidebar.delete": "x", "app.switch_profile": "ctrl+t",
                           "app.help": "f2"})
    env.record("conv_a", "A", status=ThreadStatus.GONE)
    app = env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("d")  # no longer a list key: it is text, and goes to the composer
        assert app.screen.__class__.__name__ != "ConfirmScreen"
        assert app.main.composer.text == "d" and app.main.composer.has_focus
        await to_list(pilot, app)
        await pilot.press("x")
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await answer_question(pilot, app, "n")
        await pilot.press("ctrl+t")
        assert app.screen.__class__.__name__ == "ProfilePicker"
        await pilot.press("escape", "f2")
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app)
        assert "x " in text.split("Delete on the server")[0].splitlines()[-1]
        assert "^t" in text


def app_bindings() -> list[Any]:
    """Every binding the app's own classes declare, found by importing every module of
    ``tui.app`` (a hand-kept list of owners missed the dialogs added after it)."""
    import importlib
    import inspect
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import tui.app

    owners: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(tui.app.__path__, "tui.app."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, DOMNode) and cls.__module__.startswith("tui.app."):
                owners[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [b for cls in owners.values() for b in cls.__dict__.get("BINDINGS", [])
            if isinstance(b, Binding)]


def test_every_binding_has_a_unique_id_and_a_row_in_the_readme() -> None:
    """Ids are what ``[keymap]`` remaps, so each is unique and the README's key table names
    it (the table is the user's reference for remapping)."""
    bindings = app_bindings()
    assert len(bindings) > 60 and all(b.id for b in bindings)
    ids = [b.id for b in bindings]
    assert len(ids) == len(set(ids))
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert [i for i in ids if f"`{i}`" not in readme] == []
