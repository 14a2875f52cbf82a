"""One Markdown for a thread: the app's export file and `threadtui export --format md` agree
byte for byte, and what a terminal would act on is spelt out in both."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tui import cli
from tui.app.export import default_export_dir, export_thread
from tui.core.legacy_expiry import days_until_legacy_expiry, near_legacy_expiry
from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn, Usage
from tui.core.store import Store

CONFIG = """\
default_profile = "work"
[profiles.work]
api_key_env = "WORK_KEY"
"""
AT = 1_767_225_600.0  # 2026-01-01 00:00 UTC


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, utc_timezone: None) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("THREADTUI_CONFIG", str(config))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def hostile_thread() -> tuple[ThreadRecord, list[Turn]]:
    record = ThreadRecord(
        id="conv_hostile", profile="work", organization="org-work", project="proj_work",
        model="gpt-test", title="Title\x1b]0;pwned\x07 *bold* <b>", created_at=AT,
        last_active=AT + 120, status=ThreadStatus.INTERRUPTED,
    )
    turns = [
        Turn(role=Role.USER, text="run `rm -rf` [link](x) \u202eevil\u200b\nline two\ttab", at=AT),
        Turn(role=Role.ASSISTANT, text="Sure **here**:\n\x1b[2Jcleared", at=AT + 60,
             usage=Usage(input_tokens=1234, output_tokens=56, total_tokens=1290),
             response_id="resp_1"),
        Turn(role=Role.USER, text="and then?", at=AT + 90),
        Turn(role=Role.ASSISTANT, text="half a rep", at=AT + 120, interrupted=True,
             error="cannot reach \x9bserver\ud800"),
    ]
    return record, turns


def test_the_app_export_and_the_cli_export_are_byte_identical(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record, turns = hostile_thread()
    with Store.open(data_dir) as store:
        store.upsert(record)
        store.replace_transcript(record.id, turns)
        stored, stored_turns = store.get(record.id), store.transcript(record.id)
    assert stored is not None
    written = export_thread(stored, stored_turns, data_dir)
    cli_file = tmp_path / "cli.md"
    assert cli.main(["export", record.id, "--format", "md", "-o", str(cli_file)]) == 0
    assert written.read_bytes() == cli_file.read_bytes()
    assert cli.main(["export", record.id, "--format", "md"]) == 0
    assert capsys.readouterr().out.encode("utf-8") == written.read_bytes()

    text = written.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\u202e" not in text and "\u200b" not in text
    assert text.startswith("# Title\\x1b]0;pwned\\x07 *bold* <b>\n")
    assert "- id: `conv_hostile` (conversations)" in text
    assert "- profile: work (org-work / proj_work)" in text
    assert "## User · 2026-01-01 00:00" in text and "## Assistant · 2026-01-01 00:01" in text
    assert "\\u202eevil\\u200b\nline two\ttab" in text  # layout kept, the rest spelt out
    assert "\\x1b[2Jcleared" in text
    assert "*(1,234 tokens in, 56 out)*" in text
    assert "*(interrupted: the reply stopped here)*" in text
    assert "> error: cannot reach \\x9bserver\ufffd" in text
    assert text.endswith("\n") and os.path.basename(written).endswith("-conv_hostile.md")


def test_legacy_expiry_is_a_core_rule() -> None:
    now = AT + 51 * 86400
    legacy = ThreadRecord(id="thread_old", api=Dialect.ASSISTANTS, last_active=AT)
    current = ThreadRecord(id="conv_old", api=Dialect.CONVERSATIONS, last_active=AT)
    assert near_legacy_expiry(legacy, now) and days_until_legacy_expiry(legacy, now) == 9
    assert not near_legacy_expiry(current, now)
    assert not near_legacy_expiry(legacy, AT + 49 * 86400)
    assert days_until_legacy_expiry(legacy, AT + 61 * 86400) == -1


def test_the_app_export_is_private_in_the_data_dir_and_never_overwrites(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    record, turns = hostile_thread()
    first = export_thread(record, turns, data_dir)
    assert first.parent == default_export_dir(data_dir) == data_dir / "exports"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    assert list(tmp_path.glob("*.md")) == []  # nothing in the current directory
    second = export_thread(record, turns, data_dir)
    assert second != first and second.name.endswith("-conv_hostile-2.md")
    chosen = export_thread(record, turns, data_dir, tmp_path / "picked")
    assert chosen.parent == tmp_path / "picked" and stat.S_IMODE(chosen.stat().st_mode) == 0o600
