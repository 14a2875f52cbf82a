"""The four things users do, end to end: the installed `threadtui` in a real 80x24 pty.

Against the sandbox over real HTTP on 127.0.0.1: open a past chat, send a message and watch
the reply stream in, switch organization profile with ctrl+o, delete a thread from the
sidebar, and check afterwards that the server and the record agree it is gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from openai import NotFoundError, OpenAI
from pty_terminal import Terminal

from tui.core.records import Role, ThreadRecord, Turn
from tui.core.secrets import mask_key
from tui.core.store import Store
from tui.sandbox import ACME_KEY, PERSONAL_KEY, Sandbox

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]  # real ptys


def write_config(path: Path, base_url: str) -> None:
    path.write_text(
        'default_profile = "acme"\n'
        "[profiles.acme]\n"
        f'api_key_env = "E2E_ACME_KEY"\nbase_url = "{base_url}"\nmodel = "gpt-4.1-mini"\n'
        "[profiles.personal]\n"
        f'api_key_env = "E2E_PERSONAL_KEY"\nbase_url = "{base_url}"\nmodel = "gpt-4.1-mini"\n'
    )


def record(
    store: Store, sandbox: Sandbox, key: str, profile: str, org: str, title: str, age_s: float
) -> str:
    turns = [("user", f"first question about {title}"), ("assistant", f"an answer on {title}")]
    thread_id = sandbox.seed_conversation(key, title=title, turns=turns)
    at = time.time() - age_s
    store.upsert(
        ThreadRecord(
            id=thread_id,
            profile=profile,
            organization=org,
            title=title,
            base_url=sandbox.base_url,
            key_hint=mask_key(key),
            created_at=at,
            last_active=at,
        )
    )
    for offset, (role, text) in enumerate(turns):
        store.append_turn(thread_id, Turn(role=Role(role), text=text, at=at + offset))
    return thread_id


def test_open_send_switch_delete(
    sandbox: Sandbox,
    tmp_path: Path,
    terminal_env: dict[str, str],
    run_threadtui: Callable[..., Terminal],
) -> None:
    config = tmp_path / "config.toml"
    write_config(config, sandbox.base_url)
    data = tmp_path / "data"
    with Store.open(data) as store:
        acme_id = record(store, sandbox, ACME_KEY, "acme", "acme-corp", "Acme launch plan", 60)
        personal_id = record(
            store, sandbox, PERSONAL_KEY, "personal", "personal", "Personal budget", 3600
        )
    env = terminal_env | {"E2E_ACME_KEY": ACME_KEY, "E2E_PERSONAL_KEY": PERSONAL_KEY}

    term = run_threadtui(["--config", str(config), "--data-dir", str(data)], env)
    screen = term.wait_for(lambda text: "Personal budget" in text and "Acme launch plan" in text,
                           what="the sidebar with both threads")  # a read may end mid-frame
    assert "acme" in term.line(0) and "sk-…" in term.line(0)
    assert ACME_KEY not in screen and PERSONAL_KEY not in screen

    # The composer has the keyboard at start: esc to the list, then filter, enter to the
    # list, enter to open.
    term.press("escape")
    term.settle(0.3)  # a lone ESC, not the start of an escape sequence
    term.press("/")
    term.wait_for("esc Clear filter", what="the filter box taking focus")
    term.type("launch")
    term.wait_for("1 of 2 threads", what="the filtered sidebar")
    term.press("enter", "enter")
    term.wait_for("an answer on Acme launch plan", what="the opened transcript")

    # Opening focuses the composer: send a message and watch the streamed reply arrive.
    term.type("hello from the pty")
    term.press("enter")
    term.wait_for("You said: hello from the pty", what="the streamed reply")
    term.wait_for("deterministic", what="the end of the reply")

    # Switch profile with the hotkey: the bar shows the new profile at once.
    term.press("ctrl+o")
    term.wait_for("personal", what="the profile picker")
    term.type("personal")
    term.press("enter")
    term.wait_for(
        lambda s: s.splitlines()[0].lstrip().startswith("personal"),
        what="the personal profile in the switcher bar",
    )

    # Delete the personal thread from the sidebar: esc from the composer to the list, / to
    # the filter box, replace the old filter, enter to the list, d, and confirm in the modal
    # once it takes answers (it ignores keys for 0.4 s after it appears).
    term.press("escape")
    term.settle(0.3)  # a lone ESC, not the start of an escape sequence
    term.press("/")
    term.press(*["backspace"] * len("launch"))
    term.type("budget")
    term.wait_for("1 of 2 threads", what="the filtered sidebar")
    term.press("enter")
    term.press("d")
    term.wait_for("Delete", what="the delete confirmation")
    term.settle(0.6)
    term.press("y")
    term.wait_for(lambda s: "Personal budget" not in s, what="the thread leaving the sidebar")

    term.press("ctrl+q")
    term.child.expect(pexpect.EOF, timeout=20)
    term.child.close()
    assert term.child.exitstatus == 0

    with (
        OpenAI(api_key=PERSONAL_KEY, base_url=sandbox.base_url, max_retries=0) as client,
        pytest.raises(NotFoundError),
    ):
        client.conversations.retrieve(personal_id)
    with OpenAI(api_key=ACME_KEY, base_url=sandbox.base_url, max_retries=0) as client:
        texts = [
            part.text
            for item in client.conversations.items.list(acme_id, order="asc")
            for part in getattr(item, "content", []) or []
            if hasattr(part, "text")
        ]
        assert "hello from the pty" in texts
    with Store.open(data) as store:
        assert store.get(personal_id) is None
        turns = store.transcript(acme_id)
        assert [t.text for t in turns if t.role is Role.USER][-1] == "hello from the pty"
        assert "You said: hello from the pty" in turns[-1].text


def test_demo_starts_without_key_or_network_and_quits_cleanly(
    terminal_env: dict[str, str], run_threadtui: Callable[..., Terminal]
) -> None:
    """The README's first command: `threadtui --demo` with no key set and no config."""
    assert not any(name.startswith("OPENAI_") for name in terminal_env)
    term = run_threadtui(["--demo"], terminal_env)
    shown = ("Legacy support thread", "Quarterly report outline", "Sourdough schedule",
             "Trip packing list", "acme-corp", "personal")  # both organizations
    # Every one waited for, not checked on the screen read when the first appeared: a read
    # can end mid-frame.
    term.wait_for(lambda screen: all(text in screen for text in shown),
                  what="the demo's threads of both organizations")
    assert term.line(0).lstrip().startswith("acme")
    term.press("ctrl+q")
    term.child.expect(pexpect.EOF, timeout=20)
    term.child.close()
    assert term.child.exitstatus == 0
    home = Path(terminal_env["HOME"])
    assert not any(home.rglob("*")), "the demo must not write into the user's home"


def test_a_sentence_typed_at_start_up_in_one_packet_is_text(
    sandbox: Sandbox,
    tmp_path: Path,
    terminal_env: dict[str, str],
    run_threadtui: Callable[..., Terminal],
) -> None:
    """Once typing "did you see the report" at start-up deleted a thread on the server (the
    list had the keyboard: d asked, y answered). Sent as one write the moment the screen is
    up, it must land in the composer, and the thread must still exist."""
    config = tmp_path / "config.toml"
    write_config(config, sandbox.base_url)
    data = tmp_path / "data"
    with Store.open(data) as store:
        acme_id = record(store, sandbox, ACME_KEY, "acme", "acme-corp", "Acme launch plan", 60)
    env = terminal_env | {"E2E_ACME_KEY": ACME_KEY, "E2E_PERSONAL_KEY": PERSONAL_KEY}
    term = run_threadtui(["--config", str(config), "--data-dir", str(data)], env)
    # As soon as the first screen is drawn (keys sent earlier would be dropped by the
    # terminal itself when the app takes it into raw mode, as for any full-screen program).
    term.wait_for("Acme launch plan", what="the first screen")
    term.child.send("did you see the report")  # one packet
    term.wait_for(lambda s: "did you see the report" in s.splitlines()[-3],
                  what="the sentence in the composer")
    term.settle(1.0)
    screen = term.text
    assert "Delete thread" not in screen and "Deleted" not in screen
    assert "Acme launch plan" in screen
    term.press("ctrl+q")
    term.child.expect(pexpect.EOF, timeout=20)
    term.child.close()
    OpenAI(api_key=ACME_KEY, base_url=sandbox.base_url).conversations.retrieve(acme_id)
    with Store.open(data) as store:
        assert store.get(acme_id) is not None
        assert store.get_meta("draft") == "did you see the report"  # kept for next time
