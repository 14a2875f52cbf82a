"""The legacy Assistants API through the SDK: assistants, threads, messages, runs, expiry."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from tui.sandbox import ACME_KEY, PERSONAL_KEY, Sandbox, count_tokens, reply_text

from .rawhttp import request, stream

Client = Callable[..., OpenAI]
AsyncClient = Callable[..., AsyncOpenAI]

RUN_EVENTS_HEAD = [
    "thread.run.created",
    "thread.run.queued",
    "thread.run.in_progress",
    "thread.message.created",
    "thread.message.in_progress",
]
RUN_EVENTS_TAIL = ["thread.message.completed", "thread.run.completed"]


def test_assistant_create_and_retrieve(openai_client: Client) -> None:
    client = openai_client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini", name="Helper",
                                              instructions="Be kind.", metadata={"a": "1"})
    assert assistant.id.startswith("asst_") and assistant.name == "Helper"
    fetched = client.beta.assistants.retrieve(assistant.id)
    assert (fetched.instructions, fetched.metadata) == ("Be kind.", {"a": "1"})
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.create(model="gpt-imaginary")


def test_thread_create_retrieve_modify_delete(openai_client: Client) -> None:
    client = openai_client()
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "first"},
                  {"role": "assistant", "content": [{"type": "text", "text": "second"}]}],
        metadata={"title": "T"},
    )
    assert thread.id.startswith("thread_") and thread.metadata == {"title": "T"}
    assert client.beta.threads.retrieve(thread.id).created_at == thread.created_at
    assert client.beta.threads.update(thread.id, metadata={"title": "U"}).metadata == {
        "title": "U"}
    deleted = client.beta.threads.delete(thread.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (thread.id, True, "thread.deleted")
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.threads.retrieve(thread.id)
    assert caught.value.body["message"] == f"No thread found with id '{thread.id}'."  # type: ignore[index]


def test_messages_list_order_cursor_and_limit(sandbox: Sandbox, openai_client: Client) -> None:
    turns = [("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(12)]
    thread_id = sandbox.seed_thread(ACME_KEY, title="seeded", turns=turns)
    client = openai_client()
    newest = client.beta.threads.messages.list(thread_id, limit=5)
    assert [m.content[0].text.value for m in newest.data] == [  # type: ignore[union-attr]
        "m11", "m10", "m9", "m8", "m7"]
    assert newest.has_more is True
    every = [m.content[0].text.value  # type: ignore[union-attr]
             for m in client.beta.threads.messages.list(thread_id, limit=5, order="asc")]
    assert every == [f"m{i}" for i in range(12)]
    first = client.beta.threads.messages.list(thread_id, order="asc", limit=2).data
    after = client.beta.threads.messages.list(thread_id, order="asc", after=first[1].id, limit=1)
    assert after.data[0].content[0].text.value == "m2"  # type: ignore[union-attr]
    before = client.beta.threads.messages.list(thread_id, order="asc", before=first[1].id)
    assert [m.id for m in before.data] == [first[0].id]


def test_message_create_and_retrieve(openai_client: Client) -> None:
    client = openai_client()
    thread = client.beta.threads.create()
    message = client.beta.threads.messages.create(thread.id, role="user", content="hi",
                                                  metadata={"k": "v"})
    assert message.thread_id == thread.id and message.role == "user"
    assert message.content[0].text.value == "hi"  # type: ignore[union-attr]
    fetched = client.beta.threads.messages.retrieve(message.id, thread_id=thread.id)
    assert fetched.metadata == {"k": "v"}
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.retrieve("msg_nope", thread_id=thread.id)
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.messages.create(thread.id, role="system", content="x")  # type: ignore[arg-type]


def test_run_stream_helper(openai_client: Client) -> None:
    client = openai_client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "stream it"}])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as s:
        text = "".join(s.text_deltas)
        run = s.get_final_run()
        messages = s.get_final_messages()
    assert text == reply_text("stream it") == messages[0].content[0].text.value  # type: ignore[union-attr]
    assert run.status == "completed" and run.usage is not None
    assert run.usage.completion_tokens == count_tokens(text)
    assert run.usage.prompt_tokens == count_tokens("stream it")
    listed = client.beta.threads.messages.list(thread.id)
    assert [m.role for m in listed.data] == ["assistant", "user"]
    assert listed.data[0].run_id == run.id and listed.data[0].status == "completed"


def test_run_create_stream_event_sequence(sandbox: Sandbox, openai_client: Client) -> None:
    client = openai_client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create()
    events = list(client.beta.threads.runs.create(
        thread.id, assistant_id=assistant.id, stream=True,
        additional_messages=[{"role": "user", "content": "extra"}]))
    names = [e.event for e in events]
    deltas = [e for e in events if e.event == "thread.message.delta"]
    assert names == RUN_EVENTS_HEAD + ["thread.message.delta"] * len(deltas) + RUN_EVENTS_TAIL
    assert "".join(d.data.delta.content[0].text.value for d in deltas) == reply_text("extra")  # type: ignore[union-attr]
    _, raw_events = stream(sandbox, f"/v1/threads/{thread.id}/runs", ACME_KEY,
                           {"assistant_id": assistant.id, "stream": True})
    assert (raw_events[-1].event, raw_events[-1].data) == ("done", "[DONE]")


def test_non_streaming_run_is_queued_then_completes(openai_client: Client) -> None:
    client = openai_client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "poll"}])
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    assert run.status == "queued"
    polled = client.beta.threads.runs.create_and_poll(thread_id=thread.id,
                                                      assistant_id=assistant.id)
    assert polled.status == "completed"
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "completed"
    assert client.beta.threads.messages.list(thread.id).data[0].content[0].text.value == (  # type: ignore[union-attr]
        reply_text("poll"))
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.runs.retrieve("run_nope", thread_id=thread.id)


def test_run_needs_a_visible_assistant(sandbox: Sandbox, openai_client: Client) -> None:
    foreign = sandbox.seed_assistant(PERSONAL_KEY)
    client = openai_client()
    thread = client.beta.threads.create()
    with pytest.raises(openai.NotFoundError) as caught:
        client.beta.threads.runs.create(thread.id, assistant_id=foreign)
    assert caught.value.body["message"] == f"No assistant found with id '{foreign}'."  # type: ignore[index]
    response = request(sandbox, "POST", f"/v1/threads/{thread.id}/runs", ACME_KEY,
                       json_body={})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "assistant_id"


def test_no_new_messages_or_runs_while_a_run_is_active(sandbox: Sandbox,
                                                       openai_client: Client) -> None:
    # One second per piece keeps the run active for the whole test; closing ends it.
    sandbox.model.update(delay_s=1.0)
    client = openai_client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create()
    with client.beta.threads.runs.create(thread.id, assistant_id=assistant.id,
                                         stream=True) as events:
        assert next(iter(events)).event == "thread.run.created"
        with pytest.raises(openai.BadRequestError) as caught:
            client.beta.threads.messages.create(thread.id, role="user", content="wait")
        assert "while a run" in caught.value.message
        with pytest.raises(openai.BadRequestError):
            client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)


def _start_slow_run(sandbox: Sandbox, client: OpenAI, prompt: str) -> tuple[str, str]:
    """A run streaming one piece per second, dropped after its first event: (thread, run)."""
    sandbox.model.update(delay_s=1.0)
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": prompt}])
    with client.beta.threads.runs.create(thread.id, assistant_id=assistant.id,
                                         stream=True) as events:
        run_id = next(iter(events)).data.id  # type: ignore[union-attr]
    return thread.id, run_id


def _wait_until_noticed(sandbox: Sandbox, run_id: str) -> None:
    """The server learns of the closed connection at its next write (within one delay)."""
    deadline = time.monotonic() + 10
    while not next(r for r in sandbox.state()["runs"] if r["id"] == run_id)["stream_dropped"]:
        assert time.monotonic() < deadline, "the server never noticed the dropped stream"
        time.sleep(0.01)


def test_a_dropped_run_goes_on_unseen_and_holds_the_thread(sandbox: Sandbox,
                                                           openai_client: Client) -> None:
    client = openai_client()
    thread_id, run_id = _start_slow_run(sandbox, client, "bye")
    _wait_until_noticed(sandbox, run_id)
    assert client.beta.threads.runs.retrieve(run_id, thread_id=thread_id).status == "in_progress"
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.messages.create(thread_id, role="user", content="too soon")
    sandbox.clock.advance(seconds=3600)  # long enough for the unseen generation to finish
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    assert run.status == "completed" and run.usage is not None
    assert run.usage.completion_tokens == count_tokens(reply_text("bye"))
    reply = client.beta.threads.messages.list(thread_id).data[0]
    assert reply.content[0].text.value == reply_text("bye")  # type: ignore[union-attr]
    client.beta.threads.messages.create(thread_id, role="user", content="now it is free")


def test_cancelling_a_dropped_run_frees_the_thread(sandbox: Sandbox,
                                                   openai_client: Client) -> None:
    client = openai_client()
    thread_id, run_id = _start_slow_run(sandbox, client, "stop")
    cancelled = client.beta.threads.runs.cancel(run_id, thread_id=thread_id)
    assert cancelled.status == "cancelling"
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    assert run.status == "cancelled" and run.cancelled_at is not None
    message = client.beta.threads.messages.list(thread_id).data[0]
    assert message.status == "incomplete"
    assert message.incomplete_details is not None
    assert message.incomplete_details.reason == "run_cancelled"
    sandbox.model.update(delay_s=0)
    assistant_id = run.assistant_id
    with client.beta.threads.runs.stream(thread_id=thread_id, assistant_id=assistant_id) as s:
        assert s.get_final_run().status == "completed"
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.runs.cancel(run_id, thread_id=thread_id)
    assert caught.value.message.endswith("Cannot cancel run with status 'cancelled'.")


def test_cancelling_while_streaming_ends_the_stream(sandbox: Sandbox,
                                                   openai_client: Client) -> None:
    sandbox.model.update(delay_s=0.2)
    client = openai_client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "go"}])
    names: list[str] = []
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as s:
        for event in s:
            names.append(event.event)
            if event.event == "thread.message.delta" and names.count(event.event) == 1:
                run_id = s.current_run.id  # type: ignore[union-attr]
                client.beta.threads.runs.cancel(run_id, thread_id=thread.id)
        run = s.get_final_run()
    assert names[-2:] == ["thread.message.incomplete", "thread.run.cancelled"]
    assert run.status == "cancelled"


def test_a_dropped_run_with_no_delay_completes_when_noticed(sandbox: Sandbox,
                                                            openai_client: Client) -> None:
    sandbox.model.update(tokens=50_000)  # more than the socket buffers: the server must wait
    client = openai_client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "fast"}])
    with client.beta.threads.runs.create(thread.id, assistant_id=assistant.id,
                                         stream=True) as events:
        run_id = next(iter(events)).data.id  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while client.beta.threads.runs.retrieve(run_id, thread_id=thread.id).status != "completed":
        assert time.monotonic() < deadline, "the dropped run never completed"
        time.sleep(0.01)


async def test_async_run_stream(async_openai_client: AsyncClient) -> None:
    client = async_openai_client()
    assistant = await client.beta.assistants.create(model="gpt-4o-mini")
    thread = await client.beta.threads.create(messages=[{"role": "user", "content": "async"}])
    async with client.beta.threads.runs.stream(thread_id=thread.id,
                                               assistant_id=assistant.id) as s:
        text = "".join([d async for d in s.text_deltas])
    assert text == reply_text("async")


def test_threads_expire_after_sixty_idle_days(sandbox: Sandbox, openai_client: Client) -> None:
    client = openai_client()
    idle = client.beta.threads.create()
    active = client.beta.threads.create()
    sandbox.clock.advance(days=59)
    client.beta.threads.messages.create(active.id, role="user", content="still here")
    assert client.beta.threads.retrieve(idle.id).id == idle.id  # reading is not activity
    sandbox.clock.advance(days=2)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.retrieve(idle.id)
    assert client.beta.threads.retrieve(active.id).id == active.id
    sandbox.clock.advance(days=61)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list(active.id)


def test_conversations_do_not_expire(sandbox: Sandbox, openai_client: Client) -> None:
    conv = openai_client().conversations.create()
    sandbox.clock.advance(days=400)
    assert openai_client().conversations.retrieve(conv.id).id == conv.id


def test_retired_assistants_api_answers_404(sandbox: Sandbox, openai_client: Client) -> None:
    thread = openai_client().beta.threads.create()
    sandbox.features.assistants = False
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client().beta.threads.retrieve(thread.id)
    assert caught.value.message.endswith(f"Invalid URL (GET /v1/threads/{thread.id})")
    assert openai_client().models.list().data


def test_the_beta_header_is_required(sandbox: Sandbox) -> None:
    response = request(sandbox, "POST", "/v1/threads", ACME_KEY, json_body={},
                       headers={"OpenAI-Beta": ""})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_beta"
