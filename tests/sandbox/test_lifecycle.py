"""Starting, stopping, seeding and the small promises tests build on (ports, ids, clock)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import httpx2
import openai
import pytest
from openai import OpenAI

from tui.sandbox import (
    ACME_KEY,
    PERSONAL_KEY,
    ApiError,
    Clock,
    Fault,
    ModelSettings,
    Sandbox,
    reply_text,
)

Client = Callable[..., OpenAI]


def _sandbox_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("sandbox-")]


def test_base_url_is_loopback_with_a_free_port() -> None:
    with Sandbox() as one, Sandbox() as two:
        assert one.base_url == f"http://127.0.0.1:{one.port}/v1"
        assert one.port != two.port
        with socket.create_connection(("127.0.0.1", one.port), timeout=2):
            pass


def test_stop_ends_open_streams_and_joins_every_thread() -> None:
    box = Sandbox(model=ModelSettings(delay_s=5.0)).start()
    client = OpenAI(api_key=ACME_KEY, base_url=box.base_url, max_retries=0)
    stream = client.responses.create(model="gpt-4o-mini", input="slow", stream=True)
    assert next(iter(stream)).type == "response.created"
    idle = OpenAI(api_key=ACME_KEY, base_url=box.base_url, max_retries=0)
    idle.models.list()  # leaves a keep-alive connection open
    box.stop()
    assert not box.running
    assert _sandbox_threads() == []
    with pytest.raises((openai.APIConnectionError, httpx2.HTTPError)):
        list(stream)
    with pytest.raises(openai.APIConnectionError):
        idle.models.list()
    box.stop()  # idempotent
    client.close()
    idle.close()


def test_a_sandbox_starts_once() -> None:
    box = Sandbox().start()
    box.stop()
    with pytest.raises(RuntimeError):
        box.start()
    with pytest.raises(RuntimeError):
        _ = Sandbox().port


def test_stop_wakes_a_slow_first_byte() -> None:
    box = Sandbox().start()
    box.faults.next(Fault.slow_first_byte(seconds=60))
    client = OpenAI(api_key=ACME_KEY, base_url=box.base_url, max_retries=0, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        client.models.list()
    box.stop()
    assert not box.running
    client.close()


def test_seed_helpers_respect_tenancy(sandbox: Sandbox, openai_client: Client) -> None:
    conv = sandbox.seed_conversation(
        PERSONAL_KEY, title="Groceries", turns=[("user", "milk?"), ("assistant", "yes")],
        metadata={"owner": "me"})
    personal = openai_client("personal")
    assert personal.conversations.retrieve(conv).metadata == {"owner": "me", "title": "Groceries"}
    with pytest.raises(openai.NotFoundError):
        openai_client("acme").conversations.retrieve(conv)
    assistant = sandbox.seed_assistant(PERSONAL_KEY, instructions="Shop.")
    thread = sandbox.seed_thread(PERSONAL_KEY, turns=[("user", "list?")])
    with personal.beta.threads.runs.stream(thread_id=thread, assistant_id=assistant) as run:
        assert "".join(run.text_deltas) == reply_text("list?")
    with pytest.raises(ApiError) as caught:
        sandbox.seed_conversation("sk-sandbox-nobody")
    assert caught.value.status == 401


def test_ids_are_reproducible_per_seed() -> None:
    def first_ids(seed: int) -> list[str]:
        with Sandbox(id_seed=seed) as box:
            return [box.seed_conversation(ACME_KEY), box.seed_thread(ACME_KEY)]

    assert first_ids(7) == first_ids(7)
    assert first_ids(7) != first_ids(8)


def test_a_frozen_clock_stamps_fixed_times(openai_client: Client) -> None:
    with Sandbox(clock=Clock(start=1_750_000_000, frozen=True)) as box:
        client = OpenAI(api_key=ACME_KEY, base_url=box.base_url, max_retries=0)
        assert client.conversations.create().created_at == 1_750_000_000
        box.clock.advance(days=1)
        assert client.conversations.create().created_at == 1_750_086_400
        assert box.clock.frozen
        client.close()
    with pytest.raises(ValueError):
        Clock().advance(seconds=-1)
