"""The legacy Assistants API: ``/v1/assistants``, ``/v1/threads``, messages and runs.

OpenAI shut it down on 2026-08-26, but OpenAI-compatible servers may still serve it and
threadtui keeps its old threads, so the sandbox serves it unless ``features.assistants`` is
off (then every path answers 404, like the retired API). Threads idle for 60 days expire.

A run is a server-side job: when its stream drops, the run goes on unseen at the model's pace
and holds the thread (no new message or run) until it completes or is cancelled; a client that
re-reads the messages afterwards finds the whole reply. Esc in a client therefore means
``POST …/runs/{run_id}/cancel``, as with the real API.
"""

from __future__ import annotations

import copy
from typing import Any

from . import validate
from .context import Call, JsonReply, Reply, Services, StreamReply
from .errors import bad_request, invalid_type, missing_param, not_found
from .model import count_tokens, reply_text, split_tokens
from .router import Router
from .routes_models import check_model
from .state import Owned, Thread
from .streaming import SSE, EndStream, EventSink, run_silently, run_stream, sse
from .tenancy import Owner, Scope

RUN_EXPIRY_S = 600


def text_content(text: str) -> dict[str, Any]:
    """A ``text`` content block of a thread message."""
    return {"type": "text", "text": {"value": text, "annotations": []}}


def message_text(message: dict[str, Any]) -> str:
    """The plain text of a thread message."""
    return "".join(
        block["text"]["value"] for block in message.get("content", []) if block["type"] == "text"
    )


def new_message(
    services: Services,
    thread_id: str,
    role: str,
    text: str,
    *,
    status: str = "completed",
    run_id: str | None = None,
    assistant_id: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A ``thread.message`` object."""
    now = services.clock.now_int()
    return {
        "id": services.ids.new("tmsg"),
        "object": "thread.message",
        "created_at": now,
        "thread_id": thread_id,
        "status": status,
        "incomplete_details": None,
        "completed_at": now if status == "completed" else None,
        "incomplete_at": None,
        "role": role,
        "content": [text_content(text)] if text or status == "completed" else [],
        "assistant_id": assistant_id,
        "run_id": run_id,
        "attachments": [],
        "metadata": metadata or {},
    }


def _content_text(raw: Any, param: str) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        texts = []
        for index, part in enumerate(raw):
            if not isinstance(part, dict) or part.get("type") != "text":
                raise bad_request("The sandbox supports text content only.",
                                  param=f"{param}[{index}]", code="invalid_value")
            texts.append(str(part.get("text", "")))
        return "".join(texts)
    raise invalid_type(param, "a string or an array of content parts")


def _parse_message(services: Services, thread_id: str, raw: Any, param: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid_type(param, "an object")
    role = raw.get("role")
    if role not in ("user", "assistant"):
        raise bad_request(f"Invalid value: '{role}'. Supported values are: 'user' and "
                          "'assistant'.", param=f"{param}.role", code="invalid_value")
    if "content" not in raw:
        raise missing_param(f"{param}.content")
    text = _content_text(raw["content"], f"{param}.content")
    meta = validate.metadata(raw.get("metadata"), f"{param}.metadata")
    return new_message(services, thread_id, role, text, metadata=meta)


# -- assistants ----------------------------------------------------------------------------
def create_assistant(
    services: Services, owner: Owner, model: str, *, name: str | None = None,
    instructions: str | None = None, metadata: dict[str, str] | None = None,
) -> Owned:
    """Store an assistant (shared by the route and the seeding helpers)."""
    check_model(services, model)
    ident = services.ids.new("asst")
    body: dict[str, Any] = {
        "id": ident,
        "object": "assistant",
        "created_at": services.clock.now_int(),
        "name": name,
        "description": None,
        "model": model,
        "instructions": instructions,
        "tools": [],
        "tool_resources": {},
        "metadata": metadata or {},
        "temperature": 1.0,
        "top_p": 1.0,
        "response_format": "auto",
    }
    assistant = Owned(ident, owner, body)
    with services.store.lock:
        services.store.assistants[assistant.id] = assistant
    return assistant


def create_assistant_route(call: Call) -> JsonReply:
    """``POST /v1/assistants``."""
    body = call.body
    assistant = create_assistant(
        call.services, call.tenant.owner, validate.required_str(body, "model"),
        name=validate.optional_str(body, "name"),
        instructions=validate.optional_str(body, "instructions"),
        metadata=validate.metadata(body.get("metadata")),
    )
    return JsonReply(copy.deepcopy(assistant.body))


def retrieve_assistant_route(call: Call) -> JsonReply:
    """``GET /v1/assistants/{id}``."""
    assistant = call.services.store.assistant(call.params["assistant_id"], call.tenant.owner)
    return JsonReply(copy.deepcopy(assistant.body))


# -- threads -------------------------------------------------------------------------------
def create_thread(
    services: Services, owner: Owner, raw_messages: Any, metadata: Any
) -> Thread:
    """Store a thread with its first messages (shared by the route and the seeding helpers)."""
    meta = validate.metadata(metadata)
    if raw_messages is not None and not isinstance(raw_messages, list):
        raise invalid_type("messages", "an array")
    with services.store.lock:
        thread = Thread(services.ids.new("thread"), owner, services.clock.now_int(), meta,
                        services.clock.now())
        thread.messages = [
            _parse_message(services, thread.id, raw, f"messages[{i}]")
            for i, raw in enumerate(raw_messages or [])
        ]
        services.store.threads[thread.id] = thread
    return thread


def _thread(call: Call) -> Thread:
    """The caller's thread, with an abandoned run settled if its time has come."""
    with call.services.store.lock:
        thread = call.services.store.thread(call.params["thread_id"], call.tenant.owner)
        if thread.active is not None:
            thread.active.settle()
        return thread


def create_thread_route(call: Call) -> JsonReply:
    """``POST /v1/threads``."""
    thread = create_thread(call.services, call.tenant.owner, call.body.get("messages"),
                           call.body.get("metadata"))
    return JsonReply(thread.to_api())


def retrieve_thread_route(call: Call) -> JsonReply:
    """``GET /v1/threads/{id}``."""
    return JsonReply(_thread(call).to_api())


def modify_thread_route(call: Call) -> JsonReply:
    """``POST /v1/threads/{id}``: replaces the metadata when given."""
    with call.services.store.lock:
        thread = _thread(call)
        if "metadata" in call.body:
            thread.metadata = validate.metadata(call.body["metadata"])
        call.services.store.touch(thread)
        return JsonReply(thread.to_api())


def delete_thread_route(call: Call) -> JsonReply:
    """``DELETE /v1/threads/{id}``."""
    store = call.services.store
    with store.lock:
        thread = _thread(call)
        del store.threads[thread.id]
        for run_id in thread.run_ids:
            store.runs.pop(run_id, None)
    return JsonReply({"id": thread.id, "object": "thread.deleted", "deleted": True})


# -- messages ------------------------------------------------------------------------------
def _ensure_idle(thread: Thread) -> None:
    if thread.active is not None:
        raise bad_request(
            f"Can't add messages to {thread.id} while a run {thread.active.run_id} is active."
        )


def list_messages_route(call: Call) -> JsonReply:
    """``GET /v1/threads/{id}/messages`` with ``order`` (default desc), cursors, ``run_id``."""
    with call.services.store.lock:
        thread = _thread(call)
        records = copy.deepcopy(thread.messages)
    run_id = call.query.get("run_id")
    if run_id:
        records = [m for m in records if m["run_id"] == run_id]
    page, has_more = validate.page(records, call.query)
    return JsonReply(validate.list_body(page, has_more))


def create_message_route(call: Call) -> JsonReply:
    """``POST /v1/threads/{id}/messages``."""
    with call.services.store.lock:
        thread = _thread(call)
        _ensure_idle(thread)
        message = _parse_message(call.services, thread.id, call.body, "body")
        thread.messages.append(message)
        call.services.store.touch(thread)
        return JsonReply(copy.deepcopy(message))


def retrieve_message_route(call: Call) -> JsonReply:
    """``GET /v1/threads/{id}/messages/{message_id}``."""
    with call.services.store.lock:
        thread = _thread(call)
        ident = call.params["message_id"]
        for message in thread.messages:
            if message["id"] == ident:
                return JsonReply(copy.deepcopy(message))
    raise not_found(f"No message found with id '{ident}'.")


# -- runs ----------------------------------------------------------------------------------
class RunTurn:
    """One run producing one assistant message, seen as Assistants stream events.

    A run is a server-side job. When its stream drops, it keeps generating unseen at the
    model's pace and holds the thread until it would have finished (``settle`` completes it
    lazily, at the next look at the thread); ``cancel`` stops it at once. A client that wants
    the thread back after Esc must cancel the run, as with the real API.
    """

    def __init__(
        self, services: Services, scope: Scope, thread: Thread, run: Owned, text: str,
        prompt_tokens: int,
    ) -> None:
        self.services = services
        self.scope = scope
        self.thread = thread
        self.run = run
        self.run_id = run.id
        self.full_text = text
        self.prompt_tokens = prompt_tokens
        self.text = ""
        self.completion_tokens = 0
        self.message: dict[str, Any] = {}
        self.finished = False
        self.cancelled = False
        self.settle_at: float | None = None  # set once the stream is abandoned

    def _run_event(self, kind: str, **changes: Any) -> SSE:
        with self.services.store.lock:
            self.run.body.update(changes)
            return sse(f"thread.run.{kind}", copy.deepcopy(self.run.body))

    def _message_event(self, kind: str) -> SSE:
        with self.services.store.lock:
            return sse(f"thread.message.{kind}", copy.deepcopy(self.message))

    def opening(self) -> list[SSE]:
        """The run is queued, starts, and opens an empty assistant message in the thread."""
        created = sse("thread.run.created", copy.deepcopy(self.run.body))
        queued = sse("thread.run.queued", copy.deepcopy(self.run.body))
        started = self._run_event("in_progress", status="in_progress",
                                  started_at=self.services.clock.now_int())
        with self.services.store.lock:
            self.message = new_message(
                self.services, self.thread.id, "assistant", "", status="in_progress",
                run_id=self.run.id, assistant_id=self.run.body["assistant_id"],
            )
            self.thread.messages.append(self.message)
        return [created, queued, started, self._message_event("created"),
                self._message_event("in_progress")]

    def _cancelled_events(self) -> list[SSE]:
        return [self._message_event("incomplete"),
                sse("thread.run.cancelled", copy.deepcopy(self.run.body)),
                SSE("[DONE]", "done")]

    def delta(self, piece: str) -> list[SSE]:
        """One ``thread.message.delta``; a run cancelled meanwhile ends the stream instead."""
        if self.cancelled:
            raise EndStream(self._cancelled_events())
        self.text += piece
        self.completion_tokens += 1
        return [sse("thread.message.delta", {
            "id": self.message["id"],
            "object": "thread.message.delta",
            "delta": {"content": [{"index": 0, "type": "text",
                                   "text": {"value": piece, "annotations": []}}]},
        })]

    def _finish(self, status: str, **run_changes: Any) -> None:
        """Record the end of the run (once): message, run object, thread released, tokens."""
        now = self.services.clock.now_int()
        with self.services.store.lock:
            if self.finished:
                return
            self.finished = True
            if self.thread.active is self:
                self.thread.active = None
            self.services.store.touch(self.thread)
            if status == "completed":
                self.message.update(status="completed", completed_at=now,
                                    content=[text_content(self.text)])
            else:
                reason = "run_cancelled" if status == "cancelled" else "run_failed"
                self.message.update(status="incomplete", incomplete_at=now,
                                    incomplete_details={"reason": reason},
                                    content=[text_content(self.text)] if self.text else [])
            self.run.body.update(status=status, usage=self._usage(), **run_changes)
        self.services.limiter.spend_tokens(self.scope.key.key,
                                           self.prompt_tokens + self.completion_tokens)

    def _usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}

    def completed(self) -> list[SSE]:
        """The message completes, then the run; the stream ends with ``done``."""
        if self.cancelled:
            return self._cancelled_events()
        self._finish("completed", completed_at=self.services.clock.now_int())
        return [self._message_event("completed"),
                sse("thread.run.completed", copy.deepcopy(self.run.body)),
                SSE("[DONE]", "done")]

    def _fail(self, message: str) -> None:
        self._finish("failed", failed_at=self.services.clock.now_int(),
                     last_error={"code": "server_error", "message": message})

    def failed(self, message: str) -> list[SSE]:
        """``thread.run.failed`` with ``last_error``; the message is left incomplete."""
        self._fail(message)
        return [sse("thread.run.failed", copy.deepcopy(self.run.body)), SSE("[DONE]", "done")]

    def errored(self, message: str) -> list[SSE]:
        """An ``error`` event (``{"error": {...}}``, which the SDK raises as ``APIError``)."""
        self._fail(message)
        error = {"message": message, "type": "server_error", "param": None, "code": None}
        return [sse("error", {"error": error})]

    def abandoned(self) -> None:
        """The client left; the run goes on unseen until it would have finished."""
        if self.finished:
            return
        remaining = len(split_tokens(self.full_text[len(self.text):]))
        with self.services.store.lock:
            self.settle_at = self.services.clock.now() + remaining * self.services.model.delay_s
        self.settle()

    def settle(self) -> None:
        """Complete an abandoned run whose unseen generation is over by now."""
        with self.services.store.lock:
            if (self.finished or self.settle_at is None
                    or self.services.clock.now() < self.settle_at):
                return
            rest = split_tokens(self.full_text[len(self.text):])
            self.text = self.full_text
            self.completion_tokens += len(rest)
            self._finish("completed", completed_at=self.services.clock.now_int())

    def cancel(self) -> dict[str, Any]:
        """Stop the run now; answers the run as ``cancelling`` (it is ``cancelled`` after)."""
        with self.services.store.lock:
            self.cancelled = True
            self._finish("cancelled", cancelled_at=self.services.clock.now_int())
            return {**copy.deepcopy(self.run.body), "status": "cancelling"}


def _start_run(call: Call, thread: Thread) -> tuple[RunTurn, list[str]]:
    services, body = call.services, call.body
    assistant_id = validate.required_str(body, "assistant_id")
    assistant = services.store.assistant(assistant_id, call.tenant.owner)
    model = check_model(services, validate.optional_str(body, "model")
                        or assistant.body["model"])
    instructions = validate.optional_str(body, "instructions")
    if instructions is None:
        instructions = assistant.body.get("instructions") or ""
    extra = body.get("additional_messages") or []
    if not isinstance(extra, list):
        raise invalid_type("additional_messages", "an array")
    with services.store.lock:
        if thread.active is not None:
            raise bad_request(f"Thread {thread.id} already has an active run "
                              f"{thread.active.run_id}.")
        for index, raw in enumerate(extra):
            thread.messages.append(
                _parse_message(services, thread.id, raw, f"additional_messages[{index}]"))
        now = services.clock.now_int()
        run_id = services.ids.new("run")
        run = Owned(run_id, call.tenant.owner, {
            "id": run_id,
            "object": "thread.run",
            "created_at": now,
            "assistant_id": assistant.id,
            "thread_id": thread.id,
            "status": "queued",
            "started_at": None,
            "expires_at": now + RUN_EXPIRY_S,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": None,
            "required_action": None,
            "last_error": None,
            "model": model,
            "instructions": instructions,
            "tools": [],
            "metadata": validate.metadata(body.get("metadata")),
            "incomplete_details": None,
            "usage": None,
            "temperature": 1.0,
            "top_p": 1.0,
            "max_prompt_tokens": None,
            "max_completion_tokens": None,
            "truncation_strategy": {"type": "auto", "last_messages": None},
            "response_format": "auto",
            "tool_choice": "auto",
            "parallel_tool_calls": True,
        })
        services.store.runs[run.id] = run
        thread.run_ids.append(run.id)
        services.store.touch(thread)
        user_texts = [message_text(m) for m in thread.messages if m["role"] == "user"]
        context = [instructions, *(message_text(m) for m in thread.messages)]
        text = reply_text(user_texts[-1] if user_texts else "", tokens=services.model.tokens)
        turn = RunTurn(services, call.tenant, thread, run, text,
                       sum(count_tokens(t) for t in context))
        thread.active = turn
    return turn, split_tokens(text)


def create_run_route(call: Call) -> Reply:
    """``POST /v1/threads/{id}/runs``: streamed with ``stream: true``, else answered queued."""
    thread = _thread(call)
    stream = validate.flag(call.body, "stream", False)
    turn, pieces = _start_run(call, thread)
    services = call.services
    if not stream:
        queued = copy.deepcopy(turn.run.body)
        # The real run proceeds in the background; here it has finished by the next poll.
        run_silently(turn, pieces)
        return JsonReply(queued)

    def produce(sink: EventSink) -> None:
        run_stream(sink, turn, pieces, fault=call.fault, delay=lambda: services.model.delay_s,
                   stopping=services.stopping)

    return StreamReply(produce)


def retrieve_run_route(call: Call) -> JsonReply:
    """``GET /v1/threads/{id}/runs/{run_id}``."""
    with call.services.store.lock:
        run = call.services.store.run(_thread(call), call.params["run_id"])
        return JsonReply(copy.deepcopy(run.body))


def cancel_run_route(call: Call) -> JsonReply:
    """``POST /v1/threads/{id}/runs/{run_id}/cancel``: only a run still going can be stopped."""
    with call.services.store.lock:
        thread = _thread(call)
        run = call.services.store.run(thread, call.params["run_id"])
        active = thread.active
        if not isinstance(active, RunTurn) or active.run_id != run.id:
            raise bad_request(f"Cannot cancel run with status '{run.body['status']}'.",
                              code="invalid_run_status")
        return JsonReply(active.cancel())


def register(router: Router) -> None:
    """Add the assistants, threads, messages and runs routes."""
    fam = "assistants"
    one = "/v1/threads/{thread_id}"
    router.add("POST", "/v1/assistants", create_assistant_route, family=fam)
    router.add("GET", "/v1/assistants/{assistant_id}", retrieve_assistant_route, family=fam)
    router.add("POST", "/v1/threads", create_thread_route, family=fam)
    router.add("GET", one, retrieve_thread_route, family=fam)
    router.add("POST", one, modify_thread_route, family=fam)
    router.add("DELETE", one, delete_thread_route, family=fam)
    router.add("GET", one + "/messages", list_messages_route, family=fam)
    router.add("POST", one + "/messages", create_message_route, family=fam)
    router.add("GET", one + "/messages/{message_id}", retrieve_message_route, family=fam)
    router.add("POST", one + "/runs", create_run_route, family=fam)
    router.add("GET", one + "/runs/{run_id}", retrieve_run_route, family=fam)
    router.add("POST", one + "/runs/{run_id}/cancel", cancel_run_route, family=fam)
