"""A record the disk will not let us write (a read-only mount, a snapshot, another user's
directory) is opened read-only: its threads are listed, opened, filtered; the bar says so for
the whole session, and every change says it is disabled instead of failing. A message typed
is kept in the composer, never sent (its reply could not be kept).

The Pilot tests hand the app ``Store.open_read_only`` as ``threadtui`` does when
``Store.open`` is refused (``tui.commands.launch.open_record``); the refusal itself, from a
real read-only directory, is in ``tests/reliability/test_rel_read_only_app.py``.
"""

from __future__ import annotations

from app_harness import AppEnv, idle, notification_text, to_list, wait_until

from tui.app.screens.confirm import ConfirmScreen
from tui.core.store import Store

REASON = "the record is on a read-only file system"


def bar_text(app) -> str:
    return app.main.bar.render().plain


async def test_a_read_only_record_is_read_and_every_change_is_disabled(app_env: AppEnv) -> None:
    record = app_env.seeded("From the snapshot", [("user", "q"), ("assistant", "a")])
    store = Store.open_read_only(app_env.data_dir)
    app = app_env.make_app(store=store, read_only=REASON)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await idle(pilot, app)
            main = app.main
            assert f"read-only record: {REASON}" in bar_text(app)
            assert "open read-only" in notification_text(app)
            assert main.sidebar.count == 1

            # A message: not sent, kept, said.
            await pilot.press(*"keep this text", "enter")
            await idle(pilot, app)
            assert main.composer.text == "keep this text"
            assert "Sending (your text is kept in the composer) is disabled" in \
                notification_text(app)
            assert main.chat.record is None and main.sidebar.count == 1

            # Opening and reading work (the server's copy is merged on screen only).
            main.open_thread(record.id)
            await idle(pilot, app)
            await wait_until(pilot, lambda: len(main.chat.messages) == 2)
            await to_list(pilot, app)
            for key, what in (("p", "Pinning"), ("r", "Renaming"), ("d", "Deleting")):
                await pilot.press(key)
                await idle(pilot, app)
                assert not isinstance(app.screen, ConfirmScreen)
                assert app.screen is main  # no rename or delete dialog
                assert f"{what} is disabled" in notification_text(app)
            assert "could not" not in notification_text(app)  # nothing was tried and failed
            assert "Internal error" not in notification_text(app)
    finally:
        store.close()
    assert app_env.store.get(record.id) == record
