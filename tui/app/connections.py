"""One backend per (profile, dialect), built off the UI thread.

Building a backend resolves the profile's key, which may run a password manager for seconds,
and the first build imports the OpenAI SDK (a few hundred milliseconds). Both happen in a
thread so that switching profiles never freezes the screen; the UI only ever awaits here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from tui.core.api.base import Backend
from tui.core.api.servers import thread_host
from tui.core.config import Config
from tui.core.keys import KeyRing
from tui.core.records import Dialect, Profile, ThreadRecord
from tui.core.secrets import mask_key


class BackendFactory(Protocol):
    def __call__(
        self, profile: Profile, keyring: KeyRing, store: Any, *, dialect: Dialect | None = None
    ) -> Backend: ...


def default_factory() -> BackendFactory:
    """``tui.core.api.factory.make_backend``, imported only when first needed (slow import)."""
    from tui.core.api.factory import make_backend

    return make_backend


class BackendPool:
    """Caches backends; ``get`` raises ``KeyResolutionError`` when a profile has no key."""

    def __init__(
        self,
        config: Config,
        keyring: KeyRing,
        store: Any,
        factory: Callable[[], BackendFactory] = default_factory,
    ) -> None:
        self.config = config
        self.keyring = keyring
        self.store = store
        self._factory_loader = factory
        self._factory: BackendFactory | None = None
        self._backends: dict[tuple[str, Dialect, str | None], Backend] = {}
        self._lock = asyncio.Lock()

    def _build(self, profile: Profile, dialect: Dialect) -> Backend:
        if self._factory is None:
            self._factory = self._factory_loader()
        return self._factory(profile, self.keyring, self.store, dialect=dialect)

    async def get(
        self, profile_name: str, dialect: Dialect | None = None, base_url: str | None = None
    ) -> Backend:
        """The profile's backend for ``dialect``; ``base_url``: on another host than the
        profile's (a thread made on a regional host: ``servers.thread_host``)."""
        profile = self.config.profile(profile_name)
        wanted = dialect or profile.api
        key = (profile.name, wanted, base_url)
        async with self._lock:
            backend = self._backends.get(key)
            if backend is None:
                built = profile if base_url is None else replace(profile, base_url=base_url)
                backend = await asyncio.to_thread(self._build, built, wanted)
                self._backends[key] = backend
        return backend

    async def for_thread(self, profile_name: str, record: ThreadRecord) -> Backend:
        """The backend that reaches ``record``: its dialect, on the host it was made on."""
        profile = self.config.profile(profile_name)
        return await self.get(profile_name, record.api,
                              thread_host(profile.base_url, record.base_url))

    async def key_hint(self, profile_name: str) -> str:
        """The masked key (resolving it in a thread if needed); raises KeyResolutionError."""
        profile = self.config.profile(profile_name)
        key = await asyncio.to_thread(self.keyring.key_for, profile)
        return mask_key(key)

    async def forget(self, profile_name: str) -> None:
        """Drop a profile's key and clients after the server rejected the key: a key command
        (a password manager) is asked again on the next use, which may have a new key."""
        async with self._lock:
            stale = [key for key in self._backends if key[0] == profile_name]
            backends = [self._backends.pop(key) for key in stale]
        self.keyring.forget(profile_name)
        for backend in backends:
            with contextlib.suppress(Exception):
                await backend.aclose()

    def cached(self, profile_name: str) -> list[Backend]:
        return [b for (name, _, _), b in self._backends.items() if name == profile_name]

    async def aclose(self) -> None:
        self.keyring.stop()  # a key command still running must not hold up quitting
        backends = list(self._backends.values())
        self._backends.clear()
        for backend in backends:
            with contextlib.suppress(Exception):  # closing must never stop the app exiting
                await backend.aclose()
