"""Object ids shaped like OpenAI's (``conv_…``, ``thread_…``), reproducible per sandbox.

Ids come from a seeded generator so that two runs of the same test (or of a snapshot test of
the app) see the same ids; within one sandbox they never repeat.
"""

from __future__ import annotations

import random
import string
import threading

_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"

# prefix → (separator, alphabet, length): the shapes observed in real ids.
_SHAPES: dict[str, tuple[str, str, int]] = {
    "conv": ("_", _HEX, 48),
    "resp": ("_", _HEX, 48),
    "msg": ("_", _HEX, 48),  # items of conversations and responses
    "fc": ("_", _HEX, 48),
    "thread": ("_", _ALNUM, 24),
    "tmsg": ("_", _ALNUM, 24),  # assistants messages: printed as msg_ (see new())
    "run": ("_", _ALNUM, 24),
    "step": ("_", _ALNUM, 24),
    "asst": ("_", _ALNUM, 24),
    "chatcmpl": ("-", _ALNUM, 29),
    "req": ("_", _HEX, 32),
}


class IdFactory:
    """Makes ids; thread-safe because handler threads create objects concurrently."""

    def __init__(self, seed: int | None = 0) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._issued: set[str] = set()

    def new(self, prefix: str) -> str:
        """A fresh id for ``prefix`` (one of the keys of ``_SHAPES``)."""
        sep, alphabet, length = _SHAPES[prefix]
        shown = "msg" if prefix == "tmsg" else prefix
        with self._lock:
            while True:
                tail = "".join(self._random.choice(alphabet) for _ in range(length))
                ident = f"{shown}{sep}{tail}"
                if ident not in self._issued:
                    self._issued.add(ident)
                    return ident
