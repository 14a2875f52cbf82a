"""From a parsed HTTP request to a reply: routing, authentication, faults, common headers.

Everything every endpoint shares happens here, in the order the real service applies it:
the route must exist, the key must resolve to a tenant, then rate limits and injected faults,
then the handler. Every answer, errors included, carries the request id, and once the caller
is known, its organization, project and rate-limit headers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import (
    routes_assistants,
    routes_chat,
    routes_control,
    routes_conversations,
    routes_models,
    routes_responses,
)
from .context import Call, JsonReply, Reply, Services
from .errors import ApiError, bad_request
from .faults import Fault, FaultKind
from .router import Router, invalid_url
from .tenancy import Scope, invalid_key, missing_key

FAULT_HEADER = "x-sandbox-fault"
UNPARSABLE_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON.)"
)


@dataclass(frozen=True)
class RawRequest:
    """What the HTTP layer hands over: header names lower-cased, body unparsed."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


def build_router() -> Router:
    """Every route of the sandbox."""
    router = Router()
    for module in (routes_models, routes_conversations, routes_responses, routes_assistants,
                   routes_chat, routes_control):
        module.register(router)
    return router


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _parse_body(method: str, raw: bytes) -> dict[str, Any]:
    if method != "POST" or not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request(UNPARSABLE_JSON) from None
    if not isinstance(body, dict):
        raise bad_request(UNPARSABLE_JSON)
    return body


def go_duration(seconds: float) -> str:
    """A wait as the ``x-ratelimit-reset-*`` headers write it: ``20ms``, ``1.5s``, ``6m0s``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    return f"{minutes}m{text}" if minutes else text


def _http_fault(fault: Fault, scope: Scope, limit: int) -> ApiError:
    """The error an HTTP-level fault answers with (``limit``: the requests-per-minute cap)."""
    if fault.kind is FaultKind.RATE_LIMIT:
        wait = fault.retry_after
        return ApiError(
            429,
            f"Rate limit reached for requests in organization {scope.organization.id} on "
            f"requests per min (RPM): Limit {limit}, Used {limit}, Requested 1. Please try "
            "again in "
            f"{wait:g}s. Visit https://platform.openai.com/account/rate-limits to learn more.",
            type="requests",
            code="rate_limit_exceeded",
            headers=(
                {"x-ratelimit-remaining-requests": "0",
                 "x-ratelimit-reset-requests": go_duration(wait)}
                if fault.bare
                else {"retry-after": f"{wait:g}", "retry-after-ms": str(int(wait * 1000))}
            ),
        )
    if fault.kind is FaultKind.INSUFFICIENT_QUOTA:
        return ApiError(
            429,
            fault.message or "You exceeded your current quota, please check your plan and "
            "billing details. For more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
            type="insufficient_quota",
            code="insufficient_quota",
            headers={} if fault.bare else {"x-should-retry": "false"},
        )
    if fault.kind is FaultKind.UNAUTHORIZED:
        return invalid_key(scope.key.key)
    return ApiError(
        fault.status,
        fault.message or "The server had an error while processing your request. "
        "Sorry about that!",
        type="server_error",
    )


def _missing_route(style: str, method: str, path: str) -> Reply:
    """How a server without the route answers (see ``Features``)."""
    if style == "detail":
        return JsonReply({"detail": "Not Found"}, 404)
    if style == "405":
        return JsonReply({"detail": "Method Not Allowed"}, 405)
    raise invalid_url(method, path)


class Gateway:
    """Turns requests into replies for one sandbox."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.router = build_router()

    def handle(self, request: RawRequest) -> Reply:
        """The reply to ``request``; never raises for anything a client can send."""
        headers = {"x-request-id": self.services.ids.new("req")}
        try:
            reply = self._handle(request, headers)
        except ApiError as error:
            reply = JsonReply(error.body(), error.status, {**error.headers})
        except Exception as error:  # a sandbox bug must still look like the API's 500
            reply = JsonReply(
                ApiError(500, f"Sandbox internal error: {type(error).__name__}: {error}",
                         type="server_error").body(),
                500,
            )
        reply.headers = {**headers, **reply.headers}
        return reply

    def _handle(self, request: RawRequest, headers: dict[str, str]) -> Reply:
        services = self.services
        split = urlsplit(request.target)
        path = split.path.rstrip("/") or "/"
        route, params = self.router.match(request.method, path)
        call = Call(services, request.method, path, params, dict(parse_qsl(split.query)),
                    _parse_body(request.method, request.body), request.headers)
        if route.family == "control":
            return route.handler(call)
        services.journal.add(request.method, path, call.body)
        if route.family == "conversations" and not services.features.conversations:
            return _missing_route(services.features.missing_route, request.method, path)
        if route.family == "assistants":
            if not services.features.assistants:
                raise invalid_url(request.method, path)
            if "assistants=v2" not in request.headers.get("openai-beta", ""):
                raise bad_request(
                    "You must provide the 'OpenAI-Beta' header to access the Assistants API. "
                    "Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
                    code="invalid_beta",
                )

        key = _bearer(request.headers)
        if services.features.keyless and services.tenancy.keys:
            key = next(iter(services.tenancy.keys))
        if key is None:
            raise missing_key()
        scope = services.tenancy.resolve(
            key, request.headers.get("openai-organization"), request.headers.get("openai-project")
        )
        call.scope = scope
        headers["openai-organization"] = scope.organization.slug
        headers["openai-project"] = scope.project.id
        headers["openai-version"] = "2020-10-01"
        headers.update(services.limiter.headers(key))

        streaming = call.body.get("stream") is True
        fault = self._fault(request, path, streaming)
        if fault is not None and fault.kind is FaultKind.SLOW_FIRST_BYTE:
            services.stopping.wait(fault.seconds)
            fault = None
        headers.update(services.limiter.admit(key, scope.organization.id))
        if fault is not None and not fault.is_stream:
            raise _http_fault(fault, scope, services.limiter.limit_requests)
        call.fault = fault
        return route.handler(call)

    def _fault(self, request: RawRequest, path: str, streaming: bool) -> Fault | None:
        spec = request.headers.get(FAULT_HEADER)
        if spec:
            try:
                fault = Fault.parse(spec)
            except ValueError as error:
                raise bad_request(f"Invalid X-Sandbox-Fault header: {error}",
                                  code="sandbox_control") from None
            return None if fault.is_stream and not streaming else fault
        return self.services.faults.take(request.method, path, streaming=streaming)
