"""Conversation/Responses items: turning what clients send into what the API stores.

Clients send items in several shorthand forms (a bare string, ``{"role", "content": str}``,
full ``{"type": "message", "content": [parts]}``); the API stores and returns one canonical
shape with an id and status. The sandbox does the same so clients see what they would see.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request, invalid_type
from .ids import IdFactory

ROLES = ("user", "assistant", "system", "developer")
# Non-message item types the sandbox stores as sent (plus an id); enough for tool-call history.
PASSTHROUGH_TYPES = ("function_call", "function_call_output")
MAX_ITEMS_PER_CALL = 20


def output_text_part(text: str) -> dict[str, Any]:
    """An ``output_text`` content part as the API returns it."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message(ids: IdFactory, role: str, text: str, *, status: str = "completed") -> dict[str, Any]:
    """A stored message item with one text part (input_text, or output_text for assistant)."""
    part = (
        output_text_part(text) if role == "assistant" else {"type": "input_text", "text": text}
    )
    return {"type": "message", "id": ids.new("msg"), "status": status, "role": role,
            "content": [part]}


def _part(raw: Any, role: str, param: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid_type(param, "an object")
    kind = raw.get("type")
    if kind in ("input_text", "output_text", "text"):
        text = raw.get("text")
        if not isinstance(text, str):
            raise invalid_type(f"{param}.text", "a string")
        if role == "assistant" or kind == "output_text":
            return output_text_part(text)
        return {"type": "input_text", "text": text}
    raise bad_request(
        f"Invalid value: '{kind}'. The sandbox supports text content parts only.",
        param=f"{param}.type",
        code="invalid_value",
    )


def normalize(ids: IdFactory, raw: Any, param: str = "input") -> list[dict[str, Any]]:
    """Canonical stored items for ``raw`` (a string or a list of items), each with a new id."""
    if isinstance(raw, str):
        return [message(ids, "user", raw)]
    if not isinstance(raw, list):
        raise invalid_type(param, "a string or an array of items")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        where = f"{param}[{index}]"
        if not isinstance(item, dict):
            raise invalid_type(where, "an object")
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if role not in ROLES:
                raise bad_request(
                    f"Invalid value: '{role}'. Supported values are: "
                    + ", ".join(f"'{r}'" for r in ROLES) + ".",
                    param=f"{where}.role",
                    code="invalid_value",
                )
            content = item.get("content")
            if isinstance(content, str):
                parts = [_part({"type": "input_text", "text": content}, role, where)]
            elif isinstance(content, list):
                parts = [_part(p, role, f"{where}.content[{i}]") for i, p in enumerate(content)]
            else:
                raise invalid_type(f"{where}.content", "a string or an array of content parts")
            out.append({"type": "message", "id": ids.new("msg"), "status": "completed",
                        "role": role, "content": parts})
        elif kind in PASSTHROUGH_TYPES:
            stored = {k: v for k, v in item.items() if k != "id"}
            stored["id"] = ids.new("fc")
            stored.setdefault("status", "completed")
            out.append(stored)
        else:
            raise bad_request(
                f"Invalid value: '{kind}'. The sandbox stores message, function_call and "
                "function_call_output items.",
                param=f"{where}.type",
                code="invalid_value",
            )
    return out


def text_of(item: dict[str, Any]) -> str:
    """The plain text an item contributes to the model's context."""
    if item.get("type") != "message":
        return str(item.get("output") or item.get("arguments") or "")
    return "".join(str(part.get("text", "")) for part in item.get("content", []))


def last_user_text(items: list[dict[str, Any]]) -> str | None:
    """The text of the last user message among ``items``, if there is one."""
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            return text_of(item)
    return None


def check_count(raw: Any, param: str) -> None:
    """The API takes at most 20 items per call."""
    if isinstance(raw, list) and len(raw) > MAX_ITEMS_PER_CALL:
        raise bad_request(
            f"Invalid '{param}': array too long. Expected an array with maximum length "
            f"{MAX_ITEMS_PER_CALL}, but got an array with length {len(raw)} instead.",
            param=param,
            code="array_above_max_length",
        )
