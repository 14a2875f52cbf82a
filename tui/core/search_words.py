"""The words the search index sees in a text, in order, as its FTS5 tokenizer splits and folds
them, and the pairs of adjacent words that let it answer a phrase without reading positions.

**Why pairs.** FTS5 answers ``"thank you"`` by reading where every ``thank`` and every ``you``
stand in every row holding both: for two words common to nearly every thread that was 45 ms at
a million turns before any of our code ran. Indexed as the one word ``thank_you``, the same
phrase is a single word's lookup (about 8 ms). A phrase of n words is the phrase of its n - 1
pairs (``"a_b b_c"``): pair i holds words i and i + 1, so the pairs stand next to each other
exactly where the words do, and the answer is the same as FTS5's own phrase match.

**Why exact.** That sameness needs the same words on both sides, split and folded as
``TOKENIZER`` does it (letters, digits and private-use characters, casefolded, accents
dropped). ASCII text is split here (``TOKENIZER``'s rule for ASCII is runs of letters and
digits); any other text is split by SQLite itself: an in-memory FTS5 table with the index's
own tokenizer, read back word by word through ``fts5vocab``. A test compares the pair answer
with FTS5's phrase match on random text of many scripts.

Changing anything here changes what the pair table holds: ``search_index.SCHEMA`` must change
with it (rows are taken out of the pair table by giving FTS5 the words they went in with).
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import threading
from collections.abc import Sequence

TOKENIZER = "unicode61 remove_diacritics 2"
"""The word table's tokenizer: one home, since the pairs must be made of its words."""

PAIR_TOKENIZER = "ascii tokenchars '_'"
"""The pair table's tokenizer: each ``word_word`` is one token (``_`` joins, and no word
holds one: underscore is punctuation to ``TOKENIZER``), and a non-ASCII letter is part of a
token as it stands (the words are folded already)."""

_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
_local = threading.local()


def words_of(texts: Sequence[str]) -> list[list[str]]:
    """Each text's words in order, as ``TOKENIZER`` gives them."""
    found: list[list[str]] = [[] for _ in texts]
    others: list[tuple[int, str]] = []
    for position, text in enumerate(texts):
        if text.isascii():
            found[position] = [word.lower() for word in _ASCII_WORD.findall(text)]
        else:
            others.append((position, text))
    if others:
        for position, words in zip(
            (position for position, _ in others), _split_by_sqlite([t for _, t in others]),
            strict=True,
        ):
            found[position] = words
    return found


def pairs_text(words: Sequence[str]) -> str:
    """What the pair table indexes for a row of these words (empty when fewer than two)."""
    return " ".join(f"{first}_{second}" for first, second in itertools.pairwise(words))


def phrase_of_pairs(words: Sequence[str]) -> str:
    """The pair table's FTS5 phrase for a phrase of at least two words (quoted: a word is
    text, never syntax)."""
    return '"' + pairs_text(words).replace('"', '""') + '"'


def _split_by_sqlite(texts: list[str]) -> list[list[str]]:
    """Words of non-ASCII texts, from SQLite's own tokenizer (one in-memory table per
    thread: the index is written from the record's thread and built from another)."""
    probe = getattr(_local, "probe", None)
    if probe is None:
        probe = sqlite3.connect(":memory:", isolation_level=None)
        probe.execute(f"CREATE VIRTUAL TABLE words USING fts5(text, tokenize = \"{TOKENIZER}\")")
        probe.execute("CREATE VIRTUAL TABLE places USING fts5vocab(words, 'instance')")
        _local.probe = probe
    probe.execute("BEGIN")
    try:
        probe.executemany("INSERT INTO words (rowid, text) VALUES (?, ?)", enumerate(texts))
        places = probe.execute("SELECT doc, offset, term FROM places").fetchall()
    finally:
        probe.execute("ROLLBACK")  # nothing is kept: the table is empty for the next call
    places.sort()
    found: list[list[str]] = [[] for _ in texts]
    for doc, _, word in places:
        found[doc].append(word)
    return found
