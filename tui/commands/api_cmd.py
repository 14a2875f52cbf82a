"""`threadtui whoami`, `doctor` and `delete`: the API layer from the shell.

`whoami` answers "which organization does this key bill?" from the server's own headers;
`doctor` walks the chain config → keys → servers → local record and says where it breaks;
`delete` removes a thread on the server for real (its stored responses too) and says what
could not be removed. `check_imported` is what `threadtui import --check` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tui.commands.context import CliContext
from tui.commands.local_record import run_with_records
from tui.core.api.base import ApiError
from tui.core.api.servers import server_url, thread_host
from tui.core.config import ConfigError
from tui.core.keys import KeyResolutionError
from tui.core.models import Shutdowns, shutdown_warning, shutdown_within
from tui.core.records import Identity, Profile, ThreadRecord, ThreadStatus
from tui.core.secrets import mask_key, scrub
from tui.core.wording import plural

if TYPE_CHECKING:
    from tui.core.ownership import Ownership
    from tui.core.record_access import Records
    from tui.core.store import Store

# The SDK takes half a second to import: every command of this module imports it (and the
# store) when it runs, so that registering the commands keeps `threadtui --version` instant.

OK = "✓"
BAD = "✗"
WARN = "!"  # worth knowing, not a failure (a model shutting down soon)


def register(subparsers: Any) -> None:
    whoami = subparsers.add_parser(
        "whoami", help="show the organization and project each key really bills (asks the server)"
    )
    whoami.add_argument("--all", action="store_true", help="every profile, not just one")
    whoami.set_defaults(func=run_whoami)

    doctor = subparsers.add_parser(
        "doctor", help="check config, keys, servers and the local record, one line each"
    )
    doctor.set_defaults(func=run_doctor, needs_config=False)  # tells a bad config its own way

    delete = subparsers.add_parser(
        "delete", help="delete a thread on the server (and its stored responses), then locally"
    )
    delete.add_argument("thread_id", metavar="ID", help="conv_…, thread_… or chat_… id")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(func=run_delete)


# ---------------------------------------------------------------- whoami


async def _whoami(profile: Profile, ctx: CliContext) -> Identity | str:
    """The identity, or the reason there is none (never raises for a profile's own fault)."""
    from tui.core.api.factory import make_backend

    try:
        backend = make_backend(profile, ctx.keyring)
    except KeyResolutionError as exc:
        return f"no key: {exc}"
    try:
        return await backend.whoami()
    except ApiError as exc:
        return str(exc)
    finally:
        await backend.aclose()


async def _whoami_many(profiles: Sequence[Profile], ctx: CliContext) -> list[Identity | str]:
    return list(await asyncio.gather(*(_whoami(p, ctx) for p in profiles)))


def _key_line(profile: Profile, ctx: CliContext) -> str:
    try:
        return f"{mask_key(ctx.keyring.key_for(profile))} from {profile.key_source}"
    except KeyResolutionError:
        return f"UNAVAILABLE from {profile.key_source}"


def run_whoami(args: argparse.Namespace, ctx: CliContext) -> int:
    config = ctx.config
    profiles = list(config.profiles.values()) if args.all else [ctx.profile]
    answers = asyncio.run(_whoami_many(profiles, ctx))
    failures = 0
    for profile, answer in zip(profiles, answers, strict=True):
        marker = "*" if profile.name == config.default_profile else " "
        print(f"{marker} {profile.name}", file=ctx.out)
        print(f"    key:          {_key_line(profile, ctx)}", file=ctx.out)
        print(f"    server:       {server_url(profile.base_url)}", file=ctx.out)
        if isinstance(answer, str):
            failures += 1
            print(f"    reachable:    NO: {answer}", file=ctx.out)
            continue
        configured = f" (configured {profile.organization})" if profile.organization else ""
        print(f"    organization: {answer.organization or '(not reported)'}{configured}",
              file=ctx.out)
        print(f"    project:      {answer.project or profile.project or '(not reported)'}",
              file=ctx.out)
        extra = [f"request {answer.request_id}"] if answer.request_id else []
        if answer.rate_limit_remaining_requests is not None:
            extra.append(f"{answer.rate_limit_remaining_requests} requests left")
        if answer.rate_limit_remaining_tokens is not None:
            extra.append(f"{answer.rate_limit_remaining_tokens} tokens left")
        if not answer.models_listable:
            extra.append("key may not list models (403 on /models)")
        detail = f" ({'; '.join(extra)})" if extra else ""
        print(f"    reachable:    yes{detail}", file=ctx.out)
    if failures:
        print(f"{failures} profile(s) could not be reached", file=ctx.err)
    return 1 if failures else 0


# ---------------------------------------------------------------- doctor


def run_doctor(args: argparse.Namespace, ctx: CliContext) -> int:
    problems = 0

    def line(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(f"{OK if ok else BAD} {text}", file=ctx.out)

    try:
        config = ctx.config
    except ConfigError as exc:
        line(False, f"config {ctx.config_path}:\n    " + str(exc).replace("\n", "\n    "))
        print("1 problem: fix the config first (`threadtui config check`)", file=ctx.out)
        return 2  # as every command does on a config it cannot use
    origin = "" if config.exists else " (absent: using OPENAI_* env)"
    line(True, f"config {config.path}{origin}: {len(config.profiles)} profile(s),"
               f" default {config.default_profile!r}")
    from tui.commands.config_cmd import app_problems

    mistakes = app_problems(config)
    for mistake in mistakes:
        line(False, str(mistake))
    if not mistakes:
        line(True, "keymap and themes: every id and theme is known, every theme file loads")

    usable: list[Profile] = []
    for profile in config.profiles.values():
        try:
            key = ctx.keyring.key_for(profile)
        except KeyResolutionError as exc:
            line(False, f"key for {profile.name}: {exc}")
            continue
        line(True, f"key for {profile.name}: {mask_key(key)} from {profile.key_source}")
        usable.append(profile)

    today = dt.date.today()
    shutdowns: dict[str, Shutdowns] = {}  # by profile: what its server's /models said

    def model_line(model: str | None, where: str, profile: str) -> None:
        """A warning for a model its server shuts down within WARN_DAYS; one already shut
        down is a problem."""
        known = shutdowns.get(profile, {})
        warning = shutdown_warning(model, known, today)
        if warning is None:
            return
        when = shutdown_within(model, known, today)
        if when is not None and when < today:
            line(False, f"{where}: {warning}")
        else:
            print(f"{WARN} {where}: {warning}", file=ctx.out)

    for profile, answer in zip(usable, asyncio.run(_whoami_many(usable, ctx)), strict=True):
        server = server_url(profile.base_url)
        if isinstance(answer, str):
            line(False, f"{profile.name} reachable at {server}: {answer}")
        else:
            who = " / ".join(p for p in (answer.organization, answer.project) if p)
            line(True, f"{profile.name} reachable at {server}" + (f": {who}" if who else ""))
            shutdowns[profile.name] = dict(answer.model_shutdowns)
            model_line(profile.model, f"model of profile {profile.name}", profile.name)

    try:
        from tui.core.store import Store

        with Store.open(ctx.data_dir) as store:
            count = len(store)
            damage = store.take_problems()
            threads = store.list_threads() if shutdowns else []
        line(True, f"store {ctx.data_dir}: readable, {count} thread(s)")
        for problem in damage:
            line(False, f"store: {problem}")
        for (profile_name, model), ids in _models_of(threads).items():
            if model != _profile_model(config.profiles.get(profile_name)):
                model_line(model, f"{plural(len(ids), 'thread')} of profile {profile_name}",
                           profile_name)
    except Exception as exc:  # any failure to read the record is the finding itself
        line(False, f"store {ctx.data_dir}: {type(exc).__name__}: {exc}")

    if problems:
        print(f"{problems} problem(s) found", file=ctx.out)
        return 1
    print("all checks passed", file=ctx.out)
    return 0


def on_thread_host(profile: Profile, record: ThreadRecord) -> Profile:
    """``profile`` pointed at the host ``record`` was made on when that is another of
    OpenAI's hosts (data residency: ``servers.thread_host``); else ``profile`` itself."""
    host = thread_host(profile.base_url, record.base_url)
    return profile if host is None else replace(profile, base_url=host)


def _models_of(threads: Iterable[ThreadRecord]) -> dict[tuple[str, str], list[str]]:
    """Thread ids by (profile, model) for the threads that name their model."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for record in threads:
        if record.model and record.profile:
            grouped.setdefault((record.profile, record.model), []).append(record.id)
    return grouped


def _profile_model(profile: Profile | None) -> str | None:
    """The profile's model (already reported on its own line), or None."""
    return profile.model if profile is not None else None


# ---------------------------------------------------------------- delete


def _confirm(question: str, ctx: CliContext) -> bool:
    print(f"{question} [y/N] ", end="", file=ctx.out, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in {"y", "yes"}


def _profile_for(record: ThreadRecord, ctx: CliContext) -> Profile:
    """--profile when given; else the profile the record names, if it still exists."""
    explicit = getattr(ctx.args, "profile", None)
    if not explicit and record.profile and record.profile in ctx.config.profiles:
        return ctx.config.profiles[record.profile]
    return ctx.profile


def run_delete(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.core.store import Store, dialect_for_id

    with Store.open(ctx.data_dir) as store:
        stored = store.get(args.thread_id)
        record = stored or ThreadRecord(
            id=args.thread_id, api=dialect_for_id(args.thread_id), status=ThreadStatus.UNKNOWN
        )
        profile = _profile_for(record, ctx)
        label = record.id + (f' "{record.title}"' if record.title else "")
        if not args.yes and not _confirm(
            f"Delete {label} on the server under profile {profile.name}, with its stored"
            " responses, and forget it locally?",
            ctx,
        ):
            print("not deleted", file=ctx.out)
            return 1
        return run_with_records(
            store,
            lambda records: _delete(records, store, record, profile, ctx, stored is not None),
        )


async def _delete(
    records: Records, store: Store, record: ThreadRecord, profile: Profile, ctx: CliContext,
    recorded: bool = True,
) -> int:
    from tui.core.api.factory import make_backend
    from tui.core.session import delete_thread

    backend = make_backend(on_thread_host(profile, record), ctx.keyring, records,
                           dialect=record.api)
    try:
        report = await delete_thread(records, backend, record)
    except ApiError as exc:
        print(f"threadtui: nothing deleted: {exc}", file=ctx.err)
        return 1
    finally:
        await backend.aclose()
    print(report.summary(), file=ctx.out)
    if report.not_found:
        print("asking the other profiles who owns it…", file=ctx.out)
        answer = await _ownership(ctx, records, record, profile.name, current_answered=True)
        message = answer.message
        if not recorded and answer.verdict == "gone":
            # The probe's sentence speaks of a kept transcript: an id typed in has none.
            message = (
                f"{record.id} was found under no profile: it expired, was deleted, never existed"
                " or belongs to a key not configured here; nothing is recorded locally for it"
            )
        print(_clean(message, ctx), file=ctx.out)
        if answer.owner:
            print(f"to delete it there: threadtui delete {record.id} --profile {answer.owner}",
                  file=ctx.out)
        return 1
    if report.complete:
        if recorded:
            print(
                "removed from the local record (kept in the trash for 30 days: "
                f"`threadtui trash restore {record.id}`)",
                file=ctx.out,
            )
        else:
            print("it was not in the local record", file=ctx.out)
        return 0
    print("kept in the local record so the rest can be deleted later", file=ctx.out)
    return 1


async def _ownership(
    ctx: CliContext, records: Records, record: ThreadRecord, current: str, *,
    current_answered: bool,
) -> Ownership:
    from tui.core.ownership import resolve_not_found

    return await resolve_not_found(
        records, record, ctx.config.profiles, ctx.keyring,
        current_profile=current, current_answered=current_answered,
    )


def _clean(text: str, ctx: CliContext) -> str:
    return scrub(text, ctx.keyring.known_keys())


# ---------------------------------------------------------------- import --check


def check_imported(ctx: CliContext, ids: Iterable[str]) -> int:
    """For each imported id: find the profile that can see it, record it, fetch its transcript.

    Prints one line per id; returns 0 when every id got a verdict (owner or gone), 1 when some
    could not be checked (network errors, timeouts).
    """
    from tui.core.store import Store

    with Store.open(ctx.data_dir) as store:
        return run_with_records(store, lambda records: _check_all(ctx, records, list(ids)))


async def _check_all(ctx: CliContext, records: Records, ids: list[str]) -> int:
    from tui.core.ownership import Verdict
    from tui.core.store import Store, dialect_for_id

    undecided = 0
    for thread_id in ids:
        record = await records.call(Store.get, thread_id) or ThreadRecord(
            id=thread_id, api=dialect_for_id(thread_id), status=ThreadStatus.UNKNOWN
        )
        answer = await _ownership(ctx, records, record, ctx.profile_name, current_answered=False)
        if answer.owner is None:
            undecided += 1 if answer.verdict is Verdict.UNKNOWN else 0
            print(_clean(answer.message, ctx), file=ctx.out)
            continue
        turns = await _fill_transcript(ctx, records, record, answer.owner)
        print(_clean(f"{answer.message}; {turns}", ctx), file=ctx.out)
    return 1 if undecided else 0


async def _fill_transcript(
    ctx: CliContext, records: Records, record: ThreadRecord, owner: str
) -> str:
    from tui.core.api.factory import make_backend
    from tui.core.store import Store

    # No store for the backend: fetching a transcript reads none (a chat thread has no owner
    # to ask, and the record is written below, through ``records``).
    backend = make_backend(on_thread_host(ctx.config.profiles[owner], record), ctx.keyring,
                           None, dialect=record.api)
    try:
        facts = await _server_facts(backend, record)
        server = await backend.fetch_transcript(record)
    except ApiError as exc:
        return f"transcript not fetched: {exc}"
    finally:
        await backend.aclose()
    filled = await records.call(_fill_blanks, record.id, *facts)
    merged = await records.call(Store.merge_transcript, record.id, server)
    return f"{len(merged)} turn(s) recorded" + (f"; {filled} from the server" if filled else "")


async def _server_facts(backend: Any, record: ThreadRecord) -> tuple[str | None, float | None]:
    """(title, created_at) as the server has them: a conversation or legacy thread carries
    ``created_at`` and the ``metadata`` threadtui tagged it with. (None, None) when the
    dialect has no server object (chat) or the server did not say."""
    from tui.core.records import Dialect

    client = getattr(backend, "client", None)
    if client is None or record.api == Dialect.CHAT:
        return None, None
    with backend.translate():
        if record.api == Dialect.ASSISTANTS:
            found = await client.beta.threads.retrieve(record.id)
        else:
            found = await client.conversations.retrieve(record.id)
    metadata = getattr(found, "metadata", None) or {}
    title = metadata.get("title") if isinstance(metadata, dict) else None
    created = getattr(found, "created_at", None)
    return (
        title if isinstance(title, str) and title.strip() else None,
        float(created) if isinstance(created, int | float) and created > 0 else None,
    )


def _fill_blanks(store: Store, thread_id: str, title: str | None, created: float | None) -> str:
    """Fill an empty title, and a created_at later than the server's, from the server; what
    was filled, in words ('' when nothing). A title the user gave is never replaced."""
    record = store.get(thread_id)
    if record is None:
        return ""
    changes: dict[str, Any] = {}
    if title and not record.title.strip():
        changes["title"] = title
    if created is not None and created < record.created_at:
        changes["created_at"] = created  # an import dates a thread when it was imported
    if changes:
        store.update_thread(thread_id, **changes)
    return " and ".join(
        name for name in ("title", "created_at") if name in changes
    )
