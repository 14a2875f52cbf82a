"""A small hostile server: a well-behaved Conversations + Responses API on 127.0.0.1 that answers
one operation with one bad answer shape, over real HTTP.

``HostileServer.attack(op, shape)`` arms it: every request of operation ``op`` (``create``:
POST /conversations; ``open``: GET /conversations/{id}/items; ``send``: POST /responses;
``delete``: every DELETE) gets the answer ``SHAPES[shape]`` builds for that operation; every
other request gets the normal answer. The shapes are what captive portals, proxies and broken
compatible servers really send; each one is a function ``(op, server) -> Answer``.

Used by tests/api/test_hostile_answers.py (the session layer) and tests/app/ (the app).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPS = ("create", "open", "send", "delete")
REPLY = "The answer is forty-two."
CREATED_AT = 1_790_000_000
DRIP_BYTES = 400  # a drip is bounded: it ends by itself after this many bytes
DRIP_PAUSE = 0.05


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/json"
    drip: bool = False


def _json(value: Any, **kwargs: Any) -> Answer:
    return Answer(body=json.dumps(value).encode(), **kwargs)


def _raw_json(text: str) -> Answer:
    return Answer(body=text.encode())


def _sse(events: list[Any]) -> Answer:
    """An event stream of ``events`` (dicts are JSON-encoded; bytes are sent as they are)."""
    out = bytearray()
    for event in events:
        data = event if isinstance(event, bytes) else json.dumps(event).encode()
        out += b"data: " + data + b"\n\n"
    return Answer(body=bytes(out), content_type="text/event-stream")


# ---------------------------------------------------------------- normal answers


def conversation(conv_id: str) -> dict[str, Any]:
    return {"id": conv_id, "object": "conversation", "created_at": CREATED_AT, "metadata": {}}


def message(item_id: Any, role: str, text: Any) -> dict[str, Any]:
    kind = "output_text" if role == "assistant" else "input_text"
    return {"id": item_id, "type": "message", "role": role, "status": "completed",
            "content": [{"type": kind, "text": text}]}


def response_object(resp_id: Any, item_id: Any, text: Any, usage: Any = None) -> dict[str, Any]:
    return {
        "id": resp_id, "object": "response", "created_at": CREATED_AT, "status": "completed",
        "model": "gpt-4.1-mini", "output": [message(item_id, "assistant", text)],
        "usage": usage or {"input_tokens": 5, "output_tokens": 6, "total_tokens": 11},
    }


def reply_events(
    resp_id: Any = "resp_1", item_id: Any = "msg_1", delta: Any = None, usage: Any = None
) -> list[Any]:
    pieces = [REPLY[:10], REPLY[10:]] if delta is None else [delta]
    events: list[Any] = [
        {"type": "response.created", "sequence_number": 0,
         "response": {"id": resp_id, "object": "response", "status": "in_progress",
                      "output": [], "created_at": CREATED_AT, "model": "gpt-4.1-mini"}},
        {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
         "item": {"id": item_id, "type": "message", "role": "assistant",
                  "status": "in_progress", "content": []}},
    ]
    for number, piece in enumerate(pieces):
        events.append({"type": "response.output_text.delta", "sequence_number": 2 + number,
                       "item_id": item_id, "output_index": 0, "content_index": 0,
                       "delta": piece, "logprobs": []})
    events.append({"type": "response.completed", "sequence_number": 9,
                   "response": response_object(resp_id, item_id, REPLY, usage)})
    return events


def normal(op: str, server: HostileServer) -> Any:
    """The well-formed JSON answer of each operation (for ``send``: the whole Response)."""
    if op == "create":
        return conversation("conv_" + uuid.uuid4().hex)
    if op == "open":
        return {"object": "list", "data": [message("msg_u1", "user", "hello")],
                "first_id": "msg_u1", "last_id": "msg_u1", "has_more": False}
    if op == "send":
        return response_object("resp_1", "msg_1", REPLY)
    return {"id": "conv_deleted", "object": "conversation.deleted", "deleted": True}


# ---------------------------------------------------------------- hostile shapes

_BOMB: bytes | None = None


def gzip_bomb() -> bytes:
    """About 256 KB of gzip that expands to 256 MB of spaces (made once per process)."""
    global _BOMB
    if _BOMB is None:
        block = b" " * (1024 * 1024)
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # one gzip member
        out = bytearray()
        for _ in range(256):
            out += comp.compress(block)
        out += comp.flush()
        _BOMB = bytes(out)
    return _BOMB


def _by_op(create: Any, open_: Any, send: Any, delete: Any) -> Callable[..., Answer]:
    table = {"create": create, "open": open_, "send": send, "delete": delete}

    def build(op: str, server: HostileServer) -> Answer:
        made = table[op]
        return made(server) if callable(made) else made

    return build


HTML = (b"<!DOCTYPE html><html><head><title>Hotel WiFi \x1b[31mlogin</title></head>"
        b"<body><form>Accept the terms to continue</form></body></html>")
DEEP = "[" * 100_000 + "]" * 100_000


def _html(op: str, server: HostileServer) -> Answer:
    return Answer(body=HTML, content_type="text/html; charset=utf-8")


def _invalid_json(op: str, server: HostileServer) -> Answer:
    return _raw_json('{"id": "conv_1", "object": ')


def _json_array(op: str, server: HostileServer) -> Answer:
    return _json([normal(op, server)])


def _gzip_bomb(op: str, server: HostileServer) -> Answer:
    kind = "text/event-stream" if op == "send" else "application/json"
    return Answer(body=gzip_bomb(), content_type=kind, headers={"Content-Encoding": "gzip"})


def _huge(op: str, server: HostileServer) -> Answer:
    value = normal(op, server)
    value["padding"] = "x" * (20 * 1024 * 1024)
    return _json(value)


def _error_200(op: str, server: HostileServer) -> Answer:
    return _json({"error": {"message": "The engine is currently overloaded",
                            "type": "server_error", "code": "server_overloaded"}})


def _drip(op: str, server: HostileServer) -> Answer:
    return Answer(body=json.dumps(normal(op, server)).encode().ljust(DRIP_BYTES), drip=True)


def _empty(op: str, server: HostileServer) -> Answer:
    return Answer(body=b"", content_type="text/event-stream" if op == "send" else None)


def _bad_utf8(op: str, server: HostileServer) -> Answer:
    return Answer(body=b'{"id": "conv_\xff\xfe", "created_at": 1}')


def _deep(op: str, server: HostileServer) -> Answer:
    if op == "send":
        return _sse([reply_events()[0], DEEP.encode()])
    return _raw_json(DEEP)


def _nonfinite(op: str, server: HostileServer) -> Answer:
    nan = {"input_tokens": float("nan"), "output_tokens": float("inf"), "total_tokens": 1}
    return _by_op(
        _raw_json('{"id": "conv_1", "object": "conversation", "created_at": NaN}'),
        _raw_json('{"object": "list", "data": [], "has_more": Infinity}'),
        lambda s: _sse(reply_events(usage=nan)),
        _raw_json('{"id": "conv_1", "deleted": NaN}'),
    )(op, server)


def _html_502(op: str, server: HostileServer) -> Answer:
    return Answer(status=502, body=HTML, content_type="text/html")


def _brotli(op: str, server: HostileServer) -> Answer:
    return Answer(body=b"\x8b\x02\x80hello\x03", headers={"Content-Encoding": "br"})


def _text_plain(op: str, server: HostileServer) -> Answer:
    return Answer(body=json.dumps(normal(op, server)).encode(), content_type="text/plain")


WRONG_TYPES = _by_op(
    _json({"id": "conv_1", "object": "conversation", "created_at": "yesterday"}),
    _json({"object": "list", "data": "none", "has_more": "no"}),
    lambda s: _sse(reply_events(delta=42)),
    _json({"id": "conv_1", "object": "conversation.deleted", "deleted": "yes"}),
)
NULL_ID = _by_op(
    _json({"id": None, "object": "conversation", "created_at": CREATED_AT}),
    _json({"object": "list", "data": [message(None, "user", "hello")], "has_more": False}),
    lambda s: _sse(reply_events(resp_id=None)),
    _json({"id": None, "object": "conversation.deleted", "deleted": True}),
)
NUMERIC_IDS = _by_op(
    _json({"id": 12345, "object": "conversation", "created_at": CREATED_AT}),
    _json({"object": "list", "data": [message(7, "user", "hello")], "has_more": False}),
    lambda s: _sse(reply_events(resp_id=99, item_id=5)),
    _json({"id": 3, "object": "conversation.deleted", "deleted": True}),
)
GARBAGE_IDS = _by_op(
    _json({"id": "conv_\x1b]0;pwned\x07", "object": "conversation", "created_at": 1}),
    _json({"object": "list", "data": [message("m" * 5000, "user", "hi")], "has_more": False}),
    lambda s: _sse(reply_events(resp_id="resp 1\n", item_id="msg_1")),
    _json({"id": "", "object": "conversation.deleted", "deleted": True}),
)
NESTED_TYPES = _by_op(
    _json({"id": {"value": "conv_1"}, "object": "conversation"}),
    _json({"object": "list", "data": [{"id": "msg_1", "type": "message", "role": "user",
                                       "content": "hello"}], "has_more": False}),
    lambda s: _sse([{"type": "response.output_text.delta", "item_id": "msg_1",
                     "delta": {"text": "hi"}}]),
    _json({"id": "conv_1", "object": "conversation.deleted", "deleted": False}),
)

SHAPES: dict[str, Callable[[str, HostileServer], Answer]] = {
    "html_200": _html,
    "invalid_json": _invalid_json,
    "wrong_types": WRONG_TYPES,
    "null_id": NULL_ID,
    "numeric_ids": NUMERIC_IDS,
    "garbage_ids": GARBAGE_IDS,
    "json_array": _json_array,
    "gzip_bomb": _gzip_bomb,
    "huge_body": _huge,
    "error_body_200": _error_200,
    "drip": _drip,
    "empty_body": _empty,
    "bad_utf8": _bad_utf8,
    "deep_nesting": _deep,
    "nan_and_infinity": _nonfinite,
    "html_502": _html_502,
    "unknown_encoding": _brotli,
    "text_plain": _text_plain,
    "wrong_nested_types": NESTED_TYPES,
}
"""Shapes that are bad for every operation: each cell must end in an ApiError."""


# ---------------------------------------------------------------- the server


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer is what these tests provoke: not worth a traceback
    on stderr (socketserver prints one for every handler error)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class HostileServer:
    def __init__(self) -> None:
        self.op: str | None = None
        self.shape: str | None = None
        self.custom: Callable[[str, HostileServer, dict[str, Any]], Answer] | None = None
        self.hits: dict[str, int] = {}
        self.conversations: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        handler = _handler(self)
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)

    def attack(self, op: str, shape: str | None) -> None:
        """From now on, answer every request of ``op`` with ``shape`` (None: behave)."""
        self.op, self.shape, self.custom = op, shape, None

    def attack_with(
        self, op: str, answer: Callable[[str, HostileServer, dict[str, Any]], Answer]
    ) -> None:
        self.op, self.shape, self.custom = op, None, answer

    @staticmethod
    def op_of(method: str, path: str) -> str:
        if method == "POST" and path == "/v1/conversations":
            return "create"
        if method == "GET" and path.endswith("/items"):
            return "open"
        if method == "POST" and path in {"/v1/responses", "/v1/chat/completions"}:
            return "send"
        if method == "DELETE":
            return "delete"
        return "other"

    # -- behaving --------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> Answer:
        op = self.op_of(method, path)
        with self._lock:
            self.hits[op] = self.hits.get(op, 0) + 1
        if op == self.op:
            if self.custom is not None:
                return self.custom(op, self, query)
            if self.shape is not None:
                return SHAPES[self.shape](op, self)
        return self.behave(op, method, path, body)

    def behave(self, op: str, method: str, path: str, body: dict[str, Any]) -> Answer:
        if op == "create":
            value = normal("create", self)
            self.conversations[value["id"]] = []
            return _json(value)
        if op == "open":
            conv_id = path.split("/")[3]
            items = self.conversations.get(conv_id)
            if items is None:
                return _not_found(conv_id)
            return _json({"object": "list", "data": items, "has_more": False,
                          "first_id": items[0]["id"] if items else None,
                          "last_id": items[-1]["id"] if items else None})
        if op == "send":
            conv_id = str(body.get("conversation"))
            items = self.conversations.setdefault(conv_id, [])
            number = len(items)
            items.append(message(f"msg_u{number}", "user", str(body.get("input"))))
            items.append(message(f"msg_a{number}", "assistant", REPLY))
            return _sse(reply_events(f"resp_{number}", f"msg_a{number}"))
        if op == "delete":
            obj_id = path.rsplit("/", 1)[-1]
            if obj_id.startswith("conv_"):
                self.conversations.pop(obj_id, None)
            return _json({"id": obj_id, "object": "deleted", "deleted": True})
        if method == "GET" and path.startswith("/v1/conversations/"):
            conv_id = path.split("/")[3]
            if conv_id not in self.conversations:
                return _not_found(conv_id)
            return _json(conversation(conv_id))
        if path == "/v1/models":
            return _json({"object": "list", "data": []})
        return _not_found(path)


def _not_found(what: str) -> Answer:
    return _json({"error": {"message": f"No such object: {what}", "type": "invalid_request_error",
                            "code": None}}, status=404)


def _handler(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            path, _, query = self.path.partition("?")
            params = dict(p.partition("=")[::2] for p in query.split("&") if p)
            answer = server.answer(self.command, path.rstrip("/"), params, body)
            self.send_response(answer.status)
            if answer.content_type:
                self.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("x-request-id", "req_hostile")
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            try:
                if answer.drip:
                    for index in range(len(answer.body)):
                        if server._stop.is_set():
                            break
                        self.wfile.write(answer.body[index:index + 1])
                        self.wfile.flush()
                        time.sleep(DRIP_PAUSE)
                else:
                    self.wfile.write(answer.body)
                self.wfile.flush()
            except OSError:
                self.close_connection = True
                with_suppressed_shutdown(self.connection)

        do_GET = do_POST = do_DELETE = _serve

    return Handler


def with_suppressed_shutdown(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
