"""`threadtui whoami | doctor | delete` and `import --check`, through `tui.cli.main`."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import openai
import pytest

from tui.cli import main
from tui.commands.api_cmd import check_imported
from tui.commands.context import CliContext
from tui.core import session
from tui.core.api.factory import make_backend
from tui.core.keys import KeyRing
from tui.core.record_access import Records
from tui.core.records import Profile, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import Store
from tui.sandbox import (
    ACME_KEY,
    ACME_PROJECT_ID,
    PERSONAL_KEY,
    PERSONAL_PROJECT_ID,
    Sandbox,
)

ENV = {"TT_ACME_KEY": ACME_KEY, "TT_PERSONAL_KEY": PERSONAL_KEY}


def config_text(base_url: str, *, with_nokey: bool) -> str:
    text = f"""
default_profile = "acme"

[profiles.acme]
api_key_env = "TT_ACME_KEY"
base_url = "{base_url}"

[profiles.personal]
api_key_env = "TT_PERSONAL_KEY"
base_url = "{base_url}"
"""
    if with_nokey:
        text += f'\n[profiles.nokey]\napi_key_env = "TT_NEVER_SET"\nbase_url = "{base_url}"\n'
    return text


class Env:
    def __init__(self, root: Path, sandbox: Sandbox) -> None:
        self.config = root / "config.toml"
        self.data = root / "data"
        self.sandbox = sandbox

    def write_config(self, *, with_nokey: bool = False) -> None:
        self.config.write_text(config_text(self.sandbox.base_url, with_nokey=with_nokey))
        self.config.chmod(0o600)

    def profile(self, name: str) -> Profile:
        env = {"acme": "TT_ACME_KEY", "personal": "TT_PERSONAL_KEY"}[name]
        return Profile(name=name, api_key_env=env, base_url=self.sandbox.base_url)

    async def thread(self, owner: str, *, recorded_as: str | None = None) -> str:
        """A conversation made by ``owner`` with one turn, recorded under ``recorded_as``."""
        with Store.open(self.data) as store:
            records = Records(store)
            backend = make_backend(self.profile(owner), KeyRing(environ=ENV), records)
            record = await session.create_and_record(records, backend, f"{owner}'s thread")
            async for _ in session.send_message(records, backend, record, "hello"):
                pass
            await backend.aclose()
            records.close()
            if recorded_as:
                store.update_thread(record.id, profile=recorded_as)
            return record.id


@pytest.fixture
def env(tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    setup = Env(tmp_path, sandbox)
    setup.write_config()
    monkeypatch.setenv("THREADTUI_CONFIG", str(setup.config))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(setup.data))
    for name, key in ENV.items():
        monkeypatch.setenv(name, key)
    monkeypatch.delenv("TT_NEVER_SET", raising=False)
    yield setup


def test_whoami_shows_what_the_server_says(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["whoami"]) == 0
    out = capsys.readouterr().out
    assert "* acme" in out and "personal" not in out
    assert "key:          sk-…acme from $TT_ACME_KEY" in out
    assert "organization: acme-corp" in out
    assert f"project:      {ACME_PROJECT_ID}" in out
    assert "reachable:    yes (request req_" in out
    assert "sk-proj-sandbox" not in out


def test_whoami_all_fails_when_one_profile_fails(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    env.write_config(with_nokey=True)
    assert main(["whoami", "--all"]) == 1
    captured = capsys.readouterr()
    assert "organization: personal" in captured.out
    assert f"project:      {PERSONAL_PROJECT_ID}" in captured.out
    assert "reachable:    NO: no key: profile 'nokey': environment variable TT_NEVER_SET" \
        in captured.out
    assert "1 profile(s) could not be reached" in captured.err


def test_doctor_checklist(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"✓ config {env.config}: 2 profile(s), default 'acme'" in out
    assert "✓ key for acme: sk-…acme from $TT_ACME_KEY" in out
    assert f"✓ acme reachable at {env.sandbox.base_url}: acme-corp / {ACME_PROJECT_ID}" in out
    assert f"✓ store {env.data}: readable, 0 thread(s)" in out
    assert out.rstrip().endswith("all checks passed")

    env.write_config(with_nokey=True)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "✗ key for nokey: profile 'nokey': environment variable TT_NEVER_SET" in out
    assert out.rstrip().endswith("1 problem(s) found")

    env.config.write_text("[profiles.x]\napi = 'nonsense'\n")
    assert main(["doctor"]) == 2  # a config it cannot use: status 2, as every command
    out = capsys.readouterr().out
    assert f"✗ config {env.config}:" in out and "'nonsense' is not one of" in out


async def test_delete_asks_then_deletes_on_the_server_and_locally(
    env: Env,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    thread_id = await env.thread("acme")
    with Store.open(env.data) as store:
        (response_id,) = store.get(thread_id).server_meta["response_ids"]  # type: ignore[union-attr]

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert await _main_in_thread(["delete", thread_id]) == 1
    out = capsys.readouterr().out
    assert f'Delete {thread_id} "acme\'s thread" on the server under profile acme' in out
    assert "not deleted" in out

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert await _main_in_thread(["delete", thread_id]) == 0
    out = capsys.readouterr().out
    assert f"{thread_id} deleted on the server, 1 stored response removed" in out
    assert "removed from the local record" in out
    with Store.open(env.data) as store:
        assert store.get(thread_id) is None
    client = async_openai_client("acme")
    with pytest.raises(openai.NotFoundError):
        await client.conversations.retrieve(thread_id)
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve(response_id)


async def test_delete_of_a_misfiled_thread_names_its_owner(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    thread_id = await env.thread("personal", recorded_as="acme")
    assert await _main_in_thread(["delete", thread_id, "--yes"]) == 1
    out = capsys.readouterr().out
    assert "was not found on the server under this profile" in out
    assert f"{thread_id} belongs to profile `personal` (personal / {PERSONAL_PROJECT_ID})" in out
    assert f"threadtui delete {thread_id} --profile personal" in out
    with Store.open(env.data) as store:
        record = store.get(thread_id)
        assert record is not None and record.profile == "personal"
        assert record.status == ThreadStatus.OK
    # The record now names its owner, so the next delete goes straight there.
    assert await _main_in_thread(["delete", thread_id, "--yes"]) == 0
    assert "removed from the local record" in capsys.readouterr().out


async def test_import_check_finds_owners_and_fills_transcripts(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = await env.thread("acme")
    theirs = await env.thread("personal")
    with Store.open(env.data) as store:
        for thread_id in (mine, theirs):  # as an import leaves them: bare ids, nothing known
            bare = replace(store.get(thread_id), profile="", organization=None,  # type: ignore[type-var]
                           project=None, key_hint=None, base_url=None,
                           status=ThreadStatus.UNKNOWN)
            store.delete(thread_id)
            store.upsert(bare)
    ctx = CliContext(argparse.Namespace(profile=None, config=None, data_dir=None))
    status = await _in_thread(check_imported, ctx, [mine, theirs, "conv_neverexisted"])
    assert status == 0
    out = capsys.readouterr().out
    assert f"{mine} belongs to profile `acme` (acme-corp / {ACME_PROJECT_ID}); 2 turn(s)" in out
    assert f"{theirs} belongs to profile `personal`" in out
    assert "conv_neverexisted was found under no profile" in out
    with Store.open(env.data) as store:
        record = store.get(theirs)
        assert record is not None and record.profile == "personal"
        assert record.status == ThreadStatus.OK and record.organization == "personal"
        assert record.key_hint == "sk-…pers"
        turns = store.transcript(theirs)
        assert [t.role for t in turns] == [Role.USER, Role.ASSISTANT]
        assert all(t.item_id for t in turns)
        assert store.get(mine).status == ThreadStatus.OK  # type: ignore[union-attr]
        assert store.get("conv_neverexisted") is None


async def _in_thread(func: Callable[..., int], *args: object) -> int:
    """The CLI runs its own event loop (asyncio.run): call it off this test's loop."""
    import asyncio

    return await asyncio.to_thread(func, *args)


async def _main_in_thread(argv: list[str]) -> int:
    return await _in_thread(main, argv)


async def test_import_with_check_through_the_cli(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    theirs = await env.thread("personal")
    with Store.open(env.data) as store:
        store.delete(theirs)  # known only by its id now, as on a new machine
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{theirs}\n")
    assert await _main_in_thread(["import", str(ids)]) == 0  # offline unless asked
    assert "belongs to" not in capsys.readouterr().out
    with Store.open(env.data) as store:
        store.delete(theirs)
    assert await _main_in_thread(["import", str(ids), "--check"]) == 0
    out = capsys.readouterr().out
    assert "import (profile acme): added 1" in out
    assert f"{theirs} belongs to profile `personal`" in out and "2 turn(s) recorded" in out
    with Store.open(env.data) as store:
        record = store.get(theirs)
        assert record is not None and record.profile == "personal"
        assert record.status == ThreadStatus.OK
        assert len(store.transcript(theirs)) == 2


async def test_delete_under_the_wrong_profile_names_the_recorded_owner_without_asking(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record names personal, whose key is not even available now: the 404 under acme
    is answered from the record alone (a probe could only have skipped personal)."""
    thread_id = await env.thread("personal")
    monkeypatch.delenv("TT_PERSONAL_KEY")
    assert await _main_in_thread(["delete", thread_id, "--profile", "acme", "--yes"]) == 1
    out = capsys.readouterr().out
    assert f"{thread_id} belongs to profile `personal` (personal / {PERSONAL_PROJECT_ID})" in out
    assert f"threadtui delete {thread_id} --profile personal" in out
    assert "not checked" not in out
    with Store.open(env.data) as store:
        record = store.get(thread_id)
        assert record is not None and record.status == ThreadStatus.OK
        assert record.profile == "personal"


async def test_delete_of_a_thread_no_profile_sees_marks_it_gone(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    thread_id = "conv_deletedelsewhere"
    with Store.open(env.data) as store:
        store.upsert(ThreadRecord(id=thread_id, profile="acme", base_url=env.sandbox.base_url))
    assert await _main_in_thread(["delete", thread_id, "--yes"]) == 1
    out = capsys.readouterr().out
    assert "asking the other profiles who owns it" in out
    assert f"{thread_id} was found under no profile" in out
    assert "threadtui delete" not in out
    with Store.open(env.data) as store:
        assert store.get(thread_id).status == ThreadStatus.GONE  # type: ignore[union-attr]


async def test_import_check_with_a_profile_that_cannot_answer_decides_nothing(
    env: Env, capsys: pytest.CaptureFixture[str], dead_url: str
) -> None:
    with env.config.open("a") as config:
        config.write(f'\n[profiles.down]\napi_key_env = "TT_ACME_KEY"\nbase_url = "{dead_url}"\n')
    with Store.open(env.data) as store:
        store.upsert(ThreadRecord(id="conv_nobodyhasit", status=ThreadStatus.UNKNOWN))
    ctx = CliContext(argparse.Namespace(profile=None, config=None, data_dir=None))
    assert await _in_thread(check_imported, ctx, ["conv_nobodyhasit"]) == 1
    out = capsys.readouterr().out
    assert "conv_nobodyhasit: no owner found, but not every profile could answer" in out
    assert "  down: " in out and "cannot reach" in out
    with Store.open(env.data) as store:
        assert store.get("conv_nobodyhasit").status == ThreadStatus.UNKNOWN  # type: ignore[union-attr]


# ---------------------------------------------------------------- trash, forget (issue 12)


async def test_a_thread_deleted_through_the_real_flow_can_be_restored_as_gone(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    thread_id = await env.thread("acme")
    with Store.open(env.data) as store:
        records = Records(store)
        backend = make_backend(env.profile("acme"), KeyRing(environ=ENV), records)
        try:
            stored = store.get(thread_id)
            assert stored is not None
            report = await session.delete_thread(records, backend, stored)
        finally:
            await backend.aclose()
            records.close()
        assert report.complete and thread_id not in store

    assert await _main_in_thread(["trash"]) == 0
    out = capsys.readouterr().out
    assert f"{thread_id} \"acme's thread\"  deleted on the server" in out
    assert "2 message(s); kept 29 more day(s)" in out or "kept 30 more day(s)" in out

    assert await _main_in_thread(["trash", "restore", thread_id]) == 0
    assert "marked gone" in capsys.readouterr().out
    with Store.open(env.data) as store:
        record = store.get(thread_id)
        assert record is not None and record.status == ThreadStatus.GONE
        assert [t.role for t in store.transcript(thread_id)] == [Role.USER, Role.ASSISTANT]
        assert store.trash_entries() == []


async def test_cli_delete_says_where_the_thread_went(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    thread_id = await env.thread("acme")
    assert await _main_in_thread(["delete", thread_id, "--yes"]) == 0
    assert f"`threadtui trash restore {thread_id}`" in capsys.readouterr().out


async def test_delete_of_an_unrecorded_id_does_not_claim_a_kept_transcript(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main_in_thread(["delete", "conv_neverrecorded", "--yes"]) == 1
    out = capsys.readouterr().out
    assert "conv_neverrecorded was found under no profile" in out
    assert "nothing is recorded locally for it" in out
    assert "transcript is kept" not in out


def test_forget_asks_then_moves_to_the_trash_and_restores(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(env.data) as store:
        store.upsert(ThreadRecord(id="conv_gonething", title="old", status=ThreadStatus.GONE))
        store.append_turn("conv_gonething", Turn(role=Role.USER, text="only copy"))
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["forget", "conv_gonething"]) == 1
    assert "not forgotten" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["forget", "conv_gonething"]) == 0
    assert "trash restore conv_gonething" in capsys.readouterr().out
    assert main(["trash", "list"]) == 0
    assert 'conv_gonething "old"  forgotten locally' in capsys.readouterr().out
    assert main(["forget", "conv_gonething", "--yes"]) == 1
    assert "nothing to forget" in capsys.readouterr().err
    assert main(["trash", "restore", "conv_gonething"]) == 0
    assert "restored conv_gonething to the local record (gone)" in capsys.readouterr().out
    with Store.open(env.data) as store:
        assert store.get("conv_gonething").status == ThreadStatus.GONE  # type: ignore[union-attr]
        assert [t.text for t in store.transcript("conv_gonething")] == ["only copy"]
    assert main(["trash", "restore", "conv_gonething"]) == 1
    assert "conv_gonething is in the record already" in capsys.readouterr().err
    assert main(["trash", "restore", "conv_nothere"]) == 1
    assert "no thread conv_nothere in the trash" in capsys.readouterr().err


def test_trash_empty_asks_and_refuses_without_a_terminal(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(env.data) as store:
        store.upsert(ThreadRecord(id="conv_x"))
        store.delete("conv_x")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a terminal
    assert main(["trash", "empty"]) == 2
    assert "confirm on a terminal, or pass --yes" in capsys.readouterr().err
    assert main(["trash", "empty", "--yes"]) == 0
    assert "removed 1 thread(s) for good" in capsys.readouterr().out
    assert main(["trash"]) == 0
    assert "the trash is empty" in capsys.readouterr().out


# ---------------------------------------------------------------- item 15


@pytest.mark.parametrize(
    "argv", [["--demo", "delete", "conv_x", "--yes"], ["--demo", "list"], ["--demo", "forget", "x"]]
)
def test_demo_refuses_subcommands_that_would_touch_the_real_account(
    env: Env, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with Store.open(env.data) as store:
        store.upsert(ThreadRecord(id="conv_x"))
    assert main(argv) == 2
    assert "--demo only runs the app" in capsys.readouterr().err
    with Store.open(env.data) as store:
        assert "conv_x" in store


def test_list_with_an_unknown_profile_exits_2_naming_it(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(env.data) as store:
        store.upsert(ThreadRecord(id="conv_old", profile="retired"))
    assert main(["list", "--profile", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "no profile named 'nosuch'" in err and "acme, personal" in err and "retired" in err
    assert main(["list", "--profile", "retired"]) == 0  # filed under a profile now removed
    assert "conv_old" in capsys.readouterr().out


# ---------------------------------------------------------------- item 19


async def test_import_check_updates_recorded_ids_and_fills_title_and_date_from_the_server(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    theirs = await env.thread("personal")
    with Store.open(env.data) as store:
        server_created = store.get(theirs).created_at  # type: ignore[union-attr]
        store.delete(theirs, reason=None)
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{theirs}\n")
    assert await _main_in_thread(["import", str(ids)]) == 0  # recorded bare, unchecked
    with Store.open(env.data) as store:
        bare = store.get(theirs)
        assert bare is not None and bare.title == "" and bare.created_at > server_created
    # Recorded already: skipped by the import, but still checked.
    assert await _main_in_thread(["import", str(ids), "--check"]) == 0
    out = capsys.readouterr().out
    assert "skipped 1" in out and f"{theirs} belongs to profile `personal`" in out
    assert "title and created_at from the server" in out
    with Store.open(env.data) as store:
        record = store.get(theirs)
        assert record is not None and record.profile == "personal"
        assert record.status == ThreadStatus.OK
        assert record.title == "personal's thread"
        assert record.created_at == pytest.approx(server_created, abs=1)
        store.update_thread(theirs, title="my own name")
    assert await _main_in_thread(["import", str(ids), "--check"]) == 0
    with Store.open(env.data) as store:
        assert store.get(theirs).title == "my own name"  # type: ignore[union-attr]


# ---------------------------------------------------------------- issue 16.12 and 16.2


async def test_import_check_and_delete_reach_a_thread_on_the_host_it_was_made_on(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    """Data residency: the thread was made on a regional host (``env.sandbox``); the profiles
    now point at the global one (a second sandbox, with none of the regional data). Both are
    taken as OpenAI's hosts. ``import --check`` and ``delete`` find it where it was made."""
    from tui.core import ownership
    from tui.core.api import servers
    from tui.sandbox import ModelSettings, default_tenancy

    thread_id = await env.thread("acme")  # recorded with the regional base_url
    monkeypatch.setattr(servers, "is_openai", lambda url: True)
    monkeypatch.setattr(ownership, "is_openai", lambda url: True)
    global_host = Sandbox(default_tenancy(), ModelSettings()).start()
    try:
        env.config.write_text(config_text(global_host.base_url, with_nokey=False))
        ids = env.config.parent / "ids.txt"
        ids.write_text(f"{thread_id}\n")  # already recorded: checked where it was made
        status = await _main_in_thread(["import", str(ids), "--check"])
        out = capsys.readouterr().out
        assert status == 0, out
        assert f"{thread_id} belongs to profile `acme`" in out and "2 turn(s)" in out
        assert await _main_in_thread(["delete", thread_id, "--yes"]) == 0
        out = capsys.readouterr().out
        assert f"{thread_id} deleted on the server" in out
        with pytest.raises(openai.NotFoundError):
            await async_openai_client("acme").conversations.retrieve(thread_id)
        with Store.open(env.data) as store:
            assert store.get(thread_id) is None
    finally:
        global_host.stop()


@pytest.mark.parametrize("style", ["invalid_url", "detail", "405"])
async def test_import_check_and_delete_never_mark_ids_gone_on_a_server_without_conversations(
    env: Env, capsys: pytest.CaptureFixture[str], style: str,
) -> None:
    """Issue 16.2: a local model server under the default dialect answers 404/405 for
    /v1/conversations itself: no id is marked gone, and the message names the fix."""
    thread_id = await env.thread("acme")
    env.sandbox.features.conversations = False
    env.sandbox.features.missing_route = style
    assert await _main_in_thread(["delete", thread_id, "--yes"]) == 1
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert 'use api = "chat" for profile acme' in said and "gone" not in said
    ids = env.config.parent / "ids.txt"
    ids.write_text(f"{thread_id}\nconv_typedin0000000000000000000000\n")
    status = await _main_in_thread(["import", str(ids), "--check"])
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert status != 0 and "found under no profile" not in said
    with Store.open(env.data) as store:
        record = store.get(thread_id)
        assert record is not None and record.status is ThreadStatus.OK
        assert len(store.transcript(thread_id)) == 2
        typed = store.get("conv_typedin0000000000000000000000")
        assert typed is None or typed.status is not ThreadStatus.GONE
