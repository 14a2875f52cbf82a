"""Behaviour of servers that are not OpenAI's: a tiny local server plays an older
OpenAI-compatible one (it rejects ``stream_options``, sends no usage, hides /models).

This server is a stand-in for someone else's software, not for any of ours; it speaks plain
HTTP on 127.0.0.1 like the sandbox.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tui.core.api.base import Completed, TextDelta
from tui.core.api.chat import ChatBackend
from tui.core.api.factory import make_backend
from tui.core.keys import KeyRing
from tui.core.records import Dialect, Profile

KEY = "sk-local-server-key-000000000local"


@dataclass
class OldServer:
    """Records the chat requests it got; ``accepts_stream_options`` picks the behaviour."""

    accepts_stream_options: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""


def _handler(state: OldServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any], **headers: str) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            # A restricted project key: the key works but may not list models.
            self._json(
                403,
                {"error": {"message": "You have insufficient permissions for this operation.",
                           "type": "invalid_request_error", "param": None, "code": None}},
                openai_organization="old-org",
                openai_project="proj_old",
                x_request_id="req_old403",
            )

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            if "stream_options" in body and not state.accepts_stream_options:
                self._json(400, {"error": {
                    "message": "Unrecognized request argument supplied: stream_options",
                    "type": "invalid_request_error", "param": None, "code": None}})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            chunks = [
                {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hello"}}]},
                {"choices": [{"index": 0, "delta": {"content": " there"}}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            ]
            for chunk in chunks:
                payload = {"id": "chatcmpl-old", "object": "chat.completion.chunk",
                           "created": 0, "model": "llama", **chunk}
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True

    return Handler


@pytest.fixture
def old_server() -> Iterator[OldServer]:
    state = OldServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def backend_on(server: OldServer) -> ChatBackend:
    profile = Profile(name="local", api_key_env="LOCAL_KEY", base_url=server.base_url,
                      api=Dialect.CHAT, model="llama")
    backend = make_backend(profile, KeyRing(environ={"LOCAL_KEY": KEY}), max_retries=0)
    assert isinstance(backend, ChatBackend)
    return backend


async def reply(backend: ChatBackend) -> tuple[str, Completed]:
    record = await backend.create_thread("t")
    text, end = "", None
    async for event in backend.stream_reply(record, "hi"):
        if isinstance(event, TextDelta):
            text += event.text
        else:
            end = event
    assert isinstance(end, Completed), end
    return text, end


async def test_a_server_that_rejects_stream_options_is_asked_again_without_it(
    old_server: OldServer,
) -> None:
    backend = backend_on(old_server)
    try:
        text, end = await reply(backend)
        assert text == end.text == "Hello there" and end.usage is None
        assert ["stream_options" in r for r in old_server.requests] == [True, False]
        # Remembered: the next turn does not ask again.
        await reply(backend)
        assert ["stream_options" in r for r in old_server.requests] == [True, False, False]
        assert not backend.include_usage
    finally:
        await backend.aclose()


async def test_a_server_that_ignores_stream_options_still_completes(
    old_server: OldServer,
) -> None:
    """It takes the option but sends no usage chunk: the finish_reason ends the reply."""
    old_server.accepts_stream_options = True
    backend = backend_on(old_server)
    try:
        text, end = await reply(backend)
        assert text == "Hello there" and end.usage is None and end.response_id == "chatcmpl-old"
        assert len(old_server.requests) == 1 and backend.include_usage
    finally:
        await backend.aclose()


async def test_whoami_when_the_key_may_not_list_models(old_server: OldServer) -> None:
    backend = backend_on(old_server)
    try:
        identity = await backend.whoami()
    finally:
        await backend.aclose()
    assert not identity.models_listable
    assert identity.organization == "old-org" and identity.project == "proj_old"
    assert identity.request_id == "req_old403"
