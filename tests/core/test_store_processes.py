"""Real processes: SIGKILL at random moments, two writers at once, a reader and a writer."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import store_harness

from tui.core.store import Store


@pytest.mark.slow  # a kill loop
def test_no_kill_leaves_an_unreadable_store_or_loses_an_acknowledged_write(
    tmp_path: Path,
) -> None:
    report = store_harness.kill_loop(tmp_path / "record", kills=30, seed=5, max_delay=0.15)
    assert report.kills == 30 and report.acknowledged > 100
    assert report.unreadable == 0
    assert report.lost == []
    assert report.problems == []
    assert report.from_head > 0  # the first page from the head was checked after kills
    assert list((tmp_path / "record" / ".tmp").iterdir()) == []  # swept by the last reopen


@pytest.mark.slow  # a kill loop
def test_kills_during_compactions_lose_nothing(tmp_path: Path) -> None:
    """The journal folded into a new snapshot every few writes: kills hit the fold too."""
    data_dir = tmp_path / "record"
    report = store_harness.kill_loop(data_dir, kills=30, seed=8, max_delay=0.15, bound=2048)
    assert report.kills == 30 and report.acknowledged > 100
    assert (report.unreadable, report.lost, report.problems) == (0, [], [])
    assert generation(data_dir) > 10  # it did fold, many times
    assert report.from_head > 0


def test_two_processes_adding_at_once_lose_nothing(tmp_path: Path) -> None:
    assert store_harness.race_adders(tmp_path / "record", count=300) == 600


def test_two_processes_adding_at_once_through_compactions_lose_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "record"
    assert store_harness.race_adders(data_dir, count=300, bound=4096) == 600
    assert generation(data_dir) > 5


def generation(data_dir: Path) -> int:
    return int(json.loads((data_dir / "index.json").read_bytes())["_store"]["1"]["generation"])


WRITER = """
import sys
from tui.core.records import Role, ThreadRecord, Turn
from tui.core.store import Store
with Store.open(sys.argv[1]) as store:
    store.upsert(ThreadRecord(id="conv_from_elsewhere", title="written by another process"))
    store.append_turn("conv_from_elsewhere", Turn(role=Role.USER, text="hi from there"))
"""


def test_a_reader_sees_another_process_write_after_reload(tmp_path: Path) -> None:
    data_dir = tmp_path / "record"
    with Store.open(data_dir) as reader:
        assert reader.changed_on_disk() is False
        script = textwrap.dedent(WRITER)
        subprocess.run([sys.executable, "-c", script, str(data_dir)], check=True)
        assert reader.changed_on_disk() is True
        assert reader.reload().changed == {"conv_from_elsewhere"}
        record = reader.get("conv_from_elsewhere")
        assert record is not None and record.title == "written by another process"
        assert [t.text for t in reader.transcript("conv_from_elsewhere")] == ["hi from there"]
        assert reader.changed_on_disk() is False
