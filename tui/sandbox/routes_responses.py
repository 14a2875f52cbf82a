"""``/v1/responses``: one model turn, optionally inside a conversation, optionally streamed.

A response in a conversation sees the conversation's items first; when it completes, its
input items and its output message are appended to the conversation. A stream that fails
or drops appends nothing (what the real API leaves behind then is undocumented; clients are
told to re-read the items; the sandbox's ``features.failed_turns`` plays what it may leave:
nothing, the user's input, or that and the partial reply). Stored responses stay
retrievable by id until deleted, even after their conversation is deleted.
"""

from __future__ import annotations

import copy
from typing import Any

from . import items as item_shapes
from . import routes_conversations, validate
from .context import Call, JsonReply, Reply, Services, StreamReply
from .errors import ApiError, bad_request, invalid_type, missing_param, not_found
from .faults import REPLY_KINDS, FaultKind
from .model import count_tokens, reply_text, split_tokens
from .router import Router
from .routes_models import check_model
from .state import Conversation, StoredResponse
from .streaming import SSE, EventSink, run_silently, run_stream, sse
from .tenancy import Scope

COMMENTARY_TEXT = "Let me look at that before answering."
REFUSAL_TEXT = "I'm sorry, but I can't help with that."


def _number(body: dict[str, Any], name: str, default: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_type(name, "a number")
    return float(value)


class ResponseTurn:
    """One response being generated: its evolving API object and the events it emits."""

    def __init__(
        self,
        services: Services,
        scope: Scope,
        body: dict[str, Any],
        *,
        conversation: Conversation | None,
        prior: list[dict[str, Any]],
        new_items: list[dict[str, Any]],
        input_tokens: int,
        mode: FaultKind | None = None,
    ) -> None:
        self.services = services
        # COMMENTARY: a commentary message before the answer; REFUSAL: the answer refuses.
        self.mode = mode
        self.commentary_id = services.ids.new("msg") if mode is FaultKind.COMMENTARY else None
        self.index = 1 if self.commentary_id else 0
        self.scope = scope
        self.conversation = conversation
        self.prior = prior
        self.new_items = new_items
        self.input_tokens = input_tokens
        self.store = validate.flag(body, "store", True)
        self.text = ""
        self.output_tokens = 0
        self.sequence = 0
        self.item_id = services.ids.new("msg")
        self.response: dict[str, Any] = {
            "id": services.ids.new("resp"),
            "object": "response",
            "created_at": services.clock.now_int(),
            "status": "in_progress",
            "background": False,
            "completed_at": None,
            "conversation": {"id": conversation.id} if conversation else None,
            "error": None,
            "incomplete_details": None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "max_tool_calls": None,
            "metadata": validate.metadata(body.get("metadata")),
            "model": body["model"],
            "output": [],
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "prompt_cache_key": None,
            "reasoning": {"effort": None, "summary": None},
            "safety_identifier": None,
            "service_tier": "default",
            "store": self.store,
            "temperature": _number(body, "temperature", 1.0),
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": [],
            "top_logprobs": 0,
            "top_p": _number(body, "top_p", 1.0),
            "truncation": "disabled",
            # ``usage`` appears on completion: the schema has no null for it.
        }
        if self.store:
            with services.store.lock:
                services.store.responses[self.response["id"]] = StoredResponse(
                    self.response["id"], scope.owner, self.response, []
                )

    # -- events -------------------------------------------------------------------------
    def _event(self, kind: str, **fields: Any) -> SSE:
        event = sse(kind, {"type": kind, "sequence_number": self.sequence, **fields})
        self.sequence += 1
        return event

    def _part(self, text: str) -> dict[str, Any]:
        if self.mode is FaultKind.REFUSAL:
            return {"type": "refusal", "refusal": text}
        return item_shapes.output_text_part(text)

    def _item(self, status: str, text: str | None) -> dict[str, Any]:
        content = [] if text is None else [self._part(text)]
        item = {"id": self.item_id, "type": "message", "status": status, "role": "assistant",
                "content": content}
        if self.commentary_id:
            item["phase"] = "final_answer"
        return item

    def _commentary(self, status: str, text: str | None) -> dict[str, Any]:
        content = [] if text is None else [item_shapes.output_text_part(text)]
        return {"id": self.commentary_id, "type": "message", "status": status,
                "role": "assistant", "phase": "commentary", "content": content}

    def _where(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "output_index": self.index, "content_index": 0}

    def _commentary_events(self) -> list[SSE]:
        """The whole commentary message, before the answer's (COMMENTARY mode)."""
        where = {"item_id": self.commentary_id, "output_index": 0, "content_index": 0}
        events = [
            self._event("response.output_item.added", output_index=0,
                        item=self._commentary("in_progress", None)),
            self._event("response.content_part.added", **where,
                        part=item_shapes.output_text_part("")),
        ]
        for piece in split_tokens(COMMENTARY_TEXT):
            events.append(self._event("response.output_text.delta", **where, delta=piece,
                                      logprobs=[]))
            self.output_tokens += 1
        return [
            *events,
            self._event("response.output_text.done", **where, text=COMMENTARY_TEXT,
                        logprobs=[]),
            self._event("response.content_part.done", **where,
                        part=item_shapes.output_text_part(COMMENTARY_TEXT)),
            self._event("response.output_item.done", output_index=0,
                        item=self._commentary("completed", COMMENTARY_TEXT)),
        ]

    def opening(self) -> list[SSE]:
        """``response.created`` … ``response.content_part.added``."""
        snapshot = copy.deepcopy(self.response)
        return [
            self._event("response.created", response=snapshot),
            self._event("response.in_progress", response=snapshot),
            *(self._commentary_events() if self.commentary_id else []),
            self._event("response.output_item.added", output_index=self.index,
                        item=self._item("in_progress", None)),
            self._event("response.content_part.added", **self._where(),
                        part=self._part("")),
        ]

    def delta(self, piece: str) -> list[SSE]:
        """One ``response.output_text.delta`` (``response.refusal.delta`` for a refusal)."""
        self.text += piece
        self.output_tokens += 1
        if self.mode is FaultKind.REFUSAL:
            return [self._event("response.refusal.delta", **self._where(), delta=piece)]
        return [self._event("response.output_text.delta", **self._where(), delta=piece,
                            logprobs=[])]

    def _outputs(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        if self.commentary_id:
            return [self._commentary("completed", COMMENTARY_TEXT), item]
        return [item]

    def completed(self) -> list[SSE]:
        """Record the finished response and its turn, then the closing events."""
        item = self._item("completed", self.text)
        outputs = self._outputs(item)
        now = self.services.clock.now_int()
        with self.services.store.lock:
            self.response.update(
                status="completed",
                completed_at=now,
                output=copy.deepcopy(outputs),
                usage={
                    "input_tokens": self.input_tokens,
                    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                    "output_tokens": self.output_tokens,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": self.input_tokens + self.output_tokens,
                },
            )
            stored = self.services.store.responses.get(self.response["id"])
            if stored is not None:
                stored.context = [*self.prior, *self.new_items, *outputs]
            conv = self.conversation
            if conv is not None and not conv.deleted:
                routes_conversations.append(
                    self.services, conv, [*copy.deepcopy(self.new_items), *copy.deepcopy(outputs)]
                )
        self.services.limiter.spend_tokens(self.scope.key.key,
                                           self.input_tokens + self.output_tokens)
        done = (
            self._event("response.refusal.done", **self._where(), refusal=self.text)
            if self.mode is FaultKind.REFUSAL
            else self._event("response.output_text.done", **self._where(), text=self.text,
                             logprobs=[])
        )
        return [
            done,
            self._event("response.content_part.done", **self._where(),
                        part=self._part(self.text)),
            self._event("response.output_item.done", output_index=self.index,
                        item=copy.deepcopy(item)),
            self._event("response.completed", response=copy.deepcopy(self.response)),
        ]

    def _leave_behind(self) -> None:
        """What a reply that did not complete leaves in its conversation, as the sandbox's
        ``features.failed_turns`` says: nothing, the user's input items, or those and the
        partial assistant message (``status: "incomplete"``)."""
        leave = self.services.features.failed_turns
        conv = self.conversation
        if leave == "nothing" or conv is None:
            return
        with self.services.store.lock:
            if conv.deleted:
                return
            left = copy.deepcopy(self.new_items)
            if leave == "partial" and self.text:
                left.append(self._item("incomplete", self.text))
            routes_conversations.append(self.services, conv, left)

    def _fail(self, message: str) -> None:
        with self.services.store.lock:
            self.response.update(status="failed",
                                 error={"code": "server_error", "message": message})
        self._leave_behind()

    def failed(self, message: str) -> list[SSE]:
        """``response.failed``: the response is stored as failed; the conversation keeps what
        ``features.failed_turns`` says."""
        self._fail(message)
        return [self._event("response.failed", response=copy.deepcopy(self.response))]

    def errored(self, message: str) -> list[SSE]:
        """An ``error`` event; the stored response is marked failed."""
        self._fail(message)
        return [self._event("error", code="server_error", message=message, param=None)]

    def errored_nested(self, message: str) -> list[SSE]:
        """An ``error`` event as the live API sends it: the fields under ``error``."""
        self._fail(message)
        return [self._event("error", error={"type": "server_error", "code": "server_error",
                                            "message": message, "param": None})]

    def incomplete(self, reason: str) -> list[SSE]:
        """``response.incomplete``: stored as incomplete (with the partial output); the
        conversation keeps what ``features.failed_turns`` says, as for a failure."""
        with self.services.store.lock:
            self.response.update(status="incomplete",
                                 incomplete_details={"reason": reason},
                                 output=[self._item("incomplete", self.text)])
        self._leave_behind()
        return [self._event("response.incomplete", response=copy.deepcopy(self.response))]

    def abandoned(self) -> None:
        """A dropped stream leaves the stored response ``in_progress``; the conversation
        keeps what ``features.failed_turns`` says."""
        self._leave_behind()


def _conversation_ref(call: Call) -> Conversation | None:
    ref = call.body.get("conversation")
    if ref is None:
        return None
    if isinstance(ref, dict):
        ref = ref.get("id")
    if not isinstance(ref, str) or not ref:
        raise invalid_type("conversation", "a conversation id or an object with an 'id'")
    return call.services.store.conversation(ref, call.tenant.owner)


def _previous_context(call: Call, previous_id: str) -> list[dict[str, Any]]:
    try:
        stored = call.services.store.response(previous_id, call.tenant.owner)
    except ApiError:
        raise not_found(
            f"Previous response with id '{previous_id}' not found.",
            param="previous_response_id",
        ) from None
    return list(stored.context)


def create_route(call: Call) -> Reply:
    """``POST /v1/responses``."""
    services, body = call.services, call.body
    check_model(services, validate.required_str(body, "model"))
    stream = validate.flag(body, "stream", False)
    instructions = validate.optional_str(body, "instructions")
    previous_id = validate.optional_str(body, "previous_response_id")
    if body.get("conversation") is not None and previous_id:
        raise bad_request(
            "Mutually exclusive parameters: Ensure you are only providing one of: "
            "'previous_response_id' or 'conversation'.",
            code="mutually_exclusive_parameters",
        )
    conversation = _conversation_ref(call)
    if conversation is not None:
        prior = routes_conversations.history(services, conversation)
    elif previous_id:
        prior = _previous_context(call, previous_id)
    else:
        prior = []
    if body.get("input") is None and not prior:
        raise missing_param("input")
    new_items = item_shapes.normalize(services.ids, body.get("input") or [], "input")

    prompt = item_shapes.last_user_text(new_items) or item_shapes.last_user_text(prior) or ""
    pieces = split_tokens(reply_text(prompt, tokens=services.model.tokens))
    mode = call.fault.kind if call.fault and call.fault.kind in REPLY_KINDS else None
    if mode is FaultKind.REFUSAL:
        pieces = split_tokens(REFUSAL_TEXT)
    context = [instructions or "", *(item_shapes.text_of(i) for i in [*prior, *new_items])]
    turn = ResponseTurn(
        services, call.tenant, body,
        conversation=conversation, prior=prior, new_items=new_items,
        input_tokens=sum(count_tokens(t) for t in context),
        mode=mode,
    )
    if not stream:
        run_silently(turn, pieces)
        return JsonReply(copy.deepcopy(turn.response))

    def produce(sink: EventSink) -> None:
        run_stream(sink, turn, pieces, fault=call.fault, delay=lambda: services.model.delay_s,
                   stopping=services.stopping)

    return StreamReply(produce)


def retrieve_route(call: Call) -> JsonReply:
    """``GET /v1/responses/{id}``."""
    stored = call.services.store.response(call.params["response_id"], call.tenant.owner)
    with call.services.store.lock:
        return JsonReply(copy.deepcopy(stored.body))


def delete_route(call: Call) -> JsonReply:
    """``DELETE /v1/responses/{id}``."""
    with call.services.store.lock:
        stored = call.services.store.response(call.params["response_id"], call.tenant.owner)
        stored.deleted = True
    return JsonReply({"id": stored.id, "object": "response.deleted", "deleted": True})


def register(router: Router) -> None:
    """Add the responses routes."""
    router.add("POST", "/v1/responses", create_route, family="responses")
    router.add("GET", "/v1/responses/{response_id}", retrieve_route, family="responses")
    router.add("DELETE", "/v1/responses/{response_id}", delete_route, family="responses")
