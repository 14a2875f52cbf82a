"""whoami and last_identity: what the server's headers say a key bills."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from tui.core.api.base import AuthFailed, Backend
from tui.core.records import Dialect, Profile
from tui.sandbox import ACME_PROJECT_ID, PERSONAL_PROJECT_ID, Fault, Sandbox

BackendFactory = Callable[..., Backend]  # the backend_for fixture


async def test_whoami_reads_organization_and_project_from_the_headers(
    backend_for: BackendFactory,
) -> None:
    identity = await backend_for("acme").whoami()
    assert identity.profile == "acme" and identity.key_hint == "sk-…acme"
    assert identity.organization == "acme-corp" and identity.project == ACME_PROJECT_ID
    assert identity.request_id and identity.request_id.startswith("req_")
    assert identity.rate_limit_remaining_requests is not None
    assert identity.rate_limit_remaining_tokens is not None
    assert identity.models_listable

    # A user key picks its organization with the header the profile configures.
    identity = await backend_for("user").whoami()
    assert identity.organization == "personal" and identity.project == PERSONAL_PROJECT_ID
    assert identity.organization_id == "personal"  # what the profile asked for


async def test_last_identity_follows_every_response(
    backend_for: BackendFactory, profiles: dict[str, Profile], sandbox: Sandbox
) -> None:
    backend = backend_for("personal", Dialect.CHAT)
    assert backend.last_identity is None  # nothing heard yet
    record = await backend.create_thread("no request for chat")
    assert backend.last_identity is None
    async for _ in backend.stream_reply(record, "hi"):
        pass
    seen = backend.last_identity
    assert seen is not None and seen.organization == "personal"
    assert seen.project == PERSONAL_PROJECT_ID

    # Error answers carry the headers too, and a header an answer lacks erases nothing.
    backend = backend_for("acme")
    sandbox.faults.next(Fault.unauthorized())
    with pytest.raises(AuthFailed):
        await backend.create_thread("x")
    first = backend.last_identity
    assert first is not None and first.request_id
    await backend.create_thread("y")
    assert backend.last_identity is not None
    assert backend.last_identity.organization == "acme-corp"
    assert backend.last_identity.request_id != first.request_id


async def test_the_sdk_never_takes_organization_or_project_from_the_environment(
    backend_for: BackendFactory,
    profiles: dict[str, Profile],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A profile for the key's default organization must not bill $OPENAI_ORG_ID's."""
    monkeypatch.setenv("OPENAI_ORG_ID", "personal")
    monkeypatch.setenv("OPENAI_PROJECT_ID", PERSONAL_PROJECT_ID)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    identity = await backend_for(profile=replace(profiles["user"], organization=None)).whoami()
    assert identity.organization == "acme-corp"  # the user key's default, not the env's
