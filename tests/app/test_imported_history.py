"""Threads imported from a ChatGPT export live only in the record: they open from the list
with their main branch, under any profile, without asking a server or a key for anything."""

from __future__ import annotations

from pathlib import Path

from app_harness import AppEnv, idle, notification_text, open_first, wait_until

from tui.core.history_import import HistoryKind, read_history, record_history

EXPORT = Path(__file__).parents[1] / "core" / "fixtures" / "chatgpt_export_single"


async def test_an_imported_chatgpt_conversation_opens_without_a_key(
    make_env: object,
) -> None:
    env: AppEnv = make_env(default_profile="nokey")  # type: ignore[operator]
    batch = read_history(HistoryKind.CHATGPT, EXPORT)
    assert record_history(env.store, batch.items).added
    app = env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 6)
        await idle(pilot, app)
        shown = [view.turn.text for view in app.main.chat.messages]
        assert shown[0] == "What is 2+2?" and shown[-1] == "6"
        assert "Four." not in shown  # another branch: kept in the record, not in the line
        assert "local copy" not in notification_text(app)
