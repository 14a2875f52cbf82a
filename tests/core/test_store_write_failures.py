"""A disk that refuses writes (full, read-only, not allowed, I/O error): no crash, no loss.

Faults are injected at the storage layer (tests/disk_fault.py: ``tui.core.files``'s ``os``
replaced by a proxy whose ``write``, ``replace``, ``open`` or ``fsync`` raise the chosen errno
while armed). Everything else is real: files in a temporary directory, a real Store. No root.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from disk_fault import DiskFault, disk_fixture  # noqa: F401  (the `disk` fixture)

from tui.core.records import Role, ThreadRecord, Turn
from tui.core.store import ProblemKind, RecordWriteFailed, Store

ERRNOS = {
    "ENOSPC": (errno.ENOSPC, "the disk is full"),
    "EROFS": (errno.EROFS, "read-only file system"),
    "EACCES": (errno.EACCES, "not allowed to write"),
    "EIO": (errno.EIO, "input/output error"),
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as opened:
        opened.upsert(ThreadRecord(id="conv_1", title="first", profile="acme"))
        opened.append_turn("conv_1", Turn(role=Role.USER, text="kept before the fault"))
        yield opened


@pytest.mark.parametrize("name", list(ERRNOS))
@pytest.mark.parametrize("call", ["write", "open", "fsync", "replace"])
def test_a_refused_message_write_is_a_record_write_failed_naming_what_and_where(
    store: Store, disk: DiskFault, name: str, call: str
) -> None:
    """A turn is appended to its transcript (open, write, fsync); a transcript in the old
    format is first rewritten whole (``replace``), which the disk may refuse too."""
    number, words = ERRNOS[name]
    if call == "replace":
        path = store.transcript_path("conv_1")
        turns = [t.to_dict() for t in store.transcript("conv_1")]
        old = {"format": "threadtui-transcript", "version": 1, "thread_id": "conv_1",
               "record": None, "turns": turns}
        path.write_text(json.dumps(old))
    disk.fail(number, call)
    with pytest.raises(RecordWriteFailed) as caught:
        store.append_turn("conv_1", Turn(role=Role.USER, text="typed on a full disk"))
    exc = caught.value
    assert isinstance(exc, OSError) and exc.errno == number
    assert exc.operation == "save your message"
    assert exc.path == store.transcript_path("conv_1")  # the file the user knows, not a tmp
    assert str(exc).startswith("could not save your message: ") and words in str(exc).lower()
    assert str(exc).endswith(f"({store.transcript_path('conv_1')})")
    disk.heal()
    # Nothing changed, nothing half-written, no temporary file left behind.
    assert [t.text for t in store.transcript("conv_1")] == ["kept before the fault"]
    assert not list((store.data_dir / ".tmp").iterdir())
    store.append_turn("conv_1", Turn(role=Role.USER, text="after the disk freed"))
    assert len(store.transcript("conv_1")) == 2


@pytest.mark.parametrize("name", list(ERRNOS))
@pytest.mark.parametrize(
    ("operation", "change"),
    [("save the pin", {"pinned": True}), ("save the new title", {"title": "renamed"})],
)
def test_pin_and_rename_on_a_refusing_disk_raise_and_keep_the_old_row(
    store: Store, disk: DiskFault, name: str, operation: str, change: dict[str, Any]
) -> None:
    number, _ = ERRNOS[name]
    disk.fail(number)
    with pytest.raises(RecordWriteFailed) as caught:
        store.update_thread("conv_1", **change)
    assert caught.value.operation == operation and caught.value.path == store.index_path
    disk.heal()
    record = store.get("conv_1")
    assert (record.title, record.pinned) == ("first", False)  # the snapshot was not kept
    store.update_thread("conv_1", **change)
    with Store.open(store.data_dir) as again:
        assert getattr(again.get("conv_1"), next(iter(change))) == next(iter(change.values()))


def test_a_full_disk_does_not_stop_the_record_opening(tmp_path: Path, disk: DiskFault) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.upsert(ThreadRecord(id="conv_1", title="first"))
    disk.fail(errno.ENOSPC, "write")
    with Store.open(data) as store:  # nothing to write at open: it opens, reads, lists
        assert [r.id for r in store.list_threads()] == ["conv_1"]
        with pytest.raises(RecordWriteFailed):
            store.set_meta("theme", "nord")


def test_a_lost_reply_that_cannot_be_marked_is_reported_and_marked_later(
    tmp_path: Path, disk: DiskFault
) -> None:
    """A mark left by a sender that could not store its reply, found while the disk is full."""
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.upsert(ThreadRecord(id="conv_1", title="first"))
        with pytest.raises(RuntimeError), store.reply_in_flight("conv_1"):
            store.append_turn("conv_1", Turn(role=Role.USER, text="asked"))
            raise RuntimeError("the reply's write failed")  # the mark stays behind
        assert list((data / "replies").iterdir())
    disk.fail(errno.ENOSPC)
    with Store.open(data) as store:
        problems = store.take_problems()
        assert [p.kind for p in problems] == [ProblemKind.WRITE_FAILED]
        assert "the disk is full" in problems[0].message
    disk.heal()
    with Store.open(data) as store:
        assert [p.kind for p in store.take_problems()] == [ProblemKind.UNANSWERED]
        assert store.transcript("conv_1")[-1].interrupted
    assert not list((data / "replies").iterdir())
