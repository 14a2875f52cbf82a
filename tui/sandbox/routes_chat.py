"""``POST /v1/chat/completions``: the stateless dialect every OpenAI-compatible server speaks.

Nothing is stored; the client sends the whole history each turn. A failing stream ends with a
``data: {"error": …}`` chunk, which is how compatible servers report mid-stream errors and what
the SDK raises as ``APIError``.
"""

from __future__ import annotations

import copy
from typing import Any

from . import validate
from .context import Call, JsonReply, Reply, Services, StreamReply
from .errors import bad_request, invalid_type, missing_param
from .model import count_tokens, reply_text, split_tokens
from .router import Router
from .routes_models import check_model
from .streaming import SSE, EventSink, run_silently, run_stream, sse
from .tenancy import Scope

FINGERPRINT = "fp_sandbox"


def _message_text(message: dict[str, Any], index: int) -> str:
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    raise invalid_type(f"messages[{index}].content", "a string or an array of content parts")


class ChatTurn:
    """One chat completion, seen as ``chat.completion.chunk`` objects."""

    def __init__(
        self, services: Services, scope: Scope, model: str, prompt_tokens: int,
        include_usage: bool,
    ) -> None:
        self.services = services
        self.scope = scope
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.include_usage = include_usage
        self.id = services.ids.new("chatcmpl")
        self.created = services.clock.now_int()
        self.text = ""
        self.completion_tokens = 0

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> SSE:
        chunk: dict[str, Any] = {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model, "service_tier": "default", "system_fingerprint": FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            chunk["usage"] = None
        return sse(None, chunk)

    def usage(self) -> dict[str, Any]:
        """Token counts: prompt pieces in, streamed pieces out."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
        }

    def opening(self) -> list[SSE]:
        """The role chunk."""
        return [self._chunk({"role": "assistant", "content": "", "refusal": None})]

    def delta(self, piece: str) -> list[SSE]:
        """One content chunk."""
        self.text += piece
        self.completion_tokens += 1
        return [self._chunk({"content": piece})]

    def completed(self) -> list[SSE]:
        """The ``stop`` chunk, the usage chunk when asked for, then ``[DONE]``."""
        self.services.limiter.spend_tokens(self.scope.key.key,
                                           self.prompt_tokens + self.completion_tokens)
        events = [self._chunk({}, "stop")]
        if self.include_usage:
            events.append(sse(None, {
                "id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "service_tier": "default",
                "system_fingerprint": FINGERPRINT, "choices": [], "usage": self.usage(),
            }))
        events.append(SSE("[DONE]"))
        return events

    def failed(self, message: str) -> list[SSE]:
        """A ``data: {"error": …}`` chunk, as compatible servers send mid-stream."""
        error = {"message": message, "type": "server_error", "param": None, "code": None}
        return [sse(None, {"error": error})]

    def errored(self, message: str) -> list[SSE]:
        """The same error, under an ``event: error`` line."""
        error = {"message": message, "type": "server_error", "param": None, "code": None}
        return [sse("error", {"error": error})]

    def abandoned(self) -> None:
        """Stateless: nothing to record."""

    def completion(self) -> dict[str, Any]:
        """The non-streaming ``chat.completion`` object."""
        return {
            "id": self.id, "object": "chat.completion", "created": self.created,
            "model": self.model, "service_tier": "default", "system_fingerprint": FINGERPRINT,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": self.text, "refusal": None,
                            "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": self.usage(),
        }


def create_route(call: Call) -> Reply:
    """``POST /v1/chat/completions``."""
    services, body = call.services, call.body
    model = check_model(services, validate.required_str(body, "model"))
    messages = body.get("messages")
    if messages is None:
        raise missing_param("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("Invalid 'messages': empty array. Expected an array with minimum "
                          "length 1, but got an empty array instead.", param="messages",
                          code="empty_array")
    with services.store.lock:
        services.store.chat_requests.append(copy.deepcopy(messages))
    texts: list[str] = []
    prompt = ""
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid_type(f"messages[{index}]", "an object")
        text = _message_text(message, index)
        texts.append(text)
        if message.get("role") == "user":
            prompt = text
    stream = validate.flag(body, "stream", False)
    options = body.get("stream_options")
    if options is not None and not stream:
        raise bad_request("The 'stream_options' parameter is only allowed when 'stream' is "
                          "enabled.", param="stream_options", code="invalid_value")
    options = options or {}
    if not isinstance(options, dict):
        raise invalid_type("stream_options", "an object")
    turn = ChatTurn(services, call.tenant, model, sum(count_tokens(t) for t in texts),
                    include_usage=options.get("include_usage") is True)
    pieces = split_tokens(reply_text(prompt, tokens=services.model.tokens))
    if not stream:
        run_silently(turn, pieces)
        return JsonReply(turn.completion())

    def produce(sink: EventSink) -> None:
        run_stream(sink, turn, pieces, fault=call.fault, delay=lambda: services.model.delay_s,
                   stopping=services.stopping)

    return StreamReply(produce)


def register(router: Router) -> None:
    """Add the chat completions route."""
    router.add("POST", "/v1/chat/completions", create_route, family="chat")
