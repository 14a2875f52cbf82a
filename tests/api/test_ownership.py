"""The 404 flow: which profile owns a thread that answers 404 under this one?"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace

import openai
import pytest

from tui.core import session
from tui.core.api.base import Backend, NotFound
from tui.core.keys import KeyRing
from tui.core.ownership import Verdict, find_owner, probe_and_record, resolve_not_found
from tui.core.record_access import Records
from tui.core.records import Dialect, Profile, ThreadRecord, ThreadStatus
from tui.core.store import Store
from tui.sandbox import PERSONAL_PROJECT_ID, Fault, Sandbox

BackendFactory = Callable[..., Backend]  # the backend_for fixture


def but_user(profiles: dict[str, Profile]) -> dict[str, Profile]:
    """Every profile but ``user``, which sees personal's threads too (two owners would race)."""
    return {name: profile for name, profile in profiles.items() if name != "user"}


def three(profiles: dict[str, Profile]) -> list[Profile]:
    return [profiles["acme"], profiles["research"], profiles["personal"]]


@pytest.mark.parametrize("dialect", [Dialect.CONVERSATIONS, Dialect.ASSISTANTS])
async def test_the_owner_is_found_among_three_profiles_and_recorded(
    dialect: Dialect,
    backend_for: BackendFactory,
    store: Store,
    records: Records,
    profiles: dict[str, Profile],
    keyring: KeyRing,
) -> None:
    owner = backend_for("personal", dialect)
    record = await session.create_and_record(records, owner, "Personal notes")
    # The user is on acme: the thread answers 404 there…
    acme = backend_for("acme", dialect)
    with pytest.raises(NotFound):
        async for _ in session.open_thread(records, acme, record):
            pass
    # …so the other profiles are asked.
    probe = await probe_and_record(
        records, record, three(profiles), keyring, current_profile="acme", exclude=["acme"]
    )
    assert probe.owner == "personal"
    assert probe.identity is not None and probe.identity.organization == "personal"
    assert probe.identity.project == PERSONAL_PROJECT_ID
    assert set(probe.not_found) <= {"research"} and not probe.errors  # asking stops at the owner
    assert "belongs to profile `personal` (personal / proj_sandboxpersonal)" in probe.describe()
    saved = store.get(record.id)
    assert saved is not None and saved.profile == "personal"
    assert saved.status == ThreadStatus.OK
    # Opening under its owner works and clears the badge.
    views = [turns async for turns in session.open_thread(records, owner, saved)]
    assert len(views) == 2
    assert store.get(record.id).status == ThreadStatus.OK  # type: ignore[union-attr]


async def test_a_misfiled_thread_takes_the_owners_organization_and_project(
    backend_for: BackendFactory,
    store: Store,
    records: Records,
    profiles: dict[str, Profile],
    keyring: KeyRing,
) -> None:
    """Filed under acme by mistake: once personal is found to own it, the record says so."""
    created = await session.create_and_record(records, backend_for("personal"), "Trip plans")
    misfiled = replace(created, profile="acme", organization="acme-corp", project="proj_wrong")
    store.upsert(misfiled)
    probe = await probe_and_record(
        records, misfiled, three(profiles), keyring, current_profile="acme", exclude=["acme"]
    )
    assert probe.owner == "personal"
    saved = store.get(created.id)
    assert saved is not None
    assert (saved.profile, saved.organization, saved.project) == (
        "personal",
        "personal",
        PERSONAL_PROJECT_ID,
    )


async def test_a_user_key_choosing_the_organization_by_header_can_own_it(
    backend_for: BackendFactory, store: Store, records: Records,
    profiles: dict[str, Profile], keyring: KeyRing
) -> None:
    record = await session.create_and_record(records, backend_for("personal"), "x")
    probe = await find_owner(record, [profiles["acme"], profiles["user"]], keyring)
    assert probe.owner == "user"


async def test_no_profile_sees_it_so_it_is_gone(
    backend_for: BackendFactory,
    store: Store,
    records: Records,
    profiles: dict[str, Profile],
    keyring: KeyRing,
    async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    record = await session.create_and_record(records, backend_for("acme"), "Deleted elsewhere")
    await async_openai_client("acme").conversations.delete(record.id)
    candidates = [*three(profiles), profiles["nokey"]]
    probe = await probe_and_record(records, record, candidates, keyring, current_profile="acme")
    assert probe.owner is None and probe.gone
    assert sorted(probe.not_found) == ["acme", "personal", "research"]
    assert "TT_NEVER_SET is not set" in probe.skipped["nokey"]  # skipped, and said so
    assert "found under no profile" in probe.describe()
    assert "nokey: not checked" in probe.describe()
    assert store.get(record.id).status == ThreadStatus.GONE  # type: ignore[union-attr]
    assert store.get(record.id).profile == "acme"  # type: ignore[union-attr]


async def test_an_expired_legacy_thread_is_gone(
    backend_for: BackendFactory,
    store: Store,
    records: Records,
    profiles: dict[str, Profile],
    keyring: KeyRing,
    sandbox: Sandbox,
) -> None:
    backend = backend_for("acme", Dialect.ASSISTANTS)
    record = await session.create_and_record(records, backend, "Old")
    sandbox.clock.advance(days=61)
    with pytest.raises(NotFound):
        await backend.fetch_transcript(record)
    probe = await probe_and_record(
        records, record, three(profiles), keyring, current_profile="acme", exclude=["acme"]
    )
    assert probe.gone and store.get(record.id).status == ThreadStatus.GONE  # type: ignore[union-attr]


async def test_no_verdict_when_a_profile_cannot_answer(
    backend_for: BackendFactory,
    store: Store,
    records: Records,
    profiles: dict[str, Profile],
    keyring: KeyRing,
    sandbox: Sandbox,
    dead_url: str,
) -> None:
    """"Gone" is never said on a guess: an unreachable or slow profile leaves it undecided."""
    record = await session.create_and_record(records, backend_for("acme"), "Imported")
    imported = replace(record, base_url=None, profile="", status=ThreadStatus.UNKNOWN)
    store.upsert(imported)
    unreachable = replace(profiles["research"], base_url=dead_url)
    probe = await probe_and_record(
        records, imported, [unreachable], keyring, current_profile="acme"
    )
    assert probe.owner is None and not probe.gone
    assert "cannot reach" in probe.errors["research"]
    assert store.get(record.id).status == ThreadStatus.UNKNOWN  # type: ignore[union-attr]

    sandbox.faults.next(Fault.slow_first_byte(seconds=10))
    probe = await find_owner(imported, [profiles["personal"]], keyring, timeout=0.3)
    assert probe.errors == {"personal": "no answer within 0.3 s"}


async def test_only_profiles_on_the_records_server_are_asked(
    backend_for: BackendFactory, store: Store, records: Records,
    profiles: dict[str, Profile], keyring: KeyRing,
    dead_url: str,
) -> None:
    record = await session.create_and_record(records, backend_for("personal"), "x")
    elsewhere = replace(profiles["research"], base_url=dead_url)
    probe = await find_owner(record, [elsewhere, profiles["personal"]], keyring, concurrency=1)
    assert probe.owner == "personal"
    assert probe.skipped["research"].startswith("on another server")


async def test_chat_threads_are_local_and_never_probed(
    profiles: dict[str, Profile], keyring: KeyRing
) -> None:
    record = ThreadRecord(id="chat_abc", api=Dialect.CHAT, profile="acme")
    probe = await find_owner(record, profiles.values(), keyring)
    assert probe.owner == "acme" and not probe.not_found


async def test_the_assistants_api_on_api_openai_com_is_unsupported(
    backend_for: BackendFactory,
    profiles: dict[str, Profile],
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After its shutdown, api.openai.com answers 404 on /threads: that is "Unsupported".

    The sandbox plays api.openai.com through a local HTTP proxy (no request leaves 127.0.0.1).
    """
    from tui.core.api.base import Unsupported

    sandbox.features.assistants = False
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", sandbox.url)
    openai_com = replace(profiles["acme"], base_url="http://api.openai.com/v1")
    with pytest.raises(Unsupported) as caught:
        await backend_for(profile=openai_com, dialect=Dialect.ASSISTANTS).create_thread("x")
    assert "the Assistants API was shut down on 2026-08-26; this thread's transcript is kept" \
        " locally" in str(caught.value)
    # Elsewhere (a compatible server that lacks it) a 404 stays a plain NotFound.
    with pytest.raises(NotFound):
        await backend_for("acme", Dialect.ASSISTANTS).create_thread("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # and the SDK's warning never shows
        with pytest.raises(NotFound):
            await backend_for("acme", Dialect.ASSISTANTS).create_thread("y")


# ---------------------------------------------------------------------------- resolve_not_found


async def test_policy_a_record_naming_another_profile_is_that_profiles_without_asking(
    backend_for: BackendFactory, store: Store, records: Records, keyring: KeyRing,
    profiles: dict[str, Profile], dead_url: str,
) -> None:
    """The record names personal: that is the owner; nobody is asked (every other profile is
    unreachable here, so a probe could only have said "unknown")."""
    record = await session.create_and_record(records, backend_for("personal"), "Named")
    unreachable = {
        name: replace(profile, base_url=dead_url) if name != "personal" else profile
        for name, profile in profiles.items()
    }
    answer = await resolve_not_found(
        records, record, unreachable, keyring, current_profile="acme"
    )
    assert answer.verdict is Verdict.OWNER and answer.owner == "personal" and not answer.probed
    assert answer.message == (
        f"{record.id} belongs to profile `personal` (personal / {PERSONAL_PROJECT_ID})"
    )
    assert answer.record is record and record.status is ThreadStatus.OK
    assert store.get(record.id).status is ThreadStatus.OK  # type: ignore[union-attr]


async def test_policy_the_profile_that_sees_it_becomes_the_owner(
    backend_for: BackendFactory, store: Store, records: Records, keyring: KeyRing,
    profiles: dict[str, Profile],
) -> None:
    created = await session.create_and_record(records, backend_for("personal"), "Misfiled")
    misfiled = replace(created, profile="acme", organization=None, project=None)
    store.upsert(misfiled)
    answer = await resolve_not_found(
        records, misfiled, but_user(profiles), keyring, current_profile="acme"
    )
    assert answer.verdict is Verdict.OWNER and answer.owner == "personal" and answer.probed
    assert (answer.organization, answer.project) == ("personal", PERSONAL_PROJECT_ID)
    assert "belongs to profile `personal` (personal / proj_sandboxpersonal)" in answer.message
    saved = store.get(created.id)
    assert saved is not None and saved.profile == "personal"
    assert saved.status is ThreadStatus.OK and saved.project == PERSONAL_PROJECT_ID


async def test_policy_seen_by_no_profile_and_every_answer_a_404_is_gone(
    backend_for: BackendFactory, store: Store, records: Records, keyring: KeyRing,
    profiles: dict[str, Profile], async_openai_client: Callable[..., openai.AsyncOpenAI],
) -> None:
    record = await session.create_and_record(records, backend_for("acme"), "Deleted")
    await async_openai_client("acme").conversations.delete(record.id)
    answer = await resolve_not_found(records, record, profiles, keyring, current_profile="acme")
    assert answer.verdict is Verdict.GONE and answer.owner is None
    assert "found under no profile" in answer.message
    assert "nokey: not checked" in answer.message  # a profile without a key does not block it
    assert store.get(record.id).status is ThreadStatus.GONE  # type: ignore[union-attr]


async def test_policy_a_profile_that_cannot_answer_leaves_it_unknown(
    backend_for: BackendFactory, store: Store, records: Records, keyring: KeyRing,
    profiles: dict[str, Profile], async_openai_client: Callable[..., openai.AsyncOpenAI],
    dead_url: str,
) -> None:
    record = await session.create_and_record(records, backend_for("acme"), "Undecided")
    await async_openai_client("acme").conversations.delete(record.id)
    imported = replace(record, base_url=None)
    store.upsert(imported)
    some_down = dict(profiles, research=replace(profiles["research"], base_url=dead_url))
    answer = await resolve_not_found(records, imported, some_down, keyring, current_profile="acme")
    assert answer.verdict is Verdict.UNKNOWN and answer.owner is None
    assert "not every profile could answer" in answer.message
    assert "research: " in answer.message and "cannot reach" in answer.message
    assert store.get(record.id).status is ThreadStatus.OK  # type: ignore[union-attr]


async def test_policy_for_a_check_nobody_made_asks_the_current_profile_too(
    backend_for: BackendFactory, store: Store, records: Records, keyring: KeyRing,
    profiles: dict[str, Profile],
) -> None:
    record = await session.create_and_record(records, backend_for("acme"), "Mine")
    answer = await resolve_not_found(
        records, record, profiles, keyring, current_profile="acme", current_answered=False
    )
    assert answer.verdict is Verdict.OWNER and answer.owner == "acme"
    assert store.get(record.id).status is ThreadStatus.OK  # type: ignore[union-attr]
    answer = await resolve_not_found(records, record, profiles, keyring, current_profile="acme")
    assert answer.verdict is Verdict.GONE  # acme excluded: it answered the 404 itself


async def test_the_policy_writes_on_the_records_thread(
    backend_for: BackendFactory, store: Store, records: Records, keyring: KeyRing,
    profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from tui.core.record_access import THREAD_NAME

    record = await session.create_and_record(records, backend_for("personal"), "Where")
    record.profile = ""
    writers: list[str] = []
    update = Store.update_thread

    def spy(self: Store, thread_id: str, **changes: object) -> object:
        writers.append(threading.current_thread().name)
        return update(self, thread_id, **changes)

    monkeypatch.setattr(Store, "update_thread", spy)
    answer = await resolve_not_found(
        records, record, but_user(profiles), keyring, current_profile="acme"
    )
    assert answer.owner == "personal"
    assert writers and all(name.startswith(THREAD_NAME) for name in writers)
