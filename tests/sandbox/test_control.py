"""``/_sandbox/*`` over HTTP, and ``python -m tui.sandbox`` as a subprocess."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable

import openai
import pytest
from openai import OpenAI

from tui.sandbox import ACME_KEY, PERSONAL_KEY, USER_KEY, Sandbox, count_tokens

from .rawhttp import request

Client = Callable[..., OpenAI]


def test_state_lists_every_object_by_owner(sandbox: Sandbox, openai_client: Client) -> None:
    conv = openai_client().conversations.create(metadata={"title": "x"})
    thread = sandbox.seed_thread(PERSONAL_KEY, title="t", turns=[("user", "hi")])
    sandbox.seed_assistant(ACME_KEY, name="A")
    response = openai_client().responses.create(model="gpt-4o-mini", input="y",
                                                conversation=conv.id)
    state = request(sandbox, "GET", "/_sandbox/state").json()
    assert {k: v for k, v in state.items() if k != "now"} == {
        k: v for k, v in sandbox.state().items() if k != "now"}
    assert state["conversations"][0] | {"items": []} == {
        "organization": "org-sandboxacmecorp", "project": "proj_sandboxacmedefault",
        "id": conv.id, "deleted": False, "items": [], "metadata": {"title": "x"}}
    assert len(state["conversations"][0]["items"]) == 2
    assert state["responses"][0]["id"] == response.id
    assert state["responses"][0]["conversation"] == conv.id
    assert state["threads"][0]["id"] == thread and state["threads"][0]["messages"] == 1
    assert state["assistants"][0]["name"] == "A"
    assert {o["slug"] for o in state["tenancy"]} == {"acme-corp", "personal"}
    assert "sk-proj-sandbox" not in str(state["tenancy"])  # keys are masked
    assert state["model"] == {"tokens": None, "delay_s": 0.0, "models": list(
        sandbox.model.models), "shutdowns": {"gpt-4.1": "2027-01-14", "gpt-4.1-mini": "2027-01-14"}}


def test_clock_endpoint_expires_threads(sandbox: Sandbox, openai_client: Client) -> None:
    thread = openai_client().beta.threads.create()
    before = sandbox.clock.now()
    answer = request(sandbox, "POST", "/_sandbox/clock", json_body={"advance_days": 61})
    assert answer.json()["now"] >= before + 61 * 86_400
    with pytest.raises(openai.NotFoundError):
        openai_client().beta.threads.retrieve(thread.id)
    assert request(sandbox, "POST", "/_sandbox/clock",
                   json_body={"advance_seconds": -5}).status_code == 400
    assert request(sandbox, "POST", "/_sandbox/clock",
                   json_body={"rewind": 1}).status_code == 400


def test_model_endpoint_changes_length_at_runtime(sandbox: Sandbox,
                                                  openai_client: Client) -> None:
    answer = request(sandbox, "POST", "/_sandbox/model",
                     json_body={"tokens": 42, "delay_ms": 0})
    assert answer.json()["tokens"] == 42
    response = openai_client().responses.create(model="gpt-4o-mini", input="x")
    assert count_tokens(response.output_text) == 42
    assert request(sandbox, "GET", "/_sandbox/model").json()["tokens"] == 42
    request(sandbox, "POST", "/_sandbox/model", json_body={"models": ["only-this"]})
    assert [m.id for m in openai_client().models.list()] == ["only-this"]
    for bad in ({"tokens": -3}, {"delay_ms": "slow"}, {"speed": 1}, {"models": []}):
        assert request(sandbox, "POST", "/_sandbox/model", json_body=bad).status_code == 400


def test_features_endpoint_retires_the_assistants_api(sandbox: Sandbox,
                                                      openai_client: Client) -> None:
    assert request(sandbox, "POST", "/_sandbox/features",
                   json_body={"assistants": False}).json()["assistants"] is False
    with pytest.raises(openai.NotFoundError):
        openai_client().beta.threads.create()
    request(sandbox, "POST", "/_sandbox/features", json_body={"assistants": True})
    assert openai_client().beta.threads.create().id
    assert request(sandbox, "POST", "/_sandbox/features",
                   json_body={"assistants": "no"}).status_code == 400


def test_seed_endpoint(sandbox: Sandbox, openai_client: Client) -> None:
    conv = request(sandbox, "POST", "/_sandbox/seed", json_body={
        "kind": "conversation", "key": USER_KEY, "organization": "personal",
        "title": "Seeded", "turns": [["user", "q"], ["assistant", "a"]]}).json()["id"]
    personal = openai_client("personal")
    assert personal.conversations.retrieve(conv).metadata == {"title": "Seeded"}
    assert [i.role for i in personal.conversations.items.list(conv, order="asc")] == [
        "user", "assistant"]
    thread = request(sandbox, "POST", "/_sandbox/seed", json_body={
        "kind": "thread", "key": ACME_KEY, "turns": [["user", "q"]]}).json()["id"]
    assert openai_client().beta.threads.messages.list(thread).data[0].role == "user"
    assistant = request(sandbox, "POST", "/_sandbox/seed", json_body={
        "kind": "assistant", "key": ACME_KEY, "name": "Bot"}).json()["id"]
    assert openai_client().beta.assistants.retrieve(assistant).name == "Bot"
    assert request(sandbox, "POST", "/_sandbox/seed",
                   json_body={"kind": "pony", "key": ACME_KEY}).status_code == 400
    assert request(sandbox, "POST", "/_sandbox/seed",
                   json_body={"kind": "thread"}).status_code == 400
    assert request(sandbox, "POST", "/_sandbox/seed",
                   json_body={"kind": "thread", "key": "sk-nope-nope"}).status_code == 401


def test_reset_endpoint_clears_faults(sandbox: Sandbox, openai_client: Client) -> None:
    request(sandbox, "POST", "/_sandbox/faults", json_body={"kind": "server_error"})
    assert request(sandbox, "POST", "/_sandbox/reset").json() == {"ok": True}
    assert openai_client().models.list().data


def test_unknown_paths_and_bad_bodies(sandbox: Sandbox) -> None:
    missing = request(sandbox, "GET", "/v1/conversations", ACME_KEY)
    assert missing.status_code == 404  # the API cannot list conversations
    assert missing.json()["error"]["message"] == "Invalid URL (GET /v1/conversations)"
    assert request(sandbox, "GET", "/_sandbox/nothing").status_code == 404
    garbled = request(sandbox, "POST", "/v1/conversations", ACME_KEY, content=b"{nope",
                      headers={"Content-Type": "application/json"})
    assert garbled.status_code == 400
    assert garbled.json()["error"]["message"].startswith("We could not parse the JSON body")
    array = request(sandbox, "POST", "/v1/conversations", ACME_KEY, json_body=[1])
    assert array.status_code == 400


def test_module_runs_in_the_foreground_and_stops_on_sigterm() -> None:
    command = [sys.executable, "-m", "tui.sandbox", "--port", "0", "--tokens", "12",
               "--delay-ms", "0", "--seed-demo"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
            with OpenAI(api_key=ACME_KEY, base_url=base_url, max_retries=0) as client:
                response = client.responses.create(model="gpt-4o-mini", input="subprocess")
            assert count_tokens(response.output_text) == 12
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
        out = process.stdout.read()  # the rest, already buffered by readline()
        assert process.returncode == 0, process.stderr.read()
    assert ACME_KEY in out and PERSONAL_KEY in out and USER_KEY in out
    assert "/_sandbox/state" in out and "conv_" in out and "thread_" in out


def test_module_rejects_bad_arguments() -> None:
    result = subprocess.run([sys.executable, "-m", "tui.sandbox", "--tokens", "-1"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
