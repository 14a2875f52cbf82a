"""Request validation shared by every route family, with the real API's 400 wording.

Clients are tested against these answers (e.g. a title that does not fit the 512-character
metadata value), so the limits are the documented ones, not looser.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request, invalid_type, missing_param

METADATA_MAX_PAIRS = 16
METADATA_MAX_KEY = 64
METADATA_MAX_VALUE = 512


def metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """A valid metadata map (``None`` → empty), or the API's 400."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_type(param, "an object")
    if len(value) > METADATA_MAX_PAIRS:
        raise bad_request(
            f"Invalid '{param}': too many properties. Expected an object with at most "
            f"{METADATA_MAX_PAIRS} properties, but got an object with {len(value)} properties "
            "instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > METADATA_MAX_KEY:
            raise bad_request(
                f"Invalid '{param}': string too long. Expected a string with maximum length "
                f"{METADATA_MAX_KEY}, but got a string with length {len(key)} instead.",
                param=param,
                code="string_above_max_length",
            )
        if not isinstance(item, str):
            raise invalid_type(f"{param}.{key}", "a string")
        if len(item) > METADATA_MAX_VALUE:
            raise bad_request(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum "
                f"length {METADATA_MAX_VALUE}, but got a string with length {len(item)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
    return dict(value)


def optional_str(body: dict[str, Any], name: str) -> str | None:
    """A string field that may be absent or null."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_type(name, "a string")
    return value


def required_str(body: dict[str, Any], name: str) -> str:
    """A string field that must be present."""
    value = optional_str(body, name)
    if not value:
        raise missing_param(name)
    return value


def flag(body: dict[str, Any], name: str, default: bool) -> bool:
    """A boolean field (absent or null → ``default``)."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_type(name, "a boolean")
    return value


def limit(query: dict[str, str], default: int = 20, maximum: int = 100) -> int:
    """The ``limit`` query parameter, 1..maximum."""
    raw = query.get("limit")
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_type("limit", "an integer") from None
    if not 1 <= value <= maximum:
        raise bad_request(
            f"Invalid 'limit': integer {'below minimum' if value < 1 else 'above maximum'} value. "
            f"Expected a value {'>= 1' if value < 1 else f'<= {maximum}'}, but got {value} "
            "instead.",
            param="limit",
            code="integer_below_min_value" if value < 1 else "integer_above_max_value",
        )
    return value


def order(query: dict[str, str], default: str = "desc") -> str:
    """The ``order`` query parameter, ``asc`` or ``desc``."""
    value = query.get("order") or default
    if value not in ("asc", "desc"):
        raise bad_request(
            f"Invalid value: '{value}'. Supported values are: 'asc' and 'desc'.",
            param="order",
            code="invalid_value",
        )
    return value


def page(
    records: list[dict[str, Any]],
    query: dict[str, str],
    *,
    default_order: str = "desc",
) -> tuple[list[dict[str, Any]], bool]:
    """One page of ``records`` (oldest first) per ``order``/``after``/``before``/``limit``.

    Returns the page and ``has_more``. A cursor that names no record is a 400, as a stale
    cursor is a client bug worth seeing.
    """
    size = limit(query)
    ordered = list(records) if order(query, default_order) == "asc" else list(reversed(records))
    ids = [r["id"] for r in ordered]
    start, end = 0, len(ordered)
    for name in ("after", "before"):
        cursor = query.get(name)
        if cursor and cursor not in ids:
            raise bad_request(
                f"Invalid '{name}': no item with id '{cursor}'.", param=name, code="invalid_value"
            )
    if query.get("after"):
        start = ids.index(query["after"]) + 1
    if query.get("before"):
        end = ids.index(query["before"])
    window = ordered[start:end]
    return window[:size], len(window) > size


def list_body(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    """The cursor-list envelope shared by conversation items and thread messages.

    ``first_id``/``last_id`` are null for an empty page (the real Assistants API does this;
    the SDK stops paging when ``last_id`` is empty).
    """
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }
