"""Full-text search through the search index: matching, quoting, keeping current, rebuilding.

Real stores on real files; "another process" is a second ``Store`` on the same directory, or
a transcript written behind the index's back (an older threadtui, a kill between the two).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui.core import search_index
from tui.core.damage import ProblemKind
from tui.core.records import Role, ThreadRecord, Turn
from tui.core.search_index import CHUNK_TURNS, INDEX_NAME, Match, match_of
from tui.core.store import CHECKPOINT, Store


def add(store: Store, thread_id: str, *texts: str, last_active: float = 100.0) -> None:
    store.upsert(ThreadRecord(id=thread_id, title=f"title {thread_id}", last_active=last_active))
    for n, text in enumerate(texts):
        store.append_turn(thread_id, Turn(role=Role.USER if n % 2 == 0 else Role.ASSISTANT,
                                          text=text, at=float(n)))


def found(store: Store, query: str) -> list[str]:
    return [record.id for record in store.list_threads(text=query, full_text=True)]


def indexed(store: Store, query: str) -> list[str]:
    """The index's own answer (None would mean it did not answer: the test must know)."""
    answer = store.search.search(query)
    assert answer is not None, "the search index did not answer"
    return answer


def killed_before_the_index(data_dir: Path, write: str) -> None:
    """Another process makes ``write`` (Python, with ``store`` and ``Turn`` at hand) and is
    killed between the transcript's write and the index's update."""
    child = (
        "import os, sys\n"
        "from tui.core.records import Role, Turn\n"
        "from tui.core.search_index import SearchIndex\n"
        "from tui.core.store import Store\n"
        "SearchIndex._note = lambda *args: os._exit(9)\n"
        "store = Store.open(sys.argv[1])\n"
        f"{write}\n"
    )
    died = subprocess.run([sys.executable, "-c", child, str(data_dir)], timeout=60)
    assert died.returncode == 9


# -- matching -------------------------------------------------------------------------------


def test_the_index_answers_ranked_and_is_private(store: Store, data_dir: Path) -> None:
    add(store, "conv_once", "a walrus once", "nothing else here")
    add(store, "conv_many", "walrus walrus", "the walrus again", last_active=50.0)
    add(store, "conv_none", "no such animal")
    assert indexed(store, "walrus") == ["conv_many", "conv_once"]
    assert sorted(store.search.search("walrus", ranked=False) or []) == ["conv_many", "conv_once"]
    assert found(store, "walrus") == ["conv_many", "conv_once"]  # best first, not newest
    assert stat.S_IMODE((data_dir / INDEX_NAME).stat().st_mode) == 0o600


def test_an_unranked_answer_kept_never_answers_a_ranked_question(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index keeps its last answer while nothing changed; an unranked one (the sidebar's)
    must not be handed to a ranked question (the CLI's), nor, past the ranking bound, be
    called best first."""
    from tui.core import search_index

    add(store, "conv_once", "a walrus once")
    add(store, "conv_many", "walrus walrus walrus", last_active=50.0)
    add(store, "conv_twice", "walrus and walrus", last_active=10.0)
    unranked = store.search.search("walrus", ranked=False) or []
    assert sorted(unranked) == ["conv_many", "conv_once", "conv_twice"]
    assert indexed(store, "walrus") == ["conv_many", "conv_twice", "conv_once"]
    monkeypatch.setattr(search_index, "RANK_AT_MOST", 2)
    store.search.forget_answers()
    answer = indexed(store, "walrus")
    assert sorted(answer) == ["conv_many", "conv_once", "conv_twice"]
    assert not search_index.is_best_first(answer)
    # Newest first, the list's own order, when too many match to rank.
    assert found(store, "walrus") == ["conv_once", "conv_many", "conv_twice"]


def test_titles_and_ids_still_match_after_the_transcript_matches(store: Store) -> None:
    add(store, "conv_a", "about budgets")
    add(store, "conv_b", "nothing", last_active=500.0)
    store.update_thread("conv_b", title="Budget review")
    # The transcript's match first (the last word is also a prefix), then the title's.
    assert found(store, "budget") == ["conv_a", "conv_b"]
    assert found(store, "budgets") == ["conv_a"]
    assert found(store, "review") == ["conv_b"]
    assert [r.id for r in store.list_threads(text="budgets")] == []  # not without full text


def test_case_and_accents_and_sharp_s_match_like_the_filter_rule(store: Store) -> None:
    add(store, "conv_street", "Die Straße ist lang")
    add(store, "conv_summer", "un été à Paris")
    add(store, "conv_decomposed", "un e\u0301te\u0301 décomposé")
    assert indexed(store, "STRASSE") == ["conv_street"]
    assert indexed(store, "straße") == ["conv_street"]
    assert set(indexed(store, "ÉTÉ")) == {"conv_summer", "conv_decomposed"}
    assert set(indexed(store, "ete")) == {"conv_summer", "conv_decomposed"}
    assert indexed(store, "DÉCOMPOSÉ") == ["conv_decomposed"]


def test_a_quoted_phrase_keeps_its_order_and_bare_words_do_not(store: Store) -> None:
    add(store, "conv_phrase", "the budget meeting is at noon")
    add(store, "conv_words", "a meeting about the budget")
    assert set(indexed(store, "budget meeting")) == {"conv_phrase", "conv_words"}
    assert indexed(store, '"budget meeting"') == ["conv_phrase"]
    assert indexed(store, '"Budget  MEETING') == ["conv_phrase"]  # a quote left open
    assert indexed(store, "budget lunch") == []  # every word must be there


def test_the_last_word_is_a_prefix_once_it_has_three_letters(store: Store) -> None:
    add(store, "conv_walrus", "The Walrus said")
    assert indexed(store, "walr") == ["conv_walrus"]
    assert indexed(store, "the walru") == ["conv_walrus"]
    assert indexed(store, "wa") == []  # two letters: a whole word only
    assert indexed(store, '"walr"') == []  # quoted: as written


def test_cjk_text_is_found_by_part_of_a_run(store: Store) -> None:
    add(store, "conv_cjk", "表計算の質問です")
    assert indexed(store, "計算") == ["conv_cjk"]
    assert indexed(store, "質問") == ["conv_cjk"]
    assert indexed(store, "算表") == []


def test_a_lone_surrogate_in_a_turn_is_indexed_not_a_failed_write(
    store: Store, data_dir: Path
) -> None:
    """A server's JSON can carry "\\ud800", which SQLite cannot take: the write once
    failed after the transcript was written (the app's error boundary said internal error),
    and a build stopped at that thread. Indexed as U+FFFD, it is found like any text."""
    add(store, "conv_bad", "before \ud800 after", "\udcff")
    assert indexed(store, "before") == ["conv_bad"]
    assert indexed(store, '"before after"') == ["conv_bad"]
    assert indexed(store, "\udcff") == []  # nothing to look for: not a failure
    for name in os.listdir(data_dir):
        if name.startswith(INDEX_NAME):
            os.unlink(data_dir / name)
    store.search.build()  # built from the transcripts: the same text, read back
    assert indexed(store, "after") == ["conv_bad"]


@pytest.mark.parametrize(
    "query",
    ['foo" OR', "NEAR(", "NEAR(foo bar", "*", '"', '""', "-", "foo -bar", "a:b", "^x",
     "AND", "OR foo", "foo AND", "(", ")", "{col}: x", "x + y", "'", "\\", "🚀", "foo\x00"],
)
def test_user_text_is_never_fts_syntax(store: Store, query: str) -> None:
    add(store, "conv_x", "foo and bar, a:b x + y OR near")
    assert isinstance(indexed(store, query), list)  # no sqlite3.OperationalError
    found(store, query)


def test_user_text_becomes_quoted_words_and_phrases_of_pairs() -> None:
    assert match_of('foo" OR') == Match('"foo" AND "or"', None)
    assert match_of('foo"bar') == Match('"foo" AND "bar"', None)
    assert match_of("NEAR(") == Match('"near("', None)
    assert match_of('say "hi there" now') == Match('"say" AND "now" *', '"hi_there"')
    assert match_of('a "b""c"') == Match('"a" AND "b" AND "c"', None)
    assert match_of('"Été à Paris" e-mail') == Match(None, '"ete_a a_paris" AND "e_mail"')
    assert match_of("* - ( )") is None


# -- kept current ---------------------------------------------------------------------------


def test_every_kind_of_write_keeps_the_index_current(store: Store) -> None:
    add(store, "conv_a", "first words")
    assert indexed(store, "first") == ["conv_a"]
    store.put_reply("conv_a", Turn(role=Role.ASSISTANT, text="half a checkpoint", at=5.0,
                                   interrupted=True, error=CHECKPOINT))
    assert indexed(store, "checkpoint") == ["conv_a"]
    store.put_reply("conv_a", Turn(role=Role.ASSISTANT, text="the final answer", at=6.0),
                    checkpoint_at=5.0)
    assert indexed(store, "checkpoint") == []  # replaced, not added to
    assert indexed(store, "final") == ["conv_a"]
    store.replace_transcript("conv_a", [Turn(role=Role.USER, text="replaced entirely")])
    assert indexed(store, "first") == [] and indexed(store, "entirely") == ["conv_a"]
    store.delete("conv_a")
    assert indexed(store, "entirely") == []
    store.restore("conv_a")
    assert indexed(store, "entirely") == ["conv_a"]


def test_a_long_thread_reindexes_only_its_last_run(store: Store) -> None:
    texts = [f"message number{n}" for n in range(3 * CHUNK_TURNS + 5)]
    add(store, "conv_long", *texts)
    assert indexed(store, "number7") == ["conv_long"]  # the first search builds the index
    db = sqlite3.connect(store.data_dir / INDEX_NAME)
    before = dict(db.execute("SELECT rowid, body FROM chunks"))
    digests_before = dict(db.execute("SELECT id, digests FROM runs"))
    store.append_turn("conv_long", Turn(role=Role.USER, text="the very last", at=999.0))
    after = dict(db.execute("SELECT rowid, body FROM chunks"))
    digests_after = dict(db.execute("SELECT id, digests FROM runs"))
    db.close()
    assert len(after) == 4
    changed = [rowid for rowid in after if before.get(rowid) != after[rowid]]
    assert changed == [max(after)]
    # The turns' digests are kept per run: an append rewrites the last run's only.
    assert [rowid for rowid in digests_after
            if digests_before.get(rowid) != digests_after[rowid]] == [max(after)]
    assert indexed(store, "number0") == ["conv_long"]
    assert indexed(store, "last") == ["conv_long"]


def test_another_store_on_the_same_record_sees_each_write(data_dir: Path) -> None:
    with Store.open(data_dir) as first, Store.open(data_dir) as second:
        add(first, "conv_a", "written by the first")
        second.reload()
        assert found(second, "first") == ["conv_a"]
        second.reload()
        add(second, "conv_b", "written by the second")
        first.reload()
        assert found(first, "second") == ["conv_b"]
        assert indexed(first, "written") != []


def test_a_write_whose_process_died_before_the_index_update_is_caught_up(
    store: Store, data_dir: Path
) -> None:
    add(store, "conv_a", "old words")
    assert indexed(store, "old") == ["conv_a"]
    # Another process appends a turn and is killed before it updates the index.
    killed_before_the_index(
        data_dir, "store.append_turn('conv_a', Turn(role=Role.USER, text='new words', at=5.0))")
    store.reload()
    assert indexed(store, "new") == ["conv_a"]
    assert indexed(store, "old") == ["conv_a"]


def test_a_write_after_one_that_died_indexes_what_the_dead_one_changed(
    store: Store, data_dir: Path
) -> None:
    """A process killed after replacing a transcript, before its index update; this one then
    appends. The append names only its own turn as changed, but its stamp makes the file
    look indexed to the catch-up: it must compare every run while the index is behind."""
    add(store, "conv_a", *(f"old{n} words" for n in range(2 * CHUNK_TURNS)))
    assert indexed(store, "old0") == ["conv_a"]
    killed_before_the_index(
        data_dir, "store.replace_transcript('conv_a', [Turn(role=Role.USER, text=f'new{n} words')"
                  f" for n in range({2 * CHUNK_TURNS})])")
    store.reload()
    store.append_turn("conv_a", Turn(role=Role.USER, text="appended after", at=500.0))
    assert indexed(store, "new0") == ["conv_a"]
    assert indexed(store, "old0") == []
    assert indexed(store, "appended") == ["conv_a"]


# -- rebuilt --------------------------------------------------------------------------------


def test_a_missing_index_is_built_again(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        add(store, "conv_a", "kept in the transcript")
        assert indexed(store, "transcript") == ["conv_a"]
    for name in os.listdir(data_dir):
        if name.startswith(INDEX_NAME):
            os.unlink(data_dir / name)
    with Store.open(data_dir) as store:
        assert indexed(store, "transcript") == ["conv_a"]
        assert store.take_problems() == []  # nothing was lost: nothing to say


def test_a_corrupt_index_is_moved_aside_said_and_rebuilt(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        add(store, "conv_a", "kept in the transcript")
        assert indexed(store, "transcript") == ["conv_a"]
    for name in os.listdir(data_dir):
        if name.startswith(INDEX_NAME + "-"):
            os.unlink(data_dir / name)
    (data_dir / INDEX_NAME).write_bytes(b"this is not a database" * 100)
    with Store.open(data_dir) as store:
        assert indexed(store, "transcript") == ["conv_a"]
        problems = [p for p in store.take_problems() if p.kind is ProblemKind.SEARCH_INDEX]
        assert len(problems) == 1 and "moved to" in problems[0].message
        assert problems[0].path is not None and problems[0].path.exists()


def test_a_read_only_record_uses_a_current_index_and_else_reads_transcripts(
    data_dir: Path,
) -> None:
    with Store.open(data_dir) as store:
        add(store, "conv_a", "needle in the record")
        assert indexed(store, "needle") == ["conv_a"]
    with Store.open_read_only(data_dir) as reader:
        assert indexed(reader, "needle") == ["conv_a"]
    for name in os.listdir(data_dir):
        if name.startswith(INDEX_NAME):
            os.unlink(data_dir / name)
    with Store.open_read_only(data_dir) as reader:
        assert reader.search.search("needle") is None  # no index, and none may be written
        assert found(reader, "needle") == ["conv_a"]  # every transcript read instead
    assert not (data_dir / INDEX_NAME).exists()


def test_without_fts5_the_search_reads_transcripts_and_says_so_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.core import search_words

    def no_fts5(texts: list[str]) -> list[list[str]]:
        raise sqlite3.OperationalError("no such module: fts5")

    monkeypatch.setattr(search_index, "_fts5", False)
    monkeypatch.setattr(search_words, "_split_by_sqlite", no_fts5)  # as such a SQLite does
    add(store, "conv_a", "The Walrus said", "Straße and more", "un été chaud")
    assert found(store, "walrus") == ["conv_a"]
    assert found(store, "walrus") == ["conv_a"]
    notes = [p for p in store.take_problems() if p.kind is ProblemKind.SEARCH_INDEX]
    assert len(notes) == 1 and "no FTS5" in notes[0].message
    # The index's query rule, read off the transcripts: words in any order and turn, a
    # quoted phrase as written (its quotes are not text), case folded alike.
    assert found(store, "said walrus") == ["conv_a"]
    assert found(store, "STRASSE walrus") == ["conv_a"]
    assert found(store, '"walrus  said"') == ["conv_a"]
    assert found(store, '"said walrus"') == []
    assert found(store, "walrus lunch") == []
    assert found(store, '* "') == []
    assert found(store, '"été chaud"') == ["conv_a"]  # not split by the FTS5 it lacks


def test_the_app_builds_in_the_background_and_reads_transcripts_meanwhile(
    data_dir: Path,
) -> None:
    with Store.open(data_dir) as store:
        for n in range(30):
            add(store, f"conv_{n:02d}", f"thread {n} talks about walruses")
    for name in os.listdir(data_dir):
        if name.startswith(INDEX_NAME):
            os.unlink(data_dir / name)
    with Store.open(data_dir) as store:
        store.search.use_background()
        assert len(found(store, "walruses")) == 30  # answered whatever the build's state
        deadline = time.monotonic() + 30
        while store.search.building and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(indexed(store, "walruses")) == 30


def test_a_repeated_search_is_answered_again_after_any_write(data_dir: Path) -> None:
    """The last answer is kept while the index is unchanged (a command asks up to three
    times), never past a write: this connection's, or another process's."""
    with Store.open(data_dir) as first, Store.open(data_dir) as second:
        add(first, "conv_a", "a walrus here")
        assert indexed(first, "walrus") == ["conv_a"]
        answer = indexed(first, "walrus")
        answer.append("changed by the caller")  # a copy: the kept answer is not the caller's
        assert indexed(first, "walrus") == ["conv_a"]
        add(first, "conv_b", "walrus walrus walrus")  # this connection writes
        assert indexed(first, "walrus") == ["conv_b", "conv_a"]
        add(second, "conv_c", "walrus walrus walrus walrus walrus")  # another connection
        assert indexed(first, "walrus") == ["conv_c", "conv_b", "conv_a"]
        second.delete("conv_b")
        assert indexed(first, "walrus") == ["conv_c", "conv_a"]
        assert indexed(first, "walrus", ) == indexed(first, "WALRUS")
        assert sorted(first.search.search("walrus", ranked=False) or []) == ["conv_a", "conv_c"]
