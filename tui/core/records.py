"""Plain data that every layer shares: profiles, thread records, turns, identities.

These are dataclasses rather than dicts so that a misspelt field fails loudly in mypy and
tests instead of silently writing a new key into the user's record.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

from tui.core.models import DEFAULT_MODEL
from tui.core.secrets import redact_optional_url, scrub
from tui.core.wording import plural


class Dialect(StrEnum):
    """Which server API a profile (and a thread) speaks."""

    CONVERSATIONS = "conversations"
    ASSISTANTS = "assistants"
    CHAT = "chat"


class ThreadStatus(StrEnum):
    """What we last learnt about a thread on the server.

    ``foreign``: written by older versions; read as ``ok`` (whether a thread is another
    profile's depends on the active profile, so it is computed when shown, never stored).
    ``gone``: no profile can see it (expired, deleted elsewhere, or its API was retired).
    ``unknown``: recorded from an import and not checked yet.
    """

    OK = "ok"
    FOREIGN = "foreign"
    GONE = "gone"
    INTERRUPTED = "interrupted"
    UNKNOWN = "unknown"


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Profile:
    """One `[profiles.NAME]` table: how to reach one organization/project with one key.

    The key itself is never stored here: only where to get it (see ``tui.core.keys``).
    """

    name: str
    api_key_env: str | None = None
    api_key_cmd: str | None = None
    api_key: str | None = None
    organization: str | None = None
    project: str | None = None
    base_url: str | None = None
    api: Dialect = Dialect.CONVERSATIONS
    model: str = DEFAULT_MODEL
    owner: str | None = None
    no_key: bool = False
    instructions: str | None = None
    """Default instructions (the system/developer message) of this profile's threads."""
    """A keyless server (Ollama, llama.cpp): a harmless placeholder is sent (``keys``)."""

    @property
    def key_source(self) -> str:
        """Where the key comes from, in words a user recognises (never the key)."""
        if self.no_key:
            return "no key needed (no_key = true)"
        if self.api_key_env:
            return f"${self.api_key_env}"
        if self.api_key_cmd:
            return f"command `{scrub(self.api_key_cmd)}`"
        if self.api_key:
            return "literal api_key in the config file"
        return "nowhere"


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one reply. ``cached_input_tokens`` is the part of ``input_tokens`` the
    server served from its prompt cache (billed at the cached-input price)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_input_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        data = asdict(self)
        if not self.cached_input_tokens:  # records written before it was kept stay the same
            del data["cached_input_tokens"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage | None:
        if not data:
            return None
        return cls(
            input_tokens=int(data.get("input_tokens", 0) or 0),
            output_tokens=int(data.get("output_tokens", 0) or 0),
            total_tokens=int(data.get("total_tokens", 0) or 0),
            cached_input_tokens=int(data.get("cached_input_tokens", 0) or 0),
        )


@dataclass(slots=True)
class Turn:
    """One message in a transcript.

    ``item_id`` is the server's id for the message (conversation item or thread message), so a
    transcript refreshed from the server can be merged with the local one without duplicates.

    ``alternatives`` are the other ways the thread went on from this point (a regenerated
    reply, an edited question and what followed it, a ChatGPT branch): each is a list of turns
    that stands in place of this turn and every turn after it. They are kept, never shown as
    part of the thread's line, so nothing a user once saw is thrown away.
    """

    role: Role
    text: str
    at: float = field(default_factory=time.time)
    response_id: str | None = None
    item_id: str | None = None
    usage: Usage | None = None
    interrupted: bool = False
    error: str | None = None
    refusal: bool = False  # the model declined: the text is its refusal
    alternatives: list[list[Turn]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": str(self.role),
            "text": self.text,
            "at": self.at,
            "response_id": self.response_id,
            "item_id": self.item_id,
            "usage": self.usage.to_dict() if self.usage else None,
            "interrupted": self.interrupted,
            "error": self.error,
            # Only when set: transcripts written before refusals were told apart stay as
            # they were.
            **({"refusal": True} if self.refusal else {}),
            **(
                {"alternatives": [[turn.to_dict() for turn in alt] for alt in self.alternatives]}
                if self.alternatives
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        return cls(
            role=Role(data.get("role", "user")),
            text=str(data.get("text", "")),
            at=float(data.get("at", 0.0) or 0.0),
            response_id=data.get("response_id"),
            item_id=data.get("item_id"),
            usage=Usage.from_dict(data.get("usage")),
            interrupted=bool(data.get("interrupted", False)),
            error=data.get("error"),
            refusal=bool(data.get("refusal", False)),
            alternatives=[
                [Turn.from_dict(turn) for turn in alt] for alt in data.get("alternatives") or []
            ],
        )


RESPONSE_IDS = "response_ids"
"""The ``server_meta`` key listing the stored responses a conversation's replies left behind
(a real delete removes them too)."""


@dataclass(slots=True)
class ThreadRecord:
    """One row of the index: everything needed to find a thread again, without its transcript.

    ``key_hint`` is the masked key (``sk-…abcd``) that created the thread, so the user can tell
    which key owns it even after renaming profiles. ``server_meta`` holds dialect specifics
    (e.g. the response ids the app created, which a real delete must remove).
    """

    id: str
    api: Dialect = Dialect.CONVERSATIONS
    profile: str = ""
    organization: str | None = None
    project: str | None = None
    key_hint: str | None = None
    base_url: str | None = None
    model: str | None = None
    instructions: str | None = None  # this thread's own; None: the profile's default
    title: str = ""
    owner: str | None = None
    created_at: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.time)
    status: ThreadStatus = ThreadStatus.OK
    pinned: bool = False
    server_meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Written into every row, export and transcript: a URL's credentials never are.
        self.base_url = redact_optional_url(self.base_url)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["base_url"] = redact_optional_url(self.base_url)
        data["api"] = str(self.api)
        data["status"] = str(self.status)
        data["server_meta"] = dict(self.server_meta)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThreadRecord:
        """A record from a row; unknown keys are dropped, a bad ``api`` or ``status`` is a
        ValueError and a missing ``id`` a TypeError, as the constructors say.

        Run for every row listed (10,000 for ``threadtui list``): the field names are
        computed once, not by ``dataclasses.fields`` per row, a row with no unknown key is
        copied whole, and the two enums are looked up in a dict first (the constructor, which
        raises, only for what the dict lacks)."""
        known = _THREAD_FIELDS if cls is ThreadRecord else {f.name for f in fields(cls)}
        if known.issuperset(data):  # a row as written: no key to drop, copied from C
            values = dict(data)
        else:
            values = {k: v for k, v in data.items() if k in known}
        values["api"] = _member(_DIALECTS, Dialect, values.get("api", Dialect.CONVERSATIONS))
        values["status"] = _member(_STATUSES, ThreadStatus, values.get("status", ThreadStatus.OK))
        values["server_meta"] = dict(values.get("server_meta") or {})
        return cls(**values)

    @property
    def display_title(self) -> str:
        return self.title or self.id


_E = TypeVar("_E")
_THREAD_FIELDS = frozenset(f.name for f in fields(ThreadRecord))
_DIALECTS: dict[str, Dialect] = {str(member): member for member in Dialect}
_STATUSES: dict[str, ThreadStatus] = {str(member): member for member in ThreadStatus}


def _member(by_value: dict[str, _E], enum: Callable[[Any], _E], value: Any) -> _E:
    """``enum(value)``, through ``by_value`` when it holds the value."""
    try:
        return by_value[value]
    except (KeyError, TypeError):  # not a member's value, or unhashable: the constructor says
        return enum(value)


@dataclass(frozen=True, slots=True)
class Identity:
    """What the server says a key bills: the answer to "which organization is this?".

    ``organization`` is the slug from the ``openai-organization`` header (the API never sends the
    ``org-…`` id there); ``organization_id`` is the configured id when there is one.
    """

    profile: str
    key_hint: str
    organization: str | None = None
    organization_id: str | None = None
    project: str | None = None
    base_url: str | None = None
    rate_limit_remaining_requests: int | None = None
    rate_limit_remaining_tokens: int | None = None
    request_id: str | None = None
    models_listable: bool = True
    # What ``GET /v1/models`` said of deprecated models: (model id, shutdown date), checked at
    # the boundary; only ``whoami`` fills it (other answers say nothing about models).
    model_shutdowns: tuple[tuple[str, dt.date], ...] = ()

    def __post_init__(self) -> None:
        # Shown in the bar and by `whoami`, and copied into thread records.
        object.__setattr__(self, "base_url", redact_optional_url(self.base_url))


@dataclass(slots=True)
class DeleteReport:
    """What a delete really removed on the server, so the user is told what could not be."""

    thread_id: str
    thread_deleted: bool = False
    not_found: bool = False
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.thread_deleted and not self.failed

    def summary(self) -> str:
        if self.not_found:
            return f"{self.thread_id} was not found on the server under this profile."
        if self.thread_deleted:
            parts = [f"{self.thread_id} deleted on the server"]
        else:
            parts = [f"{self.thread_id} NOT deleted on the server"]
        if self.removed:
            parts.append(f"{plural(len(self.removed), 'stored response')} removed")
        if self.failed:
            details = "; ".join(f"{obj}: {why}" for obj, why in self.failed)
            parts.append(f"could not remove {len(self.failed)}: {details}")
        return ", ".join(parts)
