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
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from tui.core.api.base import ApiError
from tui.core.api.factory import make_backend
from tui.core.api.sdk import LocalStore
from tui.core.api.servers import server_url
from tui.core.keys import KeyResolutionError, KeyRing
from tui.core.records import Dialect, Identity, Profile, ThreadRecord, ThreadStatus
from tui.core.store import Store

DEFAULT_CONCURRENCY = 4
DEFAULT_TIMEOUT = 10.0


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
            where = ""
            if self.identity and (self.identity.organization or self.identity.project):
                parts = [p for p in (self.identity.organization, self.identity.project) if p]
                where = f" ({' / '.join(parts)})"
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
    store: LocalStore | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
) -> OwnerProbe:
    """Ask ``profiles`` (minus ``exclude``) whether they can see ``record``.

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
        if record.base_url and server_url(profile.base_url) != server_url(record.base_url):
            probe.skipped[profile.name] = f"on another server ({server_url(profile.base_url)})"
            continue
        candidates.append(profile)

    gate = asyncio.Semaphore(max(1, concurrency))

    async def ask(profile: Profile) -> tuple[str, Identity | None] | None:
        async with gate:
            try:
                # A key command may take seconds (a password manager): off the event loop.
                backend = await asyncio.to_thread(
                    make_backend, profile, keyring, store, dialect=record.api, max_retries=1,
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


def record_owner(
    store: Store, record: ThreadRecord, probe: OwnerProbe, current_profile: str | None
) -> ThreadRecord:
    """Write the probe's verdict into the record (see the module docstring for the policy).

    The record is updated in place and in the store. A record not in the store yet (a typed-in
    id) is added only when an owner was found: a gone id is not worth a row. An inconclusive
    probe changes nothing.
    """
    if probe.owner:
        record.profile = probe.owner
        record.status = (
            ThreadStatus.OK if probe.owner == current_profile else ThreadStatus.FOREIGN
        )
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
    elif probe.owner:
        store.upsert(record)
    return record


async def probe_and_record(
    store: Store,
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
        record, profiles, keyring, exclude=exclude, store=store,
        concurrency=concurrency, timeout=timeout,
    )
    record_owner(store, record, probe, current_profile)
    return probe
