"""Checksummed JSON lines: the append-only format of the index journal and of transcripts.

A file that only grows lets a change cost what it changes (one line, one fsync) instead of a
rewrite of everything before it. What it must survive is a kill in the middle of an append:
the last line is then cut short. So every line carries a CRC-32 of its text::

    8 hex digits of zlib.crc32(JSON) + " " + compact ASCII JSON + "\\n"

and a reader takes only complete lines whose checksum holds. A cut-short tail (no newline
yet) is a write that was never acknowledged, dropped without a word; a complete line that
fails its checksum is damage, counted so the caller can report it. JSON is written ASCII-only
(``tui.core.files.dumps``), so a newline inside a line cannot occur.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from tui.core.files import dumps

_HEAD = 9  # eight hex digits and a space


def encode(value: Any) -> bytes:
    """One line holding ``value``; refuses what JSON cannot hold before anything is written."""
    body = dumps(value)
    return b"%08x " % zlib.crc32(body) + body + b"\n"


@dataclass(slots=True)
class Lines:
    """What a read of an append-only file found."""

    values: list[Any] = field(default_factory=list)
    end: int = 0  # offset just past the last complete line (where the next append belongs)
    damaged: int = 0  # complete lines whose checksum or JSON did not hold


def parse(raw: bytes, base: int = 0) -> Lines:
    """The complete, intact lines of ``raw`` (read from offset ``base`` of its file)."""
    last = raw.rfind(b"\n")
    found = Lines(end=base + last + 1 if last >= 0 else base)
    if last < 0:
        return found
    for line in raw[:last].split(b"\n"):
        value = decode(line)
        if value is _BAD:
            found.damaged += 1
        else:
            found.values.append(value)
    return found


_BAD = object()
"""What ``decode`` returns for a line that is not intact (never equal to a parsed value)."""


def decode(line: bytes) -> Any:
    """The value of one line without its newline; ``_BAD`` when it is not intact."""
    if len(line) <= _HEAD or line[8:9] != b" ":
        return _BAD
    body = line[_HEAD:]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return _BAD
        return json.loads(body)
    except (ValueError, RecursionError):
        return _BAD


def looks_like_lines(raw: bytes) -> bool:
    """Whether a file starts like this format (rather than as one whole JSON document)."""
    head = raw[:_HEAD]
    return len(head) == _HEAD and head[8:9] == b" " and all(
        c in b"0123456789abcdef" for c in head[:8]
    )
