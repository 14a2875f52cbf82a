"""Who owns this thread? Ask the other profiles, since a 404 cannot tell "deleted" from "not yours".

A thread made under one organization/project answers 404 to every other, exactly as a thread
that never existed. When one profile gets a 404, the other profiles are asked concurrently
(bounded, each with its own timeout); the first that can see the thread is its owner.

What is recorded: ``record.profile`` becomes the owner, so the next open goes straight to the
right key; ``status`` becomes ``foreign`` when that owner is not the profile the user was on
(the UI offers to switch), ``ok`` when it is. When every profile that could be asked answered
404, the thread is ``gone`` (expired, deleted, or its API retired) and its local transcript is
all there is. When some profile could not be asked because of a network error or timeout, no
verdict is recorded: "gone" must not be said on a guess. Profiles whose key cannot be resolved
are skipped and reported; they do not block a verdict (a stale profile would otherwise keep
every thread undecided forever), and a later probe can still find the owner.

``resolve_not_found`` is the whole policy after a 404, in one place: the app, ``threadtui
delete`` and ``threadtui import --check`` all call it and only show its ``Ownership``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from tui.core.api.base import ApiError, Backend
from tui.core.api.servers import is_openai, server_url, thread_host
from tui.core.keys import KeyResolutionError, KeyRing
from tui.core.record_access import Records
from tui.core.records import Dialect, Identity, Profile, ThreadRecord, ThreadStatus
from tui.core.store import Store

DEFAULT_CONCURRENCY = 4
DEFAULT_TIMEOUT = 10.0



def make_backend(*args: Any, **kwargs: Any) -> Backend:
    """``tui.core.api.factory.make_backend``, imported on first use: the factory imports the
    openai SDK (about 0.5 s and 25 MB), and the app imports this module at start-up, where
    that delayed the first screen. The probe calls it in a thread."""
    from tui.core.api.factory import make_backend as make

    return make(*args, **kwargs)

@dataclass(slots=True)
class OwnerProbe:
    """The answer, with enough detail for the UI to say what was and was not checked."""

    thread_id: str
    owner: str | None = None
    identity: Identity | None = None
    not_found: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def gone(self) -> bool:
        """No profile sees it and every one that was asked answered a plain 404."""
        return self.owner is None and not self.errors

    def describe(self) -> str:
        if self.owner:
            seen = self.identity
            where = _where(seen.organization, seen.project) if seen else ""
            return f"{self.thread_id} belongs to profile `{self.owner}`{where}"
        lines = []
        if self.gone:
            lines.append(
                f"{self.thread_id} was found under no profile: it expired, was deleted, or its"
                " API was retired; the local transcript is kept"
            )
        else:
            lines.append(f"{self.thread_id}: no owner found, but not every profile could answer")
        lines += [f"  {name}: {why}" for name, why in self.errors.items()]
        lines += [f"  {name}: not checked ({why})" for name, why in self.skipped.items()]
        return "\n".join(lines)


async def find_owner(
    record: ThreadRecord,
    profiles: Iterable[Profile],
    keyring: KeyRing,
    *,
    exclude: Iterable[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
) -> OwnerProbe:
    """Ask ``profiles`` (minus ``exclude``) whether they can see ``record``.

    Touches no record: the backends it builds only ``check``, which needs no store.

    Only profiles on the record's server are asked when the record names one (a conversation
    on api.openai.com cannot be on a local Ollama). Each check uses the record's dialect, not
    the profile's. Stops asking once an owner is found.
    """
    probe = OwnerProbe(thread_id=record.id)
    if record.api == Dialect.CHAT:
        probe.owner = record.profile or None  # a local thread: nothing on a server to find
        return probe
    excluded = set(exclude)
    candidates: list[Profile] = []
    for profile in profiles:
        if profile.name in excluded:
            continue
        if not _same_server(profile, record):
            host = thread_host(profile.base_url, record.base_url)
            if host is not None:
                # One account, several hosts (eu.api.openai.com …): data stays where it was
                # made, so the key is asked there.
                candidates.append(replace(profile, base_url=host))
                continue
            probe.skipped[profile.name] = f"on another server ({server_url(profile.base_url)})"
            continue
        candidates.append(profile)

    gate = asyncio.Semaphore(max(1, concurrency))

    async def ask(profile: Profile) -> tuple[str, Identity | None] | None:
        async with gate:
            try:
                # A key command may take seconds (a password manager): off the event loop.
                backend = await asyncio.to_thread(
                    make_backend, profile, keyring, None, dialect=record.api, max_retries=1,
                    timeout=timeout,
                )
            except KeyResolutionError as exc:
                probe.skipped[profile.name] = str(exc)
                return None
            try:
                found = await asyncio.wait_for(backend.check(record), timeout)
            except TimeoutError:
                probe.errors[profile.name] = f"no answer within {timeout:g} s"
                return None
            except ApiError as exc:
                probe.errors[profile.name] = str(exc)
                return None
            finally:
                await backend.aclose()
            if not found:
                probe.not_found.append(profile.name)
                return None
            return profile.name, backend.last_identity

    tasks = [asyncio.create_task(ask(profile)) for profile in candidates]
    try:
        for next_done in asyncio.as_completed(tasks):
            answer = await next_done
            if answer is not None:
                probe.owner, probe.identity = answer
                break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return probe


async def record_owner(
    records: Records, record: ThreadRecord, probe: OwnerProbe, current_profile: str | None
) -> ThreadRecord:
    """Write the probe's verdict into the record (see the module docstring for the policy).

    The record is updated in place and in the store. A record not in the store yet (a typed-in
    id) is added only when an owner was found: a gone id is not worth a row. An inconclusive
    probe changes nothing.
    """
    if probe.owner:
        record.profile = probe.owner
        # Its owner sees it: the thread is fine. Whether it is "foreign" depends on which
        # profile is active when it is shown, so that is computed there, never stored.
        record.status = ThreadStatus.OK
        if probe.identity is not None:
            # What the owner's server reported is the truth; the old values were what the user
            # believed when the thread was filed (under the wrong profile, for a misfiled one).
            identity = probe.identity
            record.organization = identity.organization or record.organization
            record.project = identity.project or record.project
            record.key_hint = identity.key_hint or record.key_hint
            record.base_url = identity.base_url or record.base_url
    elif probe.gone:
        record.status = ThreadStatus.GONE
    else:
        return record
    await records.call(_write_verdict, record, bool(probe.owner))
    return record


def _write_verdict(store: Store, record: ThreadRecord, owned: bool) -> None:
    if record.id in store:
        store.update_thread(
            record.id,
            profile=record.profile,
            status=record.status,
            organization=record.organization,
            project=record.project,
            key_hint=record.key_hint,
            base_url=record.base_url,
        )
    elif owned:
        store.upsert(record)


async def probe_and_record(
    records: Records,
    record: ThreadRecord,
    profiles: Iterable[Profile],
    keyring: KeyRing,
    *,
    current_profile: str | None,
    exclude: Iterable[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
) -> OwnerProbe:
    """``find_owner`` then ``record_owner``: the 404 flow's second and third steps."""
    probe = await find_owner(
        record, profiles, keyring, exclude=exclude, concurrency=concurrency, timeout=timeout,
    )
    await record_owner(records, record, probe, current_profile)
    return probe


class Verdict(StrEnum):
    """What a 404 turned out to mean."""

    OWNER = "owner"  # a profile can see the thread (maybe the current one, for import --check)
    GONE = "gone"  # every profile that could be asked answered a plain 404
    # A legacy thread on api.openai.com, where the Assistants API answers 404 for every
    # thread since its shutdown: not gone through anyone's doing, and nobody else's.
    RETIRED = "retired"
    UNKNOWN = "unknown"  # no owner found, but some profile could not answer: nothing decided


@dataclass(frozen=True, slots=True)
class Ownership:
    """The answer of ``resolve_not_found``: what to show, and the record as now stored.

    ``owner`` is the owning profile's name (for ``Verdict.OWNER`` only); ``organization`` and
    ``project`` are where the thread lives as far as is known (the owner's server, else the
    record, else the owner profile's configuration); ``record`` is the record after the verdict
    was written (the same object the caller passed, updated in place); ``message`` is a
    sentence (lines, for ``unknown``) to show the user, not yet scrubbed of keys.
    """

    verdict: Verdict
    owner: str | None
    organization: str | None
    project: str | None
    record: ThreadRecord
    message: str
    probed: bool = False  # the other profiles were asked (False: the record named its owner)


async def resolve_not_found(
    records: Records,
    record: ThreadRecord,
    profiles: Mapping[str, Profile],
    keyring: KeyRing,
    *,
    current_profile: str,
    current_answered: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
) -> Ownership:
    """The 404 policy: who owns ``record``, now that ``current_profile`` could not see it.

    1. The record names another configured profile: that profile is the owner. The record is
       marked ``foreign`` (when stored); nobody is asked.
    2. Else the other profiles are asked concurrently (``find_owner``); the first that sees the
       thread is its owner, recorded as such (``record_owner``).
    3. No profile sees it and every answer was a conclusive 404: ``gone`` (recorded).
    4. Otherwise ``unknown``: nothing is recorded and the message says who could not answer.

    ``current_answered=False`` is for a check nobody has made yet (``import --check``): the
    current profile is asked too, and becomes the owner (status ``ok``) if it sees the thread.
    """
    current = profiles.get(current_profile)
    if is_retired(record, current.base_url if current else None):
        return await _retired(records, record)
    named = record.profile
    if current_answered and named and named != current_profile and named in profiles:
        owner = profiles[named]
        if record.status is not ThreadStatus.OK and await records.call(
            Store.__contains__, record.id
        ):  # fine, only not this profile's: "foreign" is computed when shown, not stored
            stored = await records.call(Store.mark_status, record.id, ThreadStatus.OK)
            record.status = stored.status
        else:
            record.status = ThreadStatus.OK
        organization = record.organization or owner.organization
        project = record.project or owner.project
        return Ownership(
            Verdict.OWNER, named, organization, project, record,
            f"{record.id} belongs to profile `{named}`{_where(organization, project)}",
        )
    # A current profile on another host than the thread's (a regional host: data residency)
    # asked the wrong server: its 404 is no answer, and it is asked again where the thread is.
    asked_there = current is None or _same_server(current, record)
    probe = await probe_and_record(
        records, record, profiles.values(), keyring,
        current_profile=current_profile,
        exclude=[current_profile] if current_answered and asked_there else [],
        concurrency=concurrency, timeout=timeout,
    )
    if probe.owner is not None:
        owner = profiles[probe.owner]
        return Ownership(
            Verdict.OWNER, probe.owner,
            record.organization or owner.organization, record.project or owner.project,
            record, probe.describe(), probed=True,
        )
    verdict = Verdict.GONE if probe.gone else Verdict.UNKNOWN
    return Ownership(
        verdict, None, record.organization, record.project, record, probe.describe(),
        probed=True,
    )


ASSISTANTS_SHUTDOWN = "2026-08-26"
"""The day OpenAI shut the Assistants API down (API-NOTES)."""

RETIRED_MESSAGE = (
    "{id} is a legacy Assistants thread: api.openai.com shut that API down on "
    + ASSISTANTS_SHUTDOWN + " and answers 404 for every thread since; the local transcript is"
    " kept"
)


def is_retired(record: ThreadRecord, fallback_base_url: str | None = None) -> bool:
    """A legacy thread made on OpenAI's own API (any of its hosts): retired, not foreign.
    A record that names no server (a typed-in id) is taken to be on ``fallback_base_url``
    (the profile asking)."""
    legacy = record.api == Dialect.ASSISTANTS or record.id.startswith("thread_")
    return legacy and is_openai(record.base_url or fallback_base_url)


async def _retired(records: Records, record: ThreadRecord) -> Ownership:
    """Record a retired thread as gone (its transcript stays); nobody is asked."""
    record.status = ThreadStatus.GONE
    if await records.call(Store.__contains__, record.id):
        stored = await records.call(Store.mark_status, record.id, ThreadStatus.GONE)
        record.status = stored.status
    return Ownership(
        Verdict.RETIRED, None, record.organization, record.project, record,
        RETIRED_MESSAGE.format(id=record.id),
    )


def _same_server(profile: Profile, record: ThreadRecord) -> bool:
    return not record.base_url or server_url(profile.base_url) == server_url(record.base_url)


def _where(organization: str | None, project: str | None) -> str:
    parts = [p for p in (organization, project) if p]
    return f" ({' / '.join(parts)})" if parts else ""
