"""Shared fixtures: a running sandbox and OpenAI SDK clients pointed at it.

Other test packages (API layer, app, e2e) rely on these names; keep them stable.

Fixtures
--------
``sandbox``
    A started ``tui.sandbox.Sandbox`` with the default tenancy, natural-length replies and no
    delay; a fresh one per test (so faults, clock and stored objects never leak between
    tests) and stopped afterwards. Use ``sandbox.base_url`` (``http://127.0.0.1:PORT/v1``),
    ``sandbox.faults``, ``sandbox.clock``, ``sandbox.model.update(...)``,
    ``sandbox.seed_conversation(...)`` etc.
``openai_client``
    Factory: ``openai_client("acme", organization=None, project=None, timeout=None)`` → a
    sync ``openai.OpenAI`` on the sandbox with ``max_retries=0`` (pass ``max_retries=`` to
    change). The first argument is a key name below or a literal key. Closed after the test.
``async_openai_client``
    The same for ``openai.AsyncOpenAI``.

Fake keys (default tenancy; all under 32 characters after ``sk-``)
------------------------------------------------------------------
==============  =================================  =========================================
name            key                                reaches
==============  =================================  =========================================
acme            ``sk-proj-sandbox-acme-0000acme``  acme-corp / ``proj_sandboxacmedefault``
acme-research   ``sk-proj-sandbox-acme-0000rsch``  acme-corp / ``proj_sandboxacmeresearch``
personal        ``sk-proj-sandbox-personal-pers``  personal / ``proj_sandboxpersonal``
user            ``sk-sandbox-user-00000000user``   user key: acme-corp (default) and personal,
                                                   chosen with ``OpenAI-Organization``
==============  =================================  =========================================

Organization ids: acme-corp ``org-sandboxacmecorp``, personal ``org-sandboxpersonal``; the
``openai-organization`` response header carries the slug. The same constants are importable
from ``tui.sandbox`` (``ACME_KEY``, ``PERSONAL_KEY``, ``USER_KEY``, ``KEYS_BY_NAME`` …).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from openai import AsyncOpenAI, OpenAI

from tui.sandbox import KEYS_BY_NAME, ModelSettings, Sandbox, default_tenancy


def _key(name_or_key: str) -> str:
    return KEYS_BY_NAME.get(name_or_key, name_or_key)


def _client_kwargs(sandbox: Sandbox, name_or_key: str, **options: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "api_key": _key(name_or_key),
        "base_url": sandbox.base_url,
        "max_retries": 0,
    }
    kwargs.update({k: v for k, v in options.items() if v is not None})
    return kwargs


@pytest.fixture
def utc_timezone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Message headers show local times: suites that compare screens pin the zone to UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox per test, stopped (every thread joined) afterwards."""
    box = Sandbox(default_tenancy(), ModelSettings()).start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture
def openai_client(sandbox: Sandbox) -> Iterator[Callable[..., OpenAI]]:
    """Factory for sync SDK clients on the sandbox, by key name or key."""
    made: list[OpenAI] = []

    def make(
        name_or_key: str = "acme",
        *,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> OpenAI:
        client = OpenAI(**_client_kwargs(sandbox, name_or_key, organization=organization,
                                         project=project, timeout=timeout, **options))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
async def async_openai_client(sandbox: Sandbox) -> AsyncIterator[Callable[..., AsyncOpenAI]]:
    """Factory for async SDK clients on the sandbox, by key name or key."""
    made: list[AsyncOpenAI] = []

    def make(
        name_or_key: str = "acme",
        *,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> AsyncOpenAI:
        client = AsyncOpenAI(**_client_kwargs(sandbox, name_or_key, organization=organization,
                                              project=project, timeout=timeout, **options))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()
