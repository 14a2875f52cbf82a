"""The sandbox's memory: every stored object, tagged with the tenant that owns it.

All lookups go through ``Store.find`` with the caller's ``Owner``: an object of another
organization or project answers exactly like one that never existed (404), which is the
behaviour threadtui's ownership probing is built on. One re-entrant lock guards the whole
store; handlers never hold it while streaming.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from .clock import DAY, Clock
from .errors import not_found
from .tenancy import Owner

THREAD_TTL_S = 60 * DAY


@dataclass
class Conversation:
    """A conversation: its public fields plus the ordered ids of its items."""

    id: str
    owner: Owner
    created_at: int
    metadata: dict[str, str]
    item_ids: list[str] = field(default_factory=list)
    deleted: bool = False

    def to_api(self) -> dict[str, Any]:
        """The ``conversation`` object."""
        return {"id": self.id, "object": "conversation", "created_at": self.created_at,
                "metadata": dict(self.metadata)}


@dataclass
class StoredResponse:
    """A stored response: the API object and the context a follow-up would continue from."""

    id: str
    owner: Owner
    body: dict[str, Any]
    context: list[dict[str, Any]]
    deleted: bool = False


class ActiveRun(Protocol):
    """The run currently holding a thread (implemented by the Assistants routes)."""

    run_id: str
    settle_at: float | None  # set when its stream dropped and it went on unseen

    def settle(self) -> None:
        """Finish the run if it has been generating unseen long enough."""


@dataclass
class Thread:
    """A legacy thread with its messages (oldest first) and runs."""

    id: str
    owner: Owner
    created_at: int
    metadata: dict[str, str]
    last_active: float
    messages: list[dict[str, Any]] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    active: ActiveRun | None = None  # a thread runs one run at a time

    def to_api(self) -> dict[str, Any]:
        """The ``thread`` object."""
        return {"id": self.id, "object": "thread", "created_at": self.created_at,
                "metadata": dict(self.metadata), "tool_resources": {}}


@dataclass
class Owned:
    """An assistant or run: an owner and the API object as stored."""

    id: str
    owner: Owner
    body: dict[str, Any]


_T = TypeVar("_T", Conversation, StoredResponse, Thread, Owned)


class Store:
    """Every object by id, plus the lock that keeps multi-step changes atomic."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.conversations: dict[str, Conversation] = {}
        self.items: dict[str, dict[str, Any]] = {}  # item id → item; survives its conversation
        self.responses: dict[str, StoredResponse] = {}
        self.threads: dict[str, Thread] = {}
        self.runs: dict[str, Owned] = {}
        self.assistants: dict[str, Owned] = {}
        # The ``messages`` of every chat completion request, in order: the dialect is
        # stateless, so what a client sends each turn is all there is to check.
        self.chat_requests: list[list[dict[str, Any]]] = []

    def find(self, table: dict[str, _T], ident: str, owner: Owner, message: str) -> _T:
        """The object ``ident`` if ``owner`` may see it; otherwise the API's 404."""
        with self.lock:
            obj = table.get(ident)
            if obj is None or obj.owner != owner or getattr(obj, "deleted", False):
                raise not_found(message)
            return obj

    def conversation(self, ident: str, owner: Owner) -> Conversation:
        """A visible, undeleted conversation."""
        return self.find(self.conversations, ident, owner,
                         f"Conversation with id '{ident}' not found.")

    def response(self, ident: str, owner: Owner) -> StoredResponse:
        """A visible, undeleted stored response."""
        return self.find(self.responses, ident, owner, f"Response with id '{ident}' not found.")

    def assistant(self, ident: str, owner: Owner) -> Owned:
        """A visible assistant."""
        return self.find(self.assistants, ident, owner, f"No assistant found with id '{ident}'.")

    def thread(self, ident: str, owner: Owner) -> Thread:
        """A visible thread that has not expired; an expired one is deleted on the way."""
        with self.lock:
            self.expire_threads()
            return self.find(self.threads, ident, owner, f"No thread found with id '{ident}'.")

    def run(self, thread: Thread, ident: str) -> Owned:
        """A run of ``thread``."""
        with self.lock:
            run = self.runs.get(ident)
            if run is None or ident not in thread.run_ids:
                raise not_found(f"No run found with id '{ident}'.")
            return run

    def touch(self, thread: Thread) -> None:
        """Record activity: the 60-day expiry counts from the last write."""
        thread.last_active = self.clock.now()

    def expire_threads(self) -> list[str]:
        """Delete threads idle for more than 60 days, as OpenAI did; returns their ids."""
        with self.lock:
            now = self.clock.now()
            gone = [t.id for t in self.threads.values() if now - t.last_active > THREAD_TTL_S]
            for ident in gone:
                thread = self.threads.pop(ident)
                for run_id in thread.run_ids:
                    self.runs.pop(run_id, None)
            return gone

    def summary(self) -> dict[str, Any]:
        """Every stored object id grouped by owner, for ``GET /_sandbox/state``."""
        with self.lock:
            self.expire_threads()

            def owner_of(o: Owner) -> dict[str, str]:
                return {"organization": o.organization, "project": o.project}

            dropped = {t.active.run_id for t in self.threads.values()
                       if t.active is not None and t.active.settle_at is not None}

            return {
                "conversations": [
                    {**owner_of(c.owner), "id": c.id, "deleted": c.deleted,
                     "items": list(c.item_ids), "metadata": dict(c.metadata)}
                    for c in self.conversations.values()
                ],
                "responses": [
                    {**owner_of(r.owner), "id": r.id, "deleted": r.deleted,
                     "status": r.body.get("status"),
                     "conversation": (r.body.get("conversation") or {}).get("id")}
                    for r in self.responses.values()
                ],
                "items": len(self.items),
                "threads": [
                    {**owner_of(t.owner), "id": t.id, "messages": len(t.messages),
                     "last_active": t.last_active, "metadata": dict(t.metadata)}
                    for t in self.threads.values()
                ],
                "assistants": [
                    {**owner_of(a.owner), "id": a.id, "name": a.body.get("name")}
                    for a in self.assistants.values()
                ],
                "runs": [
                    {**owner_of(r.owner), "id": r.id, "thread_id": r.body.get("thread_id"),
                     "status": r.body.get("status"), "stream_dropped": r.id in dropped}
                    for r in self.runs.values()
                ],
            }
