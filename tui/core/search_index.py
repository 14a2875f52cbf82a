"""Full-text search of the transcripts through an SQLite FTS5 index derived from them.

Reading every transcript for each search cost 2 s at a million turns; the index answers in
milliseconds. It is never the only copy of anything: ``search.sqlite3`` in the data directory
(0600) holds the transcripts' text in a searchable form and nothing else, and deleting it
only means it is built again.

**Kept current.** Every transcript write goes through ``TranscriptFiles``, which wraps it in
``noting`` (under the record's lock, in whichever process writes): a pending mark is set before
the write, and the thread's rows (only the runs from the first changed turn) are updated with
the mark's removal in one commit after it. A process killed between the two leaves the mark;
the next search then catches up: it stats every transcript and re-reads those whose signature
(inode, mtime, size), as indexed per thread, changed. A file put in by hand is not noticed:
delete ``search.sqlite3`` and it is built again.

**Rebuilt** when missing (the first search, or ``start_building`` in the app's background),
when made by an older threadtui (quietly: nothing was lost), and when corrupt (moved aside as
``search.sqlite3.corrupt-…`` and reported). While it is being built, in a read-only record
whose index is missing or behind, beside a newer threadtui's index, and where this Python's
SQLite lacks FTS5 (said once), a search answers ``None`` and the caller reads the transcripts
as before.

**Rows.** One FTS5 row per run of ``CHUNK_TURNS`` consecutive turns of a thread (rowid =
thread number << 20 | run number): appending a turn re-indexes only the last run, a huge
thread costs no more to append to than a small one (beyond hashing its turns to find what
changed), and a word common to every thread matches 50,000 rows at a million turns, not a
million. Text is indexed as ``thread_query.normalise`` gives it (casefolded, NFC: ``ß`` is
``ss``), then FTS5's ``unicode61 remove_diacritics 2`` drops accents (``ete`` finds ``été``);
CJK characters are spaced so that each is a word and a run of them a phrase. Each run is in
two tables with the same rowid: ``chunks`` (its words) and ``pairs`` (each two adjacent words
as one, ``search_words``), which answers phrases without reading where every word stands.

**Queries.** ``match_of`` turns user text into FTS5 syntax safely (user text is never
syntax): each word, or each ``"quoted phrase"``, must occur within one run of turns, words
whole, except the last when it has three or more characters, which also matches as a prefix
(what is being typed). Words are asked of ``chunks``, phrases of ``pairs``, and a run must
answer both. Results are thread ids, best first (the summed bm25 of the thread's best run).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.damage import Damage, ProblemKind
from tui.core.files import CorruptFile, parse_json, read_file
from tui.core.journal import decode, looks_like_lines
from tui.core.safe_text import UNSAFE, without_surrogates
from tui.core.search_words import (
    PAIR_TOKENIZER,
    TOKENIZER,
    pairs_text,
    phrase_of_pairs,
    words_of,
)
from tui.core.thread_query import normalise
from tui.core.transcripts import transcript_file_name, transcript_turns

INDEX_NAME = "search.sqlite3"
SCHEMA = 2
"""2: the pair table (phrases), digests per run. An older index is built again; a newer one
is not used."""
CHUNK_TURNS = 32
"""Turns per FTS5 row: appending re-indexes at most this many turns."""
_RUN_BITS = 20
_DIGEST = 8  # bytes of blake2b per turn: what tells a changed turn from an unchanged one
_BATCH_THREADS = 200  # threads per transaction while building: a writer waits at most that long
_BUSY_MS = 10_000
_PREFIX_MIN = 3
_CJK = "([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af])"
"""Compiled at its first use (``re``'s cache), not at every start: its ranges cost ms."""
_UNITS = re.compile(r'"([^"]*)"?|([^\s"]+)')
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
"""What says the file itself is damaged (anything else, e.g. a busy database, is not)."""

Stamp = str
Progress = Callable[[int, int], None]
"""(transcripts done, transcripts in all): how far a build has come."""

_fts5: bool | None = None


def fts5_available() -> bool:
    """Whether this Python's SQLite has FTS5 (checked once, in memory)."""
    global _fts5
    if _fts5 is None:
        try:
            with contextlib.closing(sqlite3.connect(":memory:")) as probe:
                probe.execute("CREATE VIRTUAL TABLE probe USING fts5(body)")
            _fts5 = True
        except sqlite3.Error:
            _fts5 = False
    return _fts5


def index_text(text: str) -> str:
    """The form text is indexed and queried in (``normalise``, CJK characters spaced, a
    lone surrogate, which a server's JSON can carry and SQLite cannot take, as U+FFFD)."""
    text = normalise(text)
    return text if text.isascii() else re.sub(_CJK, r" \1 ", without_surrogates(text))


@dataclass(frozen=True)
class Match:
    """User text as the index's two tables answer it; a run of turns matches when both do
    (a part that is None asks nothing of its table)."""

    words: str | None
    """For the word table: every one-word unit, the last also as a prefix when typed bare."""
    pairs: str | None
    """For the pair table: every unit of two or more words, as the phrase of its pairs
    (``search_words``: FTS5's own phrase match reads where every word stands)."""

    def tables(self) -> list[tuple[str, str]]:
        """(table, FTS5 query) for each table asked."""
        return [(table, query) for table, query in (("chunks", self.words),
                                                    ("pairs", self.pairs)) if query]

    def row_ids_sql(self) -> tuple[str, list[str]]:
        """The matching runs' ids (column ``id``) as SQL, and its arguments."""
        tables = self.tables()
        return (" INTERSECT ".join(f"SELECT rowid AS id FROM {table} WHERE {table} MATCH ?"
                                   for table, _ in tables),
                [query for _, query in tables])


def query_units(text: str) -> list[tuple[str, bool]]:
    """The units of a transcript search, normalised, each with whether it was typed bare:
    every word, and every ``"quoted phrase"`` (a quote left open runs to the end). A unit
    without a letter or digit is dropped. One rule for the index and for the reading of
    every transcript that stands in for it while it cannot answer."""
    units: list[tuple[str, bool]] = []
    for found in _UNITS.finditer(UNSAFE.sub(" ", text)):
        quoted, word = found.group(1), found.group(2)
        unit = " ".join(normalise(quoted if quoted is not None else word).split())
        if any(ch.isalnum() for ch in unit):
            units.append((unit, quoted is None))
    return units


def match_of(text: str) -> Match | None:
    """User text as a ``Match`` that cannot be an FTS5 syntax error; None when it holds no
    word.

    Every unit (a word, or a ``"quoted phrase"``; a quote left open runs to the end) becomes
    an FTS5 string, so ``OR``, ``NEAR(``, ``*``, ``-`` and stray quotes are text. A unit
    without a letter or digit is dropped (FTS5 would see an empty phrase). A unit of several
    words (quoted, or joined by punctuation: ``e-mail``) is a phrase, asked of the pair table.
    """
    units = [(index_text(unit).strip(), bare) for unit, bare in query_units(text)]
    if not units:
        return None
    words: list[str] = []
    pairs: list[str] = []
    split = words_of([unit for unit, _ in units])
    for position, ((unit, bare), unit_words) in enumerate(zip(units, split, strict=True)):
        if len(unit_words) >= 2:
            pairs.append(phrase_of_pairs(unit_words))
            continue
        part = '"' + unit.replace('"', '""') + '"'
        if position == len(units) - 1 and bare and len(unit) >= _PREFIX_MIN and unit.isalnum():
            part += " *"
        words.append(part)
    return Match(" AND ".join(words) or None, " AND ".join(pairs) or None)


RANK_AT_MOST = 10_000
"""Up to this many matching threads a ranked search puts the best first (bm25); more, and
the answer keeps no order (see ``SearchIndex.search``)."""


def _matching_sql(match: Match) -> tuple[str, list[str]]:
    runs, args = match.row_ids_sql()
    return (f"SELECT thread_id FROM threads WHERE num IN (SELECT id >> {_RUN_BITS} FROM"
            f" ({runs}))", args)


def _best_first_sql(match: Match) -> tuple[str, list[str]]:
    """Threads best first. A run's score is the sum of its tables' bm25, each table's answer
    taken once as a whole and then joined (a join into an FTS5 table would ask it again for
    every run); a thread's score is its best run's."""
    tables = match.tables()
    names = [f"hits_{table}" for table, _ in tables]
    taken = ", ".join(f"hits_{table} AS MATERIALIZED (SELECT rowid AS id, rank AS score FROM"
                      f" {table} WHERE {table} MATCH ?)" for table, _ in tables)
    runs = (f"SELECT {names[0]}.id AS id, {' + '.join(f'{n}.score' for n in names)} AS score"
            f" FROM {names[0]}" + "".join(f" JOIN {n} USING (id)" for n in names[1:]))
    return (f"WITH {taken} SELECT t.thread_id FROM (SELECT id >> {_RUN_BITS} AS num,"
            f" min(score) AS score FROM ({runs}) GROUP BY num) AS best"
            " JOIN threads AS t USING (num) ORDER BY best.score, t.thread_id",
            [query for _, query in tables])


def is_best_first(found: Sequence[str]) -> bool:
    """Whether a ranked search's answer is in rank order (few enough matched to rank)."""
    return len(found) <= RANK_AT_MOST


class SearchIndex:
    """The search index of one record. Thread-safe: the record's worker writes and searches,
    a background thread may build (``start_building``)."""

    def __init__(
        self, data_dir: Path, transcripts_dir: Path, damage: Damage, *, read_only: bool = False
    ) -> None:
        self.path = data_dir / INDEX_NAME
        self._transcripts_dir = transcripts_dir
        self._damage = damage
        self.read_only = read_only
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._broken = False  # a failure while writing: reopen (and check) before the next use
        self._builder: threading.Thread | None = None
        self._stop = threading.Event()
        self.background = False
        """Build in a thread of its own (the app) instead of within the search (the CLI)."""
        self.progress: tuple[int, int] | None = None
        """(done, total) while a build runs; None otherwise."""
        self._said: set[str] = set()
        self._older = False
        """The last open found an older threadtui's index (``build`` replaces it)."""
        self._last: tuple[tuple[Any, ...], bool, list[str]] | None = None
        """The last answer: what it was for (query, connection, state), whether it serves a
        ranked question too (it was ranked, or too many matched to rank), the ids."""

    # -- state -----------------------------------------------------------------------------
    @property
    def building(self) -> bool:
        return self._builder is not None and self._builder.is_alive()

    def close(self) -> None:
        self._stop.set()
        builder = self._builder
        if builder is not None:
            builder.join()
        with self._lock:
            self._last = None
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- the write path (under the record's lock) ------------------------------------------
    @contextlib.contextmanager
    def noting(
        self,
        thread_id: str,
        turns: Callable[[], Sequence[dict[str, Any]]] | None,
        first: int = 0,
    ) -> Iterator[None]:
        """Around a transcript's write or removal (``turns`` None), under the record's lock:
        ``turns()`` gives the thread's turns once written, those before ``first`` unchanged
        (an append names its position: only the last run is indexed again).

        Before the write a mark says one is under way; after it, the rows and the mark's
        removal are one commit. A process killed between leaves the mark, and the next search
        catches up. Never fails the write: the index is derived, and a failure here leaves
        the mark (caught up later) rather than losing the user's turn.
        """
        mark = self._mark_pending()
        yield
        if mark is None:
            return
        with contextlib.suppress(sqlite3.Error, OSError):
            self._note(thread_id, None if turns is None else turns(), first, mark)
            return
        self._broken = True

    def _mark_pending(self) -> str | None:
        """Set a fresh pending mark (None: nothing to keep current here). A mark already
        there (someone's write that never finished) stays: only a catch-up clears it."""
        if self.read_only or not self.path.exists():
            return None
        try:
            with self._lock:
                db = self._open()
                if db is None:
                    return None
                with db:
                    if _meta(db, "pending"):
                        return ""  # behind already: keep the rows coming, leave the mark
                    mark = f"{os.getpid()}-{time.time_ns()}"
                    _set_meta(db, "pending", mark)
                    return mark
        except (sqlite3.Error, OSError):
            self._broken = True
            return None

    def _note(
        self, thread_id: str, turns: Sequence[dict[str, Any]] | None, first: int, mark: str
    ) -> None:
        with self._lock:
            db = self._open()
            if db is None:
                return
            with db:
                if turns is None:
                    self._forget(db, thread_id)
                else:
                    name = transcript_file_name(thread_id)
                    stamp = _file_stamp(self._transcripts_dir / name)
                    # Behind (another's write never finished): that write may have changed
                    # turns this one calls unchanged, and the stamp written now would hide
                    # them from the catch-up; so every run is compared.
                    self._put(db, thread_id, name, stamp, turns, first if mark else 0)
                if mark and _meta(db, "pending") == mark:
                    _set_meta(db, "pending", "")

    # -- searching -------------------------------------------------------------------------
    def forget_answers(self) -> None:
        """The next search asks SQLite again, as a new process would (the last answer is
        otherwise kept while the index is unchanged): what a benchmark of one search needs."""
        with self._lock:
            self._last = None

    def search(self, text: str, *, ranked: bool = True) -> list[str] | None:
        """Thread ids whose transcripts match ``text``, best first (``ranked``; else in no
        particular order, which spares ranking every match when the caller sorts anyway);
        None when the index cannot answer now (being built, unavailable, read-only and
        behind): read the transcripts.

        A ranked answer is best first only when at most ``RANK_AT_MOST`` threads match
        (``is_best_first`` says which): past that, ranking is most of the search's cost (bm25
        for every match, 100 ms for a word in each of 50,000 threads) and tells little, since
        words that common weigh next to nothing; the caller keeps its own order."""
        if not fts5_available():
            self._say_unavailable()
            return None
        match = match_of(text)  # after: a phrase's words may be split by SQLite's FTS5
        with self._lock:
            try:
                db = self._ready_db()
                if db is None:
                    return None
                if match is None:
                    return []
                # A command asks the same question up to three times (the rows, how many
                # match, how many are marked gone); the answer stands while the index is
                # unchanged: no commit from another connection (data_version) nor this one.
                state = (match, db, db.execute("PRAGMA data_version").fetchone()[0],
                         db.total_changes)
                last = self._last
                if last is not None and last[0] == state and (last[1] or not ranked):
                    return list(last[2])
                found = [row[0] for row in db.execute(*_matching_sql(match))]
                if ranked and is_best_first(found):
                    found = [row[0] for row in db.execute(*_best_first_sql(match))]
                self._last = (state, ranked or not is_best_first(found), found)
                return list(found)
            except sqlite3.DatabaseError as exc:
                if _damaged(exc):
                    self._set_aside(exc)
                return None

    def _ready_db(self) -> sqlite3.Connection | None:
        """The index, built and caught up; None when it cannot be used for this search."""
        if self.read_only:
            db = self._open()
            if db is None or _meta(db, "built") != 1:
                return None
            return None if _meta(db, "pending") else db
        if self.building:
            return None
        db = self._open(create=True)
        if db is None and not self._older:
            return None
        if db is None or _meta(db, "built") != 1:  # missing, unfinished, or an older one
            if self.background:
                self.start_building()
                return None
            self.build()
            db = self._open()
        elif _meta(db, "pending"):
            self.build()  # catching up: only the transcripts whose signature changed are read
            db = self._open()
        return db

    # -- building and catching up ----------------------------------------------------------
    def start_building(self) -> bool:
        """Build or catch up in a background thread (the app: its record worker stays free);
        False when there is nothing this process can do (read-only, no FTS5, running)."""
        if self.read_only or not fts5_available() or self.building:
            return False
        self._stop.clear()
        self._builder = threading.Thread(
            target=self._build_quietly, name="threadtui-search-index", daemon=True
        )
        self._builder.start()
        return True

    def needs_building(self) -> bool:
        """Whether the next search builds the index first (missing or unfinished): a caller
        that waits for it (the CLI) can say so."""
        if self.read_only or not fts5_available():
            return False
        with self._lock:
            try:
                db = self._open()
                return db is None or _meta(db, "built") != 1
            except sqlite3.Error:
                return True

    def use_background(self) -> bool:
        """From now on build in the background (the app); start now if the index is missing
        or unfinished. True while a build runs (searches read the transcripts meanwhile)."""
        self.background = True
        if self.read_only or not fts5_available():
            return False
        if not self.building:
            with self._lock:
                try:
                    db = self._open(create=True)
                    built = db is not None and _meta(db, "built") == 1
                except sqlite3.DatabaseError as exc:
                    if _damaged(exc):
                        self._set_aside(exc)
                    built = False
            if not built:
                self.start_building()
        return self.building

    def _build_quietly(self) -> None:
        with contextlib.suppress(sqlite3.Error, OSError):
            self.build()

    def build(self, progress: Progress | None = None) -> None:
        """Bring the index up to the transcripts: every one whose signature differs from what
        was indexed is read again; rows of vanished ones go. From nothing, this is the build.

        Lock-free for the record (a search must not stall writers); each thread's rows are
        taken only when its file has not changed since it was read (a write meanwhile indexes
        it itself), and the pending mark is cleared only if it is still the one seen before
        the scan.
        """
        if self.read_only or not fts5_available():
            return
        with self._lock:
            db = self._open(create=True, upgrade=True)
            if db is None:
                return
            before = _meta(db, "pending")
            known = {name: (thread_id, stamp) for thread_id, name, stamp in db.execute(
                "SELECT thread_id, file, stamp FROM threads")}
        files = _scan(self._transcripts_dir)
        stale = [name for name, stamp in files.items() if known.get(name, ("", ""))[1] != stamp]
        gone = [thread_id for name, (thread_id, _) in known.items() if name not in files]
        total, done, complete = len(stale), 0, True
        self.progress = (0, total)
        try:
            for start in range(0, max(len(stale), 1), _BATCH_THREADS):
                if self._stop.is_set():
                    return
                names = stale[start:start + _BATCH_THREADS]
                loaded = [_load(self._transcripts_dir / name) for name in names]
                with self._lock:
                    db = self._open()
                    if db is None:
                        return
                    with db:
                        for thread_id in gone if start == 0 else ():
                            self._forget(db, thread_id)
                        for name, found in zip(names, loaded, strict=True):
                            if found is None:
                                complete = False
                                continue
                            thread_id, stamp, texts = found
                            if _file_stamp(self._transcripts_dir / name) == stamp:
                                self._put(db, thread_id, name, stamp, texts, 0)
                            else:
                                complete = False  # written meanwhile: the next catch-up
                done += len(loaded)
                self.progress = (done, total)
                if progress is not None:
                    progress(done, total)
            with self._lock:
                db = self._open()
                if db is not None and complete:
                    with db:
                        _set_meta(db, "built", 1)
                        if _meta(db, "pending") == before:
                            _set_meta(db, "pending", "")
        finally:
            self.progress = None

    # -- rows ------------------------------------------------------------------------------
    def _put(
        self, db: sqlite3.Connection, thread_id: str, name: str, stamp: Stamp,
        turns: Sequence[dict[str, Any] | str], changed: int,
    ) -> None:
        """Index ``turns`` (turn documents or texts) as the thread's, those before
        ``changed`` known unchanged: only the runs from the first changed one again.

        Each run's turn digests are a row of their own (``runs``), so that an append reads,
        hashes and writes one run's, whatever the thread's length: one row of digests per
        thread was 800 kB rewritten per append to a 100,000-turn thread."""
        texts = _Texts(turns)
        row = db.execute("SELECT num FROM threads WHERE thread_id = ?", (thread_id,)).fetchone()
        if row is None:
            num = db.execute("INSERT INTO threads (thread_id, file, stamp) VALUES (?, ?, ?)",
                             (thread_id, name, stamp)).lastrowid
            assert num is not None
            kept = 0
        else:
            num = row[0]
            db.execute("UPDATE threads SET file = ?, stamp = ? WHERE num = ?",
                       (name, stamp, num))
            kept = min(changed, len(texts)) // CHUNK_TURNS
        base, end = num << _RUN_BITS, (num + 1) << _RUN_BITS
        new = [(base + run, b"".join(_digest(texts[i]) for i in
                                     range(at, min(at + CHUNK_TURNS, len(texts)))))
               for run, at in enumerate(range(kept * CHUNK_TURNS, len(texts), CHUNK_TURNS),
                                        start=kept)]
        old = dict(db.execute("SELECT id, digests FROM runs WHERE id >= ? AND id < ?",
                              (base + kept, end)))
        first = next((rowid for rowid, digests in new if old.get(rowid) != digests),
                     base + kept + len(new))
        if first == base + kept + len(new) and not any(rowid >= first for rowid in old):
            return  # as indexed already (a catch-up that found nothing changed)
        _remove_runs(db, first, end)
        runs = [(rowid, "\n".join(index_text(texts[i]) for i in range(
                    (rowid - base) * CHUNK_TURNS,
                    min((rowid - base + 1) * CHUNK_TURNS, len(texts)))))
                for rowid, _ in new if rowid >= first]
        db.executemany("INSERT INTO chunks (rowid, body) VALUES (?, ?)", runs)
        db.executemany("INSERT INTO pairs (rowid, body) VALUES (?, ?)", _pair_rows(runs))
        db.executemany("INSERT INTO runs (id, digests) VALUES (?, ?)",
                       [(rowid, digests) for rowid, digests in new if rowid >= first])

    def _forget(self, db: sqlite3.Connection, thread_id: str) -> None:
        row = db.execute("SELECT num FROM threads WHERE thread_id = ?", (thread_id,)).fetchone()
        if row is None:
            return
        base = row[0] << _RUN_BITS
        _remove_runs(db, base, base + (1 << _RUN_BITS))
        db.execute("DELETE FROM threads WHERE num = ?", (row[0],))

    # -- the file --------------------------------------------------------------------------
    def _open(self, *, create: bool = False, upgrade: bool = False) -> sqlite3.Connection | None:
        """The connection (opened, checked, created when asked); None when unusable here.
        An older threadtui's index is emptied for building again only when ``upgrade`` (by
        ``build``: in the app, on its own thread; dropping a large one takes seconds), else
        ``_older`` says that is why there is none."""
        if self._broken and self._db is not None:
            self._db.close()
            self._db = None
        self._broken = False
        if self._db is not None:
            return self._db
        if not fts5_available():
            return None
        exists = self.path.exists()
        if not exists and (self.read_only or not create):
            return None
        try:
            self._db = self._connect(upgrade=upgrade)
            self._older = False
        except sqlite3.DatabaseError as exc:
            self._older = isinstance(exc, OlderIndex)
            if isinstance(exc, NewerIndex):
                self._say_once(f"The search index {self.path} was made by a newer threadtui:"
                               " it is left as it is, and full-text search reads every"
                               " transcript here (slower with many threads).")
            if self.read_only or not _damaged(exc):
                return None  # unusable here, or only now (busy): read the transcripts
            self._set_aside(exc)
            if not create:
                return None
            self._db = self._connect()
        return self._db

    def _connect(self, *, upgrade: bool = False) -> sqlite3.Connection:
        if self.read_only:
            db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True,
                                 check_same_thread=False, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
            if _meta(db, "schema") != SCHEMA:
                db.close()
                raise sqlite3.DatabaseError("another schema")
            return db
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        os.close(fd)
        db = sqlite3.connect(self.path, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # derived data: a lost commit is re-read
            with db:
                db.execute("BEGIN IMMEDIATE")  # one process at a time creates or upgrades
                tables = {row[0] for row in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                schema = _meta(db, "schema") if "meta" in tables else None
                if "meta" not in tables:
                    _create(db)
                elif type(schema) is int and schema < SCHEMA:
                    # An older threadtui's index: derived, so built again (as when missing),
                    # not reported as damage.
                    if not upgrade:
                        raise OlderIndex(f"schema {schema} is an older threadtui's")
                    for table in ("pairs", "chunks", "runs", "threads", "meta"):
                        db.execute(f"DROP TABLE IF EXISTS {table}")
                    _create(db)
                elif type(schema) is int and schema > SCHEMA:
                    raise NewerIndex(f"schema {schema} is a newer threadtui's")
                elif schema != SCHEMA:
                    raise sqlite3.DatabaseError(f"schema {schema!r}")
                db.execute("SELECT count(*) FROM threads WHERE num = 0").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self, exc: sqlite3.DatabaseError) -> None:
        """A damaged (or foreign) index: moved aside, said, and started again."""
        self._last = None
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.read_only or not self.path.exists():
            return
        aside = self.path.with_name(f"{INDEX_NAME}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")
        self._damage.report(
            ProblemKind.SEARCH_INDEX,
            f"The search index {self.path} could not be used ({exc}); it was moved to "
            f"{aside} and is built again from the transcripts (nothing else was in it).",
            aside,
        )

    def _say_unavailable(self) -> None:
        self._say_once("This Python's SQLite has no FTS5: full-text search reads every "
                       "transcript (slower with many threads).")

    def _say_once(self, words: str) -> None:
        """Why searches read the transcripts, said once per record handle."""
        if words not in self._said:
            self._said.add(words)
            self._damage.report(ProblemKind.SEARCH_INDEX, words)


class OlderIndex(sqlite3.DatabaseError):
    """The index was made by an older threadtui: built again, by ``build``."""


class NewerIndex(sqlite3.DatabaseError):
    """The index was made by a newer threadtui: left as it is (it would only be built again
    there), and not used here; searches read the transcripts."""


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    if isinstance(exc, NewerIndex | OlderIndex):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    return code is None or code & 0xFF in _DAMAGE_CODES


def _create(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
    db.execute(
        "CREATE TABLE threads (num INTEGER PRIMARY KEY, thread_id TEXT UNIQUE NOT NULL,"
        " file TEXT NOT NULL, stamp TEXT NOT NULL)"
    )
    db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, digests BLOB NOT NULL)")
    db.execute(f"CREATE VIRTUAL TABLE chunks USING fts5(body, tokenize = \"{TOKENIZER}\")")
    db.execute("CREATE VIRTUAL TABLE pairs USING fts5(body, content = '',"
               f" tokenize = \"{PAIR_TOKENIZER}\")")
    _set_meta(db, "schema", SCHEMA)


def _pair_rows(runs: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """The pair table's rows for these (rowid, body) runs: a run of fewer than two words has
    none, on the way in and on the way out alike."""
    split = words_of([body for _, body in runs])
    return [(rowid, text) for (rowid, _), words in zip(runs, split, strict=True)
            if (text := pairs_text(words))]


def _remove_runs(db: sqlite3.Connection, low: int, high: int) -> None:
    """Remove the runs with ``low <= rowid < high`` from both tables. The pair table keeps
    no text (it would double the index's size), so FTS5 is told which pairs each row held:
    those made again from the word table's text, the same function of the same text."""
    runs = db.execute(
        "SELECT rowid, body FROM chunks WHERE rowid >= ? AND rowid < ?", (low, high)
    ).fetchall()
    db.executemany("INSERT INTO pairs (pairs, rowid, body) VALUES ('delete', ?, ?)",
                   _pair_rows(runs))
    db.execute("DELETE FROM chunks WHERE rowid >= ? AND rowid < ?", (low, high))
    db.execute("DELETE FROM runs WHERE id >= ? AND id < ?", (low, high))


def _meta(db: sqlite3.Connection, key: str) -> Any:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _file_stamp(path: Path) -> Stamp:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return "-"
    return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


def _scan(directory: Path) -> dict[str, Stamp]:
    """Every transcript file's name and stamp (one stat each)."""
    found: dict[str, Stamp] = {}
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                with contextlib.suppress(FileNotFoundError):
                    stat = entry.stat()
                    found[entry.name] = f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"
    return found


def _load(path: Path) -> tuple[str, Stamp, list[str]] | None:
    """(thread id, stamp, turn texts) of a transcript file, read without the record's lock;
    None when it vanished or is not a transcript of the thread its name is for. Either
    format: checksummed JSON lines (a turn line may replace an earlier turn), or the older
    single JSON document."""
    loaded = read_file(path)
    if loaded is None:
        return None
    raw, (inode, mtime_ns, size) = loaded
    stamp = f"{inode}:{mtime_ns}:{size}"
    if looks_like_lines(raw):
        lines = raw.split(b"\n")
        header = decode(lines[0])
        thread_id = header.get("thread_id") if isinstance(header, dict) else None
        texts: list[str] = []
        for line in lines[1:]:
            value = decode(line)
            turn = value.get("turn") if isinstance(value, dict) else None
            if not isinstance(turn, dict):
                continue
            position = value.get("replaces")
            if type(position) is int and 0 <= position < len(texts):
                texts[position] = _text(turn)
            else:
                texts.append(_text(turn))
    else:
        try:
            data = parse_json(path, raw)
            thread_id = data.get("thread_id") if isinstance(data, dict) else None
            texts = [_text(turn) for turn in transcript_turns(path, str(thread_id), data)]
        except CorruptFile:
            return None
    if not isinstance(thread_id, str) or transcript_file_name(thread_id) != path.name:
        return None
    return thread_id, stamp, texts


class _Texts:
    """The texts of turns given as documents or as texts, read one by one when needed."""

    def __init__(self, turns: Sequence[dict[str, Any] | str]) -> None:
        self._turns = turns

    def __len__(self) -> int:
        return len(self._turns)

    def __getitem__(self, position: int) -> str:
        turn = self._turns[position]
        return turn if isinstance(turn, str) else _text(turn)


def _text(turn: Any) -> str:
    text = turn.get("text") if isinstance(turn, dict) else None
    return text if isinstance(text, str) else ""


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=_DIGEST).digest()
