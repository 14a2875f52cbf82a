"""The local trash: forgotten threads come back, old entries go, and no kill loses a thread.

Real files in a temporary directory; the clock is injected (``Store.open(clock=…)``). The
delete-on-the-server flow against the sandbox is in ``tests/api/test_cli.py``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import store_harness

from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn
from tui.core.storage import JournalStorage
from tui.core.store import Store, StoreError, TrashReason, UnknownThread
from tui.core.transcript_files import TranscriptFiles
from tui.core.trash import KEEP_SECONDS, TrashFiles

DAY = 24 * 3600.0
T0 = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def seed(data_dir: Path, thread_id: str = "conv_a", *, status: ThreadStatus = ThreadStatus.OK,
         clock: Clock | None = None) -> None:
    with Store.open(data_dir, clock=clock or Clock()) as store:
        store.upsert(ThreadRecord(id=thread_id, title="Budget 2027", profile="work",
                                  status=status, last_active=5.0))
        store.append_turn(thread_id, Turn(role=Role.USER, text="hello", at=10.0))
        store.append_turn(thread_id, Turn(role=Role.ASSISTANT, text="hi there", at=11.0))


def texts(store: Store, thread_id: str) -> list[str]:
    return [turn.text for turn in store.transcript(thread_id)]


def test_forget_then_restore_gives_back_row_and_transcript(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir, clock=Clock()) as store:
        assert store.delete("conv_a") is True  # forgetting is the default reason
        assert "conv_a" not in store and not store.transcript_path("conv_a").exists()
        [entry] = store.trash_entries()
        assert (entry.thread_id, entry.reason, entry.trashed_at) == (
            "conv_a", TrashReason.FORGOTTEN, T0
        )
        assert entry.title == "Budget 2027" and len(entry.turns) == 2
        record = store.restore("conv_a")
        assert record.status is ThreadStatus.OK and record.profile == "work"
        assert texts(store, "conv_a") == ["hello", "hi there"]
        assert store.trash_entries() == []
    with Store.open(data_dir) as again:  # on disk, not only in memory
        assert again.get("conv_a") == record and texts(again, "conv_a") == ["hello", "hi there"]


def test_a_thread_deleted_on_the_server_comes_back_gone(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        store.delete("conv_a", reason=TrashReason.DELETED)
        assert store.trash_entries()[0].reason is TrashReason.DELETED
        assert store.restore("conv_a").status is ThreadStatus.GONE


def test_trash_files_are_private(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        store.delete("conv_a")
    assert stat.S_IMODE(os.stat(data_dir / "trash").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(data_dir / "trash" / "conv_a.json").st_mode) == 0o600


def test_restore_refuses_what_is_not_there_or_is_back(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        with pytest.raises(UnknownThread):
            store.restore("conv_nope")
        store.delete("conv_a")
        store.upsert(ThreadRecord(id="conv_a", title="made again"))
        assert store.trash_entries() == []  # hidden while the id is in the record
        with pytest.raises(StoreError):
            store.restore("conv_a")
        assert store.get("conv_a").title == "made again"  # type: ignore[union-attr]


def test_a_drop_without_reason_leaves_nothing(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        assert store.delete("conv_a", reason=None) is True
        assert store.trash_entries() == []


def test_entries_older_than_30_days_are_purged_on_open(data_dir: Path) -> None:
    clock = Clock()
    seed(data_dir, "conv_old", clock=clock)
    seed(data_dir, "conv_new", clock=clock)
    with Store.open(data_dir, clock=clock) as store:
        store.delete("conv_old")
        clock.now += 2 * DAY
        store.delete("conv_new")
    with Store.open(data_dir, clock=Clock(T0 + KEEP_SECONDS - 1)) as store:
        assert [e.thread_id for e in store.trash_entries()] == ["conv_new", "conv_old"]
    with Store.open(data_dir, clock=Clock(T0 + KEEP_SECONDS + 1)) as store:
        assert [e.thread_id for e in store.trash_entries()] == ["conv_new"]
    assert not (data_dir / "trash" / "conv_old.json").exists()


def test_empty_trash_removes_everything(data_dir: Path) -> None:
    seed(data_dir, "conv_a")
    seed(data_dir, "conv_b")
    with Store.open(data_dir) as store:
        store.delete("conv_a")
        store.delete("conv_b", reason=TrashReason.DELETED)
        assert store.empty_trash() == 2
        assert store.trash_entries() == []
        with pytest.raises(UnknownThread):
            store.restore("conv_a")


def test_an_unreadable_entry_is_set_aside_and_reported(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        store.delete("conv_a")
    (data_dir / "trash" / "conv_a.json").write_text("{half")
    with Store.open(data_dir) as store:
        assert store.trash_entries() == []
        [problem] = store.take_problems()
        assert "trash entry" in problem.message and "moved to" in problem.message


# -- a kill at each step: the disk left as a SIGKILL there would leave it --------------------


class Killed(BaseException):
    """Raised where the process would have died; nothing after it reaches the disk."""


def _die(*args: object, **kwargs: object) -> None:
    raise Killed


def test_killed_after_the_entry_was_written_keeps_the_thread(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        monkeypatch.setattr(TranscriptFiles, "remove", _die)
        with pytest.raises(Killed):
            store.delete("conv_a")
    monkeypatch.undo()
    with Store.open(data_dir) as store:
        assert "conv_a" in store and texts(store, "conv_a") == ["hello", "hi there"]
        assert store.trash_entries() == []
    assert not (data_dir / "trash" / "conv_a.json").exists()  # the leftover is purged


def test_killed_before_the_index_was_written_puts_the_transcript_back(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        monkeypatch.setattr(JournalStorage, "flush", _die)
        with pytest.raises(Killed):
            store.delete("conv_a")
    monkeypatch.undo()
    assert not (data_dir / "transcripts" / "conv_a.json").exists()  # the kill's state
    with Store.open(data_dir) as store:
        assert "conv_a" in store and texts(store, "conv_a") == ["hello", "hi there"]
        assert store.trash_entries() == []


def test_killed_before_a_restore_removed_the_entry(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        store.delete("conv_a")
        monkeypatch.setattr(TrashFiles, "remove", _die)
        with pytest.raises(Killed):
            store.restore("conv_a")
    monkeypatch.undo()
    with Store.open(data_dir) as store:
        assert texts(store, "conv_a") == ["hello", "hi there"]
        assert store.trash_entries() == []


def test_the_trash_entry_holds_the_row_as_json(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        store.delete("conv_a", reason=TrashReason.DELETED)
    doc = json.loads((data_dir / "trash" / "conv_a.json").read_text())
    assert doc["format"] == "threadtui-trash" and doc["reason"] == "deleted"
    assert doc["record"]["title"] == "Budget 2027" and len(doc["turns"]) == 2


@pytest.mark.slow  # real processes, SIGKILLed
def test_no_kill_of_a_trashing_process_loses_a_thread(data_dir: Path) -> None:
    """A process forgets and restores threads until killed; each thread must afterwards be in
    the record or in the trash, with its whole transcript, whatever moment the kill hit."""
    report = store_harness.trash_kill_loop(data_dir, kills=15, seed=3)
    assert report.kills == 15 and report.acknowledged > 10
    assert report.lost == [] and report.problems == []


def test_the_harness_worker_runs(data_dir: Path) -> None:
    seed(data_dir)
    process = subprocess.run(
        [sys.executable, str(store_harness.HERE), "trasher", str(data_dir), "1", "4"],
        capture_output=True, timeout=60, check=True,
    )
    assert process.stdout.decode().count("\n") >= 4
