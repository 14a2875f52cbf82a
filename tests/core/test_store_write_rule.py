"""The record's write path stores only what its read path accepts.

A turn with a numeric id (a server's, before the boundary checked stream events) used to be
written, then moved aside into a .corrupt file by the next read. Now the write is refused
before anything changes, by the same rule the read path applies (``turn_problem``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.records import Role, ThreadRecord, Turn
from tui.core.store import Store


def bad_turn() -> Turn:
    turn = Turn(role=Role.ASSISTANT, text="reply")
    turn.item_id = 5  # type: ignore[assignment]  # what an unchecked server event held
    return turn


@pytest.mark.parametrize("write", ["append", "replace", "merge"])
def test_a_turn_the_read_path_would_refuse_is_never_written(tmp_path: Path, write: str) -> None:
    with Store.open(tmp_path) as store:
        store.upsert(ThreadRecord(id="conv_1", title="t"))
        store.append_turn("conv_1", Turn(role=Role.USER, text="question"))
        with pytest.raises(ValueError, match="item_id is not text"):
            if write == "append":
                store.append_turn("conv_1", bad_turn())
            elif write == "replace":
                store.replace_transcript("conv_1", [bad_turn()])
            else:
                store.merge_transcript("conv_1", [bad_turn()])
        assert [t.text for t in store.transcript("conv_1")] == ["question"]
    with Store.open(tmp_path) as again:
        assert [t.text for t in again.transcript("conv_1")] == ["question"]
        assert again.problems == []
    assert not [p for p in tmp_path.rglob("*") if "corrupt" in p.name]
