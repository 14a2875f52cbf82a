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

from bisect import bisect_right
from collections.abc import Callable, Collection, Sequence
from itertools import accumulate
from typing import Any

from tui.core.records import ThreadStatus
from tui.core.search_index import is_best_first, query_units
from tui.core.thread_query import doc_haystack, newest_first, query_words

TranscriptSearch = Callable[[str, Sequence[str]], bool]
"""(thread id, normalised units) -> whether the thread's transcript holds every one."""
_ROW_BREAK = "\x00"  # between two rows' filter texts: no filter word holds it (nor a newline)

IndexedSearch = Callable[[str], "list[str] | None"]
"""Query text -> the ids of the threads whose transcripts match, best first when few enough
match to rank (``search_index.is_best_first``); None when the index cannot answer now."""


class ThreadQueries:
    def __init__(
        self, transcript_contains: TranscriptSearch, indexed: IndexedSearch | None = None
    ) -> None:
        self._transcript_contains = transcript_contains
        self._indexed = indexed
        self._order: tuple[int, list[str]] = (-1, [])
        self._haystacks: dict[str, tuple[dict[str, Any], str]] = {}
        # Every row's filter text in list order, joined, with where each begins: a filter word
        # is then looked for with str.find across all rows at once (C), not row by row.
        self._joined: tuple[int, str, list[int]] = (-1, "", [0])
        # The ids of each status, per snapshot version: a status filter (every listing
        # leaves out the gone) passes over the rows only when some have a status left out.
        self._by_status: tuple[int, dict[str, set[str]]] = (-1, {})

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
            ids = self._with_statuses(threads, version, ids, {str(s) for s in statuses})
        words = query_words(text)
        if not words or not ids:
            return ids
        matched = self._rows_matching(threads, version, words)
        if full_text and self._indexed is not None:
            indexed = self._indexed(text or "")
            if indexed is not None and not is_best_first(indexed):
                # Too many to rank: the list's own order. Filtered in C (filter over a set's
                # __contains__): tens of thousands of ids per search.
                hits = set(indexed).union(matched)
                return list(filter(hits.__contains__, ids))
            if indexed is not None:
                allowed = set(ids)
                found = list(filter(allowed.__contains__, indexed))
                seen = set(found)
                return found + [i for i in ids if i in matched and i not in seen]
        if full_text:
            # The index's units, each found anywhere in the thread as written (no word
            # bounds, accents as typed): slower and looser, but a "quoted phrase" or words
            # in another order find what the index would.
            units = [unit for unit, _ in query_units(text or "")]
            if not units:
                return [i for i in ids if i in matched]
            return [i for i in ids if i in matched or self._transcript_contains(i, units)]
        return [i for i in ids if i in matched]

    def _with_statuses(
        self, threads: dict[str, dict[str, Any]], version: int, ids: list[str], wanted: set[str]
    ) -> list[str]:
        """``ids`` (in order) whose row's status is one of ``wanted``."""
        if self._by_status[0] != version:
            by_status: dict[str, set[str]] = {}
            for thread_id, doc in threads.items():
                by_status.setdefault(doc.get("status", "ok"), set()).add(thread_id)
            self._by_status = (version, by_status)
        by_status = self._by_status[1]
        kept = [by_status[s] for s in wanted if s in by_status]
        left_out = [ids_of for s, ids_of in by_status.items() if s not in wanted]
        if not left_out:
            return ids
        if not kept:
            return []
        if sum(map(len, kept)) <= sum(map(len, left_out)):
            keep = set().union(*kept)
            return [i for i in ids if i in keep]
        drop = set().union(*left_out)
        return [i for i in ids if i not in drop]

    def _rows_matching(
        self, threads: dict[str, dict[str, Any]], version: int, words: tuple[str, ...]
    ) -> set[str]:
        """The ids of the rows the filter rule (``thread_query.matches``) lets through."""
        order = self.ordered_ids(threads, version)
        if self._joined[0] != version:
            texts = [self._haystack(i, threads[i]) for i in order]
            starts = list(accumulate((len(t) + 1 for t in texts), initial=0))
            self._joined = (version, _ROW_BREAK.join(texts), starts)
        _, joined, starts = self._joined
        rows: set[int] | None = None
        for word in words:
            if _ROW_BREAK in word:
                return set()
            hits: set[int] = set()
            at = joined.find(word)
            while at >= 0:
                row = bisect_right(starts, at) - 1
                hits.add(row)
                at = joined.find(word, starts[row + 1])  # one hit per row is enough
            rows = hits if rows is None else rows & hits
            if not rows:
                return set()
        return {order[row] for row in rows or ()}

    def _haystack(self, thread_id: str, doc: dict[str, Any]) -> str:
        cached = self._haystacks.get(thread_id)
        if cached is not None and cached[0] is doc:
            return cached[1]
        text = doc_haystack(doc)
        self._haystacks[thread_id] = (doc, text)
        return text
