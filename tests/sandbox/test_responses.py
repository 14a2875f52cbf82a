"""``/v1/responses`` through the SDK: turns in conversations, streaming helpers, chaining."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from tui.sandbox import ACME_KEY, Sandbox, count_tokens, reply_text

from .rawhttp import stream

Client = Callable[..., OpenAI]
AsyncClient = Callable[..., AsyncOpenAI]

EXPECTED_EVENTS_HEAD = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
]
EXPECTED_EVENTS_TAIL = [
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def test_non_streaming_response(openai_client: Client) -> None:
    response = openai_client().responses.create(model="gpt-4o-mini", input="Hello there")
    assert response.id.startswith("resp_") and response.status == "completed"
    assert response.output_text == reply_text("Hello there")
    assert response.usage is not None
    assert response.usage.output_tokens == count_tokens(reply_text("Hello there"))
    assert response.usage.input_tokens == count_tokens("Hello there")
    assert response.usage.total_tokens == (response.usage.input_tokens
                                           + response.usage.output_tokens)
    assert response.conversation is None


def test_a_turn_in_a_conversation_appends_input_and_output(openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create(items=[{"role": "user", "content": "earlier"}])
    response = client.responses.create(model="gpt-4o-mini", input="now", conversation=conv.id)
    assert response.conversation is not None and response.conversation.id == conv.id
    items = list(client.conversations.items.list(conv.id, order="asc"))
    assert [(i.role, i.content[0].text) for i in items] == [  # type: ignore[union-attr]
        ("user", "earlier"), ("user", "now"), ("assistant", reply_text("now"))]
    assert items[-1].id == response.output[0].id
    # The model saw the history: input tokens count it.
    assert response.usage is not None
    assert response.usage.input_tokens == count_tokens("earlier") + count_tokens("now")


def test_conversation_given_as_object_and_input_as_item_list(openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create()
    client.responses.create(
        model="gpt-4o-mini",
        conversation={"id": conv.id},
        input=[{"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "as items"}]}],
    )
    texts = [i.content[0].text for i in client.conversations.items.list(conv.id)]  # type: ignore[union-attr]
    assert texts == [reply_text("as items"), "as items"]


def test_the_reply_follows_the_conversations_last_user_message(openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create(items=[{"role": "user", "content": "remember me"}])
    response = client.responses.create(
        model="gpt-4o-mini", conversation=conv.id,
        input=[{"type": "function_call_output", "call_id": "c1", "output": "42"}])
    assert response.output_text == reply_text("remember me")


def test_instructions_count_as_input(openai_client: Client) -> None:
    response = openai_client().responses.create(model="gpt-4o-mini", input="hi",
                                                instructions="Be brief and kind.")
    assert response.instructions == "Be brief and kind."
    assert response.usage is not None
    assert response.usage.input_tokens == count_tokens("Be brief and kind.") + count_tokens("hi")


def test_previous_response_id_chains_context(openai_client: Client) -> None:
    client = openai_client()
    first = client.responses.create(model="gpt-4o-mini", input="one")
    second = client.responses.create(model="gpt-4o-mini", input="two",
                                     previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert second.usage is not None
    expected = count_tokens("one") + count_tokens(reply_text("one")) + count_tokens("two")
    assert second.usage.input_tokens == expected
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="gpt-4o-mini", input="x",
                                previous_response_id="resp_missing")
    assert caught.value.param == "previous_response_id"


def test_conversation_and_previous_response_id_are_exclusive(openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create()
    first = client.responses.create(model="gpt-4o-mini", input="one")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input="x", conversation=conv.id,
                                previous_response_id=first.id)
    assert caught.value.code == "mutually_exclusive_parameters"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"input": "x", "model": "gpt-9-imaginary"}, openai.NotFoundError),
        ({"model": "gpt-4o-mini"}, openai.BadRequestError),
        ({"input": "x", "model": "gpt-4o-mini", "conversation": "conv_nope"},
         openai.NotFoundError),
        ({"input": 42, "model": "gpt-4o-mini"}, openai.BadRequestError),
        ({"input": "x", "model": "gpt-4o-mini", "temperature": "hot"}, openai.BadRequestError),
    ],
)
def test_invalid_requests(openai_client: Client, kwargs: dict[str, Any],
                          error: type[Exception]) -> None:
    with pytest.raises(error):
        openai_client().responses.create(**kwargs)


def test_retrieve_and_delete(openai_client: Client) -> None:
    client = openai_client()
    response = client.responses.create(model="gpt-4o-mini", input="keep", metadata={"a": "b"})
    again = client.responses.retrieve(response.id)
    assert again.output_text == response.output_text and again.metadata == {"a": "b"}
    raw = client.responses.with_raw_response.delete(response.id)
    assert raw.http_response.json() == {"id": response.id, "object": "response.deleted",
                                        "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(response.id)


def test_store_false_is_not_retrievable_but_still_fills_the_conversation(
    openai_client: Client,
) -> None:
    client = openai_client()
    conv = client.conversations.create()
    response = client.responses.create(model="gpt-4o-mini", input="x", store=False,
                                       conversation=conv.id)
    assert response.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    assert len(list(client.conversations.items.list(conv.id))) == 2


def test_stream_event_sequence(openai_client: Client) -> None:
    events = list(openai_client().responses.create(model="gpt-4o-mini", input="stream me",
                                                   stream=True))
    types = [e.type for e in events]
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert types == EXPECTED_EVENTS_HEAD + ["response.output_text.delta"] * len(deltas) \
        + EXPECTED_EVENTS_TAIL
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(d.delta for d in deltas)
    assert text == reply_text("stream me")
    assert all(d.logprobs == [] and d.output_index == 0 and d.content_index == 0
               for d in deltas)
    item_id = events[2].item.id  # type: ignore[union-attr]
    assert {d.item_id for d in deltas} == {item_id}
    completed = events[-1].response  # type: ignore[union-attr]
    assert completed.status == "completed" and completed.output_text == text
    assert completed.usage is not None and completed.usage.output_tokens == len(deltas)
    assert completed.usage.input_tokens_details.cached_tokens == 0
    assert completed.usage.output_tokens_details.reasoning_tokens == 0


def test_stream_helper_and_final_response(openai_client: Client) -> None:
    client = openai_client()
    conv = client.conversations.create()
    with client.responses.stream(model="gpt-4o-mini", input="helper", conversation=conv.id) as s:
        snapshots = [e.snapshot for e in s if e.type == "response.output_text.delta"]
        final = s.get_final_response()
    assert snapshots[-1] == reply_text("helper") == final.output_text
    assert final.id == client.responses.retrieve(final.id).id
    assert len(list(client.conversations.items.list(conv.id))) == 2


async def test_async_stream(async_openai_client: AsyncClient) -> None:
    client = async_openai_client("personal")
    conv = await client.conversations.create()
    stream_ = await client.responses.create(model="gpt-4o-mini", input="async",
                                            conversation=conv.id, stream=True)
    text = "".join([e.delta async for e in stream_ if e.type == "response.output_text.delta"])
    assert text == reply_text("async")
    async with client.responses.stream(model="gpt-4o-mini", input="again",
                                       conversation=conv.id) as helper:
        final = await helper.get_final_response()
    assert final.output_text == reply_text("again")
    page = await client.conversations.items.list(conv.id)
    assert len(page.data) == 4


def test_long_reply_streams_quickly_with_exact_usage(sandbox: Sandbox,
                                                     openai_client: Client) -> None:
    sandbox.model.update(tokens=20_000)
    events = list(openai_client().responses.create(model="gpt-4o-mini", input="long",
                                                   stream=True))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) == 20_000
    final = events[-1].response  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.output_tokens == 20_000
    assert "".join(deltas) == final.output_text == reply_text("long", tokens=20_000)


def test_stored_response_is_in_progress_while_streaming(sandbox: Sandbox,
                                                        openai_client: Client) -> None:
    # One second per piece: the stream cannot finish while the test looks at it; closing the
    # stream (and the sandbox at teardown) ends it without waiting.
    sandbox.model.update(delay_s=1.0)
    client = openai_client()
    with client.responses.create(model="gpt-4o-mini", input="x", stream=True) as events:
        first = next(iter(events))
        assert first.type == "response.created"
        assert client.responses.retrieve(first.response.id).status == "in_progress"


def test_sse_wire_format(sandbox: Sandbox) -> None:
    response, events = stream(sandbox, "/v1/responses", ACME_KEY,
                              {"model": "gpt-4o-mini", "input": "wire", "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["transfer-encoding"] == "chunked"
    assert all(e.event == e.json()["type"] for e in events)
