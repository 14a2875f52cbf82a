"""Every fault kind as the SDK sees it, and how faults are queued, targeted and consumed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI

from tui.sandbox import ACME_KEY, Fault, FaultKind, Sandbox, reply_text, split_tokens

from .rawhttp import request, stream

Client = Callable[..., OpenAI]


def _responses_stream(client: OpenAI, seen: list[Any], conversation: str | None = None) -> None:
    kwargs: dict[str, Any] = {"conversation": conversation} if conversation else {}
    for event in client.responses.create(model="gpt-4o-mini", input="fault", stream=True,
                                         **kwargs):
        seen.append(event)


def _deltas(events: list[Any]) -> list[str]:
    return [e.delta for e in events if getattr(e, "type", "") == "response.output_text.delta"]


# -- HTTP faults ---------------------------------------------------------------------------
def test_rate_limit(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.rate_limit(retry_after=7))
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client().models.list()
    error = caught.value
    assert (error.status_code, error.code, error.type) == (429, "rate_limit_exceeded",
                                                           "requests")
    assert error.response.headers["retry-after"] == "7"
    assert error.response.headers["retry-after-ms"] == "7000"
    assert error.request_id and error.request_id.startswith("req_")
    assert openai_client().models.list().data  # used up: the next call works


def test_the_sdk_retries_after_retry_after(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.rate_limit(retry_after=0.01), times=2)
    response = openai_client(max_retries=2).responses.create(model="gpt-4o-mini", input="x")
    assert response.status == "completed"
    assert sandbox.faults.pending() == []


def test_insufficient_quota(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.insufficient_quota())
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client().responses.create(model="gpt-4o-mini", input="x")
    assert (caught.value.code, caught.value.type) == ("insufficient_quota", "insufficient_quota")


@pytest.mark.parametrize("status", [500, 503])
def test_server_error(sandbox: Sandbox, openai_client: Client, status: int) -> None:
    sandbox.faults.next(Fault.server_error(status))
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client().conversations.create()
    assert caught.value.status_code == status and caught.value.type == "server_error"


def test_unauthorized(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.unauthorized())
    with pytest.raises(openai.AuthenticationError) as caught:
        openai_client().models.list()
    assert caught.value.code == "invalid_api_key"
    assert "sk-…acme" in caught.value.message


def test_slow_first_byte_times_out_a_short_client_timeout(sandbox: Sandbox,
                                                          openai_client: Client) -> None:
    sandbox.faults.next(Fault.slow_first_byte(seconds=30))
    with pytest.raises(openai.APITimeoutError):
        openai_client(timeout=0.3).models.list()
    assert openai_client(timeout=5).models.list().data


def test_slow_first_byte_then_a_normal_answer(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.slow_first_byte(seconds=0.05))
    assert openai_client(timeout=10).models.list().data


# -- stream faults: Responses ----------------------------------------------------------------
def test_cut_stream_is_a_connection_error_after_k_deltas(sandbox: Sandbox,
                                                         openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create()
    sandbox.faults.next(Fault.cut(after=4))
    seen: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        _responses_stream(client, seen, conv.id)
    assert _deltas(seen) == split_tokens(reply_text("fault"))[:4]
    assert not any(e.type == "response.completed" for e in seen)
    # Nothing reached the conversation; the stored response stays in progress.
    assert list(client.conversations.items.list(conv.id)) == []
    assert client.responses.retrieve(seen[0].response.id).status == "in_progress"


def test_cut_stream_in_the_stream_helper(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.cut(after=0))
    with pytest.raises(openai.APIConnectionError), openai_client().responses.stream(
        model="gpt-4o-mini", input="x"
    ) as helper:
        helper.get_final_response()


def test_failed_stream_ends_with_response_failed(sandbox: Sandbox,
                                                 openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create()
    sandbox.faults.next(Fault.fail(after=3, message="boom"))
    seen: list[Any] = []
    _responses_stream(client, seen, conv.id)
    assert len(_deltas(seen)) == 3
    last = seen[-1]
    assert last.type == "response.failed"
    assert last.response.status == "failed" and last.response.error.message == "boom"
    assert last.response.error.code == "server_error"
    assert [e.sequence_number for e in seen] == list(range(len(seen)))
    assert client.responses.retrieve(last.response.id).status == "failed"
    assert list(client.conversations.items.list(conv.id)) == []


def test_failed_stream_in_the_helper_has_no_final_response(sandbox: Sandbox,
                                                           openai_client: Client) -> None:
    sandbox.faults.next(Fault.fail(after=1))
    with openai_client().responses.stream(model="gpt-4o-mini", input="x") as helper:
        types = [e.type for e in helper]
        assert types[-1] == "response.failed"
        with pytest.raises(RuntimeError):
            helper.get_final_response()


def test_error_event(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.error_event(after=2))
    seen: list[Any] = []
    _responses_stream(openai_client(), seen)
    assert len(_deltas(seen)) == 2
    error = seen[-1]
    assert error.type == "error" and error.code == "server_error" and error.param is None
    assert error.message.startswith("The server had an error")
    assert error.sequence_number == len(seen) - 1


def test_malformed_sse_breaks_the_sdks_parser(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.malformed(after=5))
    seen: list[Any] = []
    with pytest.raises(json.JSONDecodeError):
        _responses_stream(openai_client(), seen)
    assert len(_deltas(seen)) == 5


def test_malformed_line_on_the_wire_then_the_stream_goes_on(sandbox: Sandbox) -> None:
    sandbox.faults.next(Fault.malformed(after=1))
    _, events = stream(sandbox, "/v1/responses", ACME_KEY,
                       {"model": "gpt-4o-mini", "input": "x", "stream": True})
    garbage = [e for e in events if not e.data.startswith("{\"")]
    assert len(garbage) == 1 and garbage[0].event is None
    assert events[-1].event == "response.completed"


def test_fault_after_the_last_delta_still_applies(sandbox: Sandbox,
                                                  openai_client: Client) -> None:
    sandbox.model.update(tokens=3)
    sandbox.faults.next(Fault.fail(after=99))
    seen: list[Any] = []
    _responses_stream(openai_client(), seen)
    assert len(_deltas(seen)) == 3 and seen[-1].type == "response.failed"


# -- stream faults: Assistants and Chat ------------------------------------------------------
@pytest.fixture
def run_target(openai_client: Client) -> tuple[OpenAI, str, str]:
    client = openai_client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "fault"}])
    return client, thread.id, assistant.id


def test_run_stream_cut_is_a_transport_error_in_the_helper(
    sandbox: Sandbox, run_target: tuple[OpenAI, str, str]
) -> None:
    client, thread_id, assistant_id = run_target
    sandbox.faults.next(Fault.cut(after=2))
    with pytest.raises(httpx2.RemoteProtocolError), client.beta.threads.runs.stream(
        thread_id=thread_id, assistant_id=assistant_id
    ) as helper:
        helper.until_done()


def test_run_stream_fail_ends_with_thread_run_failed(
    sandbox: Sandbox, run_target: tuple[OpenAI, str, str]
) -> None:
    client, thread_id, assistant_id = run_target
    sandbox.faults.next(Fault.fail(after=2))
    with client.beta.threads.runs.stream(thread_id=thread_id, assistant_id=assistant_id) as s:
        events = [e.event for e in s]
        run = s.get_final_run()
    assert events[-1] == "thread.run.failed" and events.count("thread.message.delta") == 2
    assert run.status == "failed" and run.last_error is not None
    assert run.last_error.code == "server_error"
    message = client.beta.threads.messages.list(thread_id).data[0]
    assert message.status == "incomplete"


def test_run_stream_error_event_raises_api_error(
    sandbox: Sandbox, run_target: tuple[OpenAI, str, str]
) -> None:
    client, thread_id, assistant_id = run_target
    sandbox.faults.next(Fault.error_event(after=1, message="run broke"))
    with pytest.raises(openai.APIError) as caught:
        list(client.beta.threads.runs.create(thread_id, assistant_id=assistant_id, stream=True))
    assert caught.value.message == "run broke"


def test_run_stream_malformed(sandbox: Sandbox, run_target: tuple[OpenAI, str, str]) -> None:
    client, thread_id, assistant_id = run_target
    sandbox.faults.next(Fault.malformed(after=1))
    with pytest.raises(json.JSONDecodeError):
        list(client.beta.threads.runs.create(thread_id, assistant_id=assistant_id, stream=True))


def _chat(client: OpenAI, seen: list[Any]) -> None:
    for chunk in client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "fault"}], stream=True
    ):
        seen.append(chunk)


@pytest.mark.parametrize("fault", [Fault.fail(after=2), Fault.error_event(after=2)])
def test_chat_stream_failure_raises_api_error(sandbox: Sandbox, openai_client: Client,
                                              fault: Fault) -> None:
    sandbox.faults.next(fault)
    seen: list[Any] = []
    with pytest.raises(openai.APIError) as caught:
        _chat(openai_client(), seen)
    assert caught.value.message == "The model failed to generate a response." or \
        caught.value.message.startswith("The server had an error")
    assert len(seen) == 3  # the role chunk and two deltas


def test_chat_stream_cut(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.cut(after=2))
    seen: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        _chat(openai_client(), seen)
    assert len(seen) == 3


# -- queueing, targeting, consumption ------------------------------------------------------
def test_times_and_order(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.next(Fault.server_error(), times=2)
    sandbox.faults.next(Fault.insufficient_quota())
    client = openai_client()
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            client.models.list()
    with pytest.raises(openai.RateLimitError):
        client.models.list()
    assert client.models.list().data


def test_always_until_cleared(sandbox: Sandbox, openai_client: Client) -> None:
    sandbox.faults.always(Fault.server_error())
    for _ in range(3):
        with pytest.raises(openai.InternalServerError):
            openai_client().models.list()
    assert sandbox.faults.pending()[0]["times"] is None
    sandbox.faults.clear()
    assert openai_client().models.list().data


def test_path_pattern_targets_only_matching_calls(sandbox: Sandbox,
                                                  openai_client: Client) -> None:
    sandbox.faults.next(Fault.server_error(), path=r"/responses$")
    client = openai_client()
    conv = client.conversations.create()
    assert client.models.list().data
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4o-mini", input="x", conversation=conv.id)
    assert client.responses.create(model="gpt-4o-mini", input="x").status == "completed"


def test_method_targets_only_matching_calls(sandbox: Sandbox, openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create()
    sandbox.faults.next(Fault.server_error(), method="delete")
    assert client.conversations.retrieve(conv.id).id == conv.id
    with pytest.raises(openai.InternalServerError):
        client.conversations.delete(conv.id)


def test_stream_faults_wait_for_a_streaming_request(sandbox: Sandbox,
                                                    openai_client: Client) -> None:
    sandbox.faults.next(Fault.cut(after=1))
    client = openai_client()
    assert client.responses.create(model="gpt-4o-mini", input="x").status == "completed"
    assert len(sandbox.faults.pending()) == 1
    with pytest.raises(openai.APIConnectionError):
        _responses_stream(client, [])
    assert sandbox.faults.pending() == []


def test_per_request_header(sandbox: Sandbox, openai_client: Client) -> None:
    client = openai_client()
    with pytest.raises(openai.RateLimitError) as caught:
        client.models.list(extra_headers={"X-Sandbox-Fault": "rate_limit;retry_after=3"})
    assert caught.value.response.headers["retry-after"] == "3"
    seen: list[Any] = []
    stream_ = client.responses.create(model="gpt-4o-mini", input="x", stream=True,
                                      extra_headers={"X-Sandbox-Fault": "fail; after=1"})
    seen.extend(stream_)
    assert seen[-1].type == "response.failed"
    with pytest.raises(openai.BadRequestError):
        client.models.list(extra_headers={"X-Sandbox-Fault": "gremlins"})
    assert client.models.list().data  # the header never touches the queue


def test_faults_over_http(sandbox: Sandbox, openai_client: Client) -> None:
    answer = request(sandbox, "POST", "/_sandbox/faults",
                     json_body={"kind": "server_error", "status": 502, "times": 2,
                                "path": "/models"})
    assert answer.status_code == 200 and answer.json()["pending"][0]["times"] == 2
    assert request(sandbox, "GET", "/_sandbox/faults").json()["pending"][0]["status"] == 502
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client().models.list()
    assert caught.value.status_code == 502
    request(sandbox, "DELETE", "/_sandbox/faults")
    assert openai_client().models.list().data
    request(sandbox, "POST", "/_sandbox/faults", json_body={"kind": "cut", "after": 0})
    assert request(sandbox, "POST", "/_sandbox/faults", json_body={"clear": True}).json() == {
        "pending": []}
    for bad in ({"kind": "gremlins"}, {"kind": "cut", "after": -1}, {"kind": "cut", "x": 1},
                {"kind": "server_error", "status": 404}, {"surprise": 1},
                {"kind": "cut", "times": 0}):
        assert request(sandbox, "POST", "/_sandbox/faults", json_body=bad).status_code == 400


def test_fault_specs_round_trip() -> None:
    for fault in (Fault.rate_limit(2.5), Fault.insufficient_quota(), Fault.server_error(503),
                  Fault.unauthorized(), Fault.slow_first_byte(1.5), Fault.cut(3),
                  Fault.fail(2, "m"), Fault.error_event(1), Fault.malformed(4),
                  Fault.commentary(), Fault.refusal(), Fault.incomplete(2, "content_filter"),
                  Fault.nested_error(1, "m")):
        assert Fault.from_dict(fault.to_dict()) == fault
    assert Fault.parse("slow_first_byte; seconds=2") == Fault.slow_first_byte(2)
    assert {k.value for k in FaultKind} == {
        "rate_limit", "insufficient_quota", "server_error", "unauthorized", "slow_first_byte",
        "cut", "fail", "error_event", "malformed", "commentary", "refusal", "incomplete",
        "nested_error"}
    for bad in ("", "cut;after", "cut;after=x", "nonsense"):
        with pytest.raises(ValueError):
            Fault.parse(bad)
