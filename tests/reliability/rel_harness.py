"""Helpers shared by the reliability tests (fixtures are in conftest.py).

- ``screen_text(app)``: what a Pilot app has on screen, as plain text, from the same SVG
  export a user's screenshot gives (so hidden widgets and styles cannot fool the check).
- ``backends(timeout=, max_retries=)``: the app's real backend factory with short client
  timeouts, through the seam ``ThreadApp(backend_factory=…)`` (no mock of our code).
- ``pty_env`` / ``pty_config`` / ``start``: a real ``threadtui`` process in a pty.
- ``files_containing``: every file under some folders that holds any of some secrets.
"""

from __future__ import annotations

import functools
import html
import os
import re
import signal
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import app_harness
from pty_terminal import Terminal

from tui.app.connections import BackendFactory
from tui.core.api.factory import make_backend

FIGURES: list[str] = []
"""Lines printed in the terminal summary (see conftest.py)."""

QUICK = bool(os.environ.get("THREADTUI_BENCH_QUICK"))


def kills_wanted(quick: int, full: int) -> int:
    """How many kills a loop makes: ``THREADTUI_RELIABILITY_KILLS`` wins, else quick or full
    (CI sets ``THREADTUI_BENCH_QUICK=1``)."""
    chosen = os.environ.get("THREADTUI_RELIABILITY_KILLS")
    if chosen:
        return max(1, int(chosen))
    return quick if QUICK else full


# ---------------------------------------------------------------------------- Pilot


def screen_text(app: Any) -> str:
    """The app's screen as text: the SVG screenshot's text runs, unescaped, one row a line."""
    svg = app.export_screenshot()
    rows: dict[str, list[str]] = {}
    for y, text in re.findall(r'<text[^>]*\by="([\d.]+)"[^>]*>(.*?)</text>', svg, re.S):
        rows.setdefault(y, []).append(text)
    lines = ["".join(parts) for _, parts in sorted(rows.items(), key=lambda kv: float(kv[0]))]
    return html.unescape("\n".join(lines)).replace("\xa0", " ")


def raw_svg(app: Any) -> str:
    return str(app.export_screenshot())


def backends(
    *, timeout: float | None = None, max_retries: int | None = None
) -> Callable[[], BackendFactory]:
    """The loader ``ThreadApp(backend_factory=…)`` takes, building real backends with these
    client settings (a slow first byte must time out in a second, not a minute)."""
    options: dict[str, Any] = {}
    if timeout is not None:
        options["timeout"] = timeout
    if max_retries is not None:
        options["max_retries"] = max_retries

    def loader() -> BackendFactory:
        return functools.partial(make_backend, **options)

    return loader


def notifications(app: Any) -> list[str]:
    """Each notification as "title: message" (read through app_harness, the one reader)."""
    return [f"{n.title}: {n.message}" for n in app_harness.notifications(app)]


# ---------------------------------------------------------------------------- processes


def pty_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no user config or data, no real keys, a terminal like SSH gives."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    env.update(extra)
    return env


def pty_config(path: Path, base_url: str, extra: str = "") -> Path:
    """Profile ``acme`` (key from $REL_ACME_KEY) and ``home`` ($REL_HOME_KEY) on the sandbox."""
    path.write_text(
        'default_profile = "acme"\n'
        "[profiles.acme]\n"
        f'api_key_env = "REL_ACME_KEY"\nbase_url = "{base_url}"\nmodel = "gpt-4.1-mini"\n'
        "[profiles.home]\n"
        f'api_key_env = "REL_HOME_KEY"\nbase_url = "{base_url}"\nmodel = "gpt-4.1-mini"\n'
        + extra,
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return path


def start(config: Path, data: Path, env: dict[str, str], cwd: Path, *args: str) -> Terminal:
    return Terminal(["--config", str(config), "--data-dir", str(data), *args], env, cwd)


def kill9(term: Terminal) -> None:
    """SIGKILL: no handler runs, nothing is flushed; the pty is closed afterwards."""
    os.kill(term.child.pid, signal.SIGKILL)
    term.child.wait()
    term.child.close(force=True)


def sidebar_column(screen: str, width: int = 30) -> str:
    """The left part of each line of an 80-column screen: where the sidebar is drawn."""
    return "\n".join(line[:width] for line in screen.splitlines())


# ---------------------------------------------------------------------------- secrets


def files_containing(roots: Iterable[Path], secrets: Iterable[str]) -> list[tuple[Path, str]]:
    """(file, secret) for every file under ``roots`` (recursively) holding a secret, as
    bytes in UTF-8, or as JSON's ``\\u`` escapes could spell it (they cannot for ASCII keys,
    but a test must not depend on that)."""
    needles = [(s, s.encode()) for s in secrets if s]
    found: list[tuple[Path, str]] = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            data = path.read_bytes()
            for secret, needle in needles:
                if needle in data:
                    found.append((path, secret))
    return found


def seeded_thread(
    store: Any, sandbox: Any, key: str, title: str, turns: list[tuple[str, str]], *,
    profile: str = "acme", organization: str = "acme-corp", at: float | None = None,
) -> str:
    """A conversation that exists on the sandbox under ``key``, recorded with its turns."""
    import time

    from tui.core.records import Role, ThreadRecord, Turn
    from tui.core.secrets import mask_key

    thread_id = sandbox.seed_conversation(key, title=title, turns=turns)
    when = time.time() - 60 if at is None else at
    store.upsert(
        ThreadRecord(
            id=thread_id, profile=profile, organization=organization, title=title,
            base_url=sandbox.base_url, key_hint=mask_key(key), created_at=when, last_active=when,
        )
    )
    for offset, (role, text) in enumerate(turns):
        store.append_turn(thread_id, Turn(role=Role(role), text=text, at=when + offset))
    return str(thread_id)


def pump_now(term: Terminal) -> None:
    """Read whatever the app has written, without waiting (it must never block on a full
    pty while a test watches files)."""
    import pexpect

    try:
        while True:
            term.stream.feed(term.child.read_nonblocking(1 << 16, timeout=0))
    except (pexpect.TIMEOUT, pexpect.EOF):
        return


def dismiss_toast(term: Terminal, words: str) -> None:
    """Click the notification showing ``words`` (as a mouse would), so it stops covering the
    bottom of the chat pane; Textual closes a toast on a click."""
    term.wait_for(words, what=f"the notification saying {words!r}")
    for row, line in enumerate(term.screen.display):
        if words in line:
            col = line.index(words) + 2
            term.child.send(f"\x1b[<0;{col};{row + 1}M\x1b[<0;{col};{row + 1}m")
            term.wait_for(lambda s: words not in s, what="the notification closing")
            return


def wait_all(
    checks: list[tuple[Terminal, Callable[[str], bool] | str]], timeout: float = 30.0,
    what: str = "",
) -> None:
    """Wait until every terminal's screen passes its check, reading all of them in turn, so
    that no process stalls on a full pty while the test watches another."""
    import time

    def passes(term: Terminal, check: Callable[[str], bool] | str) -> bool:
        return check in term.text if isinstance(check, str) else bool(check(term.text))

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for term, _ in checks:
            term.pump(0.02)
        if all(passes(term, check) for term, check in checks):
            return
    screens = "\n\n".join(term.text for term, _ in checks)
    raise AssertionError(f"screens never showed {what}; last screens:\n{screens}")
