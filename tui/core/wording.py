"""Counted words, in one place: ``1 line``, ``2 lines``, ``1 reply``, ``3 replies``.

Every message that counts something says it through ``plural``, so no screen or command
shows ``1 lines`` or a parenthesised plural.
"""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and ``word`` in the right number: ``plural(1, "line")`` is ``1 line``,
    ``plural(1200, "reply", "replies")`` is ``1,200 replies``."""
    form = word if count == 1 else (many if many is not None else f"{word}s")
    return f"{count:,} {form}"


def agree(count: int, one: str, many: str) -> str:
    """The verb that goes with ``count``: ``agree(1, "was", "were")`` is ``was``."""
    return one if count == 1 else many
