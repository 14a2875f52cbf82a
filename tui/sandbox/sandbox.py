"""``Sandbox``: a local stand-in for the OpenAI API, started and stopped from Python.

    with Sandbox() as sandbox:
        client = OpenAI(api_key=ACME_KEY, base_url=sandbox.base_url, max_retries=0)
        ...

Everything a test needs is reachable from the object: the tenancy, the model settings, the
fault queue, the clock, the store, and seeding helpers that return the ids they create.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from . import routes_control, seeding
from .clock import Clock
from .context import Features, Services
from .faults import Faults
from .gateway import Gateway
from .ids import IdFactory
from .model import ModelSettings
from .ratelimit import RateLimiter
from .server import HOST, ServerThread
from .state import Store
from .tenancy import Tenancy, default_tenancy


class Sandbox:
    """A fake OpenAI API on ``127.0.0.1``, one port per instance."""

    def __init__(
        self,
        tenants: Tenancy | None = None,
        model: ModelSettings | None = None,
        *,
        clock: Clock | None = None,
        port: int = 0,
        id_seed: int | None = 0,
        assistants: bool = True,
        rate_limit_requests: int = 5000,
        rate_limit_tokens: int = 2_000_000,
    ) -> None:
        clock = clock or Clock()
        self.services = Services(
            tenancy=tenants or default_tenancy(),
            model=model or ModelSettings(),
            clock=clock,
            ids=IdFactory(id_seed),
            store=Store(clock),
            faults=Faults(),
            limiter=RateLimiter(clock, requests=rate_limit_requests, tokens=rate_limit_tokens),
            features=Features(assistants=assistants),
            stopping=threading.Event(),
        )
        self._port = port
        self._server: ServerThread | None = None
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        """Listen on 127.0.0.1 (a free port unless one was given) in a background thread."""
        if self._server is not None or self._stopped:
            raise RuntimeError("a sandbox starts once; make a new one")
        self._server = ServerThread(Gateway(self.services), self.services.stopping, self._port)
        self._server.start()
        return self

    def stop(self) -> None:
        """End every stream and connection and join every thread; idempotent."""
        if self._server is not None and not self._stopped:
            self._server.stop()
        self._stopped = True

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether any sandbox thread is still alive."""
        return self._server is not None and self._server.alive

    @property
    def port(self) -> int:
        """The TCP port (after ``start``)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return self._server.port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (control endpoints live under ``/_sandbox``)."""
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give the SDK as ``base_url``: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.url}/v1"

    # -- the parts tests steer -------------------------------------------------------------
    @property
    def tenancy(self) -> Tenancy:
        """Keys, organizations and projects."""
        return self.services.tenancy

    @property
    def model(self) -> ModelSettings:
        """Reply length and pace; ``sandbox.model.update(tokens=20000)`` while running."""
        return self.services.model

    @property
    def faults(self) -> Faults:
        """The fault queue: ``sandbox.faults.next(Fault.rate_limit(), times=2)``."""
        return self.services.faults

    @property
    def clock(self) -> Clock:
        """The sandbox's time: ``sandbox.clock.advance(days=61)``."""
        return self.services.clock

    @property
    def store(self) -> Store:
        """Every stored object (read it under ``store.lock``)."""
        return self.services.store

    @property
    def features(self) -> Features:
        """``sandbox.features.assistants = False`` retires the Assistants API (404)."""
        return self.services.features

    def requests(self, path: str = "") -> list[dict[str, Any]]:
        """Bodies of the latest API requests whose path matches the regex ``path``."""
        return [body for _, where, body in self.services.journal.entries()
                if re.search(path, where)]

    def reset(self) -> None:
        """Clear faults and refill rate limits; stored objects stay."""
        self.services.faults.clear()
        self.services.limiter.reset()

    def state(self) -> dict[str, Any]:
        """The same summary ``GET /_sandbox/state`` answers."""
        return routes_control.snapshot(self.services)

    # -- seeding ---------------------------------------------------------------------------
    def seed_conversation(
        self,
        key: str,
        *,
        title: str | None = None,
        turns: Sequence[tuple[str, str]] = (),
        org: str | None = None,
        project: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """A conversation owned by the key's tenant (``org``/``project`` as the headers)."""
        return seeding.seed_conversation(self.services, key, title=title, turns=turns, org=org,
                                         project=project, metadata=metadata)

    def seed_thread(
        self,
        key: str,
        *,
        title: str | None = None,
        turns: Sequence[tuple[str, str]] = (),
        org: str | None = None,
        project: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """A legacy thread owned by the key's tenant."""
        return seeding.seed_thread(self.services, key, title=title, turns=turns, org=org,
                                   project=project, metadata=metadata)

    def seed_assistant(
        self,
        key: str,
        *,
        name: str = "Sandbox assistant",
        model: str | None = None,
        instructions: str | None = None,
        org: str | None = None,
        project: str | None = None,
    ) -> str:
        """An assistant owned by the key's tenant, for runs."""
        return seeding.seed_assistant(self.services, key, name=name, model=model,
                                      instructions=instructions, org=org, project=project)
