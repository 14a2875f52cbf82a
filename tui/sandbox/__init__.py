"""A local stand-in for the OpenAI API over real HTTP, for ``threadtui --demo`` and the tests.

It never imports textual and never touches the network beyond 127.0.0.1. Start it in-process
with ``Sandbox`` or in the foreground with ``python -m tui.sandbox``.
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
