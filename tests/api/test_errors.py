"""The SDK → taxonomy mapping for statuses the sandbox has no fault for (403, 422, dates…).

The SDK's exceptions are built from real ``httpx2`` responses, exactly as the SDK builds them;
nothing of ours is faked.
"""

from __future__ import annotations

import email.utils
import time

import httpx2
import openai
import pytest

from tui.core.api.base import (
    AuthFailed,
    BadRequest,
    Network,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    RateLimited,
    ServerError,
    Timeout,
)
from tui.core.api.errors import ErrorContext, error_from_code, parse_retry_after, to_api_error
from tui.core.records import Profile
from tui.core.secrets import mask_key

KEY = "sk-proj-unit-test-key-000000wxyz"
PROFILE = Profile(name="work", api_key_env="WORK_KEY", organization="org-acme", project="proj_1")
CTX = ErrorContext(profile=PROFILE, key_hint=mask_key(KEY), secrets=lambda: [KEY])
REQUEST = httpx2.Request("POST", "https://api.openai.com/v1/responses")


def status_error(
    cls: type[openai.APIStatusError],
    status: int,
    body: dict[str, object] | str | None,
    headers: dict[str, str] | None = None,
) -> openai.APIStatusError:
    response = httpx2.Response(
        status, headers={"x-request-id": "req_123", **(headers or {})}, request=REQUEST
    )
    data = body.get("error", body) if isinstance(body, dict) else body
    return cls(f"Error code: {status}", response=response, body=data)


def body(message: str, code: str | None = None) -> dict[str, object]:
    return {"error": {"message": message, "type": "x", "param": None, "code": code}}


def test_401_names_the_profile_the_key_source_and_the_masked_key_never_the_key() -> None:
    said = body(f"Incorrect API key provided: {KEY}", "invalid_api_key")
    exc = status_error(openai.AuthenticationError, 401, said)
    err = to_api_error(exc, CTX)
    assert isinstance(err, AuthFailed)
    text = str(err)
    assert text.startswith("[work] the key from $WORK_KEY was rejected (sk-…wxyz)")
    assert "threadtui config check" in text
    assert "(request req_123)" in text
    assert KEY not in text


@pytest.mark.parametrize(
    ("cls", "status", "expected", "words"),
    [
        (openai.PermissionDeniedError, 403, PermissionDenied, "permission denied"),
        (openai.NotFoundError, 404, NotFound, "another organization/project"),
        (openai.BadRequestError, 400, BadRequest, "refused the request"),
        (openai.UnprocessableEntityError, 422, BadRequest, "HTTP 422"),
        (openai.InternalServerError, 503, ServerError, "HTTP 503"),
    ],
)
def test_statuses_map_to_the_taxonomy(
    cls: type[openai.APIStatusError], status: int, expected: type, words: str
) -> None:
    err = to_api_error(status_error(cls, status, body("the server's words")), CTX)
    assert type(err) is expected
    assert words in str(err)
    assert "the server's words" in str(err)
    assert err.profile == "work" and err.request_id == "req_123" and err.status_code == status


def test_429_insufficient_quota_is_not_a_rate_limit() -> None:
    said = body("You exceeded your quota", "insufficient_quota")
    exc = status_error(openai.RateLimitError, 429, said)
    err = to_api_error(exc, CTX)
    assert isinstance(err, QuotaExceeded) and not err.retryable
    assert "retrying will not help" in str(err)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"retry-after-ms": "1500"}, 1.5), ({"retry-after": "7"}, 7.0), ({}, None)],
)
def test_429_rate_limit_carries_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    said = body("slow down", "rate_limit_exceeded")
    exc = status_error(openai.RateLimitError, 429, said, headers)
    err = to_api_error(exc, CTX)
    assert isinstance(err, RateLimited)
    assert err.retry_after == seconds


def test_retry_after_as_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after({"retry-after": when}) or 0) <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None


def test_connection_and_timeout_errors() -> None:
    timeout = to_api_error(openai.APITimeoutError(REQUEST), CTX)
    assert isinstance(timeout, Timeout)
    network = to_api_error(openai.APIConnectionError(request=REQUEST), CTX)
    assert isinstance(network, Network) and "cannot reach https://api.openai.com/v1" in str(network)


def test_a_proxy_html_page_is_shown_short_and_scrubbed() -> None:
    page = f"<html>{'x' * 1000} {KEY}</html>"
    err = to_api_error(status_error(openai.InternalServerError, 502, page), CTX)
    assert isinstance(err, ServerError)
    assert KEY not in str(err) and len(str(err)) < 500


def test_stream_error_codes() -> None:
    assert isinstance(error_from_code("insufficient_quota", "q", CTX), QuotaExceeded)
    assert isinstance(error_from_code("rate_limit_exceeded", "r", CTX), RateLimited)
    failed = error_from_code("server_error", f"boom {KEY}", CTX, request_id="req_9")
    assert isinstance(failed, ServerError)
    assert KEY not in str(failed) and "(request req_9)" in str(failed)
