"""Turn the SDK's exceptions (and errors reported inside a stream) into our small taxonomy.

Every message says what happened in words a user can act on, names the profile and the
request id, and is scrubbed of every key this process knows: the SDK's exceptions carry the
request (with its ``Authorization`` header) and the server's text, neither of which may reach
the screen or a log.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import openai

from tui.core.api.answers import AnswerError, AnswerProblem, looks_html
from tui.core.api.base import (
    ApiError,
    AuthFailed,
    BadAnswer,
    BadRequest,
    Network,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    RateLimited,
    ServerError,
    Timeout,
    Unsupported,
)
from tui.core.api.servers import server_url
from tui.core.records import Profile
from tui.core.safe_text import printable
from tui.core.secrets import scrub

SERVER_TEXT_SHOWN = 300


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What a message needs besides the exception: who asked, with which key, from where.

    ``secrets`` is called at mapping time (not at construction) so keys resolved later in the
    session are scrubbed too.
    """

    profile: Profile
    key_hint: str
    secrets: Callable[[], Iterable[str]] = field(default=lambda: ())

    @property
    def server(self) -> str:
        return server_url(self.profile.base_url)

    def clean(self, text: str) -> str:
        return scrub(text, self.secrets())


def to_api_error(
    exc: BaseException,
    ctx: ErrorContext,
    *,
    request_id: str | None = None,
    midstream: bool = False,
) -> ApiError:
    """The taxonomy error for an SDK exception (or anything a stream raised).

    ``midstream``: the server was reached and the reply had begun, so a connection error is a
    broken stream, not an unreachable server. ``ApiError`` passes through unchanged, so
    callers may translate twice without harm.
    """
    if isinstance(exc, ApiError):
        return exc
    problem = _answer_problem(exc)
    if isinstance(problem, AnswerError):
        return error_from_code(problem.code, problem.message, ctx, request_id=request_id)
    if problem is not None:
        return _make(BadAnswer, ctx, f"the server at {ctx.server} {problem.detail}", request_id)
    if isinstance(exc, openai.APIStatusError):
        return _from_status(exc, ctx, request_id or exc.request_id)
    if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError: a subclass of it
        if midstream:
            return _make(
                Timeout, ctx, f"{ctx.server} stopped sending in the middle of the reply",
                request_id,
            )
        return _make(
            Timeout,
            ctx,
            f"{ctx.server} did not answer in time: check the network, or try again",
            request_id,
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        why = f" ({type(cause).__name__}: {cause})" if cause and str(cause) else ""
        if midstream:
            return _make(
                Network,
                ctx,
                f"the connection to {ctx.server} closed before the reply finished{why}",
                request_id,
            )
        return _make(
            Network,
            ctx,
            f"cannot reach {ctx.server}{why}: check the network, a proxy, or the profile's"
            " base_url",
            request_id,
        )
    if isinstance(exc, openai.APIError):
        # Raised by the SDK for an error object inside an event stream: no HTTP status.
        return error_from_code(exc.code, exc.message, ctx, request_id=request_id)
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return _make(
            BadAnswer,
            ctx,
            f"{ctx.server} sent a malformed event stream ({type(exc).__name__}); try again",
            request_id,
        )
    if isinstance(exc, openai.OpenAIError):
        return _make(ApiError, ctx, _server_text(ctx, str(exc)), request_id)
    # Anything else escaped the SDK, httpx, pydantic or json on an answer it could not read
    # (ValueError, TypeError, KeyError, zlib.error, RecursionError …): the answer was bad.
    return _make(
        BadAnswer,
        ctx,
        f"the server at {ctx.server} sent an answer threadtui cannot read"
        f" ({type(exc).__name__}: {_server_text(ctx, str(exc))[:120]})",
        request_id,
    )


def _answer_problem(exc: BaseException) -> AnswerProblem | None:
    """The boundary's refusal, raised directly or as the cause of the SDK's connection error."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, AnswerProblem):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def error_from_code(
    code: str | None,
    message: str | None,
    ctx: ErrorContext,
    *,
    request_id: str | None = None,
) -> ApiError:
    """An error reported inside a stream (``error`` event, ``response.failed``, a failed run).

    These carry a ``code`` but no status: map the codes the API documents, else ServerError.
    """
    said = _server_text(ctx, message) or "no details given"
    code = code or ""
    if code == "insufficient_quota":
        return _quota(ctx, said, request_id)
    if code in {"rate_limit_exceeded", "rate_limit_error"}:
        return _make(RateLimited, ctx, f"rate limited during the reply: {said}", request_id)
    if code in {"invalid_api_key", "authentication_error"}:
        return _auth(ctx, said, request_id)
    if code in {"invalid_prompt", "invalid_request_error", "context_length_exceeded"}:
        return _make(BadRequest, ctx, f"the server refused the request: {said}", request_id)
    tag = f" ({code})" if code else ""
    return _make(ServerError, ctx, f"the reply failed on the server{tag}: {said}", request_id)


def unsupported(ctx: ErrorContext, message: str, request_id: str | None = None) -> Unsupported:
    err = _make(Unsupported, ctx, message, request_id)
    assert isinstance(err, Unsupported)
    return err


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` (preferred, as the SDK does) or ``retry-after``.

    ``retry-after`` may be seconds or an HTTP date; nonsense gives None rather than a guess.
    """
    if not headers:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if seconds >= 0 and seconds != float("inf"):
            return seconds
    value = headers.get("retry-after")
    if value:
        try:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, float(email.utils.mktime_tz(parsed) - time.time()))
        except (TypeError, ValueError, OverflowError):
            return None
    return None


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6,
                 "ns": 1e-9}


def parse_duration(value: str | None) -> float | None:
    """Seconds in a Go-style duration as the ``x-ratelimit-reset-*`` headers write it
    (``6m0s``, ``1.5s``, ``20ms``, ``1h2m3s``); None for anything else."""
    text = (value or "").strip()
    if not text:
        return None
    total, at = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != at:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        at = match.end()
    return total if at == len(text) else None


def parse_ratelimit_reset(headers: Mapping[str, str] | None) -> float | None:
    """When a 429 without ``retry-after`` may be retried: the reset of the budget that is
    spent (``x-ratelimit-remaining-… = 0``), else the later of the two resets."""
    if not headers:
        return None
    spent: list[float] = []
    known: list[float] = []
    for which in ("requests", "tokens"):
        reset = parse_duration(headers.get(f"x-ratelimit-reset-{which}"))
        if reset is None:
            continue
        known.append(reset)
        if (headers.get(f"x-ratelimit-remaining-{which}") or "").strip() == "0":
            spent.append(reset)
    chosen = spent or known
    return max(chosen) if chosen else None


# ---------------------------------------------------------------- internals


def _from_status(exc: openai.APIStatusError, ctx: ErrorContext, request_id: str | None) -> ApiError:
    status = exc.status_code
    said = _server_text(ctx, _body_message(exc))
    if status == 401:
        return _auth(ctx, said, request_id)
    if status == 403:
        where = _where(ctx.profile)
        return _make(
            PermissionDenied,
            ctx,
            f"permission denied for the key {ctx.key_hint} ({where}): {said or 'no details'};"
            " check the key's scopes and the profile's organization/project",
            request_id,
            status,
        )
    if status == 404 and exc.code == "model_not_found":
        # Not a missing thread: it must not start the "who owns this thread?" probe.
        return _make(
            BadRequest,
            ctx,
            f"the model is not available to this key: {said or 'model not found'}; choose"
            " another `model` for the profile",
            request_id,
            status,
        )
    if status == 404:
        error = _make(
            NotFound,
            ctx,
            f"not found: {said or 'no such object'} (deleted, expired, or it belongs to another"
            " organization/project)",
            request_id,
            status,
        )
        assert isinstance(error, NotFound)
        error.route_missing = route_missing(exc)
        return error
    if status == 429:
        if exc.code == "insufficient_quota":
            return _quota(ctx, said, request_id)
        headers = exc.response.headers
        retry_after = parse_retry_after(headers)
        if retry_after is None:
            retry_after = parse_ratelimit_reset(headers)
        when = f"; retry in {retry_after:g} s" if retry_after is not None else "; wait and retry"
        message = f"rate limited: {said or 'too many requests'}{when}"
        return RateLimited(
            ctx.clean(message),
            retry_after=retry_after,
            profile=ctx.profile.name,
            request_id=request_id,
            status_code=status,
        )
    if status >= 500:
        return _make(
            ServerError,
            ctx,
            f"the server failed (HTTP {status}): {said or 'no details'}; try again later",
            request_id,
            status,
        )
    return _make(
        BadRequest,
        ctx,
        f"the server refused the request (HTTP {status}): {said or 'no details'}",
        request_id,
        status,
    )


def route_missing(exc: openai.APIStatusError) -> bool:
    """Whether a 404/405 means the server has no such endpoint, rather than no such object.

    The API's own lookups answer its error shape (``{"error": {"message": …}}``) naming the
    object; an unknown path gets ``Invalid URL (METHOD /path)``. A 405, or a body in any other
    shape (FastAPI's ``{"detail": "Not Found"}``, Go's ``404 page not found``, LM Studio's
    ``{"error": "Unexpected endpoint…"}``), comes from a server without the route.
    """
    if exc.status_code == 405:
        return True
    body = exc.body
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return True
    return str(body["message"]).startswith("Invalid URL")


def _auth(ctx: ErrorContext, said: str, request_id: str | None) -> ApiError:
    detail = f" Server said: {said}" if said else ""
    return _make(
        AuthFailed,
        ctx,
        f"the key from {ctx.profile.key_source} was rejected ({ctx.key_hint}): check it or run"
        f" `threadtui config check`.{detail}",
        request_id,
        401,
    )


def _quota(ctx: ErrorContext, said: str, request_id: str | None) -> ApiError:
    return _make(
        QuotaExceeded,
        ctx,
        f"out of quota ({_where(ctx.profile)}): {said or 'insufficient_quota'}; add credit or"
        " raise the limit in the billing settings (retrying will not help)",
        request_id,
        429,
    )


def _where(profile: Profile) -> str:
    org = profile.organization or "the key's default organization"
    project = profile.project or "the key's default project"
    return f"organization {org}, project {project}"


def _body_message(exc: openai.APIStatusError) -> str | None:
    """The server's own sentence (``error.message``), not the SDK's "Error code: 404 - …".

    A body that is not JSON (a proxy's HTML page) is shown as a short snippet.
    """
    body = exc.body
    if isinstance(body, str) and looks_html(body.encode("utf-8", "replace")):
        return "an HTML page, not the API's answer (a proxy or captive portal?)"
    if isinstance(body, dict):
        message = body.get("message")
        return message if isinstance(message, str) and message else None
    if isinstance(body, str) and body.strip():
        return body
    return None


def _server_text(ctx: ErrorContext, text: str | None) -> str:
    if not text:
        return ""
    # One line, escapes spelt out: this text reaches the app, the CLI's output and the record,
    # and a server (or a proxy's error page) decides what it holds.
    text = printable(" ".join(str(text).split()))
    if len(text) > SERVER_TEXT_SHOWN:
        text = text[: SERVER_TEXT_SHOWN - 1] + "…"
    return ctx.clean(text)


def _make(
    cls: type[ApiError],
    ctx: ErrorContext,
    message: str,
    request_id: str | None,
    status: int | None = None,
) -> ApiError:
    return cls(
        ctx.clean(message), profile=ctx.profile.name, request_id=request_id, status_code=status
    )
