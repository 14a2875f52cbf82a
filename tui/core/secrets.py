"""Keys never reach a file, a log or the screen: everything that shows a key goes through here.

Three nets, widest last:

- ``scrub(text, secrets)`` replaces every *known* secret (the keys this process resolved,
  whatever their shape: a self-hosted server's key need not start with ``sk-``) by its mask;
- anything shaped like an OpenAI key (``sk-…``) or sent as ``Bearer …`` is masked too, for
  text from outside that holds a key we never resolved (a key command's stderr, a server's
  error page, an HTTP library's exception);
- credentials inside a URL (``http://user:password@host/``) are removed: ``redact_url`` is
  the one way a URL is shown or stored (a ``base_url`` copied into a thread record, an
  identity, an error text), since ``OPENAI_BASE_URL`` may carry them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Anything shaped like an OpenAI key, so that text from outside (a key command's stderr, a
# server error) is scrubbed even when we do not know the key it contains.
_KEY_SHAPE = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")
# `Authorization: Bearer <key>` as an HTTP library prints it, quotes and all: the key may have
# any shape, and may even be wrapped in pasted quotes (`Bearer "sk-…"`).
_QUOTES = "\"'\u2018\u2019\u201c\u201d"
_BEARER = re.compile(rf"(?i)\b(bearer\s+[{_QUOTES}]?)([^\s{_QUOTES}]+)")
# The userinfo of a URL inside text: `scheme://anything-but-a-slash-or-space@`.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@]*@")

USERINFO_MASK = "***"


def mask_key(key: str | None) -> str:
    """Return the one form of a key that may be shown or stored: ``sk-…abcd`` (``…abcd`` for
    a key of another shape).

    Short strings are not keys worth hinting at; showing their tail would reveal most of them.
    """
    if not key:
        return "(none)"
    key = key.strip()
    if len(key) < 12:
        return "…" if not key.startswith("sk-") else "sk-…"
    prefix = "sk-" if key.startswith("sk-") else ""
    return f"{prefix}…{key[-4:]}"


def redact_url(url: str, mask: str = "") -> str:
    """``url`` without the ``user:password@`` part (or with it replaced by ``mask@``).

    The one function every URL goes through before it is printed or stored. A URL without
    userinfo is returned unchanged, so comparing redacted URLs compares servers.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for stop in "/?#":
        found = rest.find(stop)
        if found != -1:
            end = min(end, found)
    authority = rest[:end]
    if "@" not in authority:
        return url
    host = authority.rpartition("@")[2]
    return f"{scheme}://{mask + '@' if mask else ''}{host}{rest[end:]}"


def redact_optional_url(url: str | None) -> str | None:
    """``redact_url`` for a field that may be unset."""
    return None if url is None else redact_url(url)


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every known secret, anything shaped like a key or sent as a bearer token, with
    its mask, and remove credentials from URLs."""
    # Longest first: a key that contains another known secret is masked whole.
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, mask_key(secret))
        stripped = secret.strip()
        if stripped != secret and len(stripped) >= 4:
            text = text.replace(stripped, mask_key(stripped))
    text = _URL_USERINFO.sub(lambda match: f"{match.group(1)}{USERINFO_MASK}@", text)
    text = _BEARER.sub(lambda match: f"{match.group(1)}{_mask_token(match.group(2))}", text)
    return _KEY_SHAPE.sub(lambda match: mask_key(match.group(0)), text)


def _mask_token(token: str) -> str:
    """A bearer token's mask; a mask already in place (``sk-…abcd``) stays as it is."""
    return token if "…" in token else mask_key(token)


_QUOTE_NAMES = {'"': "a double quote", "'": "a single quote", "`": "a backquote"}


def token_problem(value: str) -> str | None:
    """What makes ``value`` unfit for an HTTP header (a key, an organization or project id),
    or None: it must be printable ASCII without spaces or quotes.

    Says which character and where (1-based), never the value itself: ``a non-ASCII character
    (U+201C LEFT DOUBLE QUOTATION MARK) at position 1``. Naming a character that is not ASCII
    or not printable reveals nothing of a key, whose characters all are.
    """
    for position, ch in enumerate(value, start=1):
        if "!" <= ch <= "~" and ch not in _QUOTE_NAMES:
            continue
        return f"{describe_character(ch)} at position {position}"
    return None


def describe_character(ch: str) -> str:
    """A character named without printing it: ``a space``, ``a control character (U+000A)``."""
    code = f"U+{ord(ch):04X}"
    if ch == " ":
        return "a space"
    if ch in _QUOTE_NAMES:
        return f"{_QUOTE_NAMES[ch]} ({ch})"
    if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
        kind = {"\n": ", a line break", "\r": ", a carriage return", "\t": ", a tab"}
        return f"a control character ({code}{kind.get(ch, '')})"
    name = unicodedata.name(ch, "")
    return f"a non-ASCII character ({code}{' ' + name if name else ''})"
