"""The in-thread find rule: literal text, smart case, order, bound, and which match is current."""

from __future__ import annotations

from tui.core.find_text import Matches, Searcher, case_sensitive, find_all, pick, step

TEXTS = ["Deploy the API today", "the api answered 404", "nothing here", "api. API* api"]


def test_a_lowercase_query_matches_any_case_and_a_capital_makes_it_exact() -> None:
    assert not case_sensitive("api") and case_sensitive("Api")
    every = find_all(TEXTS, "api")
    assert every.spans == [
        (0, 11, 14), (1, 4, 7), (3, 0, 3), (3, 5, 8), (3, 10, 13)]
    exact = find_all(TEXTS, "API")
    assert [s[:2] for s in exact.spans] == [(0, 11), (3, 5)]


def test_pattern_characters_are_text() -> None:
    assert [s[:2] for s in find_all(TEXTS, "api.").spans] == [(3, 0)]
    assert [s[:2] for s in find_all(TEXTS, "I*").spans] == [(3, 7)]
    assert len(find_all(TEXTS, ".*")) == 0


def test_an_empty_query_matches_nothing_and_says_no_matches() -> None:
    found = find_all(TEXTS, "")
    assert len(found) == 0 and found.count_words(None) == "no matches"


def test_past_the_bound_the_matches_nearest_the_place_looked_from_are_kept() -> None:
    texts = ["a" * 50, "a" * 50, "a" * 50, "a" * 50]
    newest = find_all(texts, "a", limit=60)  # from the newest message back, whole messages
    assert newest.capped and len(newest) == 100
    assert {s[0] for s in newest.spans} == {2, 3}
    assert newest.spans == sorted(newest.spans)
    assert newest.count_words(0) == "100+ matches"
    early = find_all(texts, "a", limit=60, around=0)
    assert {s[0] for s in early.spans} == {0, 1}
    middle = find_all(texts, "a", limit=120, around=2)  # on from it to the end, then back
    assert {s[0] for s in middle.spans} == {1, 2, 3}
    assert len(find_all(texts, "a")) == 200 and not find_all(texts, "a").capped


def test_the_current_match_starts_at_the_anchor_or_the_newest_and_steps_wrap() -> None:
    found = find_all(TEXTS, "api")
    assert pick(found, None) == 4  # no anchor: the newest match, where a chat is read
    assert pick(found, (1, 0)) == 1
    assert pick(found, (1, 5)) == 2  # after the anchor's offset: the next message's
    assert pick(found, (9, 0)) == 4  # past the last: the nearest before, no jump to the top
    assert pick(Matches(), (0, 0)) is None
    assert step(4, 5, 1) == 0 and step(0, 5, -1) == 4 and step(2, 5, 1) == 3
    assert step(None, 5, -1) == 4 and step(None, 0, 1) is None
    assert found.count_words(2) == "3 of 5"


def test_the_searcher_answers_as_find_all_while_typing_backspacing_and_after_a_change() -> None:
    texts = list(TEXTS)
    searcher = Searcher()
    for query in ("a", "ap", "api", "api.", "api", "ap", "A", "AP", "Api", "", "d", "", "a"):
        assert searcher.find(texts, query).spans == find_all(texts, query).spans, query
    assert searcher.find(texts, "api") is searcher.find(texts, "api")  # from memory
    changed = [*texts[:2], "an api appears", texts[3]]
    assert len(searcher.find(changed, "api")) == len(find_all(changed, "api")) == 6
    assert searcher.find(changed, "api ").spans == find_all(changed, "api ").spans


def test_the_searcher_narrows_to_the_messages_the_shorter_query_matched() -> None:
    reads: list[int] = []

    class Spy(list):
        def __getitem__(self, index):
            reads.append(index)
            return super().__getitem__(index)

    texts = Spy(["zebra", "apple", "banana", "applied"])
    searcher = Searcher()
    searcher.find(texts, "ap")
    reads.clear()
    assert [s[0] for s in searcher.find(texts, "appl").spans] == [1, 3]
    assert sorted(reads) == [1, 3]
