"""The index journal: a write appends one line, a torn line is dropped, damage is reported,
compaction folds the journal into the snapshot, and another process's reload reads only the
lines it has not seen (even across a compaction)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from disk_fault import DiskFault, disk_fixture  # noqa: F401  (the `disk` fixture)
from store_harness import index_on_disk

from tui.core import storage
from tui.core.record_changes import RecordChanges
from tui.core.records import Role, ThreadRecord, Turn
from tui.core.store import ProblemKind, RecordWriteFailed, Store


def journal(data_dir: Path) -> bytes:
    return (data_dir / "index.journal").read_bytes()


def generation(data_dir: Path) -> int:
    return int(json.loads((data_dir / "index.json").read_bytes())["_store"]["1"]["generation"])


def test_a_write_appends_one_line_and_leaves_the_snapshot(store: Store, data_dir: Path) -> None:
    store.upsert(ThreadRecord(id="conv_a", title="a"))
    snapshot, before = (data_dir / "index.json").read_bytes(), journal(data_dir)
    store.update_thread("conv_a", title="renamed")
    assert (data_dir / "index.json").read_bytes() == snapshot
    added = journal(data_dir)[len(before):]
    assert journal(data_dir).startswith(before) and added.count(b"\n") == 1
    assert b'"renamed"' in added and len(added) < 600


def test_a_torn_last_line_was_never_acknowledged_and_is_dropped(
    store: Store, data_dir: Path
) -> None:
    store.upsert(ThreadRecord(id="conv_a", title="kept"))
    whole = journal(data_dir)
    torn = whole.splitlines(keepends=True)[-1][:-7]  # a kill in the middle of the next append
    with open(data_dir / "index.journal", "ab") as handle:
        handle.write(torn.replace(b"conv_a", b"conv_z"))
    with Store.open(data_dir) as again:
        assert again.problems == [] and "conv_z" not in again and "conv_a" in again
        again.upsert(ThreadRecord(id="conv_b"))  # appended after the last whole line
    assert journal(data_dir).startswith(whole)
    with Store.open(data_dir) as again:
        assert again.problems == [] and {"conv_a", "conv_b"} <= {r.id for r in again.list_threads()}


def test_a_damaged_line_is_left_out_reported_and_kept(store: Store, data_dir: Path) -> None:
    store.upsert(ThreadRecord(id="conv_a", title="first"))
    store.upsert(ThreadRecord(id="conv_b", title="second"))
    store.upsert(ThreadRecord(id="conv_c", title="third"))
    raw = journal(data_dir)
    damaged = raw.replace(b'"second"', b'"sec0nd"')
    (data_dir / "index.journal").write_bytes(damaged)
    with Store.open(data_dir) as again:
        assert [p.kind for p in again.problems] == [ProblemKind.DAMAGED_INDEX]
        problem = again.problems[0]
        assert "1 damaged change" in problem.message
        assert problem.path is not None and problem.path.read_bytes() == damaged
        assert {r.id for r in again.list_threads()} == {"conv_a", "conv_c"}


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_a_refused_append_leaves_no_line_that_replays(
    store: Store, data_dir: Path, disk: DiskFault, call: str
) -> None:
    store.upsert(ThreadRecord(id="conv_a", title="first"))
    before = journal(data_dir)
    disk.fail(errno.EIO, call)
    with pytest.raises(RecordWriteFailed):
        store.update_thread("conv_a", title="never acknowledged")
    disk.heal()
    assert journal(data_dir) == before
    assert index_on_disk(data_dir)["threads"]["conv_a"]["title"] == "first"
    store.update_thread("conv_a", title="after")
    with Store.open(data_dir) as again:
        record = again.get("conv_a")
        assert record is not None and record.title == "after" and again.problems == []


def test_compaction_folds_the_journal_into_a_new_snapshot(
    store: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "JOURNAL_MIN_BOUND", 2048)
    first = generation(data_dir)
    for n in range(40):
        store.upsert(ThreadRecord(id=f"conv_{n}", title=f"thread {n}"))
    assert generation(data_dir) > first
    assert len(journal(data_dir)) <= 2048 + 600
    assert set(index_on_disk(data_dir)["threads"]) == {f"conv_{n}" for n in range(40)}
    with Store.open(data_dir) as again:
        assert len(again) == 40 and again.problems == []


def test_a_compaction_stopped_before_the_new_journal_loses_nothing(
    store: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between the new snapshot and the new journal: the old journal's generation is
    behind the snapshot's, so it is not applied twice; the next write starts a fresh one."""
    store.upsert(ThreadRecord(id="conv_a", title="before"))
    stale = journal(data_dir)
    store.update_thread("conv_a", title="folded")
    store._index.storage.compact()
    (data_dir / "index.journal").write_bytes(stale)
    with Store.open(data_dir) as again:
        record = again.get("conv_a")
        assert record is not None and record.title == "folded" and again.problems == []
        again.upsert(ThreadRecord(id="conv_b"))
    with Store.open(data_dir) as again:
        assert {r.id for r in again.list_threads()} == {"conv_a", "conv_b"}


def test_a_reload_names_exactly_what_another_process_changed(
    store: Store, data_dir: Path
) -> None:
    store.upsert(ThreadRecord(id="conv_a", title="a"))
    store.upsert(ThreadRecord(id="conv_b", title="b"))
    store.reload()
    with Store.open(data_dir) as other:
        other.update_thread("conv_a", title="changed elsewhere")
        other.delete("conv_b")
        other.set_meta("draft", "hi")
    changes = store.reload()
    assert changes.changed == {"conv_a"} and changes.removed == {"conv_b"}
    assert changes.meta and not changes.everything
    record = store.get("conv_a")
    assert record is not None and record.title == "changed elsewhere"
    assert store.reload() == RecordChanges()


def test_a_reload_follows_another_process_through_a_compaction(
    store: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader keeps the old journal open: it reads the rest of it, then the new one,
    without re-reading the snapshot (which would have to report everything)."""
    store.upsert(ThreadRecord(id="conv_a", title="a"))
    store.reload()
    before = generation(data_dir)
    monkeypatch.setattr(storage, "JOURNAL_MIN_BOUND", 1024)
    monkeypatch.setattr(store._index.storage, "load", _must_not_run)
    with Store.open(data_dir) as other:
        for n in range(12):
            other.upsert(ThreadRecord(id=f"conv_{n}", title="x" * 40))
            changes = store.reload()
            assert not changes.everything and changes.changed == {f"conv_{n}"}
    assert generation(data_dir) >= before + 2
    assert len(store) == 13


def test_a_sent_turn_costs_one_fsync_of_the_transcript_and_none_of_the_index(
    store: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``last_active`` is derived from the transcript: its journal line rides on the next
    fsync instead of paying its own."""
    store.upsert(ThreadRecord(id="conv_a", title="a", last_active=0.0))
    store.append_turn("conv_a", Turn(role=Role.USER, text="first", at=1.0))
    synced: list[int] = []
    real = storage.os.fstat

    def counting_fsync(fd: int) -> None:
        synced.append(real(fd).st_ino)

    from tui.core import files

    monkeypatch.setattr(files.os, "fsync", counting_fsync)
    store.append_turn("conv_a", Turn(role=Role.USER, text="second", at=2.0))
    journal_inode = (data_dir / "index.journal").stat().st_ino
    assert synced == [store.transcript_path("conv_a").stat().st_ino]
    assert journal_inode not in synced
    record = store.get("conv_a")
    assert record is not None and record.last_active == 2.0


def _must_not_run() -> None:
    raise AssertionError("the snapshot was read again")


def texts(store: Store, thread_id: str) -> list[str]:
    return [t.text for t in store.transcript(thread_id)]


def test_a_transcript_changed_by_another_process_is_seen(store: Store, data_dir: Path) -> None:
    """The turns of a thread are held in memory; another process's append is read from the
    tail, its whole rewrite (a new file) read whole."""
    store.upsert(ThreadRecord(id="conv_a"))
    store.append_turn("conv_a", Turn(role=Role.USER, text="one"))
    assert texts(store, "conv_a") == ["one"]
    with Store.open(data_dir) as other:
        other.append_turn("conv_a", Turn(role=Role.ASSISTANT, text="two"))
    assert texts(store, "conv_a") == ["one", "two"]
    with Store.open(data_dir) as other:
        other.replace_transcript("conv_a", [Turn(role=Role.USER, text="rewritten")])
    assert texts(store, "conv_a") == ["rewritten"]
    store.append_turn("conv_a", Turn(role=Role.USER, text="three"))
    with Store.open(data_dir) as other:
        assert texts(other, "conv_a") == ["rewritten", "three"]


def test_a_torn_tail_is_not_news_to_a_poll(store: Store, data_dir: Path) -> None:
    store.upsert(ThreadRecord(id="conv_a"))
    with open(data_dir / "index.journal", "ab") as handle:
        handle.write(b"0badc0de {\"c\":[[\"thr")  # a writer killed mid-append
    assert store.changed_on_disk()
    store.reload()
    assert not store.changed_on_disk() and not store.reload()
