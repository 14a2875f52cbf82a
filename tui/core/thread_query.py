"""Which threads a filter shows, and in what order: one rule for the sidebar and the CLI.

``threadtui list -s TEXT`` (through ``Store.list_threads``) and the sidebar's filter box
(which filters rows it holds in memory) must show the same threads in the same order, so both
use the functions here.

**Match rule.** The query is split on whitespace into words; a thread matches when *every*
word occurs inside *any* of its title, id, profile, organization, project or owner. Case is
ignored the Unicode way (``str.casefold``: ``STRASSE`` finds ``Straße``, ``ÉTÉ`` finds
``été``), after NFC normalisation (a decomposed ``e`` + accent equals ``é``). An empty or
all-blank query matches every thread. A word never matches across two fields (the fields are
joined by a newline, which no word contains).

**Order.** Pinned threads first, then the most recent ``last_active``, then the id
(ascending, by code point), so two threads active at the same moment always come in the same
order wherever they are listed.

Full-text search (``?words`` in the sidebar, ``--full-text``) looks in the transcripts through
the search index (``tui.core.search_index``, which indexes text in this module's ``normalise``
form); it is not part of this rule, which still decides the rows matched by their fields.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from tui.core.records import ThreadRecord

__all__ = [
    "MATCHED_FIELDS",
    "doc_haystack",
    "haystack",
    "keep_matching",
    "matches",
    "newest_first",
    "normalise",
    "query_words",
    "record_haystack",
    "record_sort_key",
    "sort_key",
]

MATCHED_FIELDS = ("title", "id", "profile", "organization", "project", "owner")
"""The fields a filter word is looked for in (index row keys, ``ThreadRecord`` attributes)."""

_SEPARATOR = "\n"
T = TypeVar("T")


def normalise(text: str) -> str:
    """The caseless form both sides of a match are compared in."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def query_words(text: str | None) -> tuple[str, ...]:
    """The words of a filter query, normalised; () matches everything."""
    if not text:
        return ()
    return tuple(normalise(text).split())


def haystack(values: Iterable[str | None]) -> str:
    """The normalised text a filter word is looked for in, from the ``MATCHED_FIELDS`` values."""
    return normalise(_SEPARATOR.join(value or "" for value in values))


def doc_haystack(doc: Mapping[str, Any]) -> str:
    """``haystack`` of an index row (a stored document)."""
    return haystack(_text(doc.get(name)) for name in MATCHED_FIELDS)


def record_haystack(record: ThreadRecord) -> str:
    """``haystack`` of a ``ThreadRecord``."""
    return haystack(_text(getattr(record, name)) for name in MATCHED_FIELDS)


def matches(words: tuple[str, ...], text: str) -> bool:
    """Whether every word (from ``query_words``) occurs in ``text`` (from ``haystack``)."""
    return all(map(text.__contains__, words))  # C-level: this runs per row per keystroke


def keep_matching(rows: list[tuple[T, str]], words: tuple[str, ...]) -> list[tuple[T, str]]:
    """The ``(item, haystack)`` rows that ``matches`` ``words``, in order: the same rule for
    many rows at once, one comprehension per word (longest, so rarest, first) instead of a
    Python call per row, which at 100,000 rows was most of a filter keystroke."""
    for word in sorted(words, key=len, reverse=True):
        rows = [row for row in rows if word in row[1]]
    return rows


def sort_key(pinned: bool, last_active: float, thread_id: str) -> tuple[bool, float, str]:
    """Ascending order of this key is list order: pinned, newest, then by id."""
    return (not pinned, -last_active, thread_id)


def record_sort_key(record: ThreadRecord) -> tuple[bool, float, str]:
    return sort_key(record.pinned, record.last_active, record.id)


def newest_first(rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The ids of index rows in list order; the same as sorting by ``sort_key``.

    Built from C-level sorts (by id, then a stable sort by ``last_active`` descending, then a
    partition for pinned rows): a tuple key built per row in Python costs twice as much at
    10,000 rows, and the store does this at every open.
    """
    last_active = {key: doc.get("last_active", 0.0) for key, doc in rows.items()}
    order = sorted(sorted(last_active), key=last_active.__getitem__, reverse=True)
    pinned = {key for key, doc in rows.items() if doc.get("pinned")}
    if not pinned:
        return order
    return [k for k in order if k in pinned] + [k for k in order if k not in pinned]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
