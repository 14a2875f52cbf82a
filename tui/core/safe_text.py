"""Text from outside (imported files, server titles, replies) shown without harming the terminal.

An escape sequence inside a thread title could move the cursor, retitle the window or worse
once printed raw; bidirectional overrides and zero-width characters make a line read
differently from what it holds; a lone surrogate cannot be encoded at all (printing one
raises). Everything shown that did not come from us goes through here: the one definition of
what is unsafe, and the one way an escaped character is spelt.

Unsafe (``UNSAFE``): C0 controls (U+0000–U+001F), DEL and the C1 controls (U+007F–U+009F), the
bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the
zero-width space, word joiner and byte-order mark (U+200B, U+2060, U+FEFF), and lone
surrogates. The zero-width joiner (U+200D) is not: emoji sequences (👩‍💻) need it. A function
for blocks of text (``printable_block``, ``strip_controls``) keeps newlines and tabs.

Two ways to make text safe:

- spelt out (``printable``, ``printable_block``): for the CLI and exported files, where the
  reader should see that something was there: ``\\x1b``, ``\\u202e`` (``\\xNN`` below U+0100,
  else ``\\uNNNN``);
- dropped (``strip_controls``, ``one_line``): for the screen, where an escape would be noise.

Either way a lone surrogate becomes U+FFFD, the replacement character (spelling it out would
suggest it could be typed back); ``json_text`` alone keeps it as ``\\udNNN``, which JSON can
carry, so a backup gives back exactly what it was given.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate
from typing import Any

_SURROGATES = "\ud800-\udfff"
_CONTROLS = "\x00-\x1f\x7f-\x9f"
_LAYOUT_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"  # the C0/C1 controls but tab and newline
_INVISIBLE = "\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff"  # bidi controls, zero-width

UNSAFE = re.compile(f"[{_CONTROLS}{_INVISIBLE}{_SURROGATES}]")
"""Any character that is unsafe on one line (newlines and tabs included)."""
UNSAFE_IN_BLOCK = re.compile(f"[{_LAYOUT_CONTROLS}{_INVISIBLE}{_SURROGATES}]")
"""Unsafe in a block of text, where newlines and tabs are layout."""
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}{_SURROGATES}]")  # json.dumps does C0
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]+")
REPLACEMENT = "\ufffd"


def _is_surrogate(ch: str) -> bool:
    return "\ud800" <= ch <= "\udfff"


def escape(ch: str) -> str:
    """How one unsafe character is spelt: ``\\x1b``, ``\\u202e``; a lone surrogate is U+FFFD."""
    if _is_surrogate(ch):
        return REPLACEMENT
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape_match(match: re.Match[str]) -> str:
    return escape(match.group(0))


def _drop_match(match: re.Match[str]) -> str:
    return REPLACEMENT if _is_surrogate(match.group(0)) else ""


_LONE_SURROGATES = re.compile(f"[{_SURROGATES}]")


def without_surrogates(text: str) -> str:
    """``text`` with every lone surrogate U+FFFD, the rest as it is: what can be encoded as
    UTF-8 (SQLite, for one, refuses a lone surrogate) and means the same elsewhere."""
    return text if text.isascii() else _LONE_SURROGATES.sub(REPLACEMENT, text)


def unsafe_in_value(text: str) -> bool:
    """True when a one-line value (a config value, a line of an id list) holds an unsafe
    character other than a tab, which is harmless there."""
    return UNSAFE.search(text.replace("\t", " ")) is not None


def printable(text: str) -> str:
    """One line, every unsafe character spelt out (``\\x1b``; a newline is ``\\x0a``)."""
    return UNSAFE.sub(_escape_match, text)


def printable_block(text: str) -> str:
    """Like ``printable`` but keeps newlines and tabs, for multi-line text such as messages."""
    return UNSAFE_IN_BLOCK.sub(_escape_match, text)


def strip_controls(text: str) -> str:
    """For the screen: unsafe characters dropped, newlines and tabs kept (transcripts)."""
    return UNSAFE_IN_BLOCK.sub(_drop_match, text)


def one_line(text: str, limit: int | None = None) -> str:
    """A single safe line for the screen: runs of newlines and tabs become one space, unsafe
    characters vanish, the ends are trimmed, and text longer than ``limit`` is cut with ``…``."""
    flat = UNSAFE_IN_BLOCK.sub(_drop_match, _LINE_BREAKS.sub(" ", text)).strip()
    if limit is not None and len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat


def json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON that is readable (non-ASCII kept) yet safe on a terminal and always encodable.

    ``json.dumps`` escapes C0 controls itself; the rest (C1, DEL, bidi and zero-width
    characters, lone surrogates) can only occur inside strings, where ``\\uXXXX`` is a valid
    spelling that loads back as the same character.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


class _Columns(dict[str, int]):
    """Columns per character, learnt once per distinct character: ``display_width`` then
    looks each character up from C (``map`` over ``dict.__getitem__``), never calling Python
    per character; ``__missing__`` runs only the first time a character is seen."""

    def __missing__(self, ch: str) -> int:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me") \
                or ch == "\u200d":
            width = 0  # combining marks, variation selectors, the zero-width joiner
        elif unicodedata.east_asian_width(ch) in "WF":
            width = 2
        else:
            width = 1
        self[ch] = width
        return width


_COLUMNS = _Columns()


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide characters (CJK, most emoji) take two, combining
    marks and the zero-width joiner none, anything else one (ASCII: one per character)."""
    if text.isascii():
        return len(text)
    return sum(map(_COLUMNS.__getitem__, text))


def fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` columns, marking the cut with an ellipsis."""
    if text.isascii():
        return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
    columns = list(accumulate(map(_COLUMNS.__getitem__, text)))
    if not columns or columns[-1] <= width:
        return text
    return text[: bisect_right(columns, width - 1)] + "…"
