"""Server-sent events and the one loop that streams every kind of reply.

The three API families (Responses, Assistants runs, Chat Completions) differ only in the
events they emit; the pacing, the fault handling and what happens when a connection drops are
the same, so they live here once. A family describes one reply as a ``Generation``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .faults import REPLY_KINDS, Fault, FaultKind

DEFAULT_FAIL_MESSAGE = "The model failed to generate a response."
DEFAULT_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"
GARBAGE = "{sandbox: this line is not JSON"


@dataclass(frozen=True)
class SSE:
    """One server-sent event: an optional ``event:`` line and one ``data:`` line."""

    data: str
    event: str | None = None

    def encode(self) -> bytes:
        """Wire form, ``event: …\\ndata: …\\n\\n``."""
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {self.data}\n\n".encode()


def sse(event: str | None, payload: dict[str, Any]) -> SSE:
    """An event whose data is ``payload`` as compact single-line JSON."""
    return SSE(json.dumps(payload, separators=(",", ":"), ensure_ascii=False), event)


class EndStream(Exception):
    """Raised by a generation's ``delta`` when the reply ends early on the server's side
    (a cancelled run); ``events`` close the stream."""

    def __init__(self, events: list[SSE]) -> None:
        super().__init__("stream ended by the server")
        self.events = events


class ConnectionDropped(Exception):
    """The stream must end without its terminator: client gone, cut fault, or shutdown."""


class EventSink(Protocol):
    """Where a stream writes; raises ``ConnectionDropped`` once the peer is gone."""

    def send(self, events: Sequence[SSE]) -> None:
        """Write and flush ``events``."""


class Generation(Protocol):
    """One reply of one API family, seen as the events it emits.

    ``completed``/``failed``/``errored`` also record the outcome in the store; ``abandoned``
    records what a dropped connection leaves behind. Exactly one of the four is called.
    """

    def opening(self) -> list[SSE]:
        """Events before the first delta."""

    def delta(self, piece: str) -> list[SSE]:
        """Events for one piece of text (or ``EndStream`` when the reply was stopped)."""

    def completed(self) -> list[SSE]:
        """Events that end a successful reply."""

    def failed(self, message: str) -> list[SSE]:
        """Events that end the reply with the family's own failure event."""

    def errored(self, message: str) -> list[SSE]:
        """Events that end the reply with an SSE ``error`` event."""

    def abandoned(self) -> None:
        """The connection dropped before the end."""


def run_stream(
    sink: EventSink,
    generation: Generation,
    pieces: Sequence[str],
    *,
    fault: Fault | None,
    delay: Callable[[], float],
    stopping: threading.Event,
) -> None:
    """Stream ``pieces`` through ``generation`` into ``sink``, honouring one stream fault.

    ``delay()`` is read before every piece, so a test or the demo can change the pace while a
    reply streams. Raises ``ConnectionDropped`` when the stream must end abruptly (the server
    then closes the socket without the chunked terminator, as a broken network would).
    """
    out = _Batch(sink)
    ending: list[SSE] | None = None
    if fault is not None and fault.kind in REPLY_KINDS:
        fault = None  # it shaped the generation; nothing breaks in half-way
    try:
        out.add(generation.opening())
        for index, piece in enumerate(pieces):
            if fault is not None and index == fault.after:
                out.flush()  # the client holds exactly ``after`` deltas when the fault hits
                ending = _inject(sink, generation, fault)
                if ending is not None:
                    break
            pause = delay()
            if pause > 0:
                out.flush()
                if stopping.wait(pause):
                    raise ConnectionDropped("sandbox stopping")
            elif stopping.is_set():
                raise ConnectionDropped("sandbox stopping")
            try:
                out.add(generation.delta(piece))
            except EndStream as end:
                ending = end.events
                break
        else:
            if fault is not None and fault.after >= len(pieces):
                out.flush()
                ending = _inject(sink, generation, fault)
        out.flush()
    except ConnectionDropped:
        generation.abandoned()
        raise
    # The outcome is recorded before the last events go out: a client that vanishes now has
    # still been sent everything it needs, like a real server that finished generating.
    sink.send(ending if ending is not None else generation.completed())


class _Batch:
    """Coalesces events written without a pause between them.

    With no delay, a 20,000-piece reply would otherwise cost 20,000 socket writes; whenever
    the stream pauses or a fault is due, everything pending goes out first.
    """

    LIMIT = 256

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self.pending: list[SSE] = []

    def add(self, events: Sequence[SSE]) -> None:
        self.pending.extend(events)
        if len(self.pending) >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            events, self.pending = self.pending, []
            self.sink.send(events)


def _inject(sink: EventSink, generation: Generation, fault: Fault) -> list[SSE] | None:
    """Apply a stream fault: the events that end the stream, or None to carry on."""
    if fault.kind is FaultKind.CUT:
        raise ConnectionDropped("cut fault")
    if fault.kind is FaultKind.FAIL:
        return generation.failed(fault.message or DEFAULT_FAIL_MESSAGE)
    if fault.kind is FaultKind.ERROR_EVENT:
        return generation.errored(fault.message or DEFAULT_ERROR_MESSAGE)
    if fault.kind is FaultKind.MALFORMED:
        sink.send([SSE(GARBAGE)])
    if fault.kind is FaultKind.INCOMPLETE:
        # Families without an "incomplete" ending fail instead.
        ending = getattr(generation, "incomplete", None)
        reason = fault.message or "max_output_tokens"
        return ending(reason) if ending else generation.failed(f"incomplete: {reason}")
    if fault.kind is FaultKind.NESTED_ERROR:
        nested = getattr(generation, "errored_nested", generation.errored)
        return list(nested(fault.message or DEFAULT_ERROR_MESSAGE))
    return None


def run_silently(generation: Generation, pieces: Iterable[str]) -> None:
    """Produce a whole reply at once (non-streaming requests): same states, no events."""
    generation.opening()
    for piece in pieces:
        generation.delta(piece)
    generation.completed()
