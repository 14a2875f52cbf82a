"""The record's queries and changes, on real files in a temporary directory."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import pytest
from store_harness import index_on_disk
from tinydb import TinyDB

from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn, Usage
from tui.core.store import (
    ImportResult,
    Store,
    ThreadImport,
    UnknownThread,
    dialect_for_id,
    merge_turns,
    transcript_file_name,
)


def thread(thread_id: str, **fields: object) -> ThreadRecord:
    values: dict[str, object] = {"title": f"title of {thread_id}", "last_active": 100.0}
    values.update(fields)
    return ThreadRecord(id=thread_id, **values)  # type: ignore[arg-type]


def ids(records: list[ThreadRecord]) -> list[str]:
    return [record.id for record in records]


def turn(text: str, role: Role = Role.USER, at: float = 1000.0, **fields: object) -> Turn:
    return Turn(role=role, text=text, at=at, **fields)  # type: ignore[arg-type]


# -- files and modes ---------------------------------------------------------------------------


def test_a_new_record_is_private_to_the_user(store: Store, data_dir: Path) -> None:
    store.upsert(thread("conv_a"))
    store.append_turn("conv_a", turn("hello"))
    for directory in (data_dir, data_dir / "transcripts", data_dir / ".tmp"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for file in (data_dir / "index.json", data_dir / "index.journal", data_dir / "index.lock",
                 store.transcript_path("conv_a")):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600


def test_everything_survives_a_reopen(store: Store, data_dir: Path) -> None:
    record = thread("conv_a", profile="work", server_meta={"response_ids": ["resp_1"]})
    record.last_active = 2000.0  # newer than the turn: the append leaves it alone
    store.upsert(record)
    store.append_turn("conv_a", turn("hello", usage=Usage(1, 2, 3), item_id="msg_1"))
    store.set_meta("assistant:work:gpt", {"id": "asst_1"})
    with Store.open(data_dir) as again:
        assert again.get("conv_a") == record
        assert again.transcript("conv_a") == [turn("hello", usage=Usage(1, 2, 3), item_id="msg_1")]
        assert again.get_meta("assistant:work:gpt") == {"id": "asst_1"}
        assert again.problems == []


def test_the_index_file_is_tinydb_json_with_the_thread_id_as_key(
    store: Store, data_dir: Path
) -> None:
    store.upsert(thread("conv_a"))
    snapshot = (data_dir / "index.json").read_bytes()
    store.upsert(thread("conv_b"))
    # A write appends to the journal; the snapshot (a stock TinyDB file) is left as it was.
    assert (data_dir / "index.json").read_bytes() == snapshot
    assert {"_store", "threads", "meta"} <= TinyDB(data_dir / "index.json").tables()
    data = index_on_disk(data_dir)
    assert data["_store"]["1"]["schema_version"] == 3
    assert data["threads"]["conv_b"]["title"] == "title of conv_b"
    assert "turns" not in data["threads"]["conv_a"]


def test_the_file_always_matches_what_the_store_holds(store: Store, data_dir: Path) -> None:
    """The storage re-serialises only new documents; any document edited in place would show
    here as a file that disagrees with the snapshot."""
    for n in range(5):
        store.upsert(thread(f"conv_{n}", last_active=float(n)))
    store.append_turn("conv_1", turn("x", at=50.0))
    store.update_thread("conv_2", title="renamed", pinned=True)
    store.mark_status("conv_3", ThreadStatus.GONE)
    store.delete("conv_4")
    store.set_meta("k", [1, 2])
    with Store.open(data_dir) as other:
        other.upsert(thread("conv_9"))
    store.update_thread("conv_0", title="after the other process")
    on_disk = index_on_disk(data_dir)
    assert on_disk["threads"] == {r.id: r.to_dict() for r in store.list_threads()}
    assert set(on_disk["threads"]) == {"conv_0", "conv_1", "conv_2", "conv_3", "conv_9"}
    assert on_disk["threads"]["conv_1"]["last_active"] == 50.0


def test_leftovers_of_killed_writers_are_swept_on_open(data_dir: Path) -> None:
    Store.open(data_dir).close()
    leftover = data_dir / ".tmp" / ".index.json.123.abcd.tmp"
    leftover.write_text("half a file")
    Store.open(data_dir).close()
    assert not leftover.exists()


# -- the index ---------------------------------------------------------------------------------


def test_pinned_first_then_newest_first(store: Store) -> None:
    store.upsert(thread("conv_old", last_active=1.0))
    store.upsert(thread("conv_new", last_active=3.0))
    store.upsert(thread("conv_mid", last_active=2.0))
    store.upsert(thread("conv_pinned_old", last_active=0.5, pinned=True))
    assert ids(store.list_threads()) == ["conv_pinned_old", "conv_new", "conv_mid", "conv_old"]


def test_pages(store: Store) -> None:
    for n in range(10):
        store.upsert(thread(f"conv_{n}", last_active=float(n)))
    assert ids(store.list_threads(limit=3)) == ["conv_9", "conv_8", "conv_7"]
    assert ids(store.list_threads(offset=8, limit=5)) == ["conv_1", "conv_0"]
    assert store.count_threads() == len(store) == 10


def test_text_filter_is_case_insensitive_over_title_id_profile_org_project_and_owner(
    store: Store,
) -> None:
    store.upsert(thread("conv_title", title="Budget PLANNING"))
    store.upsert(thread("conv_planid"))
    store.upsert(thread("conv_prof", profile="Planners"))
    store.upsert(thread("conv_org", organization="org-planet"))
    store.upsert(thread("conv_proj", project="proj_PLANB"))
    store.upsert(thread("conv_owner", owner="Plan-owner"))
    store.upsert(thread("conv_none", title="nothing", model="plan-model"))
    found = set(ids(store.list_threads(text="plan")))
    assert found == {
        "conv_title", "conv_planid", "conv_prof", "conv_org", "conv_proj", "conv_owner"
    }
    assert store.count_threads(text="PLAN") == 6
    assert store.list_threads(text="no such thing") == []


def test_text_filter_words_must_all_match_each_in_some_field(store: Store) -> None:
    store.upsert(thread("conv_a", title="Straße budget", organization="acme", last_active=1.0))
    store.upsert(thread("conv_b", title="strasse", organization="other", last_active=2.0))
    store.upsert(thread("conv_c", title="budget", organization="acme", last_active=2.0))
    assert ids(store.list_threads(text="STRASSE")) == ["conv_b", "conv_a"]
    assert ids(store.list_threads(text="acme  budget")) == ["conv_c", "conv_a"]
    assert ids(store.list_threads(text="budget strasse ACME")) == ["conv_a"]
    assert store.list_threads(text="budgetacme") == []  # never across two fields


def test_equal_times_are_ordered_by_id(store: Store) -> None:
    for name in ("conv_c", "conv_a", "conv_b"):
        store.upsert(thread(name, last_active=5.0))
    store.upsert(thread("conv_z", last_active=5.0, pinned=True))
    store.upsert(thread("conv_y", last_active=5.0, pinned=True))
    assert ids(store.list_threads()) == ["conv_y", "conv_z", "conv_a", "conv_b", "conv_c"]


def test_full_text_also_searches_transcripts(store: Store) -> None:
    store.upsert(thread("conv_a", title="first"))
    store.upsert(thread("conv_b", title="second"))
    store.append_turn("conv_b", turn("The Walrus said"))
    assert ids(store.list_threads(text="walrus")) == []
    assert ids(store.list_threads(text="walrus", full_text=True)) == ["conv_b"]
    assert ids(store.list_threads(text="first", full_text=True)) == ["conv_a"]


def test_filters_by_profile_owner_and_status(store: Store) -> None:
    store.upsert(thread("conv_a", profile="work", owner="alice"))
    store.upsert(thread("conv_b", profile="work", owner="bob", status=ThreadStatus.GONE))
    store.upsert(thread("conv_c", profile="home", owner="alice"))
    assert set(ids(store.list_threads(profile="work"))) == {"conv_a", "conv_b"}
    assert set(ids(store.list_threads(owner="alice"))) == {"conv_a", "conv_c"}
    assert ids(store.list_threads(profile="work", owner="alice")) == ["conv_a"]
    shown = [ThreadStatus.OK, ThreadStatus.UNKNOWN]
    assert set(ids(store.list_threads(statuses=shown))) == {"conv_a", "conv_c"}
    assert store.count_threads(statuses=[ThreadStatus.GONE]) == 1



def test_status_filters_keep_list_order_and_follow_status_changes(store: Store) -> None:
    """The status filter answers from a per-version index of statuses: every mix of wanted
    and left-out statuses, in list order, and a status changed since is seen at once."""
    statuses = [ThreadStatus.OK, ThreadStatus.GONE, ThreadStatus.UNKNOWN, ThreadStatus.OK,
                ThreadStatus.INTERRUPTED, ThreadStatus.OK, ThreadStatus.GONE]
    for n, status in enumerate(statuses):
        store.upsert(thread(f"conv_{n}", status=status, last_active=100.0 - n))
    order = ids(store.list_threads())
    assert order == [f"conv_{n}" for n in range(7)]
    for wanted in ([], [ThreadStatus.OK], [ThreadStatus.GONE],
                   [ThreadStatus.OK, ThreadStatus.UNKNOWN, ThreadStatus.INTERRUPTED],
                   list(ThreadStatus), [ThreadStatus.FOREIGN]):
        expected = [i for i, s in zip(order, statuses, strict=True) if s in wanted]
        assert ids(store.list_threads(statuses=wanted)) == expected, wanted
        assert store.count_threads(statuses=wanted) == len(expected)
    store.mark_status("conv_0", ThreadStatus.GONE)
    assert store.count_threads(statuses=[ThreadStatus.GONE]) == 3
    assert "conv_0" not in ids(store.list_threads(statuses=[ThreadStatus.OK]))
    store.delete("conv_1")
    assert ids(store.list_threads(statuses=[ThreadStatus.GONE])) == ["conv_0", "conv_6"]
    # A command's page and count come from one search: the same as asking each apart.
    for wanted in ([ThreadStatus.OK], [ThreadStatus.GONE], None):
        for limit in (None, 1, 2, 10):
            page, total = store.page_of_threads(statuses=wanted, limit=limit)
            assert ids(page) == ids(store.list_threads(statuses=wanted, limit=limit))
            assert total == store.count_threads(statuses=wanted)


def test_get_and_contains(store: Store) -> None:
    store.upsert(thread("conv_a"))
    assert "conv_a" in store and "conv_b" not in store
    assert store.get("conv_b") is None


def test_upsert_replaces_the_row(store: Store) -> None:
    store.upsert(thread("conv_a", title="one", model="m1"))
    store.upsert(thread("conv_a", title="two"))
    record = store.get("conv_a")
    assert record is not None and record.title == "two" and record.model is None
    assert len(store) == 1


def test_records_handed_out_do_not_alias_the_store(store: Store) -> None:
    meta = {"response_ids": ["resp_1"]}
    store.upsert(thread("conv_a", server_meta=meta))
    meta["response_ids"].append("resp_from_caller")
    record = store.get("conv_a")
    assert record is not None
    record.server_meta["response_ids"].append("resp_mutated")
    record.title = "changed only in memory"
    fresh = store.get("conv_a")
    assert fresh is not None
    assert fresh.server_meta == {"response_ids": ["resp_1"]} and fresh.title == "title of conv_a"


def test_update_thread_changes_only_the_named_fields(store: Store, data_dir: Path) -> None:
    store.upsert(thread("conv_a", title="old", model="m"))
    with Store.open(data_dir) as other:  # a change made elsewhere that must survive
        other.update_thread("conv_a", model="m2")
    updated = store.update_thread("conv_a", title="new", pinned=True)
    assert (updated.title, updated.pinned, updated.model) == ("new", True, "m2")
    assert store.get("conv_a") == updated
    with pytest.raises(TypeError):
        store.update_thread("conv_a", colour="red")
    with pytest.raises(TypeError):
        store.update_thread("conv_a", id="conv_b")
    with pytest.raises(UnknownThread):
        store.update_thread("conv_missing", title="x")


def test_mark_status(store: Store) -> None:
    store.upsert(thread("conv_a"))
    assert store.mark_status("conv_a", "foreign").status is ThreadStatus.FOREIGN
    record = store.get("conv_a")
    assert record is not None and record.status is ThreadStatus.FOREIGN
    with pytest.raises(ValueError):
        store.mark_status("conv_a", "sideways")


def test_delete_removes_row_and_transcript(store: Store) -> None:
    store.upsert(thread("conv_a"))
    store.append_turn("conv_a", turn("secret"))
    path = store.transcript_path("conv_a")
    assert path.exists()
    assert store.delete("conv_a") is True
    assert "conv_a" not in store and not path.exists()
    assert store.delete("conv_a") is False


def test_rows_that_cannot_be_stored_are_refused_before_writing(
    store: Store, data_dir: Path
) -> None:
    store.upsert(thread("conv_ok"))
    before = (data_dir / "index.json").read_bytes(), (data_dir / "index.journal").read_bytes()
    for bad in (
        thread("conv_nan", last_active=math.nan),
        thread("conv_\x1b[31m"),
        thread("conv_" + "x" * 300),
        thread("conv_obj", server_meta={"x": object()}),
    ):
        with pytest.raises((ValueError, TypeError)):
            store.upsert(bad)
    after = (data_dir / "index.json").read_bytes(), (data_dir / "index.journal").read_bytes()
    assert after == before
    assert ids(store.list_threads()) == ["conv_ok"]


def test_bulk_import_adds_skips_and_replaces(store: Store) -> None:
    store.upsert(thread("conv_a", title="mine"))
    store.append_turn("conv_a", turn("kept"))
    items = [
        ThreadImport(thread("conv_a", title="theirs")),
        ThreadImport(thread("conv_b"), [turn("b1"), turn("b2", Role.ASSISTANT)]),
        ThreadImport(thread("conv_b", title="duplicate in the same batch")),
    ]
    result = store.import_threads(items)
    assert result == ImportResult(added=["conv_b"], replaced=[], skipped=["conv_a", "conv_b"])
    assert store.get("conv_a").title == "mine"  # type: ignore[union-attr]
    assert [t.text for t in store.transcript("conv_b")] == ["b1", "b2"]

    result = store.import_threads([ThreadImport(thread("conv_a", title="theirs"))], replace=True)
    assert result.replaced == ["conv_a"]
    assert store.get("conv_a").title == "theirs"  # type: ignore[union-attr]
    assert [t.text for t in store.transcript("conv_a")] == ["kept"]  # no turns given: kept
    store.import_threads([ThreadImport(thread("conv_a"), [turn("new")])], replace=True)
    assert [t.text for t in store.transcript("conv_a")] == ["new"]


def test_bulk_import_rejects_a_bad_thread_alone(store: Store) -> None:
    items = [
        ThreadImport(thread("conv_nan", last_active=math.nan), [turn("lost")]),
        ThreadImport(thread("conv_bad_turn"), [turn("x", at=math.inf)]),
        ThreadImport(thread("conv_fine"), [turn("kept")]),
    ]
    result = store.import_threads(items)
    assert result.added == ["conv_fine"]
    assert [thread_id for thread_id, _ in result.rejected] == ["conv_nan", "conv_bad_turn"]
    assert "message 1: at is not a time" in result.rejected[1][1]
    assert ids(store.list_threads()) == ["conv_fine"]
    assert not store.transcript_path("conv_nan").exists()


# -- transcripts -------------------------------------------------------------------------------


def test_append_turn_records_in_order_and_moves_last_active(store: Store) -> None:
    store.upsert(thread("conv_a", last_active=10.0))
    store.upsert(thread("conv_b", last_active=20.0))
    store.append_turn("conv_a", turn("question", at=30.0))
    store.append_turn("conv_a", turn("answer", Role.ASSISTANT, at=31.0, interrupted=True))
    assert [(t.role, t.text) for t in store.transcript("conv_a")] == [
        (Role.USER, "question"),
        (Role.ASSISTANT, "answer"),
    ]
    assert ids(store.list_threads()) == ["conv_a", "conv_b"]
    assert store.get("conv_a").last_active == 31.0  # type: ignore[union-attr]
    store.append_turn("conv_a", turn("from an old import", at=1.0))
    assert store.get("conv_a").last_active == 31.0  # type: ignore[union-attr]


def test_append_turn_with_a_known_item_id_replaces_that_turn(store: Store) -> None:
    store.upsert(thread("conv_a"))
    store.append_turn("conv_a", turn("partial", Role.ASSISTANT, item_id="msg_1", interrupted=True))
    store.append_turn("conv_a", turn("complete", Role.ASSISTANT, item_id="msg_1"))
    assert [(t.text, t.interrupted) for t in store.transcript("conv_a")] == [("complete", False)]


def test_transcript_writes_need_a_recorded_thread(store: Store) -> None:
    with pytest.raises(UnknownThread):
        store.append_turn("conv_missing", turn("x"))
    with pytest.raises(UnknownThread):
        store.replace_transcript("conv_missing", [])
    with pytest.raises(UnknownThread):
        store.merge_transcript("conv_missing", [])
    assert store.transcript("conv_missing") == []


def test_replace_transcript(store: Store) -> None:
    store.upsert(thread("conv_a"))
    store.append_turn("conv_a", turn("old"))
    store.replace_transcript("conv_a", [turn("new one"), turn("new two", Role.ASSISTANT)])
    assert [t.text for t in store.transcript("conv_a")] == ["new one", "new two"]


def test_merge_takes_the_server_view_and_keeps_local_only_turns(store: Store) -> None:
    store.upsert(thread("conv_a", last_active=1.0))
    local = [
        turn("hi", at=10.0, item_id="msg_u1"),
        turn("hello", Role.ASSISTANT, at=11.0, item_id="msg_a1", usage=Usage(1, 2, 3)),
        turn("second question", at=12.0),  # sent, item id never learnt
        turn("half an ans", Role.ASSISTANT, at=13.0, interrupted=True),
    ]
    store.replace_transcript("conv_a", local)
    server = [
        turn("hi", at=0.0, item_id="msg_u1"),
        turn("hello (edited)", Role.ASSISTANT, at=0.0, item_id="msg_a1"),
        turn("second question", at=0.0, item_id="msg_u2"),
        turn("a full answer", Role.ASSISTANT, at=50.0, item_id="msg_a2"),
    ]
    merged = store.merge_transcript("conv_a", server)
    assert [(t.text, t.item_id) for t in merged] == [
        ("hi", "msg_u1"),
        ("hello (edited)", "msg_a1"),
        ("second question", "msg_u2"),
        ("half an ans", None),
        ("a full answer", "msg_a2"),
    ]
    assert merged[1].usage == Usage(1, 2, 3) and merged[1].at == 11.0
    assert store.transcript("conv_a") == merged
    assert store.get("conv_a").last_active == 50.0  # type: ignore[union-attr]
    assert store.merge_transcript("conv_a", server) == merged  # idempotent


def test_merge_keeps_local_turns_before_the_first_match_and_unknown_to_the_server() -> None:
    local = [turn("draft"), turn("q", item_id="msg_q"), turn("gone on server", item_id="msg_x")]
    server = [turn("q", item_id="msg_q"), turn("a", Role.ASSISTANT, item_id="msg_a")]
    assert [t.text for t in merge_turns(local, server)] == ["draft", "q", "gone on server", "a"]
    assert merge_turns([], server) == server
    assert merge_turns(local, []) == local


def test_transcript_file_names_cannot_escape_or_collide() -> None:
    assert transcript_file_name("conv_abc") == "conv_abc.json"
    upper, lower = transcript_file_name("thread_AbC"), transcript_file_name("thread_abc")
    assert upper.lower() != lower.lower()  # distinct on case-insensitive filesystems too
    for hostile in ("../../etc/passwd", "a/b", ".hidden", "x" * 300, "conv_\x00"):
        name = transcript_file_name(hostile)
        assert "/" not in name and not name.startswith(".") and len(name) < 100


def test_dialect_from_the_id_prefix() -> None:
    assert dialect_for_id("thread_abc") is Dialect.ASSISTANTS
    assert dialect_for_id("conv_abc") is Dialect.CONVERSATIONS
    assert dialect_for_id("chat-123") is Dialect.CHAT


# -- app state ---------------------------------------------------------------------------------


def test_meta_round_trip_and_delete(store: Store) -> None:
    assert store.get_meta("missing") is None
    assert store.get_meta("missing", "fallback") == "fallback"
    store.set_meta("assistant:work:gpt-4o", "asst_1")
    store.set_meta("nested", {"a": [1, 2]})
    value = store.get_meta("nested")
    value["a"].append(3)  # a copy: the store is unchanged
    assert store.get_meta("nested") == {"a": [1, 2]}
    assert store.meta_items() == {"assistant:work:gpt-4o": "asst_1", "nested": {"a": [1, 2]}}
    assert store.delete_meta("nested") is True and store.delete_meta("nested") is False
    assert store.import_meta({"assistant:work:gpt-4o": "other", "new": 1}) == ["new"]
    assert store.get_meta("assistant:work:gpt-4o") == "asst_1"
    store.import_meta({"assistant:work:gpt-4o": "other"}, replace=True)
    assert store.get_meta("assistant:work:gpt-4o") == "other"


def test_meta_refuses_values_that_are_not_json(store: Store) -> None:
    with pytest.raises(TypeError):
        store.set_meta("k", {1, 2})
    with pytest.raises(ValueError):
        store.set_meta("k", math.inf)
    assert store.get_meta("k") is None


# -- other processes (same-process stand-ins; real processes in test_store_processes) ---------


def test_another_store_sees_changes_after_reload(store: Store, data_dir: Path) -> None:
    store.upsert(thread("conv_a"))
    with Store.open(data_dir) as other:
        assert other.changed_on_disk() is False
        store.upsert(thread("conv_b"))
        assert other.changed_on_disk() is True
        assert "conv_b" not in other  # a snapshot until reload: the sidebar does not jump
        changes = other.reload()
        assert changes.changed == {"conv_b"} and not changes.removed and not changes.everything
        assert "conv_b" in other and other.changed_on_disk() is False
        assert not other.reload()


def test_a_reload_names_only_the_rows_another_store_changed(
    store: Store, data_dir: Path
) -> None:
    for name in ("conv_a", "conv_b", "conv_c"):
        store.upsert(thread(name))
    with Store.open(data_dir) as other:
        store.update_thread("conv_a", title="renamed elsewhere")
        store.delete("conv_b")
        store.upsert(thread("conv_d"))
        store.set_meta("draft", "unsent words")
        changes = other.reload()
        assert changes.changed == {"conv_a", "conv_d"}
        assert changes.removed == {"conv_b"}
        assert changes.meta and not changes.everything
        assert other.get("conv_a").title == "renamed elsewhere"  # type: ignore[union-attr]


def test_changes_taken_in_by_our_own_write_are_reported_at_the_next_reload(
    store: Store, data_dir: Path
) -> None:
    store.upsert(thread("conv_a"))
    with Store.open(data_dir) as other:
        store.upsert(thread("conv_elsewhere"))
        other.upsert(thread("conv_mine"))  # re-reads under the lock and takes conv_elsewhere in
        changes = other.reload()
        assert changes.changed == {"conv_elsewhere"}  # our own row is not news


def test_a_rebuilt_index_is_reported_as_everything(store: Store, data_dir: Path) -> None:
    store.upsert(thread("conv_a"))
    store.append_turn("conv_a", turn("hello"))
    with Store.open(data_dir) as other:
        (data_dir / "index.json").write_text("")  # emptied: rebuilt from the transcripts
        assert other.reload().everything
        assert "conv_a" in other


def test_a_transcript_only_change_is_noticed(store: Store, data_dir: Path) -> None:
    store.upsert(thread("conv_a", last_active=99.0))
    with Store.open(data_dir) as other:
        store.replace_transcript("conv_a", [turn("from elsewhere", at=1.0)])
        assert other.changed_on_disk() is True
        assert other.reload().transcripts
        assert [t.text for t in other.transcript("conv_a")] == ["from elsewhere"]


def test_a_write_merges_with_changes_it_had_not_loaded(store: Store, data_dir: Path) -> None:
    with Store.open(data_dir) as other:
        other.upsert(thread("conv_other"))
        store.upsert(thread("conv_mine"))  # without reload: must not drop conv_other
        other.upsert(thread("conv_other2"))
    with Store.open(data_dir) as check:
        assert set(ids(check.list_threads())) == {"conv_other", "conv_mine", "conv_other2"}


def test_the_data_directory_can_be_given_as_text(data_dir: Path) -> None:
    with Store.open(os.fspath(data_dir)) as opened:
        assert opened.data_dir == data_dir


def test_the_store_filter_lets_through_exactly_what_the_filter_rule_does(store: Store) -> None:
    """The store looks for words across all rows at once; the rule is thread_query.matches."""
    import random

    from tui.core.thread_query import matches, query_words, record_haystack

    rng = random.Random(4)
    syllables = ["ab", "ba", "Straße", "été", "x", "conv", "A", "ss", "ÉT"]
    for n in range(60):
        title = " ".join(rng.choices(syllables, k=rng.randint(0, 4)))
        store.upsert(thread(f"conv_{n:02d}", title=title, organization=rng.choice([None, "org-ab"]),
                            last_active=float(n % 7)))
    records = store.list_threads()
    for _ in range(200):
        query = " ".join(rng.choices([*syllables, "conv_0", "b a", "zz"], k=rng.randint(1, 3)))
        words = query_words(query)
        expected = [r.id for r in records if matches(words, record_haystack(r))]
        assert ids(store.list_threads(text=query)) == expected, query


def test_active_since_is_every_thread_active_from_then_whatever_its_status_or_pin(
    store: Store,
) -> None:
    """The bar's sums read the month's threads with it: each one once, at ``since`` or later,
    pinned or not, gone or not; nothing older, also after a write moved the list order."""
    store.upsert(thread("conv_old", last_active=99.0))
    store.upsert(thread("conv_old_pinned", last_active=50.0, pinned=True))
    store.upsert(thread("conv_at", last_active=100.0))
    store.upsert(thread("conv_gone", last_active=150.0, status=ThreadStatus.GONE))
    store.upsert(thread("conv_new", last_active=200.0))
    assert sorted(r.id for r in store.active_since(100.0)) == ["conv_at", "conv_gone", "conv_new"]
    store.append_turn("conv_old", Turn(role=Role.USER, text="back", at=300.0))
    assert sorted(r.id for r in store.active_since(100.0)) == [
        "conv_at", "conv_gone", "conv_new", "conv_old"]
    assert [r.id for r in store.active_since(250.0)] == ["conv_old"]
