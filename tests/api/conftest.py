"""Fixtures for the API layer: profiles on the sandbox, a KeyRing fed by a fake environment,
a real Store in tmp_path, and backends built by the real factory.

Profiles (all on the per-test sandbox, keys from env vars as a user's config would have them):

========  ===============  ===========================================
name      env var          reaches
========  ===============  ===========================================
acme      TT_ACME_KEY      acme-corp / proj_sandboxacmedefault
research  TT_RESEARCH_KEY  acme-corp / proj_sandboxacmeresearch
personal  TT_PERSONAL_KEY  personal / proj_sandboxpersonal
user      TT_USER_KEY      user key, organization ``personal`` chosen by header
nokey     TT_NEVER_SET     (no key: resolution fails)
========  ===============  ===========================================
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tui.core.api.base import Backend
from tui.core.api.factory import make_backend
from tui.core.keys import KeyRing
from tui.core.record_access import Records
from tui.core.records import Dialect, Profile
from tui.core.store import Store
from tui.sandbox import ACME_KEY, ACME_RESEARCH_KEY, PERSONAL_KEY, USER_KEY, Sandbox

ENV = {
    "TT_ACME_KEY": ACME_KEY,
    "TT_RESEARCH_KEY": ACME_RESEARCH_KEY,
    "TT_PERSONAL_KEY": PERSONAL_KEY,
    "TT_USER_KEY": USER_KEY,
}


def sandbox_profiles(base_url: str, dialect: Dialect = Dialect.CONVERSATIONS) -> dict[str, Profile]:
    def profile(name: str, env: str, **extra: Any) -> Profile:
        return Profile(name=name, api_key_env=env, base_url=base_url, api=dialect, **extra)

    return {
        "acme": profile("acme", "TT_ACME_KEY"),
        "research": profile("research", "TT_RESEARCH_KEY"),
        "personal": profile("personal", "TT_PERSONAL_KEY"),
        "user": profile("user", "TT_USER_KEY", organization="personal"),
        "nokey": profile("nokey", "TT_NEVER_SET"),
    }


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing(environ=ENV)


@pytest.fixture
def profiles(sandbox: Sandbox) -> dict[str, Profile]:
    return sandbox_profiles(sandbox.base_url)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as opened:
        yield opened


BackendFactory = Callable[..., Backend]  # what the backend_for fixture yields


@pytest.fixture
async def backend_for(
    profiles: dict[str, Profile], keyring: KeyRing, records: Records
) -> AsyncIterator[BackendFactory]:
    """``backend_for("acme", Dialect.CHAT, max_retries=0)`` → a backend, closed after the test."""
    made: list[Backend] = []

    def make(
        name: str = "acme",
        dialect: Dialect = Dialect.CONVERSATIONS,
        *,
        max_retries: int = 0,
        profile: Profile | None = None,
        **options: Any,
    ) -> Backend:
        backend = make_backend(
            profile or profiles[name], keyring, records, dialect=dialect, max_retries=max_retries,
            **options,
        )
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.aclose()


@pytest.fixture
def dead_url() -> str:
    """A base_url nobody listens on (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def records(store: Store) -> Iterator[Records]:
    """The ``store`` fixture behind its worker thread, as the session flows take it."""
    front = Records(store)
    yield front
    front.close()
