"""Ready-made server-side history for tests and the demo.

The API cannot list what exists, so a client (or a test) that should find something must be
handed its id: every helper returns the id it created, under the tenant the key resolves to.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import routes_assistants, routes_conversations
from .context import Services
from .model import DEFAULT_MODELS
from .tenancy import Scope

Turn = tuple[str, str]


def scope_for(services: Services, key: str, org: str | None, project: str | None) -> Scope:
    """The tenant a request with this key and these headers would act as."""
    return services.tenancy.resolve(key, org, project)


def _metadata(title: str | None, metadata: dict[str, str] | None) -> dict[str, str]:
    meta = dict(metadata or {})
    if title is not None:
        meta["title"] = title
    return meta


def seed_conversation(
    services: Services,
    key: str,
    *,
    title: str | None = None,
    turns: Sequence[Turn] = (),
    org: str | None = None,
    project: str | None = None,
    metadata: dict[str, str] | None = None,
) -> str:
    """A conversation holding ``turns`` as message items; ``title`` goes into metadata."""
    scope = scope_for(services, key, org, project)
    raw = [{"type": "message", "role": role, "content": text} for role, text in turns]
    conv = routes_conversations.create(services, scope.owner, raw, _metadata(title, metadata))
    return conv.id


def seed_assistant(
    services: Services,
    key: str,
    *,
    name: str = "Sandbox assistant",
    model: str | None = None,
    instructions: str | None = None,
    org: str | None = None,
    project: str | None = None,
) -> str:
    """An assistant the key's tenant can run threads with."""
    scope = scope_for(services, key, org, project)
    chosen = model or (services.model.models[0] if services.model.models else DEFAULT_MODELS[0])
    assistant = routes_assistants.create_assistant(
        services, scope.owner, chosen, name=name, instructions=instructions
    )
    return assistant.id


def seed_thread(
    services: Services,
    key: str,
    *,
    title: str | None = None,
    turns: Sequence[Turn] = (),
    org: str | None = None,
    project: str | None = None,
    metadata: dict[str, str] | None = None,
) -> str:
    """A legacy thread holding ``turns`` as messages; ``title`` goes into metadata."""
    scope = scope_for(services, key, org, project)
    raw = [{"role": role, "content": text} for role, text in turns]
    thread = routes_assistants.create_thread(services, scope.owner, raw,
                                             _metadata(title, metadata))
    return thread.id
