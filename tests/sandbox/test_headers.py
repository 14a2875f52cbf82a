"""The response headers clients read: tenant, request id, processing time, rate limits."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from openai import OpenAI

from tui.sandbox import (
    ACME_KEY,
    ACME_PROJECT_ID,
    PERSONAL_ORG_ID,
    PERSONAL_PROJECT_ID,
    Fault,
    ModelSettings,
    Sandbox,
)

from .rawhttp import request

Client = Callable[..., OpenAI]

FAMILY = (
    "openai-organization",
    "openai-project",
    "x-request-id",
    "openai-processing-ms",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
)


def _assert_family(headers: object) -> None:
    for name in FAMILY:
        assert name in headers, name  # type: ignore[operator]


def test_success_carries_every_header(openai_client: Client) -> None:
    raw = openai_client().models.with_raw_response.list()
    _assert_family(raw.headers)
    assert raw.headers["openai-organization"] == "acme-corp"
    assert raw.headers["openai-project"] == ACME_PROJECT_ID
    assert raw.headers["x-request-id"].startswith("req_")
    assert int(raw.headers["openai-processing-ms"]) >= 1


def test_errors_carry_every_header(sandbox: Sandbox, openai_client: Client) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client().conversations.retrieve("conv_missing")
    _assert_family(caught.value.response.headers)
    sandbox.faults.next(Fault.rate_limit())
    with pytest.raises(openai.RateLimitError) as limited:
        openai_client().models.list()
    _assert_family(limited.value.response.headers)
    assert limited.value.request_id == limited.value.response.headers["x-request-id"]


def test_streams_carry_every_header(openai_client: Client) -> None:
    with openai_client().responses.stream(model="gpt-4o-mini", input="h") as helper:
        _assert_family(helper._raw_stream.response.headers)  # type: ignore[attr-defined]
    stream_ = openai_client().responses.create(model="gpt-4o-mini", input="h", stream=True)
    _assert_family(stream_.response.headers)
    stream_.close()


def test_unknown_key_gets_a_request_id_but_no_tenant(openai_client: Client) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        openai_client("sk-sandbox-nobody-0000").models.list()
    headers = caught.value.response.headers
    assert headers["x-request-id"].startswith("req_")
    assert "openai-organization" not in headers


def test_headers_follow_the_organization_the_user_key_chose(openai_client: Client) -> None:
    raw = openai_client("user", organization=PERSONAL_ORG_ID).models.with_raw_response.list()
    assert (raw.headers["openai-organization"], raw.headers["openai-project"]) == (
        "personal", PERSONAL_PROJECT_ID)


def test_request_ids_differ(openai_client: Client) -> None:
    client = openai_client()
    ids = {client.models.with_raw_response.list().headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_remaining_requests_decrement_per_key(openai_client: Client) -> None:
    acme, personal = openai_client("acme"), openai_client("personal")

    def remaining(client: OpenAI) -> int:
        return int(client.models.with_raw_response.list().headers[
            "x-ratelimit-remaining-requests"])

    first = remaining(acme)
    assert remaining(acme) == first - 1
    assert remaining(personal) == first  # another key has its own budget
    assert remaining(acme) == first - 2


def test_remaining_tokens_fall_after_a_reply(openai_client: Client) -> None:
    client = openai_client()
    before = int(client.models.with_raw_response.list().headers["x-ratelimit-remaining-tokens"])
    response = client.responses.create(model="gpt-4o-mini", input="spend")
    after = int(client.models.with_raw_response.list().headers["x-ratelimit-remaining-tokens"])
    assert response.usage is not None
    assert before - after == response.usage.total_tokens


def test_an_exhausted_budget_is_a_real_429_until_the_window_ends() -> None:
    with Sandbox(model=ModelSettings(), rate_limit_requests=2) as box:
        client = OpenAI(api_key=ACME_KEY, base_url=box.base_url, max_retries=0)
        client.models.list()
        client.models.list()
        with pytest.raises(openai.RateLimitError) as caught:
            client.models.list()
        headers = caught.value.response.headers
        assert caught.value.code == "rate_limit_exceeded"
        assert headers["x-ratelimit-remaining-requests"] == "0"
        assert 1 <= int(headers["retry-after"]) <= 60
        box.clock.advance(seconds=61)
        assert client.models.list().data
        client.close()


def test_reset_refills_budgets(sandbox: Sandbox, openai_client: Client) -> None:
    client = openai_client()
    client.models.list()
    sandbox.reset()
    raw = client.models.with_raw_response.list()
    assert raw.headers["x-ratelimit-remaining-requests"] == str(
        int(raw.headers["x-ratelimit-limit-requests"]) - 1)


def test_json_content_type_and_length(sandbox: Sandbox) -> None:
    response = request(sandbox, "GET", "/v1/models", ACME_KEY)
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
