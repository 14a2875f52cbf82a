"""Phrases answered by the pair table: the same answers as FTS5's own phrase match, a pair
table that stays what a build from nothing makes through every kind of write, and the index
of an older threadtui built again.

The oracle is FTS5's phrase match on the word table (how phrases were answered before the
pairs), asked of the same index, on random text of several scripts: accents, combining marks,
CJK, Greek, digits, punctuation that joins words (``e-mail``), emoji.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path

import pytest

from tui.core import search_index, search_words
from tui.core.damage import ProblemKind
from tui.core.records import Role, ThreadRecord, Turn
from tui.core.search_index import CHUNK_TURNS, INDEX_NAME, SCHEMA, index_text
from tui.core.store import CHECKPOINT, Store

WORDS = ["the", "budget", "Meeting", "été", "ETE", "crème", "brûlée", "straße", "STRASSE",
         "naïve", "e\u0301te\u0301", "x\u0308y", "日本", "語", "表計算", "λόγος", "Λόγος",
         "42", "v2", "e-mail", "e_mail", "don't", "a.b", "🚀", "über", "ueber", "ǅx", "ﬁne"]
GLUE = [" ", " ", " ", "  ", ", ", ". ", "\n", " - ", "/", "\t", " (", ") "]


def sentence(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(WORDS) + rng.choice(GLUE) for _ in range(length)).strip()


def add(store: Store, thread_id: str, *texts: str) -> None:
    store.upsert(ThreadRecord(id=thread_id, title=thread_id, last_active=100.0))
    for n, text in enumerate(texts):
        store.append_turn(thread_id, Turn(role=Role.USER if n % 2 == 0 else Role.ASSISTANT,
                                          text=text, at=float(n)))


def fts5_phrase(data_dir: Path, phrase: str) -> set[str]:
    """FTS5's own phrase match on the word table: the answer the pairs must give."""
    with sqlite3.connect(data_dir / INDEX_NAME) as db:
        query = '"' + index_text(phrase).replace('"', '""') + '"'
        return {row[0] for row in db.execute(
            "SELECT thread_id FROM threads WHERE num IN"
            " (SELECT rowid >> 20 FROM chunks WHERE chunks MATCH ?)", (query,))}


def answered(store: Store, query: str) -> set[str]:
    answer = store.search.search(query, ranked=False)
    assert answer is not None, "the search index did not answer"
    return set(answer)


def pair_places(data_dir: Path) -> list[tuple[str, int, str, int]]:
    """Every pair the index holds: (thread, run, pair, position), whatever the row numbers."""
    with sqlite3.connect(data_dir / INDEX_NAME) as db:
        db.execute("CREATE VIRTUAL TABLE temp.places USING fts5vocab(main, pairs, instance)")
        threads = dict(db.execute("SELECT num, thread_id FROM threads"))
        return sorted((threads.get(doc >> 20, f"no thread's row {doc}"), doc & 0xFFFFF, term,
                       offset) for term, doc, _, offset in db.execute("SELECT * FROM temp.places"))


def test_the_words_split_here_are_the_tokenizers_own() -> None:
    """ASCII text is split in Python; it must give exactly SQLite's words."""
    rng = random.Random(5)
    alphabet = "abcXYZ019 _-.,'\"\n\t!@#$%^&*()[]{}~`|\\/<>?:;+="
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
             for _ in range(2_000)]
    assert search_words.words_of(texts) == search_words._split_by_sqlite(texts)


def test_phrases_answer_what_fts5s_own_phrase_match_answers(
    store: Store, data_dir: Path
) -> None:
    rng = random.Random(7)
    texts: dict[str, list[str]] = {}
    for n in range(40):
        texts[f"conv_{n:02d}"] = [sentence(rng, rng.randint(1, 12))
                                  for _ in range(rng.randint(1, 2 * CHUNK_TURNS + 3))]
        add(store, f"conv_{n:02d}", *texts[f"conv_{n:02d}"])
    store.search.build()
    phrases = [f"{rng.choice(WORDS)}{rng.choice(GLUE)}{rng.choice(WORDS)}" for _ in range(150)]
    for turns in rng.sample(list(texts.values()), 20):  # spans within and across turns
        joined = "\n".join(turns).split()
        for _ in range(8):
            at = rng.randrange(len(joined))
            phrases.append(" ".join(joined[at:at + rng.randint(2, 5)]))
    checked = 0
    for phrase in phrases:
        if len(search_words.words_of([index_text(phrase)])[0]) < 2:
            continue  # one word: the word table answers it, as before
        expected = fts5_phrase(data_dir, phrase)
        assert answered(store, f'"{phrase}"') == expected, phrase
        checked += bool(expected)
    assert checked > 100  # most phrases are found somewhere: the comparison is not vacuous


def test_a_phrase_with_words_ranks_runs_that_hold_both_best(store: Store) -> None:
    add(store, "conv_once", "the budget meeting", "lunch later")
    add(store, "conv_thrice", "budget meeting, budget meeting and lunch", "budget meeting")
    add(store, "conv_apart", "the meeting about the budget over lunch")
    add(store, "conv_other_run", "lunch", *(["filler"] * CHUNK_TURNS), "the budget meeting")
    result = store.search.search('"budget meeting" lunch')
    assert result == ["conv_thrice", "conv_once"]  # both in one run of turns, the most first


def test_the_pair_table_after_every_kind_of_write_is_what_a_build_makes(
    data_dir: Path,
) -> None:
    """Pairs leave the table by being named again (it keeps no text): a pair named wrongly
    would stay behind. After appends over a run's end, a checkpoint replaced by its reply,
    a transcript replaced, a thread deleted, restored and forgotten, every pair and its
    place equal those of an index built from nothing."""
    rng = random.Random(11)
    with Store.open(data_dir) as store:
        for n in range(6):
            add(store, f"conv_{n}", *(sentence(rng, 6) for _ in range(CHUNK_TURNS - 2)))
        assert answered(store, '"the budget"') is not None  # built now; kept current below
        for n in range(6):
            for k in range(4):
                store.append_turn(f"conv_{n}", Turn(role=Role.USER, at=50.0 + k,
                                                    text=sentence(rng, 5)))
        store.put_reply("conv_1", Turn(role=Role.ASSISTANT, text="été brûlée half", at=60.0,
                                       interrupted=True, error=CHECKPOINT))
        store.put_reply("conv_1", Turn(role=Role.ASSISTANT, text="crème brûlée whole",
                                       at=61.0), checkpoint_at=60.0)
        store.replace_transcript("conv_2", [Turn(role=Role.USER, text="日本 語 λόγος zebra42")])
        store.delete("conv_3")
        store.delete("conv_4")
        store.restore("conv_4")
        store.delete("conv_5", reason=None)
        kept = pair_places(data_dir)
    for name in os.listdir(data_dir):
        if name.startswith(INDEX_NAME):
            os.unlink(data_dir / name)
    with Store.open(data_dir) as store:
        store.search.build()
        assert pair_places(data_dir) == kept
        assert answered(store, '"brûlée half"') == set()
        assert answered(store, '"creme brulee whole"') == {"conv_1"}
        assert answered(store, '"ΛΌΓΟΣ ZEBRA42"') == {"conv_2"}


def first_schema_index(data_dir: Path) -> None:
    """The record's index replaced by one of the first schema (no pair table, one digest
    row per thread), made with that schema's own statements, holding a row it believed
    current."""
    for name in os.listdir(data_dir):
        if name.startswith(INDEX_NAME):
            os.unlink(data_dir / name)
    with sqlite3.connect(data_dir / INDEX_NAME) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        db.execute("CREATE TABLE threads (num INTEGER PRIMARY KEY, thread_id TEXT UNIQUE NOT"
                   " NULL, file TEXT NOT NULL, stamp TEXT NOT NULL, digests BLOB)")
        db.execute("CREATE VIRTUAL TABLE chunks USING fts5(body,"
                   " tokenize = 'unicode61 remove_diacritics 2')")
        db.execute("INSERT INTO threads VALUES (1, 'conv_a', 'x.json', 'stale', x'00')")
        db.execute("INSERT INTO chunks (rowid, body) VALUES (1 << 20, 'words of another time')")
        db.executemany("INSERT INTO meta VALUES (?, ?)",
                       [("schema", 1), ("built", 1), ("pending", "")])


def test_an_older_index_is_built_again_quietly(data_dir: Path) -> None:
    """Built again from the transcripts (the command waits for it, and says so), nothing
    reported, nothing moved aside."""
    with Store.open(data_dir) as store:
        add(store, "conv_a", "the budget meeting is at noon")
    first_schema_index(data_dir)
    with Store.open(data_dir) as store:
        assert store.search.needs_building()  # threadtui list says it indexes first
        assert answered(store, '"budget meeting"') == {"conv_a"}
        assert answered(store, "another") == set()
        assert store.take_problems() == []  # derived and built again: nothing to report
    assert not [name for name in os.listdir(data_dir) if ".corrupt-" in name]


def test_the_app_replaces_an_older_index_on_the_builders_thread(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Emptying an older index of a million turns took 3.7 s: the app's record thread must
    not wait for it. Until the build is done, searches read the transcripts."""
    import threading

    with Store.open(data_dir) as store:
        add(store, "conv_a", "the budget meeting is at noon")
    first_schema_index(data_dir)
    made_on: list[str] = []
    real_create = search_index._create

    def create(db: sqlite3.Connection) -> None:
        made_on.append(threading.current_thread().name)
        real_create(db)

    monkeypatch.setattr(search_index, "_create", create)
    with Store.open(data_dir) as store:
        store.search.use_background()
        assert [record.id for record in store.list_threads(
            text="meeting", full_text=True)] == ["conv_a"]
        deadline = time.monotonic() + 30
        while store.search.building and time.monotonic() < deadline:
            time.sleep(0.01)
        assert made_on == ["threadtui-search-index"]
        assert answered(store, '"budget meeting"') == {"conv_a"}
        assert store.take_problems() == []


def test_a_newer_threadtuis_index_is_left_alone_and_transcripts_are_read(
    data_dir: Path,
) -> None:
    with Store.open(data_dir) as store:
        add(store, "conv_a", "the budget meeting is at noon")
        assert answered(store, '"budget meeting"') == {"conv_a"}
    with sqlite3.connect(data_dir / INDEX_NAME) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA + 1,))
    with Store.open(data_dir) as store:
        assert store.search.search('"budget meeting"') is None  # not this version's to use
        found = store.list_threads(text="meeting", full_text=True)
        assert [record.id for record in found] == ["conv_a"]  # every transcript read
        store.list_threads(text="noon", full_text=True)
        said = [p.message for p in store.take_problems() if p.kind is ProblemKind.SEARCH_INDEX]
        assert len(said) == 1 and "made by a newer threadtui" in said[0]  # once, not moved
    with sqlite3.connect(data_dir / INDEX_NAME) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
            SCHEMA + 1,)
