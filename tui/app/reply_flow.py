"""The main screen's part for a reply: sending a question, the reply streaming in, its end
(finished, failed, stopped), a worker that broke half-way, and asking again.

Kept out of ``main_screen.py`` (a mixin of ``MainScreen``, as ``LongWork`` and
``ThreadActions`` are) so that screen stays about showing threads. The reply worker
(``work.send``, ``work.regenerate``) posts typed messages; these handlers are the only code
that puts a reply on screen, and each is ``@guarded``. They are found by Textual's naming
convention (``on_reply_delta`` for ``ReplyDelta``), which, unlike ``@on``, works from a mixin.

Nothing typed is lost on any path: a question that could not be sent goes back to the
composer, and a reply that failed keeps its text on screen and ctrl+r asks again.
"""

from __future__ import annotations

import contextlib
from typing import Protocol, cast

from textual.worker import Worker, WorkerState

from tui.app import messages as msg
from tui.app import work
from tui.app.errors import guarded
from tui.app.screen_part import ScreenBasics, ScreenPart
from tui.app.widgets.composer import Composer
from tui.app.widgets.message import MessageView
from tui.core.api.base import NotFound
from tui.core.ownership import ASSISTANTS_SHUTDOWN, is_retired
from tui.core.records import ThreadRecord, ThreadStatus

KEPT_IN_MEMORY = "kept in memory, stored when the record can take it"
"""Said under a reply the record refused: threadtui keeps writing it on every poll."""


class Host(ScreenBasics, Protocol):
    """What this part uses of ``MainScreen`` besides ``ScreenBasics``."""

    open_record: ThreadRecord | None

    @property
    def composer(self) -> Composer: ...

    def refresh_costs(self) -> None: ...


class ReplyFlow(ScreenPart):
    """Send, stream, end, stop, ask again."""

    _stream: tuple[str, MessageView] | None = None
    """The reply streaming now: its thread's id and its view (shown, or left meanwhile)."""

    @property
    def _reply_host(self) -> Host:
        return cast(Host, self)

    def streaming_here(self) -> bool:
        """A reply streams into the open thread (a refresh of it would drop the reply)."""
        shown = self._reply_host.chat.record
        return self._stream is not None and shown is not None and self._stream[0] == shown.id

    def retry_text(self) -> str | None:
        """The prompt to send again when the open thread's last reply failed or was stopped."""
        target = self._reply_host.retry_target
        record = self._reply_host.chat.record
        if target is None or record is None or target[0] != record.id:
            return None
        return target[1]

    # ------------------------------------------------------------ sending

    @guarded
    def on_composer_submitted(self, event: Composer.Submitted) -> None:
        event.stop()
        screen = self._reply_host
        kept = event.composer.prompts[-1] if event.composer.prompts else event.text
        record = screen.chat.record
        if record is not None and record.status is ThreadStatus.GONE:
            self._textual.notify(
                f"This thread is {why_closed(record)}, so it cannot take a message."
                " Your text is kept: ctrl+n starts a new chat with it.",
                severity="warning", timeout=10)
            screen.composer.load_text(kept)
            return
        if screen.services.read_only is not None:
            # Nothing sent: the reply could not be kept, and the record is the only copy.
            screen.refuse_write("Sending (your text is kept in the composer)")
            screen.composer.load_text(kept)
            return
        if screen.replying:
            self._textual.notify("A reply is still streaming: esc stops it", severity="warning")
            screen.composer.load_text(event.composer.prompts[-1] if event.composer.prompts
                                      else "")
            return
        self._send(event.text)

    def _send(self, text: str, *, again: bool = False) -> None:
        screen = self._reply_host
        screen.replying = True
        screen.retry_target = None
        post = self._textual.post_message
        screen.run(
            work.send(screen.services, post, screen.profile_name, screen.chat.record, text,
                      screen.retry_key, again=again),
            group="reply", exclusive=True,
            on_error=lambda incident: post(msg.ReplyAborted(text, incident)),
        )

    @guarded
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "reply" and event.state in (
            WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED
        ):
            self._reply_host.replying = any(
                w.group == "reply" and w.is_running for w in self._textual.workers
            )

    @guarded
    def on_thread_created(self, message: msg.ThreadCreated) -> None:
        chat = self._reply_host.chat
        if chat.record is None:
            chat.record = message.record
            chat.update_record(message.record)
            self._reply_host.open_record = message.record
        self._reply_host.sidebar.upsert(message.record)

    # ------------------------------------------------------------ the reply streaming

    @guarded
    async def on_reply_started(self, message: msg.ReplyStarted) -> None:
        chat = self._reply_host.chat
        shown = chat.record
        if shown is None or shown.id != message.thread_id:
            return
        if message.question is not None:
            await chat.add_turn(message.question)
        view = await chat.add_turn(message.reply, streaming=True)
        view.start_stream()
        self._stream = (message.thread_id, view)

    @guarded
    async def on_reply_delta(self, message: msg.ReplyDelta) -> None:
        if self._stream is None or self._stream[0] != message.thread_id:
            return
        view = self._stream[1]
        if message.refusal and not view.turn.refusal:
            view.turn.refusal = True  # labelled as it streams, not only once it is stored
            view.refresh_chrome()
        if view.is_attached:
            await view.write(message.text)
        else:
            view.turn.text += message.text

    @guarded
    async def on_reply_ended(self, message: msg.ReplyEnded) -> None:
        screen = self._reply_host
        stream, self._stream = self._stream, None
        screen.refresh_costs()  # the reply is in the record already
        reply = message.reply
        if message.retry_prompt is not None:
            screen.retry_target = (message.thread_id, message.retry_prompt)
        if stream is None or stream[0] != message.thread_id:
            return
        view = stream[1]
        turn = view.turn
        turn.usage, turn.response_id, turn.item_id = reply.usage, reply.response_id, reply.item_id
        turn.interrupted, turn.error = reply.interrupted, reply.error
        turn.refusal = reply.refusal or (turn.refusal and reply.interrupted)
        if message.hint and not isinstance(message.error, NotFound):
            view.hint = message.hint
        final = reply.text if reply.text or not reply.interrupted else None
        if view.is_attached:
            await view.end_stream(final)
            return
        await view.abandon_stream()  # the user opened another thread meanwhile
        shown = screen.chat.record
        if shown is not None and shown.id == message.thread_id:
            # The thread was left and opened again while the reply streamed: show it whole.
            screen.open_thread(shown.id, focus_composer=False)

    @guarded
    async def on_reply_aborted(self, message: msg.ReplyAborted) -> None:
        """The reply worker failed on something unforeseen: end the reply on screen as a
        failed one that ctrl+r asks again; if nothing was sent, the question goes back to
        the composer. Either way nothing typed is lost."""
        screen = self._reply_host
        stream, self._stream = self._stream, None
        if stream is None:
            self._textual.post_message(msg.PromptReturned(message.text))
            return
        thread_id, view = stream
        view.turn.interrupted = True
        view.turn.error = message.reason
        if not message.reason.startswith(KEPT_IN_MEMORY):  # else: stored on the next poll
            view.hint = f"{screen.retry_key} asks again"
            screen.retry_target = (thread_id, message.text)
        # Ended in a worker of its own: the stream may still be mounting its first block, and
        # waiting for that here would hold up every other message of the screen.
        ending = view.end_stream(None) if view.is_attached else view.abandon_stream()
        screen.run(ending, group="end-stream")

    @guarded
    def on_internal_error(self, message: msg.InternalError) -> None:
        """A failure to show an incident (the transcript torn down as the app exits) is
        swallowed here, never reported as one more incident: that one would be shown, fail
        and be reported again without end. The notification and the log have it already."""
        with contextlib.suppress(Exception):
            self._reply_host.chat.show_notice(message.incident.sentence())

    @guarded
    def on_prompt_returned(self, message: msg.PromptReturned) -> None:
        """Nothing typed is lost: a prompt that could not be sent goes back to the composer
        (before anything typed since), and no longer needs keeping as a draft."""
        screen = self._reply_host
        composer = screen.composer
        if message.text not in composer.text:
            composer.insert(message.text + ("\n" if composer.text else ""), location=(0, 0))
        screen.run(work.forget_draft(screen.services), group="draft")

    # ------------------------------------------------------------ stop, ask again

    @guarded
    def action_cancel_reply(self) -> None:
        self._textual.workers.cancel_group(self._textual, "reply")

    @guarded
    def action_retry(self) -> None:
        text = self.retry_text()
        if text is not None and not self._reply_host.refuse_write("Asking again"):
            self._send(text, again=True)

    @guarded
    def action_regenerate(self) -> None:
        screen = self._reply_host
        record = screen.chat.record
        if record is None:
            self._textual.notify("Open a thread to regenerate its last reply",
                                 severity="warning")
            return
        if screen.refuse_write("Regenerating"):
            return
        screen.replying = True
        screen.retry_target = None
        screen.run(work.regenerate(screen.services, self._textual.post_message,
                                   screen.profile_name, record, screen.retry_key),
                   group="reply", exclusive=True)


def why_closed(record: ThreadRecord) -> str:
    """Why a thread takes no message, in the words its row uses (retired, or gone)."""
    if is_retired(record):
        return "retired (the Assistants API was shut down on " + ASSISTANTS_SHUTDOWN + ")"
    return "gone from the server"
