"""Continue and move threads over real HTTP: the sandbox's items must match the record's.

Each test ends by reading the new thread back from the server through the real SDK
(``fetch_transcript``) and comparing it, in order and text, with the local transcript it was
made from; and by checking the links both records carry.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from disk_fault import DiskFault, disk_fixture  # noqa: F401  (the `disk` fixture)

from tui import cli
from tui.core.api.base import Backend, HistoryNotCarried, Unsupported
from tui.core.continuation import (
    CONTINUED_AS,
    CONTINUED_FROM,
    ContinuationNotRecorded,
    NothingToContinue,
    continue_thread,
)
from tui.core.record_access import Records
from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import Store
from tui.sandbox import ACME_KEY, Sandbox
from tui.sandbox.faults import Fault

BackendFactory = Callable[..., Backend]


def transcript(count: int) -> list[Turn]:
    """``count`` turns, user and assistant in turn, each saying where it stands."""
    return [
        Turn(Role.USER if n % 2 == 0 else Role.ASSISTANT, f"message {n + 1} of {count}",
             at=1_700_000_000.0 + n)
        for n in range(count)
    ]


def recorded(store: Store, thread_id: str, turns: list[Turn], **fields: object) -> ThreadRecord:
    record = ThreadRecord(id=thread_id, title="An old thread", last_active=1_700_000_100.0,
                          **fields)  # type: ignore[arg-type]
    store.upsert(record)
    store.replace_transcript(thread_id, turns)
    return record


def lines(turns: list[Turn]) -> list[tuple[Role, str]]:
    return [(turn.role, turn.text) for turn in turns]


async def test_a_retired_legacy_thread_continues_as_a_conversation_of_another_organization(
    backend_for: BackendFactory, store: Store, records: Records
) -> None:
    turns = transcript(45)  # three calls: 20 with the create, then 20 and 5
    original = recorded(store, "thread_retired1", turns, api=Dialect.ASSISTANTS,
                        profile="acme", status=ThreadStatus.GONE)
    target = backend_for("personal")
    seen: list[tuple[int, int]] = []
    done = await continue_thread(records, target, original,
                                 progress=lambda d, t: seen.append((d, t)))
    assert seen == [(20, 45), (40, 45), (45, 45)]
    new = done.new
    assert new.id.startswith("conv_") and new.profile == "personal" and done.carried == 45
    assert lines(await target.fetch_transcript(new)) == lines(turns)  # the server's items
    assert lines(store.transcript(new.id)) == lines(turns)  # and the record's
    stored_new = store.get(new.id)
    assert stored_new is not None and stored_new.server_meta[CONTINUED_FROM]["id"] == original.id
    stored_old = store.get(original.id)
    assert stored_old is not None
    assert [link["id"] for link in stored_old.server_meta[CONTINUED_AS]] == [new.id]
    assert stored_old.status is ThreadStatus.GONE  # the original is not changed otherwise
    assert lines(store.transcript(original.id)) == lines(turns)


async def test_a_gone_conversation_continues_and_failed_placeholders_are_not_carried(
    backend_for: BackendFactory, store: Store, records: Records
) -> None:
    turns = [*transcript(4), Turn(Role.USER, "asked again"),
             Turn(Role.ASSISTANT, "", error="the server failed"), Turn(Role.USER, "one more")]
    original = recorded(store, "conv_gone1", turns, profile="acme", status=ThreadStatus.GONE)
    target = backend_for("acme")
    done = await continue_thread(records, target, original)
    wanted = [line for line in lines(turns) if line[1]]
    assert lines(await target.fetch_transcript(done.new)) == wanted
    assert lines(store.transcript(done.new.id)) == wanted


async def test_move_between_organizations_really_deletes_the_original(
    sandbox: Sandbox, backend_for: BackendFactory, store: Store, records: Records
) -> None:
    acme = backend_for("acme")
    conv_id = sandbox.seed_conversation(ACME_KEY, title="Quarterly plan",
                                        turns=[("user", "plan Q1"), ("assistant", "Step one.")])
    original = recorded(store, conv_id, [], profile="acme")
    store.replace_transcript(conv_id, await acme.fetch_transcript(original))
    target = backend_for("personal")
    done = await continue_thread(records, target, original, move_with=acme)
    assert done.moved is not None and done.moved.complete
    assert await acme.check(original) is False  # gone from acme's organization
    assert await target.check(done.new) is True
    assert lines(await target.fetch_transcript(done.new)) == [
        (Role.USER, "plan Q1"), (Role.ASSISTANT, "Step one.")]
    assert original.id not in store and done.new.id in store
    assert [entry.thread_id for entry in store.trash_entries()] == [original.id]


async def test_move_of_a_thread_its_server_no_longer_has_forgets_it_here(
    backend_for: BackendFactory, store: Store, records: Records
) -> None:
    original = recorded(store, "conv_neverthere", transcript(2), profile="acme",
                        status=ThreadStatus.GONE)
    done = await continue_thread(records, backend_for("personal"), original,
                                 move_with=backend_for("acme"))
    assert done.original_forgotten and original.id not in store
    assert done.new.id in store


async def test_a_copy_that_fails_partway_is_deleted_and_nothing_is_recorded(
    sandbox: Sandbox, backend_for: BackendFactory, store: Store, records: Records
) -> None:
    original = recorded(store, "conv_long1", transcript(45), profile="acme")
    sandbox.faults.next(Fault.server_error(), path=r"/items$")
    target = backend_for("personal")
    with pytest.raises(HistoryNotCarried) as caught:
        await continue_thread(records, target, original)
    message = str(caught.value)
    assert "copying message 21 of 45 failed" in message and "was deleted" in message
    half_built = re.search(r"conv_\w+", message.split("half-built conversation")[1])
    assert half_built is not None
    ghost = ThreadRecord(id=half_built.group(0), profile="personal")
    assert await target.check(ghost) is False  # really gone from the server
    assert [r.id for r in store.list_threads()] == [original.id]
    stored = store.get(original.id)
    assert stored is not None and CONTINUED_AS not in stored.server_meta


async def test_a_copy_the_record_refuses_is_deleted_from_the_server(
    sandbox: Sandbox, backend_for: BackendFactory, store: Store, records: Records,
    disk: DiskFault,
) -> None:
    original = recorded(store, "conv_full1", transcript(3), profile="acme")
    target = backend_for("personal")
    made: list[str] = []
    real = target.create_with_history

    async def spying(*args: object, **kwargs: object) -> ThreadRecord:
        record = await real(*args, **kwargs)  # type: ignore[arg-type]
        made.append(record.id)
        disk.fail(errno.ENOSPC)  # the disk fills between the copy and its record
        return record

    target.create_with_history = spying  # type: ignore[method-assign]
    with pytest.raises(ContinuationNotRecorded, match="it was deleted again"):
        await continue_thread(records, target, original)
    disk.heal()
    assert await target.check(ThreadRecord(id=made[0], profile="personal")) is False


async def test_continuing_into_a_chat_profile_keeps_the_history_in_the_record(
    backend_for: BackendFactory, store: Store, records: Records
) -> None:
    turns = transcript(6)
    original = recorded(store, "conv_tochat", turns, profile="acme")
    done = await continue_thread(records, backend_for("acme", Dialect.CHAT), original)
    assert done.new.api is Dialect.CHAT and lines(store.transcript(done.new.id)) == lines(turns)


async def test_nothing_to_continue_and_no_new_legacy_threads(
    backend_for: BackendFactory, store: Store, records: Records
) -> None:
    bare = recorded(store, "conv_idonly", [], profile="acme")
    with pytest.raises(NothingToContinue):
        await continue_thread(records, backend_for("acme"), bare)
    full = recorded(store, "conv_full2", transcript(2), profile="acme")
    with pytest.raises(Unsupported, match="not into a new Assistants thread"):
        await continue_thread(records, backend_for("acme", Dialect.ASSISTANTS), full)
    assert len(store) == 2


def test_the_command_line_continues_and_refuses_an_unasked_move(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"""
default_profile = "acme"
[profiles.acme]
api_key_env = "TT_ACME_KEY"
base_url = "{sandbox.base_url}"
[profiles.personal]
api_key_env = "TT_PERSONAL_KEY"
base_url = "{sandbox.base_url}"
""")
    from tui.sandbox import PERSONAL_KEY

    monkeypatch.setenv("THREADTUI_CONFIG", str(config))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TT_ACME_KEY", ACME_KEY)
    monkeypatch.setenv("TT_PERSONAL_KEY", PERSONAL_KEY)
    with Store.open(tmp_path / "data") as store:
        recorded(store, "thread_old1", transcript(3), api=Dialect.ASSISTANTS, profile="acme")
    assert cli.main(["continue", "thread_old1", "--profile", "personal"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"continued thread_old1 as conv_\w+ \(3 messages\) under profile personal",
                     out)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["continue", "thread_old1", "--move"]) == 1
    assert "run it in a terminal to be asked, or add --yes" in capsys.readouterr().err
    assert cli.main(["continue", "nope_1"]) == 1
    assert "is not in the record" in capsys.readouterr().err
    with Store.open(tmp_path / "data") as store:
        assert len(store) == 2 and "thread_old1" in store


@pytest.mark.parametrize("dialect", [Dialect.CONVERSATIONS, Dialect.CHAT])
async def test_fork_from_message_3_of_6_with_the_question_edited(
    dialect: Dialect, backend_for: BackendFactory, store: Store, records: Records
) -> None:
    from tui.core.continuation import FORKED_FROM, FORKS, NotAQuestion, fork_thread
    from tui.core.session import send_message
    from tui.sandbox import reply_text

    backend = backend_for("acme", dialect)
    turns = transcript(6)
    original = recorded(store, "conv_six" if dialect is Dialect.CONVERSATIONS else "chat_six",
                        turns, profile="acme", api=dialect)
    with pytest.raises(NotAQuestion):
        await fork_thread(records, backend, original, 4)  # a reply, not a question
    fork = await fork_thread(records, backend, original, 3)
    async for _ in send_message(records, backend, fork, "message 3, edited"):
        pass
    wanted = [*lines(turns[:2]), (Role.USER, "message 3, edited"),
              (Role.ASSISTANT, reply_text("message 3, edited"))]
    assert lines(store.transcript(fork.id)) == wanted
    if dialect is Dialect.CONVERSATIONS:
        assert lines(await backend.fetch_transcript(fork)) == wanted
    assert lines(store.transcript(original.id)) == lines(turns)  # untouched
    stored_fork, stored_original = store.get(fork.id), store.get(original.id)
    assert stored_fork is not None and stored_original is not None
    assert stored_fork.server_meta[FORKED_FROM]["id"] == original.id
    assert stored_fork.server_meta[FORKED_FROM]["message"] == 3
    assert [(f["id"], f["message"]) for f in stored_original.server_meta[FORKS]] == [(fork.id, 3)]


async def test_a_thread_that_lives_only_in_the_record_continues_on_a_server(
    backend_for: BackendFactory, store: Store, records: Records
) -> None:
    """A ChatGPT conversation imported from an export (chat dialect, no server) carried into a
    conversation: its main branch, in order."""
    from tui.core.history_import import HistoryKind, read_history, record_history

    export = Path(__file__).parents[1] / "core" / "fixtures" / "chatgpt_export_split"
    record_history(store, read_history(HistoryKind.CHATGPT, export).items)
    imported = store.get("chatgpt_66f0c0de-0000-4000-8000-00000000000a")
    assert imported is not None and imported.api is Dialect.CHAT
    target = backend_for("acme")
    done = await continue_thread(records, target, imported)
    assert lines(await target.fetch_transcript(done.new)) == lines(store.transcript(imported.id))
