"""The index's head: a lazy open answers the first page from it, exactly, or not at all.

The head is derived data: these tests change the record behind its back (another store, a
fold, damage) and check that the first page a lazy open gives is the one the whole index
gives, that a head it cannot trust is ignored and rebuilt, and that a write made before the
whole index was read lands where it should.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.core import storage
from tui.core.index_head import HEAD_NAME, HEAD_ROWS, read_head, written_position
from tui.core.records import ThreadRecord
from tui.core.store import Store

PAGE = 200
THREADS = 400  # more than the head holds, so its bound matters


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A record of ``THREADS`` threads, one a minute, closed (so its head is written)."""
    folder = tmp_path / "data"
    with Store.open(folder) as store:
        for n in range(THREADS):
            store.upsert(ThreadRecord(id=f"conv_{n:04d}", title=f"thread {n}",
                                      last_active=1_000_000.0 + n * 60))
    yield folder


def ids(records: list[ThreadRecord]) -> list[str]:
    return [record.id for record in records]


def truth(data_dir: Path, limit: int = PAGE) -> list[ThreadRecord]:
    with Store.open(data_dir) as store:
        return store.list_threads(limit=limit)


def test_a_closed_record_has_a_head_and_a_lazy_open_reads_no_more(data_dir: Path) -> None:
    assert (data_dir / HEAD_NAME).exists()
    with Store.open(data_dir, lazy=True) as store:
        first = store.list_threads(limit=PAGE)
        assert not store.fully_open  # the page came from the head
        assert ids(first) == [f"conv_{n:04d}" for n in range(THREADS - 1, THREADS - 1 - PAGE, -1)]
        assert first == truth(data_dir)
        assert len(store) == THREADS and store.fully_open  # anything more reads it all


def test_another_processs_writes_after_the_head_are_in_the_first_page(data_dir: Path) -> None:
    """The head is older than the journal: its tail (a pin, an unpin, a delete, a new
    thread, a row moved down and out of the head) is applied, and the page is still exact."""
    with Store.open(data_dir) as other:  # writes, does not close before the lazy open
        other.update_thread("conv_0005", pinned=True)  # far below the head: now first
        other.update_thread("conv_0399", last_active=1.0)  # the newest: now the last
        other.delete("conv_0398")
        other.upsert(ThreadRecord(id="conv_new", last_active=9_999_999.0))
        other.update_thread("conv_0390", title="renamed elsewhere")
        with Store.open(data_dir, lazy=True) as store:
            first = store.list_threads(limit=PAGE)
            assert not store.fully_open
        assert ids(first)[:2] == ["conv_0005", "conv_new"]
        assert "conv_0398" not in ids(first) and "conv_0399" not in ids(first)
        assert first == other.list_threads(limit=PAGE)
        with Store.open(data_dir, lazy=True) as store:  # the newest moved below the head's end
            assert store.list_threads(limit=HEAD_ROWS) == other.list_threads(limit=HEAD_ROWS)


def test_random_changes_elsewhere_never_make_the_first_page_wrong(data_dir: Path) -> None:
    rng = random.Random(15)
    with Store.open(data_dir) as other:
        for step in range(60):
            thread_id = f"conv_{rng.randrange(THREADS):04d}"
            choice = rng.random()
            if thread_id not in other:
                other.upsert(ThreadRecord(id=thread_id, last_active=rng.uniform(0, 2e6)))
            elif choice < 0.3:
                other.delete(thread_id)
            elif choice < 0.5:
                other.update_thread(thread_id, pinned=rng.random() < 0.5)
            else:
                other.update_thread(thread_id, last_active=rng.uniform(0, 2e6))
            if step % 10 == 9:
                for limit in (PAGE, HEAD_ROWS - 1, HEAD_ROWS):  # up to the head's bound
                    with Store.open(data_dir, lazy=True) as store:
                        first = store.list_threads(limit=limit)
                    assert first == other.list_threads(limit=limit), (step, limit)


def test_a_head_with_too_few_exact_rows_is_not_used_for_the_page(data_dir: Path) -> None:
    """Rows moved out of the head leave fewer exact rows than a page: the whole index."""
    with Store.open(data_dir) as other:
        for n in range(THREADS - 1, THREADS - 1 - (HEAD_ROWS - PAGE + 1), -1):
            other.delete(f"conv_{n:04d}")
        with Store.open(data_dir, lazy=True) as store:
            first = store.list_threads(limit=PAGE)
            assert store.fully_open
        assert first == other.list_threads(limit=PAGE)


def test_a_stale_head_is_ignored_and_rewritten(data_dir: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """A head of an older snapshot (a fold by a threadtui that wrote none, a restore)."""
    old = data_dir.parent / "old.head"
    shutil.copy(data_dir / HEAD_NAME, old)
    monkeypatch.setattr(storage, "JOURNAL_MIN_BOUND", 1024)
    with Store.open(data_dir) as other:
        for n in range(10):  # folds the journal into new snapshots
            other.update_thread(f"conv_{n:04d}", last_active=5_000_000.0 + n)
    shutil.copy(old, data_dir / HEAD_NAME)
    assert read_head(data_dir, data_dir / "index.json", data_dir / "index.journal") is None
    with Store.open(data_dir, lazy=True) as store:
        assert store.fully_open  # nothing to trust: the whole index, at once
        first = store.list_threads(limit=PAGE)
    assert ids(first)[:10] == [f"conv_{n:04d}" for n in range(9, -1, -1)]
    assert read_head(data_dir, data_dir / "index.json", data_dir / "index.journal") is not None


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "bad row", "missing"])
def test_a_damaged_head_falls_back_to_the_index_and_is_rebuilt(
    data_dir: Path, damage: str
) -> None:
    path = data_dir / HEAD_NAME
    raw = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff" * 100)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "bad row":  # still JSON of the right shape: every row is checked
        path.write_bytes(raw.replace(b'"title":"thread 399"', b'"title":399', 1))
    else:
        path.unlink()
    with Store.open(data_dir, lazy=True) as store:
        assert store.fully_open
        assert store.list_threads(limit=PAGE) == truth(data_dir)
        assert store.problems == []  # derived data: nothing of the record was damaged
    with Store.open(data_dir, lazy=True) as store:  # rebuilt at close
        assert store.list_threads(limit=PAGE) == truth(data_dir)
        assert not store.fully_open


def test_a_write_before_the_whole_index_is_read_lands_whole(data_dir: Path) -> None:
    with Store.open(data_dir, lazy=True) as store:
        store.list_threads(limit=PAGE)
        store.update_thread("conv_0003", title="written early", pinned=True)
        assert store.fully_open
        assert store.list_threads(limit=1)[0].title == "written early"
        assert len(store) == THREADS
    with Store.open(data_dir) as store:
        record = store.get("conv_0003")
        assert record is not None and record.title == "written early" and record.pinned
        assert len(store) == THREADS and store.problems == []


def test_app_state_comes_from_the_head_and_changes_after_it_count(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.set_meta("draft", "typed before")
    with Store.open(data_dir) as other:
        other.set_meta("draft", "typed elsewhere")
        with Store.open(data_dir, lazy=True) as store:
            assert store.get_meta("draft") == "typed elsewhere"
            assert not store.fully_open


def test_rows_changed_after_the_head_was_read_are_reported_once_loaded(data_dir: Path) -> None:
    """Shown from the head, then another process writes before the whole index is read: the
    rows shown may be stale anywhere, so the first reload says everything changed."""
    with Store.open(data_dir, lazy=True) as store:
        shown = store.list_threads(limit=PAGE)
        with Store.open(data_dir) as other:
            other.update_thread(shown[0].id, title="changed meanwhile")
        assert store.reload().everything
        assert store.list_threads(limit=1)[0].title == "changed meanwhile"
    with Store.open(data_dir, lazy=True) as store:
        store.list_threads(limit=PAGE)
        assert not store.reload().everything  # nothing changed: no needless redraw


def test_the_head_is_written_at_a_fold_not_at_each_write(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = data_dir / HEAD_NAME
    with Store.open(data_dir) as store:
        before = head.stat().st_mtime_ns, written_position(head)
        store.update_thread("conv_0001", title="one write")
        assert (head.stat().st_mtime_ns, written_position(head)) == before
        monkeypatch.setattr(storage, "JOURNAL_MIN_BOUND", 512)
        store.update_thread("conv_0002", title="x" * 600)  # past the bound: a fold
        assert written_position(head) == store._index.storage.position
    with Store.open(data_dir, lazy=True) as store:
        assert store.get_meta("nothing") is None and not store.fully_open


def test_a_pinned_thread_leads_the_page_wherever_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with Store.open(folder) as store:
        for n in range(THREADS):
            store.upsert(ThreadRecord(id=f"conv_{n:04d}", last_active=float(n),
                                      pinned=n in (0, 7)))
    with Store.open(folder, lazy=True) as store:
        first = store.list_threads(limit=PAGE)
        assert not store.fully_open
    assert ids(first)[:3] == ["conv_0007", "conv_0000", "conv_0399"]
    assert first == truth(folder)


def test_a_store_closing_behind_a_fold_leaves_the_newer_head(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session that read the record, then another folded it (and wrote its head): the first
    session's close must not put back a head of the older snapshot."""
    behind = Store.open(data_dir)
    behind.update_thread("conv_0001", title="before the fold")  # it has something to write
    monkeypatch.setattr(storage, "JOURNAL_MIN_BOUND", 512)
    with Store.open(data_dir) as other:
        other.update_thread("conv_0002", title="x" * 600)  # past the bound: a fold
        folded = written_position(data_dir / HEAD_NAME)
    behind.close()
    assert written_position(data_dir / HEAD_NAME) == folded
    with Store.open(data_dir, lazy=True) as store:
        assert store.list_threads(limit=PAGE) == truth(data_dir)
        assert not store.fully_open
