"""One error boundary: no exception from a worker or a handler ends the session, none shows
a local variable or a key, and what the user typed is kept.

Each worker is crashed on purpose by a backend whose method raises an arbitrary exception
while a local variable holds the key (Textual's own crash screen would print it).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_harness import (
    ENV,
    AppEnv,
    answer_question,
    idle,
    notification_text,
    open_first,
    to_list,
    wait_until,
)
from disk_fault import DiskFault, disk_fixture  # noqa: F401  (the `disk` fixture)
from textual.dom import DOMNode

import tui.app
from tui.app import work
from tui.app.connections import default_factory
from tui.app.errors import is_guarded
from tui.core.api.base import Backend
from tui.core.incidents import LOG_NAME
from tui.core.records import Dialect, Profile, Role

KEY = ENV["TT_WORK_KEY"]


class Exploding(Exception):
    """Nothing in threadtui knows this one: it stands for any bug."""


class FaultyBackend:
    """A real backend whose method ``broken`` raises with the key in a local variable."""

    def __init__(self, real: Backend, broken: str, key: str) -> None:
        self._real = real
        self._broken = broken
        self._key = key

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name != self._broken:
            return attribute
        key = self._key

        if name == "stream_reply":

            async def explode_stream(*args: Any, **kwargs: Any) -> Any:
                secret_header = f"Bearer {key}"  # a local holding the key, as in a crash
                raise Exploding(f"boom in {name}")
                yield secret_header  # pragma: no cover (makes this an async generator)

            return explode_stream

        async def explode(*args: Any, **kwargs: Any) -> Any:
            secret_header = f"Bearer {key}"  # a local holding the key, as in a crash
            raise Exploding(f"boom in {name} ({len(secret_header)})")

        return explode


def faulty_factory(broken: str) -> Callable[[], Any]:
    def loader() -> Any:
        real_factory = default_factory()

        def make(
            profile: Profile, keyring: Any, store: Any, *, dialect: Dialect | None = None
        ) -> Any:
            real = real_factory(profile, keyring, store, dialect=dialect)
            return FaultyBackend(real, broken, keyring.key_for(profile))

        return make

    return loader


def files_holding(directory: Path, secret: str) -> list[Path]:
    return [
        path
        for path in directory.rglob("*")
        if path.is_file() and secret.encode() in path.read_bytes()
    ]


def assert_reported_without_key(app: Any, env: AppEnv) -> None:
    assert app.is_running
    assert "Internal error" in notification_text(app)
    log = env.data_dir / LOG_NAME
    assert log.exists() and "Exploding" in log.read_text()
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert files_holding(env.tmp, KEY) == []
    assert KEY not in notification_text(app)
    notices = [str(n.render()) for n in app.main.chat.query(".notice")]
    assert any("Internal error" in text for text in notices), notices


async def test_a_crash_in_the_send_worker_keeps_the_question_and_the_session(
    app_env: AppEnv,
) -> None:
    record = app_env.seeded("Thread", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app(backend_factory=faulty_factory("stream_reply"))
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        app.main.composer.focus()
        await pilot.press(*"what about tomorrow", "enter")
        await wait_until(pilot, lambda: "Internal error" in notification_text(app), timeout=10)
        await idle(pilot, app)
        assert_reported_without_key(app, app_env)
        turns = app_env.store.transcript(record.id)
        assert turns[-2].role is Role.USER and turns[-2].text == "what about tomorrow"
        assert turns[-1].interrupted
        assert app.main.retry_text() == "what about tomorrow"  # ctrl+r asks again
        assert not app.main.replying


async def test_a_crash_before_anything_was_sent_puts_the_question_back(
    app_env: AppEnv,
) -> None:
    app = app_env.make_app(backend_factory=faulty_factory("create_thread"))
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("ctrl+n", *"a brand new question", "enter")
        await wait_until(pilot, lambda: "Internal error" in notification_text(app), timeout=10)
        await idle(pilot, app)
        assert_reported_without_key(app, app_env)
        assert app.main.composer.text == "a brand new question"
        assert len(app_env.store) == 0


@pytest.mark.parametrize(
    ("broken", "drive"),
    [
        ("whoami", "start"),
        ("fetch_transcript", "open"),
        ("delete", "delete"),
        ("rename", "rename"),
        ("whoami", "palette whoami"),
    ],
)
async def test_a_crash_in_any_worker_is_reported_and_the_session_goes_on(
    app_env: AppEnv, broken: str, drive: str
) -> None:
    app_env.seeded("Thread", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app(backend_factory=faulty_factory(broken))
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        if drive == "open":
            await open_first(pilot, app)
        elif drive == "delete":
            await to_list(pilot, app)
            await pilot.press("d")
            await answer_question(pilot, app, "y")
        elif drive == "rename":
            await to_list(pilot, app)
            await pilot.press("r", "ctrl+a", *"New name", "enter")
        elif drive == "palette whoami":
            await idle(pilot, app)
            app.clear_notifications()
            app.main.whoami()
        await wait_until(pilot, lambda: "Internal error" in notification_text(app), timeout=10)
        await idle(pilot, app)
        assert_reported_without_key(app, app_env)
        await pilot.press("ctrl+n", *"still here", "enter")  # the session goes on
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2, timeout=10)


async def test_a_crash_in_the_ownership_probe_is_reported(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 404 probe builds its own backends (tui.core.ownership): crash those."""
    import tui.core.ownership as ownership

    real_make = ownership.make_backend

    def make(profile: Profile, keyring: Any, *args: Any, **kwargs: Any) -> Any:
        return FaultyBackend(
            real_make(profile, keyring, *args, **kwargs), "check", keyring.key_for(profile)
        )

    monkeypatch.setattr(ownership, "make_backend", make)
    app_env.record("conv_nobody", "Imported", profile="", turns=[("user", "hi")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await wait_until(pilot, lambda: "Internal error" in notification_text(app), timeout=15)
        await idle(pilot, app)
        assert_reported_without_key(app, app_env)


async def test_a_crash_in_the_export_worker_is_reported(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_env.seeded("Thread", [("user", "hi"), ("assistant", "hello")])

    def explode(*args: Any, **kwargs: Any) -> Path:
        secret_header = f"Bearer {KEY}"
        raise Exploding(f"boom in export ({len(secret_header)})")

    monkeypatch.setattr(work, "export_thread", explode)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.main.action_export_thread()
        await pilot.pause()
        await pilot.press("enter")  # the offered folder
        await wait_until(pilot, lambda: "Internal error" in notification_text(app), timeout=10)
        assert_reported_without_key(app, app_env)


async def test_a_crash_in_a_message_handler_is_caught_at_the_handler(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that raised used to end the screen's message loop (and the session)."""
    from tui.app.widgets.sidebar import Sidebar

    def explode(self: Sidebar, record: Any) -> None:
        secret_header = f"Bearer {KEY}"
        raise Exploding(f"boom in upsert ({len(secret_header)})")

    app_env.seeded("Thread", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        monkeypatch.setattr(Sidebar, "upsert", explode)
        await to_list(pilot, app)
        await pilot.press("p")  # pin: the RecordChanged handler calls sidebar.upsert
        await wait_until(pilot, lambda: "Internal error" in notification_text(app), timeout=10)
        assert_reported_without_key(app, app_env)
        monkeypatch.undo()
        await pilot.press("ctrl+n", *"still answering", "enter")
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2, timeout=10)


def _handler_like(name: str, function: object) -> bool:
    return (
        name.startswith(("action_", "watch_", "on_", "_on_"))
        or name == "check_action"
        or hasattr(function, "_textual_on")
    )


def test_every_handler_action_and_watcher_of_the_app_is_guarded() -> None:
    """The boundary only holds if nothing is left outside it: a new handler that forgets
    ``@guarded`` fails here."""
    unguarded = []
    for info in pkgutil.walk_packages(tui.app.__path__, "tui.app."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, DOMNode) or not cls.__module__.startswith("tui.app"):
                continue
            for name, function in vars(cls).items():
                if (
                    inspect.isfunction(function)
                    and _handler_like(name, function)
                    and not is_guarded(function)
                ):
                    unguarded.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert unguarded == []


def test_the_key_is_not_in_the_incident_log_even_without_the_sk_prefix(tmp_path: Path) -> None:
    from tui.core.incidents import IncidentLog

    secret = "ollama-local-2b7e151628aed2a6abf7158809cf4f3c"
    log = IncidentLog(tmp_path, lambda: [secret])
    try:
        header = f"Bearer {secret}"
        raise Exploding(f"refused {header}")
    except Exploding as error:
        incident = log.record(error, "test")
    text = (tmp_path / LOG_NAME).read_text()
    assert incident.id in text and "Exploding" in text and "test_error_boundary" in text
    assert secret not in text and secret not in incident.sentence()
    assert "header =" not in text  # no local variables


def test_an_unwritable_log_is_said_not_raised(tmp_path: Path) -> None:
    from tui.core.incidents import IncidentLog

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    log = IncidentLog(blocker, list)
    incident = log.record(Exploding("boom"), "test")
    assert incident.log_path is None and "could not be written" in incident.sentence()


async def test_a_full_disk_is_said_and_the_question_stays_on_screen_to_ask_again(
    app_env: AppEnv, disk: DiskFault
) -> None:
    """The record refusing a write is no internal error: the message says what failed and
    where; the question and the reply's place stay on screen, and ctrl+r asks again once
    the disk has room."""
    import errno

    record = app_env.seeded("Thread", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        disk.fail(errno.ENOSPC, call="write")
        app.main.composer.focus()
        await pilot.press(*"on a full disk", "enter")
        await wait_until(pilot, lambda: "disk is full" in notification_text(app), timeout=10)
        await idle(pilot, app, timeout=10)
        assert app.is_running and "Internal error" not in notification_text(app)
        texts = [v.turn.text for v in app.main.chat.messages]
        assert "on a full disk" in texts
        assert app.main.retry_text() == "on a full disk"
        disk.heal()
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: any(t.text == "on a full disk" for t in
                               app_env.store.transcript(record.id)), timeout=10)


async def test_a_reply_the_full_disk_refused_is_kept_and_stored_once_there_is_room(
    app_env: AppEnv, disk: DiskFault
) -> None:
    """The disk fills while the reply streams: the reply stays on screen, the message says
    it is kept in memory, and the next poll after the disk has room stores it."""
    import errno

    assert app_env.sandbox is not None
    app_env.sandbox.model.update(tokens=200, delay_s=0.01)
    record = app_env.seeded("Thread", [("user", "hi"), ("assistant", "hello")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        app.main.composer.focus()
        await pilot.press(*"fill the disk now", "enter")
        await wait_until(pilot, lambda: app.main.replying, timeout=10)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 4, timeout=10)
        disk.fail(errno.ENOSPC, call="write")  # the question is stored; the reply will not be
        await wait_until(pilot, lambda: not app.main.replying, timeout=20)
        await wait_until(pilot, lambda: "disk is full" in notification_text(app), timeout=10)
        shown = app.main.chat.messages[-1].turn
        assert "kept in memory" in (shown.error or "") and len(shown.text) > 100
        assert app.main.retry_text() is None  # nothing to ask again: the reply is kept
        disk.heal()
        await wait_until(pilot, lambda: "now in the record" in notification_text(app),
                         timeout=10)
        stored = app_env.store.transcript(record.id)
        assert stored[-2].text == "fill the disk now" and stored[-1].text == shown.text


async def test_an_incident_that_cannot_be_shown_is_not_reported_again_without_end(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Showing an incident's line in a transcript that is being torn down fails; that failure
    must not become a new incident (which would fail the same way, for ever)."""
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        recorded: list[str] = []
        real = app.incidents.record

        def counting(error: BaseException, where: str):  # type: ignore[no-untyped-def]
            recorded.append(where)
            return real(error, where)

        monkeypatch.setattr(app.incidents, "record", counting)

        def broken(text: str) -> None:
            raise RuntimeError("the transcript is gone")

        monkeypatch.setattr(app.main.chat, "show_notice", broken)
        app.report_internal_error(RuntimeError("first"), "a worker")
        await pilot.pause(0.3)
        assert recorded == ["a worker"]
