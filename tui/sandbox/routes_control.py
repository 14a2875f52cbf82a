"""``/_sandbox/*``: steering a running sandbox over HTTP.

End-to-end tests drive a ``threadtui`` subprocess whose sandbox lives in another process, so
everything a test can do in-process (faults, clock, model pace, seeding, inspection) is also
reachable here. These paths need no API key and are not part of the OpenAI API.
"""

from __future__ import annotations

from typing import Any

from . import seeding
from .context import FAILED_TURNS, Call, JsonReply, Services
from .errors import ApiError, bad_request
from .faults import Fault
from .router import Router


def _fail(error: Exception) -> ApiError:
    return bad_request(f"sandbox control: {error}", code="sandbox_control")


def snapshot(services: Services) -> dict[str, Any]:
    """Settings, pending faults, tenancy (keys masked) and every stored object by owner."""
    return {
        "now": services.clock.now(),
        "model": services.model.snapshot(),
        "faults": services.faults.pending(),
        "features": {"assistants": services.features.assistants},
        "rate_limits": {"requests": services.limiter.limit_requests,
                        "tokens": services.limiter.limit_tokens},
        "tenancy": services.tenancy.describe(),
        **services.store.summary(),
    }


def state_route(call: Call) -> JsonReply:
    """``GET /_sandbox/state``."""
    return JsonReply(snapshot(call.services))


def faults_route(call: Call) -> JsonReply:
    """``POST /_sandbox/faults``: queue one fault, or ``{"clear": true}``."""
    body = dict(call.body)
    faults = call.services.faults
    if body.pop("clear", False):
        faults.clear()
    if "kind" in body:
        times = body.pop("times", 1)
        path = body.pop("path", None)
        method = body.pop("method", None)
        try:
            fault = Fault.from_dict(body)
            faults.next(fault, times=None if times is None else int(times), path=path,
                        method=method)
        except (ValueError, TypeError) as error:
            raise _fail(error) from None
    elif body:
        raise _fail(ValueError(f"unexpected fields {sorted(body)}; give 'kind' or 'clear'"))
    return JsonReply({"pending": faults.pending()})


def list_faults_route(call: Call) -> JsonReply:
    """``GET /_sandbox/faults``."""
    return JsonReply({"pending": call.services.faults.pending()})


def clear_faults_route(call: Call) -> JsonReply:
    """``DELETE /_sandbox/faults``."""
    call.services.faults.clear()
    return JsonReply({"pending": []})


def clock_route(call: Call) -> JsonReply:
    """``POST /_sandbox/clock``: ``{"advance_days": 61}`` and/or ``{"advance_seconds": 5}``."""
    extra = set(call.body) - {"advance_days", "advance_seconds"}
    if extra:
        raise _fail(ValueError(f"unexpected fields {sorted(extra)}"))
    try:
        now = call.services.clock.advance(
            days=float(call.body.get("advance_days", 0)),
            seconds=float(call.body.get("advance_seconds", 0)),
        )
    except (ValueError, TypeError) as error:
        raise _fail(error) from None
    return JsonReply({"now": now})


def model_route(call: Call) -> JsonReply:
    """``POST /_sandbox/model``: ``{"tokens": N|null, "delay_ms": X, "models": [...]}``."""
    changes: dict[str, Any] = {}
    for name, value in call.body.items():
        if name == "delay_ms":
            if not isinstance(value, int | float):
                raise _fail(ValueError("delay_ms must be a number"))
            changes["delay_s"] = value / 1000
        elif name in ("tokens", "models", "delay_s"):
            changes[name] = value
        else:
            raise _fail(ValueError(f"unknown model setting {name!r}"))
    try:
        call.services.model.update(**changes)
    except (ValueError, TypeError) as error:
        raise _fail(error) from None
    return JsonReply(call.services.model.snapshot())


def get_model_route(call: Call) -> JsonReply:
    """``GET /_sandbox/model``."""
    return JsonReply(call.services.model.snapshot())


def features_route(call: Call) -> JsonReply:
    """``POST /_sandbox/features``: ``{"assistants": false}`` retires the Assistants API;
    ``{"conversations": false, "missing_route": "detail"}`` plays a server without it."""
    features = call.services.features
    for name, value in call.body.items():
        if name in {"assistants", "conversations", "keyless"} and isinstance(value, bool):
            setattr(features, name, value)
        elif name == "missing_route" and value in {"invalid_url", "detail", "405"}:
            features.missing_route = value
        elif name == "failed_turns" and value in FAILED_TURNS:
            features.failed_turns = value
        else:
            raise _fail(ValueError(
                "features: 'assistants', 'conversations', 'keyless' (booleans), 'missing_route'"
                " ('invalid_url', 'detail' or '405'), 'failed_turns' ('nothing', 'input' or"
                " 'partial')"
            ))
    return JsonReply({"assistants": features.assistants, "keyless": features.keyless,
                      "conversations": features.conversations,
                      "missing_route": features.missing_route,
                      "failed_turns": features.failed_turns})


def seed_route(call: Call) -> JsonReply:
    """``POST /_sandbox/seed``: create a conversation, thread or assistant; answers its id.

    Body: ``{"kind": "conversation"|"thread"|"assistant", "key": "sk-…", "organization",
    "project", "title", "turns": [["user", "…"], ["assistant", "…"]], "metadata",
    "name", "model", "instructions"}`` (only ``kind`` and ``key`` are required).
    """
    body = call.body
    kind, key = body.get("kind"), body.get("key")
    if not isinstance(key, str):
        raise _fail(ValueError("'key' (an API key of the tenancy) is required"))
    where = {"org": body.get("organization"), "project": body.get("project")}
    turns = [(str(role), str(text)) for role, text in body.get("turns") or []]
    if kind == "conversation":
        ident = seeding.seed_conversation(call.services, key, title=body.get("title"),
                                          turns=turns, metadata=body.get("metadata"), **where)
    elif kind == "thread":
        ident = seeding.seed_thread(call.services, key, title=body.get("title"), turns=turns,
                                    metadata=body.get("metadata"), **where)
    elif kind == "assistant":
        ident = seeding.seed_assistant(call.services, key,
                                       name=body.get("name") or "Sandbox assistant",
                                       model=body.get("model"),
                                       instructions=body.get("instructions"), **where)
    else:
        raise _fail(ValueError("'kind' must be conversation, thread or assistant"))
    return JsonReply({"id": ident})


def reset_route(call: Call) -> JsonReply:
    """``POST /_sandbox/reset``: clear faults and refill rate limits (stored objects stay)."""
    call.services.faults.clear()
    call.services.limiter.reset()
    return JsonReply({"ok": True})


def register(router: Router) -> None:
    """Add the control routes."""
    fam = "control"
    router.add("GET", "/_sandbox/state", state_route, family=fam)
    router.add("GET", "/_sandbox/faults", list_faults_route, family=fam)
    router.add("POST", "/_sandbox/faults", faults_route, family=fam)
    router.add("DELETE", "/_sandbox/faults", clear_faults_route, family=fam)
    router.add("POST", "/_sandbox/clock", clock_route, family=fam)
    router.add("GET", "/_sandbox/model", get_model_route, family=fam)
    router.add("POST", "/_sandbox/model", model_route, family=fam)
    router.add("POST", "/_sandbox/features", features_route, family=fam)
    router.add("POST", "/_sandbox/seed", seed_route, family=fam)
    router.add("POST", "/_sandbox/reset", reset_route, family=fam)
