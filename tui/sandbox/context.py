"""What a route handler receives and returns, kept apart from the HTTP plumbing.

Handlers are plain functions ``(Call) -> Reply`` so that each API family lives in its own
module and none of them knows about sockets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .faults import Fault, Faults
from .ids import IdFactory
from .model import ModelSettings
from .ratelimit import RateLimiter
from .state import Store
from .streaming import EventSink
from .tenancy import Scope, Tenancy

FAILED_TURNS = frozenset({"nothing", "input", "partial"})


@dataclass
class Features:
    """Switches for whole API families (a retired Assistants API answers 404).

    ``conversations = False`` plays a server that never had ``/v1/conversations`` (Ollama,
    vLLM, LM Studio, llama.cpp, LiteLLM); ``missing_route`` picks how it says so:
    ``"invalid_url"`` (the API's own 404 ``Invalid URL (POST /v1/conversations)``),
    ``"detail"`` (a FastAPI server's ``{"detail": "Not Found"}``) or ``"405"`` (a server that
    routes the path for another method only).

    ``failed_turns`` is what a response that failed, was cut off or ended incomplete leaves in
    its conversation (undocumented for the real API, so each is playable): ``"nothing"``,
    ``"input"`` (the user's items stay) or ``"partial"`` (those and the partial assistant
    message, ``status: "incomplete"``).
    """

    assistants: bool = True
    # ``keyless``: a local model server that ignores the key (Ollama, llama.cpp): every
    # request acts as the first key's tenant, whatever it sends.
    keyless: bool = False
    conversations: bool = True
    missing_route: str = "invalid_url"
    failed_turns: str = "nothing"


class RequestJournal:
    """The latest API requests (method, path, parsed body), oldest first: what tests read to
    see what a client really sent (a system message, instructions, a model)."""

    LIMIT = 500

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[str, str, dict[str, Any]]] = []

    def add(self, method: str, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append((method, path, body))
            del self._entries[: -self.LIMIT]

    def entries(self) -> list[tuple[str, str, dict[str, Any]]]:
        with self._lock:
            return list(self._entries)


@dataclass
class Services:
    """Everything the handlers share; one per sandbox."""

    tenancy: Tenancy
    model: ModelSettings
    clock: Clock
    ids: IdFactory
    store: Store
    faults: Faults
    limiter: RateLimiter
    features: Features
    stopping: threading.Event
    journal: RequestJournal = field(default_factory=RequestJournal)


@dataclass
class Call:
    """One API request as a handler sees it."""

    services: Services
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    headers: dict[str, str]
    scope: Scope | None = None
    fault: Fault | None = None  # a stream fault for this request, if one was drawn

    @property
    def tenant(self) -> Scope:
        """The authenticated caller (every /v1 handler runs after authentication)."""
        assert self.scope is not None, "handler reached without authentication"
        return self.scope


@dataclass
class JsonReply:
    """A complete JSON answer."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamReply:
    """An SSE answer: ``produce`` writes events into the sink until the stream ends."""

    produce: Callable[[EventSink], None]
    headers: dict[str, str] = field(default_factory=dict)


Reply = JsonReply | StreamReply
Handler = Callable[[Call], Reply]
