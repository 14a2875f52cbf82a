"""Helpers for Pilot tests (the fixtures are in conftest.py): a sandbox-backed config, a real
Store in tmp_path, a fixed clock.

Two profiles reach two organizations of the default sandbox tenancy, with keys from env vars
(as a user's config would): ``work`` (acme-corp, project key) and ``home`` (personal).
``nokey`` names a variable that is never set. The clock is fixed so ages and badges (and
therefore snapshots) never depend on the day the tests run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.keys import _character_to_key  # the driver's own names for typed keys
from textual.notifications import Notification

from tui.app.app import ThreadApp
from tui.core.config import Config, load_config
from tui.core.keys import KeyRing
from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import Store
from tui.sandbox import ACME_KEY, PERSONAL_KEY, Sandbox

NOW = 1_790_000_000.0  # fixed "now" for ages (2026-09-21)
DAY = 86400.0

ENV = {"TT_WORK_KEY": ACME_KEY, "TT_HOME_KEY": PERSONAL_KEY}


def config_text(
    base_url: str, *, keymap: dict[str, str] | None = None, default_profile: str = "work"
) -> str:
    text = f"""
default_profile = "{default_profile}"

[profiles.work]
api_key_env = "TT_WORK_KEY"
base_url = "{base_url}"
model = "gpt-4.1-mini"

[profiles.home]
api_key_env = "TT_HOME_KEY"
base_url = "{base_url}"
model = "gpt-4.1-mini"

[profiles.nokey]
api_key_env = "TT_NEVER_SET_KEY"
base_url = "{base_url}"
"""
    if keymap:
        text += "\n[keymap]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in keymap.items())
    return text


@dataclass
class AppEnv:
    sandbox: Sandbox | None
    tmp: Path
    config: Config
    store: Store
    data_dir: Path

    def make_app(self, **kwargs: Any) -> ThreadApp:
        options: dict[str, Any] = {
            "config": self.config,
            "store": self.store,
            "keyring": KeyRing(environ={**os.environ, **ENV}),
            "data_dir": self.data_dir,
            "clock": lambda: NOW,
            "remember_theme": False,
            "export_dir": self.tmp,
        }
        options.update(kwargs)
        return ThreadApp(**options)

    def seeded(
        self,
        title: str,
        turns: list[tuple[str, str]],
        *,
        profile: str = "work",
        **kwargs: Any,
    ) -> ThreadRecord:
        """A conversation that really exists on the sandbox under ``profile``, and its record."""
        assert self.sandbox is not None
        key = ENV["TT_WORK_KEY"] if profile == "work" else ENV["TT_HOME_KEY"]
        thread_id = self.sandbox.seed_conversation(key, title=title, turns=turns)
        organization = "acme-corp" if profile == "work" else "personal"
        kwargs.setdefault("organization", organization)
        return self.record(thread_id, title, profile=profile, turns=turns, **kwargs)

    def record(
        self,
        thread_id: str,
        title: str,
        *,
        profile: str = "work",
        organization: str | None = "acme-corp",
        age_days: float = 1.0,
        status: ThreadStatus = ThreadStatus.OK,
        api: Dialect = Dialect.CONVERSATIONS,
        turns: list[tuple[str, str]] | None = None,
        pinned: bool = False,
    ) -> ThreadRecord:
        """Write a record (and transcript) straight into the store."""
        record = ThreadRecord(
            id=thread_id,
            api=api,
            profile=profile,
            organization=organization,
            title=title,
            created_at=NOW - age_days * DAY - 60,
            last_active=NOW - age_days * DAY,
            status=status,
            pinned=pinned,
            model="gpt-4.1-mini",
            base_url=self.sandbox.base_url if self.sandbox else None,
        )
        self.store.upsert(record)
        for index, (role, text) in enumerate(turns or []):
            self.store.append_turn(
                thread_id, Turn(role=Role(role), text=text, at=record.last_active - 30 + index)
            )
        self.store.update_thread(thread_id, last_active=record.last_active)
        return record


def make_app_env(tmp_path: Path, base_url: str, sandbox: Sandbox | None, **config: Any) -> AppEnv:
    path = tmp_path / "config.toml"
    path.write_text(config_text(base_url, **config), encoding="utf-8")
    data_dir = tmp_path / "data"
    store = Store.open(data_dir)
    return AppEnv(sandbox, tmp_path, load_config(path, {}), store, data_dir)


def notifications(app: App[Any]) -> list[Notification]:
    """The notifications the app holds now, oldest first.

    Textual 8 has no public way to list them, so this is the one place that reads the private
    ``App._notifications``: if Textual renames it, one line changes.
    """
    return list(app._notifications)


def notification_text(app: App[Any]) -> str:
    """Every notification's message, one per line (for ``in`` checks)."""
    return "\n".join(n.message for n in notifications(app))


def burst(app: App[Any], text: str) -> None:
    """Keys queued back to back, as one SSH packet delivers them (a newline or a carriage
    return is enter): every key is posted before the first is handled, as the driver hands
    them over, with the names its driver gives them. Pilot's ``press`` waits between keys
    and would hide what typing ahead does."""
    for character in text:
        if character in "\r\n":
            app.post_message(events.Key("enter", "\r"))
        else:
            app.post_message(events.Key(_character_to_key(character), character))


async def wait_until(pilot: Any, predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the app run until ``predicate()`` holds (workers talk to the sandbox over HTTP)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {getattr(predicate, '__name__', '?')}")
        await pilot.pause(0.02)


async def idle(pilot: Any, app: ThreadApp, timeout: float = 10.0) -> None:
    """Wait until no worker runs (none may be waiting on a modal), then one more refresh."""

    def quiet() -> bool:
        return not any(worker.is_running for worker in app.workers)

    await wait_until(pilot, quiet, timeout)
    await pilot.pause()


async def to_list(pilot: Any, app: ThreadApp) -> None:
    """Move the keyboard from the composer to the past chats, as a user does (esc)."""
    app.main.composer.focus()
    await pilot.pause()
    await pilot.press("escape")
    await pilot.pause()
    assert app.focused is app.main.sidebar.thread_list


async def open_first(pilot: Any, app: ThreadApp) -> None:
    """Open the thread at the top of the list from the keyboard (esc, then enter)."""
    await to_list(pilot, app)
    await pilot.press("enter")


async def answer_question(pilot: Any, app: ThreadApp, key: str = "y") -> None:
    """Answer a delete/forget question once it takes answers (keys typed ahead are ignored)."""
    from tui.app.screens.confirm import ConfirmScreen

    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.settled)
    await pilot.press(key)


def owner_prompt(app: ThreadApp) -> Any:
    """The inline 404 prompt in the chat pane, or None."""
    from tui.app.widgets.owner_prompt import OwnerPrompt

    found = app.main.chat.query(OwnerPrompt)
    return found.first() if found else None


async def answer_prompt(pilot: Any, app: ThreadApp, key: str) -> None:
    """Reach the inline 404 prompt as a user does (shift+tab from the composer), press key."""
    prompt = owner_prompt(app)
    assert prompt is not None
    app.main.composer.focus()
    await pilot.pause()
    await pilot.press("shift+tab")
    await pilot.pause()
    assert app.focused is prompt, app.focused
    await pilot.press(key)


def screen_rows(app: App[Any]) -> list[list[Any]]:
    """What the terminal is sent for the current screen (dialogs over their background), as
    rows of Rich ``Segment``s: text with its final style, colours resolved.

    The one place that reads Textual's private compositor: if Textual renames it, one line
    changes.
    """
    update = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens
    )
    return [[segment for strip in line for segment in strip] for line in update.strips]


def screen_lines(app: App[Any]) -> list[str]:
    """The screen as text, one row a line."""
    return ["".join(segment.text for segment in row) for row in screen_rows(app)]


def screen_cells(app: App[Any], region: Any) -> list[tuple[str, Any]]:
    """(character, Rich style) of every cell of the screen inside ``region`` (a Region)."""
    from rich.cells import cell_len

    found = []
    for y, row in enumerate(screen_rows(app)):
        if not region.y <= y < region.bottom:
            continue
        x = 0
        for segment in row:
            for char in segment.text:
                if region.x <= x < region.right:
                    found.append((char, segment.style))
                x += cell_len(char)
    return found


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
