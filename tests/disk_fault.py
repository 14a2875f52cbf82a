"""A disk that refuses writes, injected at the record's storage layer (``tui.core.files``).

``tui.core.files`` reaches the operating system through its module attribute ``os``; the
``disk`` fixture replaces it with a proxy whose ``write``, ``replace``, ``open`` or ``fsync``
raise the chosen errno while armed. Only the record's file writes are hit (the locks, the
sandbox, pytest itself use the real ``os``). No root needed.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tui.core import files


class DiskFault:
    """Arm with ``fail(errno_number, call="write")``; every such call raises until ``heal``."""

    CALLS = ("write", "replace", "open", "fsync")

    def __init__(self) -> None:
        self.armed: dict[str, int] = {}
        self.hits = 0
        names = [n for n in dir(os) if not n.startswith("__")]
        proxy = types.SimpleNamespace(**{n: getattr(os, n) for n in names})
        for name in self.CALLS:
            setattr(proxy, name, self._wrap(name, getattr(os, name)))
        self.proxy = proxy

    def _wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if name in self.armed:
                self.hits += 1
                number = self.armed[name]
                raise OSError(number, os.strerror(number))
            return real(*args, **kwargs)

        return call

    def fail(self, number: int, call: str = "write") -> None:
        self.armed[call] = number

    def heal(self) -> None:
        self.armed.clear()


@pytest.fixture(name="disk")
def disk_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[DiskFault]:
    """A ``DiskFault`` in place for the test (healed after)."""
    fault = DiskFault()
    monkeypatch.setattr(files, "os", fault.proxy)
    yield fault
    fault.heal()
