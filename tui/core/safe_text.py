"""Text from outside (imported files, server titles) shown on a terminal without harming it.

An escape sequence inside a thread title could move the cursor, retitle the window or worse
once printed raw, and bidirectional-override characters make a line read differently from what
it holds. Everything the CLI prints that did not come from us goes through here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

# C0 and C1 controls, DEL, the bidirectional embedding/override/isolate characters, and lone
# surrogates (which no terminal encoding can carry: printing one raises).
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_KEEP_LAYOUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """One line, every unsafe character spelt as an escape (``\\x1b``)."""
    return UNSAFE.sub(_escape, text)


def printable_block(text: str) -> str:
    """Like ``printable`` but keeps newlines and tabs, for multi-line text such as messages."""
    return _KEEP_LAYOUT.sub(_escape, text)


def json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON that is readable (non-ASCII kept) yet safe on a terminal and always encodable.

    ``json.dumps`` escapes C0 controls itself; the rest (C1, DEL, bidi controls, lone
    surrogates) can only occur inside strings, where ``\\uXXXX`` is a valid spelling.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` columns, marking the cut with an ellipsis."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for ch in text:
        step = display_width(ch)
        if used + step > width - 1:
            break
        kept.append(ch)
        used += step
    return "".join(kept) + "…"
