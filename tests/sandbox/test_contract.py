"""Contract: every kind of JSON object the sandbox returns validates against OpenAI's schema.

The schemas come from OpenAI's published OpenAPI description, found beside the repository at
``<repo>/../shared/openai-openapi/openapi.json`` (where CI clones it). Without that file these
tests skip, naming the path, rather than pass.

The description mixes OpenAPI 3.0's ``nullable: true`` into a 3.1 (JSON Schema 2020-12)
document; a JSON Schema validator ignores that keyword, so it is rewritten here to its 3.1
meaning (``anyOf: [schema, {"type": "null"}]``) before validating. Nothing else is changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tui.sandbox import ACME_KEY, PERSONAL_KEY, Fault, Sandbox

from .rawhttp import request, stream

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "openai-openapi" / "openapi.json"
ROOT = "urn:openai-openapi"

pytestmark = pytest.mark.skipif(not SPEC.exists(), reason=f"OpenAPI description not found: {SPEC}")


def _nullable_to_31(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable_to_31(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _nullable_to_31(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def _registry() -> Registry:
    document = _nullable_to_31(json.loads(SPEC.read_text()))
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource(ROOT, resource)


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{ROOT}#/components/schemas/{schema_name}"},
                                registry=_registry())


def check(schema_name: str, instance: Any) -> None:
    """Fail with every violation listed."""
    errors = sorted(_validator(schema_name).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, f"{schema_name}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message[:300]}" for e in errors)


Call = Callable[..., Any]


@pytest.fixture
def api(sandbox: Sandbox) -> Call:
    """``api(method, path, body=None, key=ACME_KEY)`` → parsed JSON (any status)."""

    def call(method: str, path: str, body: Any = None, key: str = ACME_KEY) -> Any:
        return request(sandbox, method, "/v1" + path, key, json_body=body).json()

    return call


def test_models(api: Call) -> None:
    check("ListModelsResponse", api("GET", "/models"))
    check("Model", api("GET", "/models/gpt-4o-mini"))


def test_conversation_objects(api: Call) -> None:
    conv = api("POST", "/conversations", {"items": [{"role": "user", "content": "hi"}],
                                          "metadata": {"title": "t"}})
    check("ConversationResource", conv)
    check("ConversationResource", api("POST", f"/conversations/{conv['id']}",
                                      {"metadata": {"title": "u"}}))
    api("POST", "/responses", {"model": "gpt-4o-mini", "input": "x",
                               "conversation": conv["id"]})
    listing = api("GET", f"/conversations/{conv['id']}/items")
    check("ConversationItemList", listing)
    assert {i["role"] for i in listing["data"]} == {"user", "assistant"}
    for item in listing["data"]:
        check("ConversationItem", api("GET", f"/conversations/{conv['id']}/items/{item['id']}"))
    created = api("POST", f"/conversations/{conv['id']}/items",
                  {"items": [{"role": "assistant", "content": "added"}]})
    check("ConversationItemList", created)
    after_delete = api("DELETE", f"/conversations/{conv['id']}/items/{created['first_id']}")
    check("ConversationResource", after_delete)
    check("DeletedConversationResource", api("DELETE", f"/conversations/{conv['id']}"))


def test_response_objects(api: Call) -> None:
    response = api("POST", "/responses", {"model": "gpt-4o-mini", "input": "x",
                                          "instructions": "be brief", "metadata": {"a": "b"}})
    check("Response", response)
    check("Response", api("GET", f"/responses/{response['id']}"))
    conv = api("POST", "/conversations", {})
    in_conv = api("POST", "/responses", {"model": "gpt-4o-mini", "input": "y",
                                         "conversation": conv["id"]})
    check("Response", in_conv)
    check("Response", api("POST", "/responses", {"model": "gpt-4o-mini", "input": "z",
                                                 "previous_response_id": response["id"]}))


EVENT_SCHEMAS = {
    "response.created": "ResponseCreatedEvent",
    "response.in_progress": "ResponseInProgressEvent",
    "response.output_item.added": "ResponseOutputItemAddedEvent",
    "response.content_part.added": "ResponseContentPartAddedEvent",
    "response.output_text.delta": "ResponseTextDeltaEvent",
    "response.output_text.done": "ResponseTextDoneEvent",
    "response.content_part.done": "ResponseContentPartDoneEvent",
    "response.output_item.done": "ResponseOutputItemDoneEvent",
    "response.completed": "ResponseCompletedEvent",
    "response.failed": "ResponseFailedEvent",
    "error": "ResponseErrorEvent",
}


def _check_response_events(events: list[Any]) -> set[str]:
    seen = set()
    for event in events:
        data = event.json()
        check(EVENT_SCHEMAS[data["type"]], data)
        if data["type"] not in seen:  # the union, once per kind (it is slow to try every arm)
            check("ResponseStreamEvent", data)
        seen.add(data["type"])
    return seen


def test_response_stream_events(sandbox: Sandbox) -> None:
    sandbox.model.update(tokens=8)
    body = {"model": "gpt-4o-mini", "input": "stream", "stream": True}
    _, events = stream(sandbox, "/v1/responses", ACME_KEY, body)
    seen = _check_response_events(events)
    completed = events[-1].json()["response"]
    check("Response", completed)
    sandbox.faults.next(Fault.fail(after=2))
    _, failed = stream(sandbox, "/v1/responses", ACME_KEY, body)
    sandbox.faults.next(Fault.error_event(after=2))
    _, errored = stream(sandbox, "/v1/responses", ACME_KEY, body)
    seen |= _check_response_events(failed) | _check_response_events(errored)
    assert seen == set(EVENT_SCHEMAS)


def test_assistant_thread_message_and_run_objects(api: Call, sandbox: Sandbox) -> None:
    assistant = api("POST", "/assistants", {"model": "gpt-4o-mini", "name": "A"})
    check("AssistantObject", assistant)
    check("AssistantObject", api("GET", f"/assistants/{assistant['id']}"))
    thread = api("POST", "/threads", {"messages": [{"role": "user", "content": "hi"}],
                                      "metadata": {"title": "t"}})
    check("ThreadObject", thread)
    check("ThreadObject", api("GET", f"/threads/{thread['id']}"))
    check("ThreadObject", api("POST", f"/threads/{thread['id']}", {"metadata": {}}))
    message = api("POST", f"/threads/{thread['id']}/messages",
                  {"role": "user", "content": "more"})
    check("MessageObject", message)
    check("MessageObject", api("GET", f"/threads/{thread['id']}/messages/{message['id']}"))
    run = api("POST", f"/threads/{thread['id']}/runs", {"assistant_id": assistant["id"]})
    check("RunObject", run)
    assert run["status"] == "queued"
    finished = api("GET", f"/threads/{thread['id']}/runs/{run['id']}")
    check("RunObject", finished)
    assert finished["status"] == "completed"
    listing = api("GET", f"/threads/{thread['id']}/messages")
    check("ListMessagesResponse", listing)
    assert listing["data"][0]["role"] == "assistant"
    check("DeleteThreadResponse", api("DELETE", f"/threads/{thread['id']}"))


def test_assistant_stream_events(api: Call, sandbox: Sandbox) -> None:
    sandbox.model.update(tokens=5)
    assistant = api("POST", "/assistants", {"model": "gpt-4o-mini"})
    thread = api("POST", "/threads", {"messages": [{"role": "user", "content": "hi"}]})
    body = {"assistant_id": assistant["id"], "stream": True}
    _, events = stream(sandbox, f"/v1/threads/{thread['id']}/runs", ACME_KEY, body)
    sandbox.faults.next(Fault.fail(after=1))
    _, failed = stream(sandbox, f"/v1/threads/{thread['id']}/runs", ACME_KEY, body)
    kinds = set()
    for event in events + failed:
        data = "[DONE]" if event.data == "[DONE]" else event.json()
        check("AssistantStreamEvent", {"event": event.event, "data": data})
        kinds.add(event.event)
    assert {"thread.message.delta", "thread.run.completed", "thread.run.failed", "done"} <= kinds
    # The ``error`` event carries ``{"error": {...}}`` (what the SDK raises as APIError)
    # rather than the bare Error object the description shows; its inner object is checked.
    sandbox.faults.next(Fault.error_event(after=1))
    _, errored = stream(sandbox, f"/v1/threads/{thread['id']}/runs", ACME_KEY, body)
    assert errored[-1].event == "error"
    check("Error", errored[-1].json()["error"])


def test_chat_completion_objects(api: Call, sandbox: Sandbox) -> None:
    messages = [{"role": "user", "content": "hi"}]
    check("CreateChatCompletionResponse",
          api("POST", "/chat/completions", {"model": "gpt-4o", "messages": messages}))
    sandbox.model.update(tokens=4)
    _, events = stream(sandbox, "/v1/chat/completions", ACME_KEY,
                       {"model": "gpt-4o", "messages": messages, "stream": True,
                        "stream_options": {"include_usage": True}})
    assert events[-1].data == "[DONE]"
    chunks = [e.json() for e in events[:-1]]
    for chunk in chunks:
        check("CreateChatCompletionStreamResponse", chunk)
    assert chunks[-1]["usage"]["total_tokens"] > 0


@pytest.mark.parametrize(
    ("method", "path", "body", "key", "status"),
    [
        ("GET", "/conversations/conv_missing", None, ACME_KEY, 404),
        ("GET", "/threads/thread_missing", None, PERSONAL_KEY, 404),
        ("GET", "/models", None, "sk-sandbox-unknown-0000", 401),
        ("POST", "/responses", {"model": "gpt-4o-mini"}, ACME_KEY, 400),
        ("POST", "/chat/completions", {"model": "nope", "messages": []}, ACME_KEY, 404),
    ],
)
def test_error_objects(api: Call, sandbox: Sandbox, method: str, path: str, body: Any,
                       key: str, status: int) -> None:
    answer = request(sandbox, method, "/v1" + path, key, json_body=body)
    assert answer.status_code == status
    check("ErrorResponse", answer.json())


def test_fault_error_objects(api: Call, sandbox: Sandbox) -> None:
    for fault in (Fault.rate_limit(), Fault.insufficient_quota(), Fault.server_error(),
                  Fault.unauthorized()):
        sandbox.faults.next(fault)
        check("ErrorResponse", api("GET", "/models"))


def test_the_validator_is_not_vacuous(api: Call) -> None:
    conv = api("POST", "/conversations", {})
    broken = {k: v for k, v in conv.items() if k != "metadata"}
    with pytest.raises(AssertionError, match="metadata"):
        check("ConversationResource", broken)
    response = api("POST", "/responses", {"model": "gpt-4o-mini", "input": "x"})
    response["output"][0]["content"][0]["type"] = "output_txt"
    with pytest.raises(AssertionError):
        check("Response", response)
    with pytest.raises(AssertionError):
        check("RunObject", {**api("POST", "/threads", {}), "object": "thread.run"})
