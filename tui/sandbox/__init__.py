"""A local stand-in for the OpenAI API over real HTTP, for ``threadtui --demo`` and the tests.

It never imports textual and never touches the network beyond 127.0.0.1. Start it in-process
with ``Sandbox`` or in the foreground with ``python -m tui.sandbox``.

In-process::

    with Sandbox(default_tenancy(), ModelSettings(tokens=None, delay_s=0)) as sandbox:
        client = OpenAI(api_key=ACME_KEY, base_url=sandbox.base_url, max_retries=0)
        sandbox.faults.next(Fault.cut(after=3), path="/responses$")
        sandbox.model.update(tokens=20_000)
        sandbox.clock.advance(days=61)
        conv_id = sandbox.seed_conversation(ACME_KEY, title="t", turns=[("user", "hi")])

Over HTTP (no key needed), at ``sandbox.url`` = ``http://127.0.0.1:PORT``:

- ``GET /_sandbox/state``: settings, pending faults, tenancy (masked keys), every object.
- ``POST /_sandbox/faults`` ``{"kind": "cut", "after": 3, "times": 1, "path": "/responses$",
  "method": "POST"}`` (fields as ``Fault.to_dict``; ``times: null`` = until cleared);
  ``{"clear": true}``; ``GET``/``DELETE /_sandbox/faults`` list/clear.
- ``POST /_sandbox/clock`` ``{"advance_days": 61, "advance_seconds": 0}``.
- ``POST /_sandbox/model`` ``{"tokens": 20000 | null, "delay_ms": 15, "models": [...]}``.
- ``POST /_sandbox/features`` ``{"assistants": false}`` (the retired API answers 404).
- ``POST /_sandbox/seed`` ``{"kind": "conversation" | "thread" | "assistant", "key": …,
  "organization", "project", "title", "turns": [["user", "…"]], "metadata"}`` → ``{"id"}``.
- ``POST /_sandbox/reset``: clear faults, refill rate limits.

Per request: header ``X-Sandbox-Fault: kind;name=value`` (e.g. ``rate_limit;retry_after=2``).
"""

from __future__ import annotations

from .clock import Clock
from .errors import ApiError
from .faults import Fault, FaultKind, Faults
from .model import ModelSettings, count_tokens, reply_text, split_tokens
from .sandbox import Sandbox
from .tenancy import (
    ACME_KEY,
    ACME_ORG_ID,
    ACME_PROJECT_ID,
    ACME_RESEARCH_KEY,
    ACME_RESEARCH_PROJECT_ID,
    KEYS_BY_NAME,
    PERSONAL_KEY,
    PERSONAL_ORG_ID,
    PERSONAL_PROJECT_ID,
    USER_KEY,
    ApiKey,
    Organization,
    Project,
    Tenancy,
    default_tenancy,
    demo_tenancy,
)

__all__ = [
    "ACME_KEY",
    "ACME_ORG_ID",
    "ACME_PROJECT_ID",
    "ACME_RESEARCH_KEY",
    "ACME_RESEARCH_PROJECT_ID",
    "KEYS_BY_NAME",
    "PERSONAL_KEY",
    "PERSONAL_ORG_ID",
    "PERSONAL_PROJECT_ID",
    "USER_KEY",
    "ApiError",
    "ApiKey",
    "Clock",
    "Fault",
    "FaultKind",
    "Faults",
    "ModelSettings",
    "Organization",
    "Project",
    "Sandbox",
    "Tenancy",
    "count_tokens",
    "default_tenancy",
    "demo_tenancy",
    "reply_text",
    "split_tokens",
]
