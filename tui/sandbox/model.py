"""The fake model: deterministic Markdown text built from the prompt.

Tests assert replies exactly, so the text is a pure function of the user's last message and
the requested length. It carries the Markdown a chat client must render (a heading, a list,
a fenced code block) and echoes the message, so a test can see that the right prompt arrived.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

# One "token" is a run of whitespace plus up to four visible characters: small enough that a
# stream looks like a real one, and ``"".join(split_tokens(t)) == t`` always holds.
_TOKEN = re.compile(r"\s*\S{1,4}|\s+")

DEFAULT_MODELS: tuple[str, ...] = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-5",
    "gpt-5-mini",
    "o4-mini",
)

DEFAULT_SHUTDOWNS: dict[str, Any] = {"gpt-4.1": "2027-01-14", "gpt-4.1-mini": "2027-01-14"}
"""``shutdown_date`` as ``/v1/models`` reports it for deprecated models (OpenAI's dates)."""

_FILLER = (
    "The sandbox keeps writing so that long replies can be tested.",
    "Every sentence here is predictable, which keeps the tests exact.",
    "Nothing in this text comes from a real model or from the network.",
    "A terminal client should render this paragraph without slowing down.",
    "Streaming arrives in small pieces of a few characters each.",
)


def split_tokens(text: str) -> list[str]:
    """Cut ``text`` into the pieces the sandbox streams; they join back to ``text``."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """Approximate token count used for ``usage``: the number of stream pieces."""
    return len(split_tokens(text))


def _core(prompt: str) -> str:
    words = len(prompt.split())
    return (
        "## Sandbox reply\n"
        "\n"
        f"You said: {prompt}\n"
        "\n"
        "Here is what the sandbox noticed:\n"
        "\n"
        f"- your message has **{len(prompt)}** characters\n"
        f"- it has *{words}* words\n"
        "- this reply is `deterministic`\n"
        "\n"
        "```python\n"
        'print("hello from the sandbox")\n'
        "```\n"
    )


def _filler(count: int) -> str:
    sentences = [f"{_FILLER[i % len(_FILLER)]}" for i in range(count)]
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "\n" + "\n\n".join(paragraphs) + "\n"


def reply_text(prompt: str, tokens: int | None = None) -> str:
    """The model's answer to ``prompt``.

    ``tokens=None`` gives the natural reply (heading, echo, list, code block). An integer gives
    exactly that many stream pieces: the natural reply is padded with predictable paragraphs
    after the code block, or cut short when it is longer than asked.
    """
    text = _core(prompt)
    if tokens is None:
        return text
    if tokens < 0:
        raise ValueError("tokens must be >= 0")
    pieces = split_tokens(text)
    if len(pieces) < tokens:
        # Each filler sentence is at least 10 pieces, so this many always suffice.
        pieces = split_tokens(text + _filler((tokens - len(pieces)) // 10 + 1))
    return "".join(pieces[:tokens])


@dataclass
class ModelSettings:
    """How the fake model behaves; change it at runtime with ``update``.

    ``tokens``: length of every reply in stream pieces (``None``: natural length).
    ``delay_s``: pause before each streamed piece (0 for tests, ~0.02 for a realistic demo).
    ``models``: the ids ``/v1/models`` lists and requests may name.
    ``shutdowns``: each deprecated model's ``shutdown_date`` as served, by id (any JSON value,
    so a test can serve a malformed one).
    """

    tokens: int | None = None
    delay_s: float = 0.0
    models: tuple[str, ...] = DEFAULT_MODELS
    shutdowns: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_SHUTDOWNS))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def update(self, **changes: Any) -> None:
        """Change settings while the sandbox runs (validated: bad values raise ValueError)."""
        with self._lock:
            for name, value in changes.items():
                if name == "tokens":
                    if value is not None and (not isinstance(value, int) or value < 0):
                        raise ValueError("tokens must be a non-negative integer or None")
                    self.tokens = value
                elif name == "delay_s":
                    if not isinstance(value, int | float) or value < 0:
                        raise ValueError("delay_s must be a non-negative number")
                    self.delay_s = float(value)
                elif name == "models":
                    models = tuple(value)
                    if not models or not all(isinstance(m, str) and m for m in models):
                        raise ValueError("models must be a non-empty list of ids")
                    self.models = models
                elif name == "shutdowns":
                    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                        raise ValueError("shutdowns must be an object of model id -> date")
                    self.shutdowns = dict(value)
                else:
                    raise ValueError(f"unknown model setting {name!r}")

    def snapshot(self) -> dict[str, Any]:
        """The settings as JSON, for ``/_sandbox/model`` and ``/_sandbox/state``."""
        return {"tokens": self.tokens, "delay_s": self.delay_s, "models": list(self.models),
                "shutdowns": dict(self.shutdowns)}
