"""The app's verbs as worker coroutines: connect, load, open, send, delete, rename, search.

Each takes what it needs (``Services``) and a ``post`` callable, and reports only by posting
the typed messages of ``tui.app.messages``: no widget, no screen, no app in here. The record
is reached through ``Records`` (its own thread), the network through the profile's backend,
and the rules through ``tui.core`` (the order of writes in ``session``, who owns a thread in
``ownership``). The main screen runs these in Textual workers and reacts to what they post.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from tui.app.connections import BackendPool
from tui.app.export import export_thread
from tui.app.messages import (
    BarCostsCounted,
    Busy,
    DeleteFinished,
    HistoryImported,
    IdentityLearned,
    ImportChecked,
    IndexBuilding,
    KeyMissing,
    KeyResolved,
    LostRepliesFound,
    ModelsListed,
    Notice,
    PromptReturned,
    RecordChanged,
    ReplyDelta,
    ReplyEnded,
    ReplyStarted,
    RetryOffered,
    RowsChanged,
    RowsLoaded,
    SearchResults,
    ThreadContinued,
    ThreadCreated,
    ThreadForgotten,
    ThreadNotFound,
    ThreadShown,
    TranscriptRefreshed,
)
from tui.app.progress import reporting
from tui.app.shutdown import StopNote, restate_stop
from tui.core import session
from tui.core.api.base import (
    ApiError,
    AuthFailed,
    Backend,
    Completed,
    Failed,
    Incomplete,
    NotFound,
    StreamEvent,
    TextDelta,
)
from tui.core.api.servers import thread_host
from tui.core.app_state import LAST_PROFILE, SIDEBAR_WIDTH, save_state
from tui.core.bar_costs import CostTally
from tui.core.config import Config
from tui.core.continuation import (
    ContinuationNotRecorded,
    NotAQuestion,
    NothingToContinue,
    continue_thread,
    fork_thread,
)
from tui.core.keys import KeyResolutionError
from tui.core.ownership import Ownership, is_retired, resolve_not_found
from tui.core.pricing import PriceTable
from tui.core.record_access import Records
from tui.core.records import Dialect, Identity, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.safe_text import one_line
from tui.core.store import Store, StoreError
from tui.core.wording import plural

if TYPE_CHECKING:  # the readers load when an import runs (zipfile and more)
    from tui.core.history_import import HistoryKind

Post = Callable[[Message], object]

FIRST_PAGE = 200
"""Rows put on screen before the rest of a large record is added (start-up latency)."""
ROWS_RETRY_SECONDS = 5.0
"""How often the rest of the rows is asked for again after the record refused it."""

TITLE_LENGTH = 60
SEARCH_DEBOUNCE_SECONDS = 0.25
_STATE_KEYS = {"profile": LAST_PROFILE, "sidebar_width": SIDEBAR_WIDTH}
DRAFT_KEY = "draft"
"""Record meta holding text typed but not sent when the app closed; restored at start."""


@dataclass(frozen=True)
class Services:
    """What the workers may use: the config, the record and the backends, nothing on screen."""

    config: Config
    records: Records
    pool: BackendPool
    data_dir: Path
    export_dir: Path | None = None
    """Where the palette's export writes (``None``: ``exports/`` in the data directory)."""
    remember: bool = True
    """Keep the last profile and the sidebar width in the state file (not for --demo)."""
    read_only: str | None = None
    """Why the record is open read-only (a read-only disk, not allowed to write); None when
    it can be written. Every write action then says it is disabled instead of trying."""
    stop: StopNote = field(default_factory=StopNote)
    """Why a reply is being cancelled when it is not esc (SIGHUP, SIGTERM, no terminal)."""
    price_source: Callable[[], PriceTable] = PriceTable
    """What replies cost (the shipped table with the config's overrides), asked for when a
    cost is first counted: the table is a TOML resource not worth reading before the first
    screen."""
    tally: CostTally = field(default_factory=CostTally)
    """The month's replies per thread, kept so the bar's sums read only what changed."""

    @property
    def prices(self) -> PriceTable:
        """The price table the workers count with (read on first use)."""
        return self.price_source()


def title_from(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return one_line(line, TITLE_LENGTH)
    return "New chat"


def describe_identity(identity: Identity) -> str:
    lines = [
        f"profile {identity.profile} · key {identity.key_hint}",
        f"organization: {identity.organization or '?'}"
        + (f" ({identity.organization_id})" if identity.organization_id else ""),
        f"project: {identity.project or '?'}",
    ]
    if identity.rate_limit_remaining_requests is not None:
        lines.append(f"requests left this window: {identity.rate_limit_remaining_requests:,}")
    if identity.rate_limit_remaining_tokens is not None:
        lines.append(f"tokens left this window: {identity.rate_limit_remaining_tokens:,}")
    if not identity.models_listable:
        lines.append("(this key may not list models)")
    return "\n".join(lines)


def retry_hint(error: ApiError, retry_key: str) -> str:
    if isinstance(error, Incomplete):
        return "the same question would stop the same way: ask for less, or differently"
    if error.retryable:
        return f"{retry_key} retries"
    return f"{retry_key} asks again once that is fixed"


# ---------------------------------------------------------------------------- profiles


async def connect(services: Services, post: Post, name: str, first_run_check: bool) -> None:
    """Resolve the key (maybe a slow command), build the client, ask who we are."""
    post(Busy(f"getting the key for {name}…"))
    try:
        hint = await services.pool.key_hint(name)
    except KeyResolutionError as exc:
        post(KeyMissing(name, str(exc), first_run_check))
        return
    finally:
        post(Busy(None))
    post(KeyResolved(name, hint))
    await whoami(services, post, name, announce=False)


async def whoami(services: Services, post: Post, name: str, *, announce: bool) -> None:
    try:
        backend = await services.pool.get(name)
        identity = await backend.whoami()
    except KeyResolutionError as exc:
        post(Notice(str(exc), "No key", "error", 15))
        return
    except ApiError as exc:
        post(Notice(str(exc), f"Profile {name}", "warning", 10))
        return
    post(IdentityLearned(name, identity, announce))


def _note_identity(post: Post, profile: str, backend: Backend) -> None:
    """Headers of any response tell the organization and project: keep the bar true."""
    if backend.last_identity is not None:
        post(IdentityLearned(profile, backend.last_identity))


# ---------------------------------------------------------------------------- the record


async def load_rows(services: Services, post: Post) -> None:
    """Every row of a large record, once its first page (``FIRST_PAGE`` rows, which the
    screen read before its first paint) is on screen.

    This is where a record opened lazily (``Store.open``) is read whole, so its refusals
    land here (another process holding it past the bound, a newer threadtui's record): the
    first page stays listed, the user is told once, and it is tried again until it reads.
    """
    records = services.records
    told = False
    while True:
        try:
            rows = await records.call(Store.list_threads)
        except StoreError as error:
            if not told:
                post(Notice(f"Only the newest {FIRST_PAGE} threads are listed: {error}."
                            " Reading the rest is tried again every few seconds.",
                            "Local record", severity="warning", timeout=20))
                told = True
            await asyncio.sleep(ROWS_RETRY_SECONDS)
            continue
        post(RowsLoaded(rows, replace=True))
        await report_problems(services, post)  # what reading it whole found
        return


async def poll(services: Services, post: Post) -> None:
    """Take in another session's writes, and replies lost with a session that died.

    Housekeeping in the background: a record that refuses it (a full disk, a writer holding
    the lock) is not said every two seconds; the user hears of it when they act."""
    records = services.records
    try:
        lost = await records.call(Store.recover_unanswered)
    except StoreError:
        lost = []
    await report_problems(services, post)
    if records.pending:  # replies the record refused earlier (a full disk): try again
        with contextlib.suppress(StoreError):  # still refused: it was said, they stay kept
            stored = await records.flush_pending()
            if stored:
                post(Notice(f"{plural(stored, 'reply', 'replies')} kept in memory "
                            f"{'is' if stored == 1 else 'are'} now in the record",
                            "Local record", timeout=10))
    if lost:
        post(LostRepliesFound(lost))
    with contextlib.suppress(StoreError):
        changes = await records.call(Store.reload)
        if changes.everything:  # not describable row by row (a rebuilt index): every row
            post(RowsLoaded(await records.call(Store.list_threads), replace=True))
        elif changes.changed or changes.removed or changes.transcripts:
            # Only the rows another process touched: at 100,000 threads a whole reload and
            # redraw every two seconds made keys lag by seconds.
            changed = await records.call(Store.get_many, sorted(changes.changed))
            gone = changes.removed | (changes.changed - {record.id for record in changed})
            post(RowsChanged(changed, frozenset(gone), changes.transcripts))


async def reread_transcript(services: Services, post: Post, record: ThreadRecord) -> None:
    """The open thread's transcript again, after another session wrote to the record (the
    screen redraws it only if it differs from what is shown)."""
    with contextlib.suppress(StoreError):  # background: the user hears of it when they act
        turns = await services.records.call(Store.transcript, record.id)
        post(TranscriptRefreshed(record, turns))


async def search(services: Services, post: Post, query: str) -> None:
    """Transcript search through the search index (built in its own thread the first time,
    reading every transcript meanwhile): debounced, on the record's thread."""
    await asyncio.sleep(SEARCH_DEBOUNCE_SECONDS)
    indexing = await services.records.call(_index_in_background)
    if indexing:
        post(IndexBuilding())
    post(Busy("indexing transcripts for search (once); reading them meanwhile…" if indexing
              else "searching transcripts…"))
    try:
        found = await services.records.call(transcript_search, query)
    finally:
        post(Busy(None))
    post(SearchResults(query, found))


def transcript_search(store: Store, query: str) -> list[str]:
    """The threads whose transcripts match, from the search index; while it cannot answer
    (being built), the store's full-text listing, which reads the transcripts."""
    found = store.search.search(query, ranked=False)  # the sidebar shows them in list order
    if found is None:
        found = [record.id for record in store.list_threads(text=query, full_text=True)]
    return found


def _index_in_background(store: Store) -> bool:
    """The app builds the search index in a thread of its own: True while it does."""
    return store.search.use_background()


INDEX_POLL_SECONDS = 0.25


def _index_progress(store: Store) -> tuple[bool, tuple[int, int] | None]:
    return store.search.building, store.search.progress


async def watch_index_build(services: Services, post: Post) -> None:
    """The progress bar of a search-index build running in its own thread (the index keeps
    ``(done, total)`` while it builds); over when the build is."""
    with reporting(post, "index", "indexing transcripts for search") as progress:
        while True:
            building, done_total = await services.records.call(_index_progress)
            if not building:
                return
            if done_total is not None:
                progress(*done_total)
            await asyncio.sleep(INDEX_POLL_SECONDS)


# ---------------------------------------------------------------------------- costs


async def count_costs(
    services: Services, post: Post, profile: str, organization: str | None, now: float
) -> None:
    """What ``profile`` and ``organization`` spent today and this month, for the bar: on the
    record's thread, reading only the transcripts that changed since the last count."""
    with contextlib.suppress(StoreError):  # background: the user hears of it when they act
        costs = await services.records.call(
            services.tally.costs, services.prices, now, profile, organization
        )
        post(BarCostsCounted(profile, costs))


# ---------------------------------------------------------------------------- imports


async def check_import(post: Post, path: Path) -> None:
    """What ``path`` holds (a few bytes read, off the event loop), for the screen to ask
    about before anything is imported."""
    from tui.core.history_import import detect_history  # zipfile and the readers: not at start

    kind = await asyncio.to_thread(detect_history, path)
    exists = await asyncio.to_thread(path.exists)
    problem = "" if kind is not None else (
        "Not a ChatGPT export or an llm logs database" if exists else "No such file or folder")
    post(ImportChecked(path, kind, problem))


async def import_history(
    services: Services, post: Post, path: Path, kind: HistoryKind
) -> None:
    """A ChatGPT export or an llm logs database into the record, as ``threadtui import`` does
    it (read in a thread, recorded on the record's thread), with the progress bar; then the
    summary and the new rows for the sidebar."""
    from tui.core.history_import import HistoryFormatError, read_history, record_history

    with reporting(post, "import", f"reading the {kind}") as progress:
        try:
            batch = await asyncio.to_thread(read_history, kind, path, progress)
        except HistoryFormatError as exc:
            progress.fail(f"Not imported: {exc}")
            return
        progress.relabel("recording", len(batch.items))
        result = await services.records.call(
            record_history, batch.items, progress
        )
        rows = await services.records.call(Store.get_many, [*result.added, *result.updated])
    problems = [*batch.problems, *(f"{one_line(thread_id, 60)}: {why}"
                                   for thread_id, why in result.rejected)]
    summary = (f"{kind}: added {len(result.added)}, updated {len(result.updated)}, "
               f"unchanged {len(result.unchanged)}, problems {len(problems)}")
    post(HistoryImported(summary, rows, problems))


async def report_problems(services: Services, post: Post) -> None:
    """Say what the record found wrong (a file moved aside, a reply lost), once each."""
    for problem in await services.records.call(Store.take_problems):
        post(Notice(str(problem), "Local record", "warning", 20))


async def update(services: Services, post: Post, thread_id: str, **changes: object) -> None:
    record = await services.records.call(Store.update_thread, thread_id, **changes)
    post(RecordChanged(record))


async def forget(services: Services, post: Post, record: ThreadRecord) -> None:
    await services.records.call(Store.delete, record.id)
    post(ThreadForgotten(record.id))
    post(Notice(f"Forgot {one_line(record.display_title, 40)} locally", timeout=5))


# ---------------------------------------------------------------------------- opening


async def open_thread(
    services: Services, post: Post, profile: str, thread_id: str, retry_key: str,
    *, focus_composer: bool = True,
) -> None:
    """Show the local transcript at once, then refresh it from the server."""
    records = services.records
    record = await records.call(Store.get, thread_id)
    if record is None:
        post(Notice("That thread is no longer in the local record", severity="warning"))
        post(ThreadForgotten(thread_id))
        return
    post(Busy("opening the thread…"))  # a long transcript takes a moment to read
    try:
        turns = await session.local_transcript(records, record)
    finally:
        post(Busy(None))
    await report_problems(services, post)  # a transcript moved aside just now is named at once
    post(ThreadShown(record, turns, focus_composer))
    _offer_retry(post, record, turns, retry_key)
    if _retired(services, profile, record):
        # A legacy thread on OpenAI's API: every request answers 404 since the shutdown, so
        # none is made, and it is said to be retired (read-only) each time it is opened.
        await not_found(services, post, profile, record)
    # A chat-dialect thread (a local model's, an imported ChatGPT or llm conversation) lives
    # only in the record: there is nothing to refresh, and no key to ask for.
    elif record.status is not ThreadStatus.GONE and record.api is not Dialect.CHAT:
        await refresh(services, post, profile, record, retry_key)


def _retired(services: Services, profile: str, record: ThreadRecord) -> bool:
    current = services.config.profiles.get(profile)
    return is_retired(record, current.base_url if current else None)


def _offer_retry(post: Post, record: ThreadRecord, turns: list[Turn], retry_key: str) -> None:
    """A thread opened on a failed, stopped or lost reply offers to ask again."""
    prompt = session.unanswered_prompt(turns)
    hints = [f"{retry_key} asks again"] if prompt is not None else []
    post(RetryOffered(record.id, prompt, hints))


async def refresh(
    services: Services, post: Post, profile: str, record: ThreadRecord, retry_key: str
) -> None:
    records = services.records
    try:
        backend = await services.pool.for_thread(profile, record)
    except KeyResolutionError as exc:
        post(Notice(f"Showing the local copy: {exc}", severity="warning"))
        return
    try:
        async with aclosing(session.open_thread(records, backend, record)) as views:
            first = True
            async for turns in views:
                if first:  # the local transcript: already on screen
                    first = False
                    continue
                post(TranscriptRefreshed(record, turns))
                _offer_retry(post, record, turns, retry_key)
    except NotFound:
        _note_identity(post, profile, backend)
        await not_found(services, post, profile, record)
        return
    except ApiError as exc:
        post(Notice(f"Showing the local copy: {exc}", severity="warning"))
        return
    _note_identity(post, profile, backend)
    fresh = await records.call(Store.get, record.id)
    if fresh is not None:
        post(RecordChanged(fresh))


async def not_found(services: Services, post: Post, profile: str, record: ThreadRecord) -> None:
    """Ask the core 404 policy who owns the thread and hand the answer to the screen."""
    if not _retired(services, profile, record):  # a retired thread: nobody is asked
        post(Busy("404: asking the other profiles…"))
    try:
        outcome: Ownership = await resolve_not_found(
            services.records, record, services.config.profiles, services.pool.keyring,
            current_profile=profile,
        )
    finally:
        post(Busy(None))
    post(RecordChanged(outcome.record))
    post(ThreadNotFound(outcome))


# ---------------------------------------------------------------------------- sending


async def send(
    services: Services, post: Post, profile_name: str, record: ThreadRecord | None, text: str,
    retry_key: str, *, again: bool = False,
) -> None:
    """Create the thread if this is a new chat, then stream the reply, posting each step.

    ``again``: ctrl+r asks ``text`` again after its reply failed; on a server that keeps the
    thread the question is not shown, recorded or sent a second time (``session.send_message``).
    """
    records = services.records
    profile = services.config.profile(profile_name)
    try:
        record, backend = await _connect_for(services, post, profile.name, record, text)
    except asyncio.CancelledError:
        # Stopped (esc, quit, a signal) before the question was recorded: it goes back to
        # the composer, and is kept as a draft in case the app is closing.
        post(PromptReturned(text))
        post(Notice("Stopped before anything was sent: your question is back in the composer",
                    timeout=8))
        await records.call(Store.set_meta, DRAFT_KEY, text)
        raise
    if record is None or backend is None:
        return
    once = again and session.keeps_thread_on_server(backend)
    question = None if once else Turn(role=Role.USER, text=text)
    events = session.send_message(records, backend, record, text, again=again)
    await _relay(services, post, profile.name, record, backend, text, retry_key, question,
                 events)


async def regenerate(
    services: Services, post: Post, profile_name: str, record: ThreadRecord, retry_key: str
) -> None:
    """Answer the open thread's last question anew (``session.regenerate``); once the new
    reply is complete the transcript is shown again with the old reply kept as its
    alternative."""
    try:
        backend = await services.pool.for_thread(profile_name, record)
    except KeyResolutionError as exc:
        post(Notice(str(exc), "Regenerate", "error", 10))
        return
    turns = await services.records.call(Store.transcript, record.id)
    try:
        question = session.regenerable_question(record, turns)
    except session.NothingToRegenerate as exc:
        post(Notice(f"Nothing regenerated: {exc}", "Regenerate", "warning", 8))
        return
    events = session.regenerate(services.records, backend, record, turns=turns)
    await _relay(services, post, profile_name, record, backend, question, retry_key, None,
                 events)
    fresh = await services.records.call(Store.get, record.id)
    if fresh is not None:
        post(ThreadShown(fresh, await services.records.call(Store.transcript, record.id),
                         False))


async def _relay(
    services: Services, post: Post, profile_name: str, record: ThreadRecord, backend: Backend,
    text: str, retry_key: str, question: Turn | None,
    events: AsyncGenerator[StreamEvent, None],
) -> None:
    """Show a reply as it streams (``events``: ``session.send_message`` or ``regenerate``),
    then how it ended; a stop, a failure and a 404 each as the screen expects."""
    records = services.records
    reply = Turn(role=Role.ASSISTANT, text="")
    post(ReplyStarted(record.id, question, reply))
    failure: ApiError | None = None
    received: list[str] = []
    try:
        async with aclosing(events) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    received.append(event.text)
                    post(ReplyDelta(record.id, event.text, event.refusal))
                elif isinstance(event, Completed):
                    reply = Turn(
                        role=Role.ASSISTANT, text=event.text, response_id=event.response_id,
                        item_id=event.item_id, usage=event.usage, refusal=event.refusal,
                    )
                elif isinstance(event, Failed):
                    failure = event.error
                    reply = Turn(
                        role=Role.ASSISTANT, text=event.partial_text or "".join(received),
                        interrupted=bool(event.partial_text), error=str(event.error),
                    )
    except asyncio.CancelledError:
        why, reason = session.STOPPED, services.stop.reason
        # Stopped by SIGHUP, SIGTERM or a closed terminal (issue 14): the record says which.
        if reason:
            restated: bool = await records.call(restate_stop, record.id, reason)
            why = f"{session.STOPPED}: {reason}" if restated else why
        stopped = Turn(role=Role.ASSISTANT, text="".join(received), interrupted=True,
                       error=why)
        post(ReplyEnded(record.id, stopped, None, text, f"{retry_key} asks again"))
        await _post_fresh(services, post, record.id)
        raise
    _note_identity(post, profile_name, backend)
    if isinstance(failure, AuthFailed):
        await services.pool.forget(profile_name)  # the next try fetches the key afresh
    if failure is None:
        post(ReplyEnded(record.id, reply))
    elif isinstance(failure, NotFound):
        post(ReplyEnded(record.id, reply, failure))
    else:
        # Offered even when retrying at once will not help (quota, a rejected key): once the
        # user has fixed that outside the app, the question is one key away, not retyped.
        hint = retry_hint(failure, retry_key)
        # An incomplete reply (the output limit, the content filter) is not offered as the
        # same request again: it would stop the same way (issue 16.6).
        retry_prompt = None if isinstance(failure, Incomplete) else text
        post(ReplyEnded(record.id, reply, failure, retry_prompt, hint))
        post(Notice(f"{failure} · {hint}", "Reply failed", "error", 10))
    await _post_fresh(services, post, record.id)
    if isinstance(failure, NotFound):
        fresh = await records.call(Store.get, record.id)
        await not_found(services, post, profile_name, fresh or record)




async def continue_elsewhere(
    services: Services, post: Post, record: ThreadRecord, target: str, *, move: bool = False
) -> None:
    """Continue ``record`` as a new thread under profile ``target`` (``tui.core.continuation``);
    with ``move``, then delete the original with its own profile's key."""
    config = services.config
    try:
        backend = await services.pool.get(target, config.profile(target).api)
        mover = None
        if move:
            owner = record.profile if record.profile in config.profiles else None
            if owner is None and record.api is not Dialect.CHAT:
                post(Notice(f"Not moved: the profile that made it ({record.profile or '?'}) is"
                            " not configured, so it cannot be deleted there; continue it"
                            " instead", "Move", "warning", 10))
                return
            mover = await services.pool.for_thread(owner or target, record)
    except KeyResolutionError as exc:
        post(Notice(str(exc), "Continue", "error", 10))
        return

    with reporting(post, "continue", "copying messages") as progress:
        try:
            done = await continue_thread(services.records, backend, record, move_with=mover,
                                         progress=progress)
        except (NothingToContinue, ContinuationNotRecorded, ApiError) as exc:
            progress.fail(f"Not continued: {exc}")
            return
    words = done.summary()
    if done.original_forgotten:
        words += "; the original was no longer on its server: forgotten here (in the trash)"
    elif done.moved is not None:
        words += f"; {done.moved.summary()}"
    original = None if done.original_forgotten or (done.moved and done.moved.complete) else (
        await services.records.call(Store.get, record.id))
    post(ThreadContinued(record.id, done.new, original, words))


async def edit_and_fork(
    services: Services, post: Post, profile_name: str, record: ThreadRecord, message: int,
    text: str, retry_key: str,
) -> None:
    """A new thread with the messages before question ``message`` (``fork_thread``), shown,
    then ``text`` sent in it. A thread its server cannot extend (retired, gone, a legacy one)
    is forked under the active profile."""
    stuck = record.status is ThreadStatus.GONE or record.api is Dialect.ASSISTANTS
    try:
        backend = await (services.pool.get(profile_name) if stuck
                         else services.pool.for_thread(record.profile or profile_name, record))
    except KeyResolutionError as exc:
        post(Notice(str(exc), "Fork", "error", 10))
        return
    post(Busy("forking…"))
    try:
        new = await fork_thread(services.records, backend, record, message)
    except (NotAQuestion, ContinuationNotRecorded, ApiError) as exc:
        post(Notice(f"Not forked: {exc}", "Fork", "error", 12))
        return
    finally:
        post(Busy(None))
    post(ThreadShown(new, await services.records.call(Store.transcript, new.id), True))
    post(Notice(f"Forked at message {message}: the original thread stays as it was",
                "Fork", timeout=6))
    await send(services, post, new.profile or profile_name, new, text, retry_key)


async def list_models(
    services: Services, post: Post, profile_name: str, record: ThreadRecord
) -> None:
    """The models the thread's profile may use, for the picker; a list that cannot be read
    leaves typing a name."""
    note = ""
    models: list[tuple[str, dt.date | None]] = []
    post(Busy("asking the server for its models…"))
    try:
        backend = await services.pool.for_thread(record.profile or profile_name, record)
        lister = getattr(backend, "list_models", None)
        if callable(lister):
            models = await lister()
    except (KeyResolutionError, ApiError) as exc:
        note = f"The list could not be read ({exc}): type a model's name."
    finally:
        post(Busy(None))
    post(ModelsListed(record.id, models, note))


async def remember(services: Services, **values: object) -> None:
    """Keep app state (last profile, sidebar width) for the next start; never the config.
    A failure only means it is not remembered: said once, never in the way."""
    if not services.remember:
        return
    updates = {_STATE_KEYS[name]: value for name, value in values.items()}
    with contextlib.suppress(OSError):  # a read-only or full disk: the defaults next time
        await asyncio.to_thread(save_state, services.data_dir, updates)


async def forget_draft(services: Services) -> None:
    """The kept draft is back in a composer that is alive: no need to keep it any more."""
    await services.records.call(Store.delete_meta, DRAFT_KEY)


async def _connect_for(
    services: Services, post: Post, profile: str, record: ThreadRecord | None, text: str
) -> tuple[ThreadRecord | None, Backend | None]:
    """The backend (a key command may run) and, for a new chat, the thread created and
    recorded; (None, None) after saying why not, with the question back in the composer."""
    post(Busy("connecting…"))
    try:
        backend = await (services.pool.for_thread(profile, record) if record
                         else services.pool.get(profile))
    except KeyResolutionError as exc:
        post(Notice(str(exc), "No key", "error", 15))
        post(PromptReturned(text))
        return None, None
    finally:
        post(Busy(None))
    if record is not None:
        return record, backend
    post(Busy("starting the chat…"))
    try:
        created = await session.create_and_record(
            services.records, backend, title_from(text), services.config.profile(profile).owner
        )
    except ApiError as exc:
        post(Notice(str(exc), "Could not start the chat", "error", 15))
        post(PromptReturned(text))
        return None, None
    finally:
        post(Busy(None))
    post(ThreadCreated(created))
    return created, backend


async def _post_fresh(services: Services, post: Post, thread_id: str) -> None:
    fresh = await services.records.call(Store.get, thread_id)
    if fresh is not None:
        post(RecordChanged(fresh))


# ---------------------------------------------------------------------------- delete, rename


def deleting_profile(config: Config, active: str, record: ThreadRecord) -> str:
    """Whose key deletes a thread: the profile that made it, when it is configured (another
    profile's key would only get a 404), else the active one."""
    return record.profile if record.profile in config.profiles else active


async def delete(services: Services, post: Post, active: str, record: ThreadRecord) -> None:
    if record.status is ThreadStatus.GONE:
        await forget(services, post, record)
        return
    profile = deleting_profile(services.config, active, record)
    try:
        backend = await services.pool.for_thread(profile, record)
        report = await session.delete_thread(services.records, backend, record)
    except KeyResolutionError as exc:
        post(Notice(str(exc), "No key", "error", 15))
        return
    except ApiError as exc:
        post(Notice(str(exc), "Delete failed", "error", 15))
        return
    if report.not_found:
        await not_found(services, post, profile, record)
        return
    remaining = await services.records.call(Store.get, record.id)
    post(DeleteFinished(record, report, remaining))


async def rename(
    services: Services, post: Post, profile: str, record: ThreadRecord, title: str
) -> None:
    """Rename locally at once (the list is ours), then on the server where that applies."""
    pool = services.pool

    async def backend_for(dialect: Dialect) -> Backend:  # on the host the thread was made on
        where = thread_host(services.config.profile(profile).base_url, record.base_url)
        return await pool.get(profile, dialect, where)

    outcome = await session.rename_thread(
        services.records, record, title, current_profile=profile, backend_for=backend_for,
    )
    post(RecordChanged(outcome.record))
    if outcome.server is session.ServerTitle.FAILED:
        post(Notice(f"Renamed here; the server copy kept its old title: {outcome.reason}",
                    severity="warning"))


async def export(
    services: Services, post: Post, record: ThreadRecord, folder: Path | None = None
) -> None:
    """Write the thread as Markdown (the one exporter the CLI uses too) into ``folder`` (the
    one the user confirmed; default: exports/ in the data directory), off the event loop."""
    with reporting(post, "export", "exporting the thread") as progress:
        turns = await services.records.call(Store.transcript, record.id)
        try:
            path = await asyncio.to_thread(
                export_thread, record, turns, services.data_dir, folder or services.export_dir,
                progress,
            )
        except OSError as exc:
            progress.fail(f"Could not export: {exc}")
            return
    post(Notice(f"Exported to {path}", "Export", timeout=10))


# ---------------------------------------------------------------------------- trash (issue 12)


async def restore_last(services: Services, post: Post) -> None:
    """Put back the thread most recently deleted or forgotten (the palette's "Trash…")."""
    from tui.core.store import StoreError

    entries = await services.records.call(Store.trash_entries)
    if not entries:
        post(Notice("The trash is empty: nothing deleted or forgotten in the last 30 days.",
                    "Trash"))
        return
    entry = entries[0]
    try:
        record = await services.records.call(Store.restore, entry.thread_id)
    except StoreError as exc:
        post(Notice(f"Could not restore: {exc}", "Trash", severity="error"))
        return
    post(RecordChanged(record))
    more = f" {len(entries) - 1} more in the trash: `threadtui trash`." if len(entries) > 1 else ""
    post(Notice(f"Restored {record.display_title} ({entry.reason.words}; marked "
                f"{record.status}).{more}", "Trash", timeout=10))
