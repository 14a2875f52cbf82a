"""`threadtui import` of a ChatGPT export (both layouts, folder, file, zip) and llm's logs.

Fixtures are written by hand in tests/core/fixtures (never real export data); the zip and
the SQLite database are built from them in a temp dir, so what is committed stays readable.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tui import cli
from tui.commands.progress_line import ProgressLine
from tui.core.history_import import HistoryKind, detect_history, read_history
from tui.core.history_import.chatgpt import conversation_import
from tui.core.migrations import MAX_ALTERNATIVE_DEPTH, turn_problem
from tui.core.records import Dialect, Role, Turn
from tui.core.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
SINGLE = FIXTURES / "chatgpt_export_single"
SPLIT = FIXTURES / "chatgpt_export_split"
ARITHMETIC = "chatgpt_6560a1b2-0000-4000-8000-000000000001"
PACKING = "chatgpt_66f0c0de-0000-4000-8000-00000000000a"
HAIKU = "chatgpt_66f0c0de-0000-4000-8000-00000000000b"
PELICAN = "llm_01j0aaaaaaaaaaaaaaaaaaaaaa"
PHOTO = "llm_01j0bbbbbbbbbbbbbbbbbbbbbb"
LONE = "llm_01j0r4"

CONFIG = """\
default_profile = "work"
[profiles.work]
api_key_env = "WORK_KEY"
"""


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("THREADTUI_CONFIG", str(config))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def texts(turns: list[Turn]) -> list[tuple[str, str]]:
    return [(str(turn.role), turn.text) for turn in turns]


def llm_database(tmp_path: Path) -> Path:
    path = tmp_path / "logs.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((FIXTURES / "llm_logs.sql").read_text())
    connection.close()
    return path


def zipped(folder: Path, target: Path, inside: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"{inside}{file.name}")
        archive.writestr(f"{inside}chat.html", "<html>the export's own viewer</html>")
    return target


# -- the ChatGPT tree ---------------------------------------------------------------------------


def test_the_main_branch_is_read_in_order_with_the_other_branches_kept() -> None:
    batch = read_history(HistoryKind.CHATGPT, SINGLE / "conversations.json")
    (item,) = batch.items
    turns = item.turns or []
    assert texts(turns) == [
        ("user", "What is 2+2?"),
        ("assistant", "4"),
        ("user", "[image]\n\nAnd 3+3? The sums are in the sheet.\n\n[attachment: sums.xlsx]"),
        ("assistant", "```python\nprint(3 + 3)\n```"),
        ("system", "tool output (python):\n\n6"),
        ("assistant", "6"),
    ]
    # The regenerated answer, and the edited question with what followed it.
    assert [texts(alt) for alt in turns[1].alternatives] == [[("assistant", "Four.")]]
    assert [texts(alt) for alt in turns[2].alternatives] == [
        [("user", "And 5+5?"), ("assistant", "10")]
    ]
    assert all(not turn.alternatives for turn in (turns[0], *turns[3:]))
    record = item.record
    assert record.id == ARITHMETIC and record.api is Dialect.CHAT and record.profile == ""
    assert record.title == "Arithmetic, with second thoughts" and record.model == "gpt-4o"
    assert record.created_at == 1700000000.5 and record.last_active == 1700000600.25
    assert turns[0].at == 1700000010.0 and turns[0].item_id == "chatgpt:u1"
    assert batch.problems == ["%s #2: conversation 6560a1b2-0000-4000-8000-000000000002 has "
                              "no messages (mapping)" % (SINGLE / "conversations.json")]


def test_hidden_context_and_reasoning_are_left_out() -> None:
    (item,) = read_history(HistoryKind.CHATGPT, SINGLE).items
    everything = " ".join(turn.text for turn in item.turns or [])
    assert "Be brief" not in everything and "I like sums" not in everything
    assert "Adding" not in everything and "3 and 3" not in everything


def node(parent: str | None, children: list[str], role: str = "user", text: str = "x") -> Any:
    message = {"id": "?", "author": {"role": role}, "content": {"content_type": "text",
                                                                 "parts": [text]}}
    return {"message": message, "parent": parent, "children": children}


def test_a_hostile_tree_ends_as_text_or_a_named_problem_never_a_crash() -> None:
    cycle = {"id": "c1", "mapping": {"a": node("b", ["b"], text="one"),
                                     "b": node("a", ["a"], "assistant", "two")},
             "current_node": "a"}
    item = conversation_import(cycle)
    assert sorted(texts(item.turns or [])) == [("assistant", "two"), ("user", "one")]
    # current_node missing: the latest branch from the root is taken.
    no_current = {"id": "c2", "mapping": {"r": node(None, ["x", "y"], text="q"),
                                          "x": node("r", [], "assistant", "old"),
                                          "y": node("r", [], "assistant", "new")}}
    turns = conversation_import(no_current).turns or []
    assert texts(turns) == [("user", "q"), ("assistant", "new")]
    assert [texts(alt) for alt in turns[1].alternatives] == [[("assistant", "old")]]
    wrong_types = {"id": "c3", "title": 7, "create_time": "yesterday", "mapping": {
        "r": {"message": {"author": "me", "content": 5}, "parent": 3, "children": "x"},
        "s": {"message": {"author": {"role": "user"}, "content": {"content_type": "text",
              "parts": [None, {"content_type": "weird"}, "ok"]}, "create_time": float("nan")},
              "parent": "r", "children": []}}, "current_node": "s"}
    item = conversation_import(wrong_types)
    assert texts(item.turns or []) == [("user", "[weird]\n\nok")]
    assert item.record.title == "" and item.turns and item.turns[0].at == 0.0
    for bad in ([], {"id": "bad id with spaces", "mapping": {"r": node(None, [])}},
                {"id": "c4", "mapping": {}}):
        with pytest.raises(ValueError):
            conversation_import(bad)


def test_branches_nested_deeper_than_the_limit_stop_without_recursing_forever() -> None:
    # Each branch's latest child is a leaf and its earlier child branches again: every
    # alternative holds another alternative, 200 deep.
    mapping: dict[str, Any] = {"x0": node(None, ["x1", "l0"], text="root")}
    for level in range(200):
        mapping[f"l{level}"] = node(f"x{level}", [], "assistant", f"leaf {level}")
        mapping[f"x{level + 1}"] = node(f"x{level}", [f"x{level + 2}", f"l{level + 1}"])
    mapping["l200"] = node("x200", [], "assistant")
    mapping["x200"]["children"] = ["l200"]
    item = conversation_import({"id": "deep", "mapping": mapping, "current_node": "l0"})
    docs = [turn.to_dict() for turn in item.turns or []]
    assert json.dumps(docs).count('"alternatives"') == MAX_ALTERNATIVE_DEPTH  # bounded
    assert [turn_problem(doc) for doc in docs] == [None] * len(docs)  # a valid transcript


# -- layouts --------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["single file", "folder", "split folder", "zip", "nested zip"])
def test_every_layout_of_the_export_is_recognised(layout: str, tmp_path: Path) -> None:
    path = {
        "single file": SINGLE / "conversations.json",
        "folder": SINGLE,
        "split folder": SPLIT,
        "zip": zipped(SPLIT, tmp_path / "export.zip"),
        "nested zip": zipped(SPLIT, tmp_path / "export.zip", inside="export-2024/"),
    }[layout]
    assert detect_history(path) is HistoryKind.CHATGPT
    ids = [item.record.id for item in read_history(HistoryKind.CHATGPT, path).items]
    assert ids == ([ARITHMETIC] if "split" not in layout and "zip" not in layout
                   else [PACKING, HAIKU])  # conversations-000 before -001


def test_an_unpacked_export_one_folder_down_is_found(tmp_path: Path) -> None:
    shutil.copytree(SPLIT, tmp_path / "outer" / "chatgpt-export")
    ids = [i.record.id for i in read_history(HistoryKind.CHATGPT, tmp_path / "outer").items]
    assert ids == [PACKING, HAIKU]


def test_backups_and_id_lists_are_not_taken_for_history(tmp_path: Path) -> None:
    (tmp_path / "backup.json").write_text('{"format": "threadtui-backup"}')
    (tmp_path / "ids.txt").write_text("conv_abc\n")
    assert detect_history(tmp_path / "backup.json") is None
    assert detect_history(tmp_path / "ids.txt") is None
    assert detect_history(tmp_path / "missing") is None


# -- through the command line, into the record ----------------------------------------------------


def test_import_records_a_chatgpt_export_and_a_second_import_changes_nothing(
    capsys: pytest.CaptureFixture[str], env: Path
) -> None:
    status, out, err = run(capsys, "import", str(SINGLE))
    assert status == 1  # one conversation could not be read: said, and the status says so
    assert out.strip() == "import (ChatGPT export): added 1, updated 0, unchanged 0, rejected 1"
    assert "has no messages (mapping): skipped" in err
    with Store.open(env / "data") as store:
        first = store.transcript(ARITHMETIC)
        assert texts(first)[-1] == ("assistant", "6")
        assert texts(first[1].alternatives[0]) == [("assistant", "Four.")]
    status, out, _ = run(capsys, "import", str(SINGLE))
    assert out.strip() == "import (ChatGPT export): added 0, updated 0, unchanged 1, rejected 1"
    with Store.open(env / "data") as store:
        assert len(store) == 1 and store.transcript(ARITHMETIC) == first


def test_a_reimport_updates_without_a_second_copy_and_keeps_what_the_user_did(
    capsys: pytest.CaptureFixture[str], env: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    shutil.copytree(SPLIT, export)
    assert run(capsys, "import", str(export))[0] == 0
    with Store.open(env / "data") as store:
        store.update_thread(PACKING, title="Oslo trip", pinned=True)
        store.append_turn(PACKING, Turn(Role.USER, "continued here", at=1710000500.0))
    # The export grows: a new reply in the packing list, and the haiku renamed upstream.
    data = json.loads((export / "conversations-000.json").read_text())
    mapping = data[0]["mapping"]
    mapping["m2"]["children"] = ["m3"]
    mapping["m3"] = {"id": "m3", "parent": "m2", "children": [], "message": {
        "id": "m3", "author": {"role": "assistant"}, "create_time": 1710000030.0,
        "content": {"content_type": "text", "parts": ["And gloves."]}, "metadata": {}}}
    data[0]["current_node"] = "m3"
    (export / "conversations-000.json").write_text(json.dumps(data))
    haiku = json.loads((export / "conversations-001.json").read_text())
    haiku[0]["title"] = "Rain haiku"
    (export / "conversations-001.json").write_text(json.dumps(haiku))
    status, out, _ = run(capsys, "import", str(export))
    assert status == 0
    assert out.strip() == "import (ChatGPT export): added 0, updated 2, unchanged 0, rejected 0"
    with Store.open(env / "data") as store:
        assert len(store) == 2
        packing = store.get(PACKING)
        assert packing is not None and packing.title == "Oslo trip" and packing.pinned
        assert [t.text for t in store.transcript(PACKING)] == [
            "What should I pack for Oslo in March?",
            "Warm layers, a hat and waterproof boots.",
            "continued here",  # after the turn it followed, as a server's merge keeps it
            "And gloves.",
        ]
        renamed = store.get(HAIKU)
        assert renamed is not None and renamed.title == "Rain haiku"  # never renamed here


def test_import_refuses_what_it_cannot_read_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    status, _, err = run(capsys, "import", str(tmp_path / "empty"))
    assert status == 1 and "no conversations.json or conversations-NNN.json found" in err
    (tmp_path / "broken.json").write_text("[{")
    status, _, err = run(capsys, "import", str(tmp_path / "broken.json"))
    assert status == 1 and "broken.json is not readable JSON" in err
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    status, _, err = run(capsys, "import", str(tmp_path / "bad.zip"))
    assert status == 1 and "Traceback" not in err
    status, _, err = run(capsys, "import", "--check", str(SPLIT))
    assert status == 2 and "--check does not apply to a ChatGPT export" in err


def test_import_an_llm_logs_database_with_models_tokens_and_attachments(
    capsys: pytest.CaptureFixture[str], env: Path, tmp_path: Path
) -> None:
    database = llm_database(tmp_path)
    before = database.read_bytes()
    assert detect_history(database) is HistoryKind.LLM
    status, out, err = run(capsys, "import", str(database))
    assert (status, err) == (0, "")
    assert out.strip() == "import (llm logs database): added 3, updated 0, unchanged 0, rejected 0"
    assert database.read_bytes() == before  # opened read-only
    with Store.open(env / "data") as store:
        pelican = store.get(PELICAN)
        assert pelican is not None and pelican.title == "Ten names for a pelican"
        assert pelican.model == "gpt-4o-mini" and pelican.api is Dialect.CHAT
        turns = store.transcript(PELICAN)
        assert texts(turns) == [
            ("system", "You are whimsical"),  # once: it did not change
            ("user", "Ten names for a pet pelican"),
            ("assistant", "Pelly, Gulliver, Scoop"),
            ("user", "Three more"),
            ("assistant", "Beaky, Pouch, Captain"),
        ]
        assert turns[2].usage is not None and turns[2].usage.input_tokens == 12
        assert turns[4].usage is not None and turns[4].usage.total_tokens == 37
        assert turns[1].at == turns[2].at == 1717236000.0  # 2024-06-01T10:00:00 UTC
        photo = store.transcript(PHOTO)
        assert photo[0].text == "What is in this photo?\n\n[attachment: pelican.jpg]"
        lone = store.get(LONE)
        assert lone is not None and lone.title == "Say hi"  # no conversation: its own thread
        assert store.transcript(LONE)[1].usage is None
    status, out, _ = run(capsys, "import", str(database))
    assert "added 0, updated 0, unchanged 3, rejected 0" in out


def test_an_old_llm_database_without_token_columns_and_a_foreign_sqlite_file(
    capsys: pytest.CaptureFixture[str], env: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:
        connection.executescript(
            "CREATE TABLE responses (id TEXT PRIMARY KEY, model TEXT, prompt TEXT, "
            "response TEXT, conversation_id TEXT, datetime_utc TEXT);"
            "INSERT INTO responses VALUES ('r1', 'gpt-3.5-turbo', 'hello', 'hi', 'c1', "
            "'2023-07-01T00:00:00');"
        )
    connection.close()
    status, out, _ = run(capsys, "import", str(old))
    assert status == 0 and "added 1" in out
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    status, _, err = run(capsys, "import", str(other))
    assert status == 1 and "not llm's logs (it has no responses table)" in err


def test_the_progress_line_draws_only_on_a_terminal_and_clears_itself() -> None:
    piped = io.StringIO()
    ProgressLine(piped, "reading")(1, 2)
    assert piped.getvalue() == ""
    shown = io.StringIO()
    line = ProgressLine(shown, "reading", force=True)
    for done in range(1, 5001):
        line(done, 5000)
    line.close()
    drawn = shown.getvalue()
    assert drawn.endswith("\r\x1b[K") and "5,000/5,000" in drawn
    assert drawn.count("\r") < 100  # throttled, not one write per step
