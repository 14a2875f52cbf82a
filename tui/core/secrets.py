"""Keys never reach a file, a log or the screen: everything that shows a key goes through here."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Anything shaped like an OpenAI key, so that text from outside (a key command's stderr, a
# server error) is scrubbed even when we do not know the key it contains.
_KEY_SHAPE = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")


def mask_key(key: str | None) -> str:
    """Return the one form of a key that may be shown or stored: ``sk-…abcd``.

    Short strings are not keys worth hinting at; showing their tail would reveal most of them.
    """
    if not key:
        return "(none)"
    key = key.strip()
    if len(key) < 12:
        return "…" if not key.startswith("sk-") else "sk-…"
    prefix = "sk-" if key.startswith("sk-") else ""
    return f"{prefix}…{key[-4:]}"


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every known secret, and anything shaped like a key, with its mask."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, mask_key(secret))
    return _KEY_SHAPE.sub(lambda match: mask_key(match.group(0)), text)
