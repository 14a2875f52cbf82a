"""Raw HTTP against the sandbox, for what the SDK hides: exact JSON, SSE lines, headers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx2

from tui.sandbox import Sandbox


@dataclass
class Event:
    """One parsed SSE event."""

    event: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def headers_for(key: str | None, **extra: str) -> dict[str, str]:
    """Bearer auth plus the Assistants beta header, plus ``extra``."""
    headers = {"OpenAI-Beta": "assistants=v2", **extra}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def request(
    sandbox: Sandbox, method: str, path: str, key: str | None = None, *,
    json_body: Any = None, content: bytes | None = None, headers: dict[str, str] | None = None,
) -> httpx2.Response:
    """One non-streaming request to ``sandbox.url + path``."""
    with httpx2.Client(timeout=10) as client:
        return client.request(method, sandbox.url + path, json=json_body, content=content,
                              headers={**headers_for(key), **(headers or {})})


def parse_sse(text: str) -> list[Event]:
    """Split an SSE body into events (the body must be complete)."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event, data = None, []
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
        events.append(Event(event, "\n".join(data)))
    return events


def stream(
    sandbox: Sandbox, path: str, key: str, body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> tuple[httpx2.Response, list[Event]]:
    """POST a streaming request and read the whole SSE body."""
    with httpx2.Client(timeout=30) as client, client.stream(
        "POST", sandbox.url + path, json=body, headers={**headers_for(key), **(headers or {})}
    ) as response:
        text = response.read().decode()
    return response, parse_sse(text)
