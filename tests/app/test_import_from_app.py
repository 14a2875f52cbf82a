"""Import history from the app: the palette's "Import history…", from the keyboard.

Real parts: the hand-written fixtures of ``tests/core/fixtures`` (a ChatGPT export split over
two files, llm's logs database built from its SQL), a real record in a temp directory, Pilot.
Keys typed ahead (one SSH packet) never start an import: the path dialog and the question
that follows both take nothing before they have settled, and only ``y`` imports.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from app_harness import AppEnv, burst, idle, notification_text, wait_until
from textual.widgets import Input

from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.import_history import ImportPathScreen
from tui.core import history_import
from tui.core.store import Store

FIXTURES = Path(__file__).parents[1] / "core" / "fixtures"
SPLIT = FIXTURES / "chatgpt_export_split"


def llm_database(tmp_path: Path) -> Path:
    path = tmp_path / "logs.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((FIXTURES / "llm_logs.sql").read_text())
    connection.close()
    return path


async def open_dialog(pilot, app) -> ImportPathScreen:  # type: ignore[no-untyped-def]
    app.main.action_import_history()
    await wait_until(pilot, lambda: isinstance(app.screen, ImportPathScreen))
    return app.screen


async def give_path(pilot, app, path: str) -> None:  # type: ignore[no-untyped-def]
    dialog = await open_dialog(pilot, app)
    await pilot.pause(0.5)  # settled
    dialog.query_one(Input).value = path
    await pilot.press("enter")


async def confirm(pilot, app) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.pause(0.5)  # the question takes an answer once it has settled
    await pilot.press("y")


def imported_ids(store: Store, prefix: str) -> list[str]:
    store.reload()
    return sorted(r.id for r in store.list_threads() if r.id.startswith(prefix))


async def test_import_a_chatgpt_export_from_the_palette_then_again_without_copies(
    app_env: AppEnv, shown: list,
) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Import history…" in titles
        await give_path(pilot, app, str(SPLIT))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        body = app.screen.query_one(".dialog-body").render()
        assert "is a ChatGPT export" in str(body) and "updated, never copied" in str(body)
        assert app.main.sidebar.count == 0  # asked first: nothing imported yet
        await confirm(pilot, app)
        await wait_until(pilot, lambda: ": added " in notification_text(app), timeout=10)
        await idle(pilot, app)
        ids = imported_ids(app_env.store, "chatgpt_")
        assert ids and app.main.sidebar.count == len(ids)  # the new threads are listed
        assert f"added {len(ids)}, updated 0, unchanged 0, problems 0" in \
            notification_text(app)
        # The strip showed the work, with a known total while recording, then went away.
        assert ("import", "recording", len(ids), len(ids)) in shown
        assert shown[-1] == ("import", "end", 0, None)
        assert not app.main.progress_strip.has_class("-shown")

        app.clear_notifications()
        await give_path(pilot, app, str(SPLIT))
        await confirm(pilot, app)
        await wait_until(pilot, lambda: ": added " in notification_text(app), timeout=10)
        assert f"added 0, updated 0, unchanged {len(ids)}" in notification_text(app)
        assert imported_ids(app_env.store, "chatgpt_") == ids
        assert app.main.sidebar.count == len(ids)


async def test_import_an_llm_logs_database(app_env: AppEnv, tmp_path: Path) -> None:
    database = llm_database(tmp_path)
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        await give_path(pilot, app, str(database))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "llm logs database" in str(app.screen.query_one(".dialog-body").render())
        await confirm(pilot, app)
        await wait_until(pilot, lambda: ": added " in notification_text(app), timeout=10)
        ids = imported_ids(app_env.store, "llm_")
        assert ids and app.main.sidebar.count == len(ids)


async def test_keys_typed_ahead_never_start_an_import(app_env: AppEnv) -> None:
    """A path and enter and y in one packet: the dialog takes no enter before it has
    settled, and the question after it no y; each import needs its own deliberate keys."""
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        dialog = await open_dialog(pilot, app)
        burst(app, f"{SPLIT}\ny\n")
        await idle(pilot, app)
        # Text, not commands: the enter before the dialog settled submitted nothing.
        assert app.screen is dialog and dialog.query_one(Input).value.endswith(
            "chatgpt_export_splity") and dialog.query_one(Input).value == f"{SPLIT}y"
        assert app.main.sidebar.count == 0
        # Settled: what follows the enter in the same packet reaches the path before the
        # dialog reads it, so a path with text after it is looked at, not imported blindly.
        await pilot.pause(0.5)
        dialog.query_one(Input).value = str(SPLIT)
        burst(app, "\nyy\n")
        await wait_until(pilot, lambda: "Nothing was imported" in notification_text(app))
        assert "No such file or folder" in notification_text(app)
        assert app.screen is app.main and not imported_ids(app_env.store, "chatgpt_")
        # The question takes no y that reaches it before it has settled, and says so.
        dialog = await open_dialog(pilot, app)
        await pilot.pause(0.5)
        dialog.query_one(Input).value = str(SPLIT)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        burst(app, "yy")
        await idle(pilot, app)
        question = app.screen
        assert isinstance(question, ConfirmScreen) and question.ignored >= 2
        assert app.main.sidebar.count == 0 and not imported_ids(app_env.store, "chatgpt_")


async def test_a_sentence_typed_as_a_path_is_said_not_imported(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        await give_path(pilot, app, "did you see the report")
        await wait_until(pilot, lambda: "Nothing was imported" in notification_text(app))
        assert "No such file or folder" in notification_text(app)
        assert app.screen is app.main and app.main.sidebar.count == 0
        notes = app_env.tmp / "notes.txt"
        notes.write_text("not an export\n")
        await give_path(pilot, app, str(notes))
        await wait_until(pilot, lambda: "Not a ChatGPT export" in notification_text(app))


async def test_an_export_that_cannot_be_read_ends_the_bar_with_the_reason(
    app_env: AppEnv, shown: list, tmp_path: Path,
) -> None:
    empty = tmp_path / "empty-export"
    empty.mkdir()
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        await give_path(pilot, app, str(empty))
        await confirm(pilot, app)
        await wait_until(pilot, lambda: app.main.progress_strip.error is not None)
        strip = app.main.progress_strip
        assert strip.shown_text.startswith("Not imported:")
        assert strip.has_class("-shown") and strip.has_class("-error")


async def test_an_unforeseen_failure_ends_the_bar_with_the_incident(
    app_env: AppEnv, shown: list, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug while recording")

    monkeypatch.setattr(history_import, "record_history", broken)
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        await give_path(pilot, app, str(SPLIT))
        await confirm(pilot, app)
        await wait_until(pilot, lambda: app.main.progress_strip.error is not None)
        assert app.main.progress_strip.shown_text.startswith("Import failed: internal error")
        assert "Internal error" in notification_text(app)  # the boundary logged it


async def test_a_read_only_record_refuses_import(app_env: AppEnv) -> None:
    store = Store.open_read_only(app_env.data_dir)
    app = app_env.make_app(store=store, read_only="the record is on a read-only file system")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await idle(pilot, app)
            app.main.action_import_history()
            await idle(pilot, app)
            assert app.screen is app.main  # no dialog: nothing that would only fail
            assert "Importing history is disabled: the record is open read-only" in \
                notification_text(app)
    finally:
        store.close()
