"""Listing the index: the store's side of ``tui.core.thread_query``, with its caches.

The order of all rows is computed once per snapshot version, and each row's filter text once
per document (documents are replaced, never edited, so identity tells a stale entry), so that
listing 10,000 threads or filtering them costs a scan, not a sort and a rebuild.

Full text: the filter rule applies to the rows as always, and the transcripts are asked
through the search index (``tui.core.search_index``), whose matches come first, best first
(bm25), then the rows that only the filter rule matched, in list order. When the index cannot
answer (being built, a read-only record whose index is behind, no FTS5), every transcript is
read instead, as before the index: the whole query, casefolded, inside one turn's text, and
the answer is in list order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from tui.core.records import ThreadStatus
from tui.core.thread_query import doc_haystack, matches, newest_first, query_words

TranscriptSearch = Callable[[str, str], bool]
"""(thread id, casefolded text) -> whether the thread's transcript contains the text."""
IndexedSearch = Callable[[str], "list[str] | None"]
"""Query text -> the ids of the threads whose transcripts match, best first; None when the
index cannot answer now."""


class ThreadQueries:
    def __init__(
        self, transcript_contains: TranscriptSearch, indexed: IndexedSearch | None = None
    ) -> None:
        self._transcript_contains = transcript_contains
        self._indexed = indexed
        self._order: tuple[int, list[str]] = (-1, [])
        self._haystacks: dict[str, tuple[dict[str, Any], str]] = {}

    def ordered_ids(self, threads: dict[str, dict[str, Any]], version: int) -> list[str]:
        """Every id in list order, for the snapshot ``version`` whose rows are ``threads``."""
        cached_version, order = self._order
        if cached_version != version:
            order = newest_first(threads)
            self._order = (version, order)
            if len(self._haystacks) > 2 * len(threads) + 100:  # rows deleted since built
                self._haystacks = {k: v for k, v in self._haystacks.items() if k in threads}
        return order

    def matching_ids(
        self,
        threads: dict[str, dict[str, Any]],
        version: int,
        profile: str | None,
        owner: str | None,
        text: str | None,
        full_text: bool,
        statuses: Collection[ThreadStatus] | None,
    ) -> list[str]:
        ids = self.ordered_ids(threads, version)
        if profile is not None:
            ids = [i for i in ids if threads[i].get("profile", "") == profile]
        if owner is not None:
            ids = [i for i in ids if threads[i].get("owner") == owner]
        if statuses is not None:
            wanted = {str(status) for status in statuses}
            ids = [i for i in ids if threads[i].get("status", "ok") in wanted]
        words = query_words(text)
        if words and full_text and self._indexed is not None:
            ranked = self._indexed(text or "")
            if ranked is not None:
                return self._ranked(ids, threads, words, ranked)
        if words:
            needle = (text or "").casefold()
            ids = [
                i
                for i in ids
                if matches(words, self._haystack(i, threads[i]))
                or (full_text and self._transcript_contains(i, needle))
            ]
        return ids

    def _ranked(
        self,
        ids: list[str],
        threads: dict[str, dict[str, Any]],
        words: tuple[str, ...],
        ranked: list[str],
    ) -> list[str]:
        """The index's matches among ``ids`` (best first), then the rows the filter rule
        matches, in list order."""
        allowed = set(ids)
        found = [i for i in ranked if i in allowed]
        seen = set(found)
        return found + [
            i for i in ids if i not in seen and matches(words, self._haystack(i, threads[i]))
        ]

    def _haystack(self, thread_id: str, doc: dict[str, Any]) -> str:
        cached = self._haystacks.get(thread_id)
        if cached is not None and cached[0] is doc:
            return cached[1]
        text = doc_haystack(doc)
        self._haystacks[thread_id] = (doc, text)
        return text
