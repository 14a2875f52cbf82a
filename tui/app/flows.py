"""The app's verbs as coroutines run in workers: open, send, the 404 flow, delete, rename.

They hold the UI side of ``tui.core.session`` (which does the storing in the right order) and
of ``tui.core.ownership`` (which asks the other profiles). Kept out of ``app.py`` so the app
class stays a wiring diagram; each function takes the app and touches it on the event loop.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import TYPE_CHECKING

from textual.content import Content

from tui.app.export import export_thread
from tui.app.focus import focus_now
from tui.app.formatting import one_line
from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.foreign import ForeignThreadScreen
from tui.app.widgets.message import MessageView
from tui.core import session
from tui.core.api.base import ApiError, AuthFailed, Completed, Failed, NotFound, TextDelta
from tui.core.keys import KeyResolutionError
from tui.core.records import RESPONSE_IDS, Identity, Role, ThreadRecord, ThreadStatus, Turn

if TYPE_CHECKING:
    from tui.app.app import ThreadApp

TITLE_LENGTH = 60


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


# ---------------------------------------------------------------------------- opening


async def open_thread(app: ThreadApp, record: ThreadRecord, focus_composer: bool) -> None:
    """Show the local transcript at once, then refresh it from the server in the background."""
    app.retry = None
    turns = await session.local_transcript(app.records, record)
    app.report_store_problems()  # a transcript moved aside just now is named at once
    await app.chat.show(record, turns)
    offer_retry(app, record, turns)
    app.refresh_thread_views(record)
    if focus_composer and not app.composer.read_only:
        focus_now(app.composer)
    if record.status is not ThreadStatus.GONE:
        app.run_worker(refresh(app, record), group="refresh", exclusive=True)


async def refresh(app: ThreadApp, record: ThreadRecord) -> None:
    profile = app.profile_name
    try:
        backend = await app.pool.get(profile, record.api)
    except KeyResolutionError as exc:
        app.notify(f"Showing the local copy: {exc}", severity="warning", timeout=8)
        return
    try:
        views = session.open_thread(app.records, backend, record)
        try:
            first = True
            async for turns in views:
                if first:  # the local transcript: already on screen
                    first = False
                    continue
                shown = app.chat.record is not None and app.chat.record.id == record.id
                if shown and await app.chat.merge(turns) and not app.replying:
                    offer_retry(app, record, turns)
        finally:
            aclose = getattr(views, "aclose", None)
            if aclose is not None:
                await aclose()
    except NotFound:
        app.note_identity(profile, backend.last_identity)
        await not_found(app, record)
        return
    except ApiError as exc:
        app.notify(f"Showing the local copy: {exc}", severity="warning", timeout=8)
        return
    if not app.is_running:  # the app quit while the server's copy was being shown
        return
    app.note_identity(profile, backend.last_identity)
    fresh = app.store.get(record.id)
    if fresh is not None:
        app.refresh_thread_views(fresh)


# ---------------------------------------------------------------------------- the 404 flow


async def not_found(app: ThreadApp, record: ThreadRecord) -> None:
    """Show the 404 policy's answer (``tui.core.ownership.resolve_not_found``): offer a switch
    to the owner, or to forget a thread that is gone; an unknown answer is only told."""
    from tui.core.ownership import Verdict, resolve_not_found

    current = app.profile_name
    probing = not (record.profile and record.profile != current
                   and record.profile in app.config.profiles)
    if probing:
        app.set_busy("404: asking the other profiles…")
    try:
        answer = await resolve_not_found(
            app.records, record, app.config.profiles, app.keyring, current_profile=current
        )
    finally:
        if probing:
            app.set_busy(None)
    fresh = app.store.get(record.id) or answer.record
    app.refresh_thread_views(fresh)
    if answer.verdict is Verdict.UNKNOWN:
        app.notify(answer.message, title="Owner unknown", severity="warning", timeout=15)
        return
    owner = app.config.profiles.get(answer.owner) if answer.owner else None
    screen = ForeignThreadScreen(
        fresh, current, owner, organization=answer.organization, project=answer.project
    )
    answer_ = await app.push_screen_wait(screen)
    if answer_ == "switch" and owner is not None:
        app.activate_profile(owner.name)
        app.open_thread(fresh.id)
    elif answer_ == "forget":
        app.forget_locally(fresh)


# ---------------------------------------------------------------------------- sending


async def send(app: ThreadApp, text: str) -> None:
    """Create the thread if this is a new chat, then stream the reply into the pane."""
    record = app.chat.record
    profile = app.profile
    try:
        backend = await app.pool.get(profile.name, record.api if record else None)
    except KeyResolutionError as exc:
        app.notify(str(exc), title="No key", severity="error", timeout=15)
        _give_back(app, text)
        return
    if record is None:
        try:
            record = await session.create_and_record(
                app.records, backend, title_from(text), profile.owner
            )
        except ApiError as exc:
            app.notify(str(exc), title="Could not start the chat", severity="error", timeout=15)
            _give_back(app, text)
            return
        app.chat.record = record
        app.refresh_thread_views(record)
    app.retry = None
    await app.chat.add_turn(Turn(role=Role.USER, text=text))
    view = await app.chat.add_turn(Turn(role=Role.ASSISTANT, text=""), streaming=True)
    view.start_stream()
    app.refresh_bindings()  # the footer offers esc while the reply streams
    failure: ApiError | None = None
    try:
        async with aclosing(session.send_message(app.records, backend, record, text)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    if view.is_attached:
                        await view.write(event.text)
                    else:
                        view.turn.text += event.text
                elif isinstance(event, Completed):
                    view.turn.usage = event.usage
                    view.turn.response_id = event.response_id
                    await _end(view, event.text)
                elif isinstance(event, Failed):
                    failure = event.error
                    view.turn.interrupted = bool(event.partial_text)
                    view.turn.error = str(event.error)
                    if not isinstance(event.error, NotFound):
                        view.hint = retry_hint(app, event.error)
                    await _end(view, event.partial_text or view.turn.text)
    except asyncio.CancelledError:
        view.turn.interrupted = True
        view.turn.error = session.STOPPED
        view.hint = f"{retry_key(app)} asks again"
        await _end(view, None)
        app.retry = (record.id, text)
        _after_reply(app, record, view)
        raise
    app.note_identity(profile.name, backend.last_identity)
    if isinstance(failure, AuthFailed):
        await app.pool.forget(profile.name)  # the next try fetches the key afresh
    _after_reply(app, record, view)
    if isinstance(failure, NotFound):
        await not_found(app, app.store.get(record.id) or record)
    elif failure is not None:
        # Offered even when retrying at once will not help (quota, a rejected key): once the
        # user has fixed that outside the app, the question is one key away, not retyped.
        app.retry = (record.id, text)
        app.notify(
            f"{failure} · {retry_hint(app, failure)}",
            title="Reply failed",
            severity="error",
            timeout=10,
        )


async def _end(view: MessageView, final_text: str | None) -> None:
    if view.is_attached:
        await view.end_stream(final_text)
    else:  # the user opened another thread meanwhile: the store has the reply, the pane not
        await view.abandon_stream()
        if final_text is not None:
            view.turn.text = final_text


def _after_reply(app: ThreadApp, record: ThreadRecord, view: MessageView) -> None:
    fresh = app.store.get(record.id)
    if fresh is not None:
        app.refresh_thread_views(fresh)
        shown = app.chat.record
        if not view.is_attached and shown is not None and shown.id == record.id:
            # The thread was left and opened again while the reply streamed: show it whole.
            app.run_worker(app.chat.show(fresh, app.store.transcript(record.id)),
                           group="view", exclusive=True)
    app.refresh_bindings()


def _give_back(app: ThreadApp, text: str) -> None:
    """Nothing typed is lost: a prompt that could not be sent goes back into the composer."""
    if not app.composer.text:
        app.composer.load_text(text)


def offer_retry(app: ThreadApp, record: ThreadRecord, turns: list[Turn]) -> None:
    """A thread opened on a failed, stopped or lost reply offers to ask again, as it did in
    the session where it happened: after a kill or a restart the question is one key away."""
    prompt = session.unanswered_prompt(turns)
    app.retry = None if prompt is None else (record.id, prompt)
    view = app.chat.last_view()
    if prompt is not None and view is not None and view.turn.role is Role.ASSISTANT:
        view.hint = f"{retry_key(app)} asks again"
        view.refresh_chrome()
    app.refresh_bindings()


def retry_hint(app: ThreadApp, error: ApiError) -> str:
    if error.retryable:
        return f"{retry_key(app)} retries"
    return f"{retry_key(app)} asks again once that is fixed"


def retry_key(app: ThreadApp) -> str:
    """The retry key as the user's keymap has it (the hint must name the key that works)."""
    return app.keymap.get("chat.retry", "ctrl+r").split(",")[0].strip()


def retry_text(app: ThreadApp) -> str | None:
    """The prompt to send again when the open thread's last reply failed or was stopped."""
    retry = app.retry
    record = app.chat.record
    if retry is None or record is None or retry[0] != record.id:
        return None
    return retry[1]


# ---------------------------------------------------------------------------- delete, rename


def delete_question(record: ThreadRecord, profile: str) -> ConfirmScreen:
    title = one_line(record.display_title, 60)
    if record.status is ThreadStatus.GONE:
        body = Content.assemble(
            (title, "bold"), f"\n{one_line(record.id, 60)}\n\n",
            "The server no longer has this thread. Forget it locally (its transcript too)?",
        )
        return ConfirmScreen("Forget thread", body, yes="Forget", no="Keep")
    responses = len(record.server_meta.get(RESPONSE_IDS, []) or [])
    what = "the conversation" if str(record.api) == "conversations" else "the thread"
    if responses:
        what += f" and {responses} stored response(s)"
    body = Content.assemble(
        (title, "bold"), f"\n{one_line(record.id, 60)}\n\n",
        f"Deletes {what} on the server with profile ", (profile, "bold"),
        ", then the local record. This cannot be undone.",
    )
    return ConfirmScreen("Delete thread", body, yes="Delete", no="Cancel")


async def delete(app: ThreadApp, record: ThreadRecord) -> None:
    if record.status is ThreadStatus.GONE:
        app.forget_locally(record)
        return
    try:
        backend = await app.pool.get(app.profile_name, record.api)
        report = await session.delete_thread(app.records, backend, record)
    except KeyResolutionError as exc:
        app.notify(str(exc), title="No key", severity="error", timeout=15)
        return
    except ApiError as exc:
        app.notify(str(exc), title="Delete failed", severity="error", timeout=15)
        return
    if report.not_found:
        await not_found(app, record)
        return
    if report.complete:
        app.notify(report.summary(), title="Deleted", timeout=8)
    else:
        app.notify(report.summary(), title="Delete incomplete", severity="warning", timeout=20)
    fresh = app.store.get(record.id)
    if fresh is None:
        app.sidebar.remove_thread(record.id)
        if app.chat.record is not None and app.chat.record.id == record.id:
            app.open_new(focus_composer=False)
    else:
        app.refresh_thread_views(fresh)


async def rename(app: ThreadApp, record: ThreadRecord, title: str) -> None:
    """Rename (``session.rename_thread`` decides where) and say when the server kept its title."""
    renamed = await session.rename_thread(
        app.records, record, title, current_profile=app.profile_name,
        backend_for=lambda dialect: app.pool.get(app.profile_name, dialect),
    )
    app.refresh_thread_views(renamed.record)
    if renamed.server is session.ServerTitle.FAILED:
        app.notify(f"Renamed here; the server copy kept its old title: {renamed.reason}",
                   severity="warning", timeout=8)


def export(app: ThreadApp, record: ThreadRecord) -> None:
    try:
        path = export_thread(record, app.store.transcript(record.id), app.data_dir,
                             app.export_dir)
    except OSError as exc:
        app.notify(f"Could not export: {exc}", severity="error")
        return
    app.notify(f"Exported to {path}", title="Export", timeout=10)
