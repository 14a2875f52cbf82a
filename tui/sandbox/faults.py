"""Fault injection: make the next calls fail the ways the real API and networks fail.

A fault is queued in-process (``sandbox.faults.next(Fault.rate_limit(), times=2)``), over HTTP
(``POST /_sandbox/faults``), or attached to one request with the ``X-Sandbox-Fault`` header
(``X-Sandbox-Fault: cut;after=5``). Queued faults may target a path pattern (a regular
expression searched in the request path, e.g. ``/responses$``) and a method.

HTTP faults (``rate_limit``, ``insufficient_quota``, ``server_error``, ``unauthorized``,
``slow_first_byte``) hit any matching request. Stream faults (``cut``, ``fail``,
``error_event``, ``malformed``) only hit streaming requests; a non-streaming request passes
them by without using them up.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    """Every way the sandbox can misbehave."""

    RATE_LIMIT = "rate_limit"  # 429 rate_limit_exceeded with retry-after
    INSUFFICIENT_QUOTA = "insufficient_quota"  # 429 insufficient_quota
    SERVER_ERROR = "server_error"  # 500 (or ``status``) server_error
    UNAUTHORIZED = "unauthorized"  # 401 invalid_api_key for the caller's own key
    SLOW_FIRST_BYTE = "slow_first_byte"  # sleep ``seconds`` before the status line
    CUT = "cut"  # stream stops after ``after`` deltas: connection closed, no end event
    FAIL = "fail"  # stream ends with response.failed / thread.run.failed / error chunk
    ERROR_EVENT = "error_event"  # stream ends with an SSE ``error`` event
    MALFORMED = "malformed"  # one garbage ``data:`` line after ``after`` deltas, then on
    # Replies the real API gives that are not faults, per request (Responses streams):
    COMMENTARY = "commentary"  # two output messages: a commentary message, then the answer
    REFUSAL = "refusal"  # the model declines: a refusal part, streamed as refusal deltas
    INCOMPLETE = "incomplete"  # ends with response.incomplete after ``after`` deltas
    # (``message`` is incomplete_details.reason; default max_output_tokens)
    NESTED_ERROR = "nested_error"  # an ``error`` event as the live API sends it: the fields
    # nested under ``error`` (ERROR_EVENT sends the documented flat shape)


STREAM_KINDS = frozenset(
    {FaultKind.CUT, FaultKind.FAIL, FaultKind.ERROR_EVENT, FaultKind.MALFORMED,
     FaultKind.COMMENTARY, FaultKind.REFUSAL, FaultKind.INCOMPLETE, FaultKind.NESTED_ERROR}
)
# Kinds that shape the whole reply rather than break in at ``after``.
REPLY_KINDS = frozenset({FaultKind.COMMENTARY, FaultKind.REFUSAL})


@dataclass(frozen=True)
class Fault:
    """One injected failure; build it with the class methods."""

    kind: FaultKind
    after: int = 0
    retry_after: float = 1.0
    seconds: float = 0.0
    status: int = 500
    message: str | None = None
    # Without the retry hints the real API adds: a rate limit with no ``retry-after`` (only
    # the ``x-ratelimit-*`` headers say when), a quota error with no ``x-should-retry``.
    bare: bool = False

    @property
    def is_stream(self) -> bool:
        """Whether it needs a streaming request to happen."""
        return self.kind in STREAM_KINDS

    @classmethod
    def rate_limit(cls, retry_after: float = 1.0, *, bare: bool = False) -> Fault:
        """429 ``rate_limit_exceeded`` with ``retry-after`` (seconds) and ``retry-after-ms``;
        ``bare``: without them, the wait only in ``x-ratelimit-reset-requests`` (``6m0s``)."""
        return cls(FaultKind.RATE_LIMIT, retry_after=retry_after, bare=bare)

    @classmethod
    def insufficient_quota(cls, *, bare: bool = False) -> Fault:
        """429 ``insufficient_quota``: billing, not worth retrying. Sent with
        ``x-should-retry: false`` as the real API does (``bare``: without it)."""
        return cls(FaultKind.INSUFFICIENT_QUOTA, bare=bare)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx ``server_error``."""
        return cls(FaultKind.SERVER_ERROR, status=status)

    @classmethod
    def unauthorized(cls) -> Fault:
        """401 ``invalid_api_key`` as if the key had just been revoked."""
        return cls(FaultKind.UNAUTHORIZED)

    @classmethod
    def slow_first_byte(cls, seconds: float = 5.0) -> Fault:
        """Wait before answering at all; pair with a short client timeout."""
        return cls(FaultKind.SLOW_FIRST_BYTE, seconds=seconds)

    @classmethod
    def cut(cls, after: int = 3) -> Fault:
        """Close the connection mid-stream after ``after`` deltas, without an end event."""
        return cls(FaultKind.CUT, after=after)

    @classmethod
    def fail(cls, after: int = 3, message: str | None = None) -> Fault:
        """End the stream with the API's own failure event after ``after`` deltas."""
        return cls(FaultKind.FAIL, after=after, message=message)

    @classmethod
    def error_event(cls, after: int = 3, message: str | None = None) -> Fault:
        """End the stream with an SSE ``error`` event after ``after`` deltas."""
        return cls(FaultKind.ERROR_EVENT, after=after, message=message)

    @classmethod
    def commentary(cls) -> Fault:
        """A reply of two output messages (a commentary message, then the final answer)."""
        return cls(FaultKind.COMMENTARY)

    @classmethod
    def refusal(cls) -> Fault:
        """The model refuses: the reply is a refusal part streamed as refusal deltas."""
        return cls(FaultKind.REFUSAL)

    @classmethod
    def incomplete(cls, after: int = 3, reason: str = "max_output_tokens") -> Fault:
        """End with ``response.incomplete`` (``incomplete_details.reason`` = ``reason``)."""
        return cls(FaultKind.INCOMPLETE, after=after, message=reason)

    @classmethod
    def nested_error(cls, after: int = 3, message: str | None = None) -> Fault:
        """End with an ``error`` event whose fields are nested under ``error``."""
        return cls(FaultKind.NESTED_ERROR, after=after, message=message)

    @classmethod
    def malformed(cls, after: int = 3) -> Fault:
        """Send one ``data:`` line that is not JSON after ``after`` deltas."""
        return cls(FaultKind.MALFORMED, after=after)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build from JSON (``{"kind": "cut", "after": 5}``); ValueError when invalid."""
        if "kind" not in data:
            raise ValueError("a fault needs a 'kind'")
        try:
            kind = FaultKind(data["kind"])
        except ValueError:
            names = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"unknown fault kind {data['kind']!r}; one of: {names}") from None
        known = {f.name for f in fields(cls)} - {"kind"}
        extra = set(data) - known - {"kind"}
        if extra:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(extra))}")
        values: dict[str, Any] = {}
        for name in ("after", "status"):
            if name in data:
                values[name] = int(data[name])
        for name in ("retry_after", "seconds"):
            if name in data:
                values[name] = float(data[name])
        if data.get("message") is not None:
            values["message"] = str(data["message"])
        if "bare" in data:
            bare = data["bare"]
            if isinstance(bare, str):
                bare = bare.strip().lower() in {"1", "true", "yes"}
            values["bare"] = bool(bare)
        fault = cls(kind, **values)
        if fault.after < 0 or fault.seconds < 0 or fault.retry_after < 0:
            raise ValueError("after, seconds and retry_after must not be negative")
        if not 500 <= fault.status <= 599:
            raise ValueError("status must be a 5xx code")
        return fault

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Build from the header form ``kind;name=value;…`` (e.g. ``rate_limit;retry_after=2``)."""
        head, *params = [part.strip() for part in spec.split(";") if part.strip()] or [""]
        data: dict[str, Any] = {"kind": head}
        for param in params:
            name, sep, value = param.partition("=")
            if not sep:
                raise ValueError(f"fault parameter {param!r} is not name=value")
            data[name.strip()] = value.strip()
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, the inverse of ``from_dict``."""
        return {
            "kind": self.kind.value,
            "after": self.after,
            "retry_after": self.retry_after,
            "seconds": self.seconds,
            "status": self.status,
            "message": self.message,
            "bare": self.bare,
        }


@dataclass
class _Queued:
    fault: Fault
    remaining: int | None  # None: forever
    path: re.Pattern[str] | None
    method: str | None

    def matches(self, method: str, path: str, streaming: bool) -> bool:
        if self.fault.is_stream and not streaming:
            return False
        if self.method and self.method != method:
            return False
        return not (self.path and not self.path.search(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.fault.to_dict(),
            "times": self.remaining,
            "path": self.path.pattern if self.path else None,
            "method": self.method,
        }


@dataclass
class Faults:
    """The queue of pending faults, consulted once per API request."""

    _queue: list[_Queued] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next(
        self,
        fault: Fault,
        *,
        times: int | None = 1,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Make the next ``times`` matching requests fail with ``fault`` (None: all of them)."""
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for every request)")
        pattern = re.compile(path) if path else None
        with self._lock:
            self._queue.append(_Queued(fault, times, pattern, method.upper() if method else None))

    def always(self, fault: Fault, *, path: str | None = None, method: str | None = None) -> None:
        """Fail every matching request until ``clear()``."""
        self.next(fault, times=None, path=path, method=method)

    def clear(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._queue.clear()

    def take(self, method: str, path: str, *, streaming: bool) -> Fault | None:
        """The fault this request gets, if any, using up one of its ``times``."""
        with self._lock:
            for queued in self._queue:
                if queued.matches(method, path, streaming):
                    if queued.remaining is not None:
                        queued.remaining -= 1
                        if queued.remaining == 0:
                            self._queue.remove(queued)
                    return queued.fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """What is still queued, as JSON."""
        with self._lock:
            return [q.to_dict() for q in self._queue]
