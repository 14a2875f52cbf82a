"""A record opened lazily (as `threadtui` opens it): the first page from the index's head,
then every row, the highlight kept on its thread across the change."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from app_harness import NOW, make_app_env, notification_text, to_list, wait_until

from tui.app import work
from tui.core.locks import InterProcessLock
from tui.core.records import ThreadRecord
from tui.core.store import Store, ThreadImport
from tui.sandbox import Sandbox

THREADS = work.FIRST_PAGE + 60


async def test_the_first_page_then_every_row_with_the_highlight_kept(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    env = make_app_env(tmp_path, sandbox.base_url, sandbox)
    env.store.import_threads(
        ThreadImport(ThreadRecord(id=f"conv_{n:04d}", title=f"thread {n}", profile="work",
                                  last_active=NOW - n * 60))
        for n in range(THREADS)
    )
    env.store.close()  # writes the head
    env.store = Store.open(env.data_dir, lazy=True)
    assert not env.store.fully_open
    # Another process holds the record: the whole index cannot be read until it lets go,
    # which leaves the app on its first page long enough to move about in it.
    holder = InterProcessLock(env.data_dir / "index.lock")
    held = contextlib.ExitStack()
    held.enter_context(holder.hold())
    app = env.make_app()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            sidebar = app.main.sidebar
            listing = sidebar.thread_list
            await wait_until(pilot, lambda: sidebar.count == work.FIRST_PAGE)
            await to_list(pilot, app)
            await pilot.press("j", "j", "j")
            assert listing.highlighted_id == "conv_0003"
            assert not env.store.fully_open
            held.close()  # the other process lets go: the rest arrives
            await wait_until(pilot, lambda: sidebar.count == THREADS, timeout=10)
            await pilot.pause()
            assert env.store.fully_open
            assert [r.id for r in listing.shown_records] == [
                f"conv_{n:04d}" for n in range(THREADS)
            ]
            assert listing.highlighted_id == "conv_0003"
            assert f"{THREADS} threads" in str(app.query_one("#sidebar-status").render())
    finally:
        held.close()
        env.store.close()
        holder.close()


async def test_a_record_held_elsewhere_keeps_the_first_page_and_says_so(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the record whole is refused (another process holds it past the bound): the
    first page stays, the user is told once, and the rest arrives once it can be read."""
    monkeypatch.setattr(work, "ROWS_RETRY_SECONDS", 0.1)
    env = make_app_env(tmp_path, sandbox.base_url, sandbox)
    env.store.import_threads(
        ThreadImport(ThreadRecord(id=f"conv_{n:04d}", profile="work", last_active=NOW - n))
        for n in range(THREADS)
    )
    env.store.close()
    env.store = Store.open(env.data_dir, lazy=True, lock_timeout=0.2)
    holder = InterProcessLock(env.data_dir / "index.lock")
    held = contextlib.ExitStack()
    held.enter_context(holder.hold())
    app = env.make_app()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            sidebar = app.main.sidebar
            await wait_until(
                pilot, lambda: "Only the newest 200 threads" in notification_text(app)
            )
            assert sidebar.count == work.FIRST_PAGE
            held.close()
            await wait_until(pilot, lambda: sidebar.count == THREADS, timeout=10)
            assert notification_text(app).count("Only the newest") == 1
            assert "Internal error" not in notification_text(app)
    finally:
        held.close()
        env.store.close()
        holder.close()


async def test_every_row_is_read_before_the_months_sums(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bar's sums read every transcript of the month; counted first, they kept the list
    waiting for the record's thread (0.9 s at 100,000 threads). The rows come first, then
    the sums, which still appear."""
    env = make_app_env(tmp_path, sandbox.base_url, sandbox)
    env.store.import_threads(
        ThreadImport(ThreadRecord(id=f"conv_{n:04d}", profile="work", last_active=NOW - n))
        for n in range(THREADS)
    )
    env.store.close()
    env.store = Store.open(env.data_dir, lazy=True)
    order: list[str] = []
    for name in ("list_threads", "active_since"):
        real = getattr(Store, name)

        def spy(store: Store, *args: object, _name: str = name, _real=real, **kwargs: object):
            if _name == "active_since" or not kwargs.get("limit"):
                order.append(_name)
            return _real(store, *args, **kwargs)

        monkeypatch.setattr(Store, name, spy)
    app = env.make_app()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.main.sidebar.count == THREADS, timeout=10)
            await wait_until(pilot, lambda: "active_since" in order, timeout=10)
            assert order[0] == "list_threads", order
    finally:
        env.store.close()
