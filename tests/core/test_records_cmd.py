"""`threadtui list|export|import` through the real front door, on real files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tui import cli
from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn, Usage
from tui.core.store import Store

CONFIG = """\
default_profile = "work"
[profiles.work]
api_key_env = "WORK_KEY"
organization = "org-work"
project = "proj_work"
[profiles.home]
api_key_env = "HOME_KEY"
"""


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("THREADTUI_CONFIG", str(config))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "100")
    return tmp_path


@pytest.fixture
def data_dir(env: Path) -> Path:
    return env / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def seed(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.upsert(
            ThreadRecord(
                id="conv_work1",
                profile="work",
                organization="org-work",
                project="proj_work",
                title="Quarterly numbers",
                last_active=300.0,
            )
        )
        store.upsert(ThreadRecord(id="conv_home1", profile="home", title="Soup", last_active=200.0))
        store.upsert(
            ThreadRecord(
                id="thread_Old1",
                profile="work",
                title="Retired",
                last_active=100.0,
                status=ThreadStatus.GONE,
            )
        )
        store.upsert(
            ThreadRecord(
                id="conv_pin",
                profile="home",
                title="Pinned \x1b[31mred",
                pinned=True,
                last_active=1.0,
            )
        )
        store.append_turn("conv_work1", Turn(role=Role.USER, text="How did Q3 go?", at=301.0))
        store.append_turn(
            "conv_work1",
            Turn(
                role=Role.ASSISTANT,
                text="Up **12%**.",
                at=302.0,
                usage=Usage(5, 7, 12),
                response_id="resp_1",
                item_id="msg_1",
            ),
        )
        store.append_turn(
            "conv_work1",
            Turn(
                role=Role.ASSISTANT,
                text="Then it sto",
                at=303.0,
                interrupted=True,
                error="connection reset",
            ),
        )
        store.set_meta("assistant:work:gpt-4o", "asst_123")


# -- list --------------------------------------------------------------------------------------


def test_list_shows_every_profile_but_not_gone_threads(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    seed(data_dir)
    status, out, err = run(capsys, "list")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "PROFILE", "ORG/PROJECT", "LAST", "ACTIVE", "STATUS"]
    assert [line.split()[0] for line in lines[1:]] == ["conv_pin", "conv_work1", "conv_home1"]
    assert "org-work / proj_work" in out and "ok pinned" in out
    assert "1 thread(s) marked gone not shown; --all shows them" in err


def test_list_all_and_profile(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    seed(data_dir)
    _, out, err = run(capsys, "list", "--all")
    assert "thread_Old1" in out and "gone" in out and err == ""
    _, out, _ = run(capsys, "list", "--profile", "work", "--all")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["conv_work1", "thread_Old1"]
    _, out, _ = run(capsys, "--profile", "home", "list")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["conv_pin", "conv_home1"]
    status, out, err = run(capsys, "list", "--profile", "renamed-long-ago")
    assert status == 2 and out == ""
    assert "no profile named 'renamed-long-ago'" in err and "config.toml: home, work)" in err


def test_list_search(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    seed(data_dir)
    _, out, _ = run(capsys, "list", "--search", "SOUP")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["conv_home1"]
    _, out, _ = run(capsys, "list", "-s", "q3", "--full-text")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["conv_work1"]


def test_list_full_text_indexes_once_says_so_and_puts_the_best_match_first(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        store.append_turn("conv_home1", Turn(role=Role.USER, text="soup, soup and more soup"))
        store.append_turn("conv_pin", Turn(role=Role.USER, text="one soup"))
    _, out, err = run(capsys, "list", "-s", "soup", "--full-text")
    assert "indexing the transcripts for search" in err
    # The transcripts' matches first, best first (the pinned one would lead in list order).
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["conv_home1", "conv_pin"]
    _, out, err = run(capsys, "list", "-s", "SOUPS", "--full-text")
    assert "indexing" not in err  # once
    assert out == ""  # whole words: "soups" is not "soup"


def test_list_escapes_control_characters(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    seed(data_dir)
    _, out, _ = run(capsys, "list")
    assert "\x1b" not in out and "Pinned \\x1b[31mred" in out
    _, out, _ = run(capsys, "list", "--json")
    assert "\x1b" not in out and "\\u001b" in out


def test_list_fits_the_terminal_but_never_cuts_an_id(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(data_dir)
    with Store.open(data_dir) as store:
        store.upsert(ThreadRecord(id="conv_long", title="word " * 40, organization="o" * 50))
    monkeypatch.setenv("COLUMNS", "80")
    _, out, _ = run(capsys, "list")
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert "conv_long" in out and "…" in out
    monkeypatch.setenv("COLUMNS", "30")
    _, out, _ = run(capsys, "list")
    assert "conv_work1" in out.split()


def test_list_json_lines(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    seed(data_dir)
    _, out, _ = run(capsys, "list", "--json", "--all")
    rows = [json.loads(line) for line in out.splitlines()]
    with Store.open(data_dir) as store:
        assert rows == [record.to_dict() for record in store.list_threads()]


def test_list_with_no_record_yet(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "list")
    assert (status, out) == (0, "") and "no threads recorded" in err


def test_list_reports_a_damaged_record_and_carries_on(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    seed(data_dir)
    (data_dir / "index.json").write_text("{ not json")
    status, out, err = run(capsys, "list")
    assert status == 0
    moved = sorted(data_dir.glob("index.json.corrupt-*"))
    assert len(moved) == 1 and str(moved[0]) in err
    assert "conv_work1" in out  # rebuilt from its transcript


# -- export ------------------------------------------------------------------------------------


def test_export_markdown(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    seed(data_dir)
    status, out, _ = run(capsys, "export", "conv_work1")
    assert status == 0
    assert out.startswith("# Quarterly numbers\n")
    assert "- id: `conv_work1` (conversations)" in out
    assert "- profile: work (org-work / proj_work)" in out
    assert "## User · " in out and "How did Q3 go?" in out
    assert "## Assistant · " in out and "Up **12%**." in out
    assert "*(interrupted: the reply stopped here)*" in out and "> error: connection reset" in out
    _, out, _ = run(capsys, "export", "conv_work1", "conv_pin")
    assert "\n---\n" in out and "# Pinned \\x1b[31mred" in out and "\x1b" not in out


def test_export_of_unknown_ids_fails_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], data_dir: Path, env: Path
) -> None:
    seed(data_dir)
    target = env / "out.md"
    status, out, err = run(capsys, "export", "conv_work1", "conv_nope", "-o", str(target))
    assert status == 1 and out == ""
    assert "not in the local record: conv_nope" in err
    assert not target.exists()


def test_export_to_a_private_file(
    capsys: pytest.CaptureFixture[str], data_dir: Path, env: Path
) -> None:
    seed(data_dir)
    target = env / "backup.json"
    target.write_text("old, readable by others")
    target.chmod(0o644)
    status, out, err = run(capsys, "export", "-o", str(target))
    assert (status, out) == (0, "") and f"wrote 4 thread(s) to {target}" in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    document = json.loads(target.read_text())
    assert (document["format"], document["version"]) == ("threadtui-backup", 1)


def test_export_json_for_some_threads(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    seed(data_dir)
    _, out, _ = run(capsys, "export", "conv_work1", "--format", "json")
    document = json.loads(out)
    assert [entry["record"]["id"] for entry in document["threads"]] == ["conv_work1"]
    assert len(document["threads"][0]["turns"]) == 3 and "meta" not in document


def test_backup_round_trip_into_an_empty_record(
    capsys: pytest.CaptureFixture[str], data_dir: Path, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(data_dir)
    backup = env / "backup.json"
    assert run(capsys, "export", "-o", str(backup))[0] == 0
    other = env / "other-machine"
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(other))
    status, out, _ = run(capsys, "import", str(backup))
    assert status == 0 and "added 4, skipped 0, rejected 0" in out
    with Store.open(data_dir) as original, Store.open(other) as restored:
        assert restored.list_threads() == original.list_threads()
        for record in original.list_threads():
            assert restored.transcript(record.id) == original.transcript(record.id)
        assert (
            restored.meta_items() == original.meta_items() == {"assistant:work:gpt-4o": "asst_123"}
        )
    status, out, _ = run(capsys, "import", str(backup))
    assert status == 0 and "added 0, skipped 4, rejected 0; --replace overwrites" in out


def test_import_backup_rejects_bad_threads_and_keeps_the_rest(
    capsys: pytest.CaptureFixture[str], env: Path, data_dir: Path
) -> None:
    good = {"record": ThreadRecord(id="conv_good").to_dict(), "turns": []}
    bad_turn = {"record": ThreadRecord(id="conv_bad").to_dict(), "turns": [{"role": "x"}]}
    no_record = {"turns": []}
    backup = env / "b.json"
    document = {"format": "threadtui-backup", "version": 1, "threads": [good, bad_turn, no_record]}
    backup.write_text(json.dumps(document))
    status, out, err = run(capsys, "import", str(backup))
    assert status == 1 and "added 1, skipped 0, rejected 2" in out
    assert "thread #2: conv_bad: message 1: unknown role 'x'" in err
    assert "thread #3: no record with an id" in err
    with Store.open(data_dir) as store:
        assert [r.id for r in store.list_threads()] == ["conv_good"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": "threadtui-backup", "version": 99, "threads": []}', "newer than this"),
        ('{"format": "something-else"}', "not a threadtui backup"),
        ('{"threads": [', "not a readable JSON backup"),
    ],
)
def test_import_refuses_backups_it_cannot_read(
    capsys: pytest.CaptureFixture[str], env: Path, content: str, message: str
) -> None:
    backup = env / "b.json"
    backup.write_text(content)
    status, out, err = run(capsys, "import", str(backup))
    assert status == 1 and out == "" and message in err


def test_import_of_a_missing_file(capsys: pytest.CaptureFixture[str], env: Path) -> None:
    status, _, err = run(capsys, "import", str(env / "nope.txt"))
    assert status == 1 and "cannot read" in err and "No such file" in err


# -- import of id lists ------------------------------------------------------------------------

ID_LIST = (
    "\ufeff# ids I saved before threadtui\n"
    "\n"
    "conv_68a1f0c2d9e84b7f  quarterly numbers\r\n"
    "thread_AbC123\t- the soup recipe\n"
    "   conv_bare   \n"
    "sess_abc not an id we know\n"
    "conv_bell\x07 rings\n"
    "conv_" + "x" * 250 + "\n"
    "conv_68a1f0c2d9e84b7f again\n"
    "# the end\n"
)


def test_import_an_id_list(capsys: pytest.CaptureFixture[str], env: Path, data_dir: Path) -> None:
    ids = env / "ids.txt"
    ids.write_bytes(ID_LIST.encode() + b"conv_\xff\xfe\n")
    status, out, err = run(capsys, "import", str(ids))
    assert status == 1
    assert out.strip() == "import (profile work): added 3, skipped 1, rejected 4"
    assert f"{ids}:6: sess_abc is not a thread_… or conv_… id: skipped" in err
    assert f"{ids}:7: control characters in conv_bell\\x07 rings: skipped" in err
    assert f"{ids}:8: 255 characters long (the limit is 200): skipped" in err
    assert f"{ids}:9: conv_68a1f0c2d9e84b7f repeats line 3" in err
    assert f"{ids}:11: not UTF-8 text: skipped" in err
    assert "\x07" not in err
    with Store.open(data_dir) as store:
        records = store.list_threads()
    assert [r.id for r in records] == ["conv_68a1f0c2d9e84b7f", "thread_AbC123", "conv_bare"]
    assert [r.title for r in records] == ["quarterly numbers", "the soup recipe", ""]
    assert [str(r.api) for r in records] == ["conversations", "assistants", "conversations"]
    assert {(r.profile, r.status, r.organization, r.project) for r in records} == {
        ("work", ThreadStatus.UNKNOWN, "org-work", "proj_work")
    }


def test_import_never_overwrites_without_replace(
    capsys: pytest.CaptureFixture[str], env: Path, data_dir: Path
) -> None:
    seed(data_dir)
    ids = env / "ids.txt"
    ids.write_text("conv_work1 a new title\nconv_new\n")
    status, out, _ = run(capsys, "import", str(ids), "--profile", "home")
    assert status == 0 and "import (profile home): added 1, skipped 1, rejected 0" in out
    with Store.open(data_dir) as store:
        assert store.get("conv_work1").title == "Quarterly numbers"  # type: ignore[union-attr]
        assert store.get("conv_new").profile == "home"  # type: ignore[union-attr]
    status, out, _ = run(capsys, "import", "--replace", str(ids))
    assert status == 0 and "added 0, replaced 2, skipped 0, rejected 0" in out
    with Store.open(data_dir) as store:
        replaced = store.get("conv_work1")
        assert replaced is not None and replaced.title == "a new title"
        assert replaced.status is ThreadStatus.UNKNOWN
        assert len(store.transcript("conv_work1")) == 3  # the transcript is kept


def test_import_under_an_unknown_profile_is_a_config_error(
    capsys: pytest.CaptureFixture[str], env: Path
) -> None:
    ids = env / "ids.txt"
    ids.write_text("conv_a\n")
    status, _, _ = run(capsys, "import", str(ids), "--profile", "nope")
    assert status == 2


def test_the_installed_command(env: Path) -> None:
    """The console script, in a fresh process: import a list of ids, then list them as JSON."""
    ids = env / "ids.txt"
    ids.write_text("conv_from_a_file  saved in 2024\n")
    script = Path(sys.executable).parent / "threadtui"
    environ = {**os.environ, "COLUMNS": "100"}
    imported = subprocess.run(
        [str(script), "import", str(ids)], capture_output=True, text=True, env=environ
    )
    assert imported.returncode == 0, imported.stderr
    assert "added 1, skipped 0, rejected 0" in imported.stdout
    listed = subprocess.run(
        [str(script), "list", "--json"], capture_output=True, text=True, env=environ
    )
    assert listed.returncode == 0, listed.stderr
    row = json.loads(listed.stdout)
    assert (row["id"], row["title"], row["status"]) == (
        "conv_from_a_file",
        "saved in 2024",
        "unknown",
    )


def seed_matches(data_dir: Path, count: int) -> None:
    """``count`` threads whose transcripts say "walrus" ``n + 1`` times (the best match is
    the last made, which list order puts last), and one marked gone."""
    with Store.open(data_dir) as store:
        for n in range(count):
            thread_id = f"conv_w{n:03}"
            store.upsert(ThreadRecord(id=thread_id, title=f"thread {n}", profile="work",
                                      last_active=1000.0 - n))
            store.append_turn(thread_id, Turn(role=Role.USER, at=1000.0 - n,
                                              text=" ".join(["walrus"] * (n + 1) + ["end"])))
        store.upsert(ThreadRecord(id="conv_gone", title="walrus gone", profile="work",
                                  status=ThreadStatus.GONE))


def listed(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines()[1:]]


def test_list_full_text_shows_the_best_fifty_and_says_how_many_more(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    from tui.commands.list_cmd import FULL_TEXT_LIMIT

    seed_matches(data_dir, 60)
    status, out, err = run(capsys, "list", "-s", "walrus", "--full-text")
    assert status == 0 and FULL_TEXT_LIMIT == 50
    # Best first: the most mentions first (list order would put conv_w000 first).
    assert listed(out) == [f"conv_w{n:03}" for n in range(59, 9, -1)]
    assert "… 10 more (of 60); --limit 0 lists them all" in err
    assert "1 thread(s) marked gone not shown" in err
    _, out, err = run(capsys, "list", "-s", "walrus", "--full-text", "--limit", "0")
    assert len(listed(out)) == 60 and "more" not in err
    _, out, err = run(capsys, "list", "-s", "walrus", "--full-text", "-n", "3", "--all")
    assert listed(out) == ["conv_w059", "conv_w058", "conv_w057"]
    assert "… 58 more (of 61)" in err and "marked gone" not in err
    _, out, err = run(capsys, "list", "-s", "walrus", "--full-text", "--json")
    assert [json.loads(line)["id"] for line in out.splitlines()][:2] == [
        "conv_w059", "conv_w058"]
    assert len(out.splitlines()) == 50 and "… 10 more" in err
    # Few enough: all of them, nothing said.
    _, out, err = run(capsys, "list", "-s", "walrus end", "--full-text", "-n", "60")
    assert len(listed(out)) == 60 and "more" not in err


def test_list_full_text_past_the_ranking_bound_is_newest_first_and_says_so(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``RANK_AT_MOST`` matching threads the ranking costs more than it tells: the rows
    come in the list's order (newest first) and stderr says why; at the bound, best first."""
    from tui.core import search_index

    seed_matches(data_dir, 12)
    monkeypatch.setattr(search_index, "RANK_AT_MOST", 12)
    _, out, err = run(capsys, "list", "-s", "walrus", "--full-text", "-n", "3")
    assert listed(out) == ["conv_w011", "conv_w010", "conv_w009"]  # best: most mentions
    assert "too many to rank" not in err
    monkeypatch.setattr(search_index, "RANK_AT_MOST", 11)
    _, out, err = run(capsys, "list", "-s", "walrus", "--full-text", "-n", "3")
    assert listed(out) == ["conv_w000", "conv_w001", "conv_w002"]  # newest first
    assert "(12 threads hold it: too many to rank, newest first)" in err
    assert "… 9 more (of 12)" in err and "1 thread(s) marked gone not shown" in err
    # A title match the transcripts lack still comes, in its place in the list.
    with Store.open(data_dir) as store:
        store.upsert(ThreadRecord(id="conv_title", title="walrus in the title only",
                                  profile="work", last_active=999.5))
    _, out, _ = run(capsys, "list", "-s", "walrus", "--full-text", "-n", "3")
    assert listed(out) == ["conv_w000", "conv_title", "conv_w001"]


def test_list_without_full_text_keeps_every_row_unless_limited(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    seed_matches(data_dir, 60)
    _, out, err = run(capsys, "list")
    assert listed(out) == [f"conv_w{n:03}" for n in range(60)] and "more" not in err
    _, out, err = run(capsys, "list", "-s", "thread", "-n", "2")
    assert listed(out) == ["conv_w000", "conv_w001"]  # list order: newest first
    assert "… 58 more (of 60); --limit 0 lists them all" in err
    _, out, _ = run(capsys, "list", "-n", "0")
    assert len(listed(out)) == 60
    with pytest.raises(SystemExit):
        cli.main(["list", "-n", "-1"])
    assert "not a positive number" in capsys.readouterr().err


def test_list_table_columns_line_up_in_terminal_columns(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wide (CJK, emoji) and combining characters are measured in terminal columns, one
    unsafe character is spelt out in its cell only, and no line ends in padding."""
    from tui.core.safe_text import display_width

    with Store.open(data_dir) as store:
        for n, title in enumerate(["表計算の質問", "deploy 🚀 notes", "cafe\u0301 au lait",
                                   "plain", "bell\x07 here"]):
            store.upsert(ThreadRecord(id=f"conv_{n}", title=title, profile="work",
                                      last_active=100.0 - n))
    monkeypatch.setenv("COLUMNS", "120")
    _, out, _ = run(capsys, "list")
    lines = out.splitlines()
    assert all(line == line.rstrip() for line in lines)
    profile_at = {display_width(line[: line.index(" work ") + 1]) for line in lines[1:]}
    # Every row's PROFILE starts in the same terminal column, the header's.
    assert profile_at == {display_width(lines[0][: lines[0].index("PROFILE")])}
    assert "bell\\x07 here" in out and "\x07" not in out
    assert "plain " in out and "\\x" not in out.replace("bell\\x07", "")
