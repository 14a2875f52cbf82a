"""HTTP plumbing: a threaded standard-library server on 127.0.0.1 that speaks like the API.

JSON answers carry a Content-Length; streams use chunked transfer encoding, as the real
service does, so that a stream cut mid-way is visible to the client as an incomplete body
(httpx raises, the SDK reports a connection error) rather than as a short but valid stream.
``stop()`` ends every stream and idle keep-alive connection, then joins every thread.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .context import JsonReply, StreamReply
from .gateway import Gateway, RawRequest
from .streaming import SSE, ConnectionDropped

HOST = "127.0.0.1"
JOIN_TIMEOUT_S = 5.0


class _ChunkedSink:
    """Writes SSE events as HTTP chunks; a dead peer becomes ``ConnectionDropped``."""

    def __init__(self, handler: _Handler) -> None:
        self.handler = handler

    def send(self, events: Sequence[SSE]) -> None:
        payload = b"".join(event.encode() for event in events)
        if not payload:
            return
        try:
            self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
            self.handler.wfile.flush()
        except OSError as error:
            raise ConnectionDropped(str(error)) from error


class _Handler(BaseHTTPRequestHandler):
    """One connection; requests on it are served one after another (keep-alive)."""

    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer
    server_version = "sandbox"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes, and every SSE event is a small write:
        # without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo's terminal must not fill with access logs."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        started = time.monotonic()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Content-Length is not a number")
            return
        body = self.rfile.read(length) if length > 0 else b""
        request = RawRequest(
            self.command,
            self.path,
            {name.lower(): value for name, value in self.headers.items()},
            body,
        )
        reply = self.server.gateway.handle(request)
        if self.server.stopping.is_set():
            self.close_connection = True
        elapsed = f"{max(1, round((time.monotonic() - started) * 1000))}"
        try:
            if isinstance(reply, JsonReply):
                self._send_json(reply, elapsed)
            else:
                self._send_stream(reply, elapsed)
        except (ConnectionDropped, OSError):
            self.close_connection = True
            self._abort()

    def _start(self, status: int, headers: dict[str, str], elapsed: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("openai-processing-ms", elapsed)

    def _send_json(self, reply: JsonReply, elapsed: str) -> None:
        data = json.dumps(reply.body, ensure_ascii=False, indent=2).encode()
        self._start(reply.status, reply.headers, elapsed)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_stream(self, reply: StreamReply, elapsed: str) -> None:
        self._start(200, reply.headers, elapsed)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        reply.produce(_ChunkedSink(self))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _abort(self) -> None:
        """Close without finishing the body: what a dropped network looks like."""
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class SandboxHTTPServer(ThreadingHTTPServer):
    """Threaded server that knows its connections and threads, so it can stop cleanly."""

    daemon_threads = True  # never keep a process alive; stop() joins them explicitly
    allow_reuse_address = True

    def __init__(self, gateway: Gateway, stopping: threading.Event, port: int = 0) -> None:
        self.gateway = gateway
        self.stopping = stopping
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        super().__init__((HOST, port), _Handler)

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start a handler thread and remember it, so ``close_all`` can join it."""
        thread = threading.Thread(
            target=self._run_handler, args=(request, client_address),
            name=f"sandbox-conn-{client_address[1]}", daemon=True,
        )
        with self._lock:
            self._handler_threads.add(thread)
        thread.start()

    def _run_handler(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._handler_threads.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A peer that resets its connection is normal for a client; anything else is a bug."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError) or self.stopping.is_set():
            return
        super().handle_error(request, client_address)

    def close_all(self) -> None:
        """Shut every open connection and wait for every handler thread to end."""
        with self._lock:
            connections = list(self._connections)
            threads = list(self._handler_threads)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(JOIN_TIMEOUT_S)

    def live_threads(self) -> int:
        """Handler threads still running (0 after a clean stop)."""
        with self._lock:
            return sum(1 for t in self._handler_threads if t.is_alive())


class ServerThread:
    """Runs a ``SandboxHTTPServer`` in a background thread."""

    def __init__(self, gateway: Gateway, stopping: threading.Event, port: int = 0) -> None:
        self.server = SandboxHTTPServer(gateway, stopping, port)
        self.port: int = self.server.server_address[1]
        self.stopping = stopping
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
            name=f"sandbox-{self.port}", daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, end streams and keep-alive connections, join all threads."""
        self.stopping.set()
        self.server.shutdown()
        self.server.close_all()
        self.server.server_close()
        self._thread.join(JOIN_TIMEOUT_S)

    @property
    def alive(self) -> bool:
        """Whether the serving thread or any handler thread still runs."""
        return self._thread.is_alive() or self.server.live_threads() > 0
