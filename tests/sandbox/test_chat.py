"""``/v1/chat/completions``: stateless, streamed chunks, the optional usage chunk."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from tui.sandbox import ACME_KEY, Sandbox, count_tokens, reply_text

from .rawhttp import stream

Client = Callable[..., OpenAI]
AsyncClient = Callable[..., AsyncOpenAI]

HISTORY = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "first"},
    {"role": "assistant", "content": "ok"},
    {"role": "user", "content": [{"type": "text", "text": "second"}]},
]


def _prompt_tokens() -> int:
    return sum(count_tokens(t) for t in ("You are terse.", "first", "ok", "second"))


def test_non_streaming_completion(openai_client: Client) -> None:
    completion = openai_client().chat.completions.create(model="gpt-4o", messages=HISTORY)  # type: ignore[arg-type]
    assert completion.id.startswith("chatcmpl-") and completion.object == "chat.completion"
    choice = completion.choices[0]
    assert choice.message.content == reply_text("second")
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == _prompt_tokens()
    assert completion.usage.completion_tokens == count_tokens(reply_text("second"))


def test_stream_with_usage(openai_client: Client) -> None:
    chunks = list(openai_client().chat.completions.create(
        model="gpt-4o", messages=HISTORY, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert "".join(content) == reply_text("second")
    assert chunks[-2].choices[0].finish_reason == "stop"
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == sum(1 for c in content if c)
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1


def test_stream_without_usage_and_the_done_marker(sandbox: Sandbox) -> None:
    _, events = stream(sandbox, "/v1/chat/completions", ACME_KEY,
                       {"model": "gpt-4o", "messages": HISTORY, "stream": True})
    assert events[-1].data == "[DONE]" and all(e.event is None for e in events)
    chunks = [e.json() for e in events[:-1]]
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_async_stream(async_openai_client: AsyncClient) -> None:
    stream_ = await async_openai_client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "async chat"}], stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream_ if c.choices])
    assert text == reply_text("async chat")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "gpt-4o", "messages": []},
        {"model": "gpt-4o", "messages": HISTORY, "stream_options": {"include_usage": True}},
        {"model": "gpt-4o", "messages": [{"role": "user", "content": 3}]},
    ],
)
def test_invalid_requests_are_400(openai_client: Client, kwargs: dict[str, object]) -> None:
    with pytest.raises(openai.BadRequestError):
        openai_client().chat.completions.create(**kwargs)  # type: ignore[call-overload]


def test_unknown_model_is_404(openai_client: Client) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client().chat.completions.create(model="llama-9000", messages=HISTORY)  # type: ignore[arg-type]
    assert caught.value.code == "model_not_found"


def test_models_list_and_retrieve(openai_client: Client) -> None:
    client = openai_client()
    ids = [m.id for m in client.models.list()]
    assert "gpt-4o-mini" in ids
    model = client.models.retrieve("gpt-4o-mini")
    assert (model.id, model.object, model.owned_by) == ("gpt-4o-mini", "model", "system")
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-imaginary")
