"""Damaged, old and foreign files: moved aside and reported, never silently dropped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from store_harness import index_on_disk

from tui.core.journal import encode, looks_like_lines
from tui.core.migrations import CURRENT_VERSION, MIGRATIONS, migrate
from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import ProblemKind, Store, StoreProblem, StoreTooNew

FIXTURES = Path(__file__).parent / "fixtures"


def seed(data_dir: Path) -> None:
    """Two threads, one with a transcript (so it can be rebuilt if the index is lost)."""
    with Store.open(data_dir) as store:
        store.upsert(ThreadRecord(id="conv_talk", title="Talked", profile="work", last_active=5))
        store.upsert(ThreadRecord(id="conv_quiet", title="Never spoke", last_active=1))
        store.append_turn("conv_talk", Turn(role=Role.USER, text="hello", at=10.0))


def only_problem(store: Store, kind: ProblemKind) -> StoreProblem:
    assert [p.kind for p in store.problems] == [kind], store.problems
    return store.problems[0]


CORRUPT_INDEXES = {
    "garbage": b"\x00\xffnot json at all",
    "truncated": b'{"_store":{"1":{"schema_version":2}},"threads":{"conv_talk":{"id":"co',
    "a list": b"[1, 2, 3]",
    "a table that is not an object": b'{"_store":{"1":{"schema_version":2}},"threads":[]}',
    "a malformed version": b'{"_store":{"1":{"schema_version":"two"}},"threads":{}}',
}


@pytest.mark.parametrize("content", CORRUPT_INDEXES.values(), ids=CORRUPT_INDEXES.keys())
@pytest.mark.parametrize("journal", ["kept", "lost"])
def test_an_unreadable_index_is_moved_aside_and_rebuilt_from_transcripts(
    data_dir: Path, content: bytes, journal: str
) -> None:
    """Rebuilt from the transcripts, and from the journal's changes when it survived (the
    thread that never spoke is only there)."""
    seed(data_dir)
    (data_dir / "index.json").write_bytes(content)
    if journal == "lost":
        (data_dir / "index.journal").unlink()
    recovered = ["conv_talk"] if journal == "lost" else ["conv_talk", "conv_quiet"]
    with Store.open(data_dir) as store:
        problem = only_problem(store, ProblemKind.CORRUPT_INDEX)
        assert problem.path is not None and problem.path.read_bytes() == content
        assert problem.path.name.startswith("index.json.corrupt-")
        words = "1 thread was recovered" if journal == "lost" else "2 threads were recovered"
        assert str(problem.path) in problem.message and words in problem.message
        assert [r.id for r in store.list_threads()] == recovered
        rebuilt = store.get("conv_talk")
        assert rebuilt is not None and (rebuilt.title, rebuilt.profile) == ("Talked", "work")
        assert [t.text for t in store.transcript("conv_talk")] == ["hello"]
        store.upsert(ThreadRecord(id="conv_after"))
    with Store.open(data_dir) as store:
        assert store.problems == [] and "conv_after" in store


def test_an_index_damaged_while_open_keeps_what_the_session_had(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        (data_dir / "index.json").write_text("overwritten by something else")
        store.upsert(ThreadRecord(id="conv_new"))
        problem = only_problem(store, ProblemKind.CORRUPT_INDEX)
        assert "2 threads were recovered" in problem.message
        assert {r.id for r in store.list_threads()} == {"conv_talk", "conv_quiet", "conv_new"}


def test_a_missing_index_is_rebuilt_from_transcripts_and_said(data_dir: Path) -> None:
    seed(data_dir)
    (data_dir / "index.json").unlink()
    (data_dir / "index.journal").unlink()
    with Store.open(data_dir) as store:
        problem = only_problem(store, ProblemKind.REBUILT_INDEX)
        assert "1 thread was rebuilt" in problem.message
        assert "conv_talk" in store


def test_a_transcript_without_its_stored_row_gives_a_stub(data_dir: Path) -> None:
    transcripts = data_dir / "transcripts"
    transcripts.mkdir(parents=True)
    turns = [
        {"role": "user", "text": "What is   the\nweather?", "at": 7.0},
        {"role": "assistant", "text": "Sunny.", "at": 9.0},
    ]
    document = {"format": "threadtui-transcript", "version": 1, "thread_id": "thread_x"}
    (transcripts / "thread_x.json").write_text(json.dumps({**document, "turns": turns}))
    with Store.open(data_dir) as store:
        record = store.get("thread_x")
        assert record is not None
        assert (record.api, record.status) == (Dialect.ASSISTANTS, ThreadStatus.UNKNOWN)
        assert (record.title, record.created_at, record.last_active) == (
            "What is the weather?",
            7,
            9,
        )


def test_unusable_rows_are_left_out_and_the_original_kept(data_dir: Path) -> None:
    seed(data_dir)
    index = data_dir / "index.json"
    data = index_on_disk(data_dir)  # the whole index, written back as one snapshot
    (data_dir / "index.journal").unlink()
    data["threads"]["conv_quiet"]["status"] = "exploded"
    data["threads"]["conv_wrong_key"] = {"id": "conv_other"}
    data["meta"]["broken"] = "not an object"
    original = json.dumps(data).encode()
    index.write_bytes(original)
    with Store.open(data_dir) as store:
        problem = only_problem(store, ProblemKind.DAMAGED_INDEX)
        assert "3 unusable rows in" in problem.message and "exploded" in problem.message
        assert problem.path is not None and problem.path.read_bytes() == original
        assert [r.id for r in store.list_threads()] == ["conv_talk"]
    with Store.open(data_dir) as store:
        assert store.problems == []  # cleaned once, reported once


def test_a_record_from_a_newer_threadtui_is_left_alone(data_dir: Path) -> None:
    seed(data_dir)
    index = data_dir / "index.json"
    data = json.loads(index.read_text())
    data["_store"]["1"]["schema_version"] = CURRENT_VERSION + 1
    index.write_text(json.dumps(data))
    before = index.read_bytes()
    with pytest.raises(StoreTooNew, match="newer threadtui"):
        Store.open(data_dir)
    assert index.read_bytes() == before
    assert list(data_dir.glob("index.json.*")) == []


def test_an_unreadable_transcript_is_moved_aside_and_the_rest_kept(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        store.append_turn("conv_quiet", Turn(role=Role.USER, text="fine", at=3.0))
        path = store.transcript_path("conv_talk")
        path.write_bytes(b'{"format": "threadtui-transcript", "turns": [{"role"')
        assert store.transcript("conv_talk") == []
        problem = only_problem(store, ProblemKind.CORRUPT_TRANSCRIPT)
        assert problem.path is not None and problem.path.name.startswith("conv_talk.json.corrupt-")
        assert str(problem.path) in problem.message and "conv_talk" in problem.message
        assert [t.text for t in store.transcript("conv_quiet")] == ["fine"]
        assert "conv_talk" in store  # the row stays
        store.append_turn("conv_talk", Turn(role=Role.USER, text="again", at=20.0))
        assert [t.text for t in store.transcript("conv_talk")] == ["again"]
        assert len(store.problems) == 1


def test_a_transcript_of_another_thread_is_not_shown(data_dir: Path) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        shutil.copy(store.transcript_path("conv_talk"), store.transcript_path("conv_quiet"))
        assert store.transcript("conv_quiet") == []
        problem = only_problem(store, ProblemKind.CORRUPT_TRANSCRIPT)
        assert "another thread" in problem.message


ROBOT = {"role": "robot", "text": "?"}
STILL_HERE = {"role": "user", "text": "still here", "at": 11.0}


@pytest.mark.parametrize("form", ["lines", "old whole-JSON file", "damaged line"])
def test_unusable_messages_are_left_out_and_the_original_kept(data_dir: Path, form: str) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        path = store.transcript_path("conv_talk")
        store.transcript("conv_talk")  # held in memory: the change below must still be seen
        if form == "old whole-JSON file":
            document = {"format": "threadtui-transcript", "version": 1, "thread_id": "conv_talk",
                        "record": None, "turns": [t.to_dict() for t in store.transcript(
                            "conv_talk")] + [ROBOT, STILL_HERE]}
            path.write_text(json.dumps(document))
        elif form == "lines":
            with open(path, "ab") as handle:
                handle.write(encode({"turn": ROBOT}) + encode({"turn": STILL_HERE}))
        else:
            damaged = encode({"turn": {"role": "user", "text": "robot", "at": 1.0}})
            with open(path, "ab") as handle:
                handle.write(damaged.replace(b"robot", b"r0bot") + encode({"turn": STILL_HERE}))
        assert [t.text for t in store.transcript("conv_talk")] == ["hello", "still here"]
        problem = only_problem(store, ProblemKind.DAMAGED_TRANSCRIPT)
        assert problem.path is not None
        assert ("r0bot" if form == "damaged line" else "robot") in problem.path.read_text()
        assert [t.text for t in store.transcript("conv_talk")] == ["hello", "still here"]
        assert len(store.problems) == 1  # repaired on disk: said once


def test_problems_are_handed_out_once(data_dir: Path) -> None:
    seed(data_dir)
    (data_dir / "index.json").write_text("{")
    with Store.open(data_dir) as store:
        assert len(store.take_problems()) == 1
        assert store.take_problems() == []
        assert len(store.problems) == 1


# -- migrations -------------------------------------------------------------------------------


def test_a_version_1_record_is_upgraded(data_dir: Path) -> None:
    shutil.copytree(FIXTURES / "store_v1", data_dir)
    original = (data_dir / "index.json").read_bytes()
    with Store.open(data_dir) as store:
        problem = only_problem(store, ProblemKind.UPGRADED)
        assert f"from schema v1 to v{CURRENT_VERSION}" in problem.message
        assert problem.path is not None and problem.path.read_bytes() == original
        assert [r.id for r in store.list_threads()] == [
            "conv_68a1f0c2d9e84b7f",
            "thread_Ab12Cd34Ef56",
        ]
        report = store.get("conv_68a1f0c2d9e84b7f")
        assert report is not None
        assert (report.title, report.pinned, report.owner) == (
            "Quarterly report — draft",
            True,
            "alice",
        )
        assert report.server_meta == {"response_ids": ["resp_1", "resp_2"]}
        turns = store.transcript("conv_68a1f0c2d9e84b7f")
        # the duplicate v1 row's turn is kept too, in time order
        assert [t.item_id for t in turns] == [None, "msg_u1", "msg_a1"]
        assert turns[2].usage is not None and turns[2].usage.total_tokens == 30
        recipes = store.get("thread_Ab12Cd34Ef56")
        assert recipes is not None and recipes.status is ThreadStatus.GONE
        assert store.transcript("thread_Ab12Cd34Ef56") == []
    data = json.loads((data_dir / "index.json").read_text())
    assert data["_store"]["1"]["schema_version"] == CURRENT_VERSION
    assert all("turns" not in row for row in data["threads"].values())
    with Store.open(data_dir) as store:
        assert store.problems == []


class _Transcripts:
    """A MigrationIO that keeps what it is given, to run a migration outside a store."""

    def __init__(self) -> None:
        self.written: dict[str, list[dict[str, Any]]] = {}

    def write_transcript(
        self, thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any]
    ) -> None:
        self.written[thread_id] = turns


def test_migrations_can_run_again_after_a_kill() -> None:
    """A kill after the transcripts were written but before the index was replaced re-runs
    the migration from the old file: it must come to the same result."""
    raw = json.loads((FIXTURES / "store_v1" / "index.json").read_text())
    first_io, second_io = _Transcripts(), _Transcripts()
    first, version = migrate(json.loads(json.dumps(raw)), first_io)
    second, _ = migrate(json.loads(json.dumps(raw)), second_io)
    assert version == 1 and first == second and first_io.written == second_io.written
    assert len(MIGRATIONS) == CURRENT_VERSION - 1


V2_REPORT = "conv_68a1f0c2d9e84b7f"


def test_a_version_2_record_is_upgraded_with_a_backup(data_dir: Path) -> None:
    """Schema v2 (one whole index file, whole-JSON transcripts) becomes v3 (snapshot and
    journal, line transcripts): the index at open, with a copy kept; each transcript at its
    first write; the old transcripts read as they are meanwhile."""
    shutil.copytree(FIXTURES / "store_v2", data_dir)
    original = (data_dir / "index.json").read_bytes()
    transcripts = data_dir / "transcripts"
    local_before = (transcripts / "chat-local-1.json").read_bytes()
    with Store.open(data_dir) as store:
        problem = only_problem(store, ProblemKind.UPGRADED)
        assert f"from schema v2 to v{CURRENT_VERSION}" in problem.message
        assert problem.path is not None and problem.path.read_bytes() == original
        assert problem.path.name.startswith("index.json.pre-v3-")
        assert [r.id for r in store.list_threads()] == [
            V2_REPORT, "chat-local-1", "thread_Ab12Cd34Ef56"
        ]
        report = store.get(V2_REPORT)
        assert report is not None and (report.title, report.pinned, report.owner) == (
            "Quarterly report — draft", True, "alice"
        )
        local = store.get("chat-local-1")
        assert local is not None and local.status is ThreadStatus.INTERRUPTED
        assert local.base_url == "http://127.0.0.1:11434/v1"
        assert store.get_meta("theme") == "threadtui-dusk"
        assert store.get_meta(f"draft:{V2_REPORT}") == "and the Q1 forecast?"
        turns = store.transcript(V2_REPORT)
        assert [t.item_id for t in turns] == ["msg_u1", "msg_a1"]
        assert turns[1].usage is not None and turns[1].usage.total_tokens == 30
        assert store.transcript("chat-local-1")[-1].interrupted
        store.append_turn(V2_REPORT, Turn(role=Role.USER, text="And Q1?", at=1735689700.0))
    assert looks_like_lines((transcripts / f"{V2_REPORT}.json").read_bytes())
    assert (transcripts / "chat-local-1.json").read_bytes() == local_before  # not yet written
    assert index_on_disk(data_dir)["_store"]["1"]["schema_version"] == CURRENT_VERSION
    with Store.open(data_dir) as store:
        assert store.problems == []
        assert [t.text for t in store.transcript(V2_REPORT)][-1] == "And Q1?"
        report = store.get(V2_REPORT)
        assert report is not None and report.last_active == 1735689700.0
        assert len(store) == 3


def test_a_version_2_record_read_only_is_upgraded_in_memory_only(data_dir: Path) -> None:
    shutil.copytree(FIXTURES / "store_v2", data_dir)
    before = {p.name: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    with Store.open_read_only(data_dir) as store:
        assert len(store) == 3 and len(store.transcript(V2_REPORT)) == 2
        store._index.storage.load = _must_not_run  # type: ignore[method-assign]
        assert len(store.transcript("chat-local-1")) == 2  # without parsing the index again
        assert not store.changed_on_disk() and not store.reload()
    after = {p.name: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    assert after == before


def _must_not_run() -> None:
    raise AssertionError("the index was read again")
