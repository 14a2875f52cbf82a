"""The one boundary every server answer crosses: read it safely, check it, or refuse it.

A server's answer is untrusted input. A captive portal answers 200 with HTML, a proxy mangles
JSON, a compatible server sends numbers where ids belong, a broken one says ``has_more``
forever or sends a small gzip body that expands to gigabytes. Nothing of that may crash the
app or reach the record. So:

- **bytes** (``GuardedAsyncClient``, the SDK's HTTP client): only encodings we decode
  ourselves (gzip, deflate) are asked for and accepted, the *decoded* size of every body is
  capped (``AnswerLimits``), and a JSON body that drips in slower than ``body_deadline`` is
  given up on. These raise ``AnswerProblem``, an ``openai.OpenAIError``: the SDK passes those
  through untouched, without retrying.
- **JSON** (``read_json``): the content type is checked (HTML is named as such), the body
  parsed with nothing but ``json`` (no NaN, no 10,000-level nesting), an ``{"error": …}``
  body is an error even under status 200.
- **shapes** (``Shape``): the fields the client uses are read through typed getters (ids are
  non-empty strings of a sane length and charset, times are finite numbers, counts are
  non-negative integers, lists hold objects), on dicts and on the SDK's unvalidated models
  alike.

Every refusal is an ``AnswerProblem`` whose message says what came back, with at most a short
excerpt with control characters spelt out; ``tui.core.api.errors`` turns it into the
``BadAnswer`` the UI shows, naming the server and scrubbed of keys.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
import openai

from tui.core.safe_text import printable

MB = 1024 * 1024
EXCERPT = 80
ID_MAX = 200
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_SSE = "text/event-stream"
_DECODABLE = {"gzip", "x-gzip", "deflate"}
RAW_ANSWER = {"X-Stainless-Raw-Response": "true"}
"""Extra headers that make an SDK call return its raw answer (what ``with_raw_response``
sets), for ``SdkBackend.answer`` to read."""


@dataclass(frozen=True, slots=True)
class AnswerLimits:
    """How much of an answer is read: decoded bytes of a JSON answer and of an event stream,
    and the seconds a (non-stream) answer may take to arrive once its headers have."""

    json_bytes: int = 16 * MB
    stream_bytes: int = 64 * MB
    body_deadline: float = 120.0
    max_pages: int = 100
    max_items: int = 10_000


DEFAULT_LIMITS = AnswerLimits()


class AnswerProblem(openai.OpenAIError):
    """An answer the client cannot use. ``detail`` follows "the server at URL …"."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class AnswerError(AnswerProblem):
    """A well-formed ``{"error": {…}}`` body where something else was expected (status 200,
    or a whole body where a stream was asked for)."""

    def __init__(self, code: str | None, message: str | None) -> None:
        self.code = code
        self.message = message
        super().__init__(f"answered with an error: {message or code or 'no details'}")


# ---------------------------------------------------------------- text of an answer


def excerpt(body: bytes | str, limit: int = EXCERPT) -> str:
    """A short, one-line, control-free look at a body (for a message, never the body)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text[: limit * 4].split())
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _html_title(body: bytes) -> str | None:
    match = re.search(rb"<title[^>]*>(.*?)</title>", body[:65536], re.I | re.S)
    return excerpt(match.group(1)) if match and match.group(1).strip() else None


def looks_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml", b"<"))


def looks_sse(body: bytes) -> bool:
    head = body[:64].lstrip()
    return head.startswith((b"data:", b"event:", b"id:", b"retry:", b":"))


def media_type(response: httpx2.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def is_event_stream(response: httpx2.Response) -> bool:
    return media_type(response) == _SSE


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes, mime: str = "application/json") -> Any:
    """The JSON value of a body, or ``AnswerProblem`` saying what the body was instead."""
    if looks_html(body) or "html" in mime:
        title = _html_title(body)
        seen = f"page titled {title!r}" if title else f"it began {excerpt(body)!r}"
        raise AnswerProblem(
            f"answered HTML, not the OpenAI API: a proxy or captive portal? ({seen})"
        )
    if not body.strip():
        raise AnswerProblem("answered with an empty body, not the OpenAI API")
    if mime and not mime.endswith("json"):
        raise AnswerProblem(
            f"answered {printable(mime)[:60]}, not JSON: is base_url the API? "
            f"(it began {excerpt(body)!r})"
        )
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise AnswerProblem(
            f"answered something that is not valid JSON ({type(exc).__name__}; it began "
            f"{excerpt(body)!r})"
        ) from None


def read_json(response: httpx2.Response) -> Any:
    """The JSON value of a whole (already read, size-capped) answer."""
    return parse_json(response.content, media_type(response))


def raise_error_body(data: Any) -> None:
    """Raise ``AnswerError`` when ``data`` is the API's error shape."""
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        error = data["error"]
        code, message = error.get("code"), error.get("message")
        raise AnswerError(
            code if isinstance(code, str) else None,
            message if isinstance(message, str) else None,
        )


# ---------------------------------------------------------------- shapes


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    # The SDK's models are built without validation: whatever the server sent is kept.
    return getattr(obj, name, None)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a server id (None when it can)."""
    if not isinstance(value, str):
        return f"is {_kind(value)}, not an id"
    if not value:
        return "is empty"
    if len(value) > ID_MAX:
        return f"is {len(value)} characters long"
    if not _ID.fullmatch(value):
        return f"holds characters an id does not ({excerpt(value, 40)!r})"
    return None


class Shape:
    """Typed reads of one answer (``what`` names it in messages: "the new conversation")."""

    def __init__(self, data: Any, what: str) -> None:
        self.what = what
        if isinstance(data, Mapping):
            raise_error_body(data)
        elif data is None or isinstance(data, str | int | float | bool | list):
            raise AnswerProblem(f"answered {_kind(data)} where {what} should be an object")
        self.data = data

    def _bad(self, name: str, why: str) -> AnswerProblem:
        return AnswerProblem(f"sent {self.what} whose {name} {why}")

    def raw(self, name: str) -> Any:
        return _get(self.data, name)

    def id(self, name: str = "id") -> str:
        value = self.raw(name)
        problem = id_problem(value)
        if problem:
            raise self._bad(name, problem)
        return str(value)

    def opt_id(self, name: str = "id") -> str | None:
        return None if self.raw(name) is None else self.id(name)

    def text(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str):
            raise self._bad(name, f"is {_kind(value)}, not text")
        return value

    def opt_text(self, name: str) -> str | None:
        return None if self.raw(name) is None else self.text(name)

    def number(self, name: str) -> float:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._bad(name, f"is {_kind(value)}, not a number")
        if not math.isfinite(value) or value < 0:
            raise self._bad(name, "is not a time")
        return float(value)

    def opt_number(self, name: str) -> float | None:
        return None if self.raw(name) is None else self.number(name)

    def count(self, name: str) -> int:
        value = self.raw(name)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self._bad(name, f"is {_kind(value)}, not a count")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._bad(name, f"is {_kind(value)}, not true/false")
        return value

    def part(self, name: str, what: str | None = None) -> Shape | None:
        """A nested object (None when absent)."""
        value = self.raw(name)
        if value is None:
            return None
        return Shape(value, what or f"{self.what}'s {name}")

    def parts(self, name: str, what: str) -> list[Shape]:
        """A list of objects (empty when absent)."""
        value = self.raw(name)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise self._bad(name, f"is {_kind(value)}, not a list")
        return [Shape(item, what) for item in value]


# ---------------------------------------------------------------- answers the client uses


@dataclass(frozen=True, slots=True)
class Created:
    id: str
    created_at: float | None


def created(data: Any, what: str) -> Created:
    shape = Shape(data, what)
    return Created(shape.id(), shape.opt_number("created_at"))


def deleted(data: Any, what: str) -> bool:
    """Whether a delete answer (``{id, deleted, object}``) says the object is deleted
    (``deleted`` missing: assume so)."""
    shape = Shape(data, what)
    shape.id()
    return shape.flag("deleted", default=True)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Shape]
    has_more: bool
    last_id: str | None


def page(data: Any, what: str) -> Page:
    shape = Shape(data, f"a page of {what}")
    if not isinstance(shape.raw("data"), list):
        raise AnswerProblem(f"sent a page of {what} without a list of them")
    items = shape.parts("data", f"one of the {what}")
    return Page(items, shape.flag("has_more"), shape.opt_id("last_id"))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def model_shutdowns(data: Any) -> dict[str, dt.date]:
    """``GET /v1/models``: each listed model's ``shutdown_date`` (``YYYY-MM-DD``), by id.

    The list itself must be a page of objects (else ``AnswerProblem``); within it, a model
    whose id is not an id or whose ``shutdown_date`` is not a real date is skipped: one odd
    entry (a compatible server's own notion of a date) says nothing certain, and a warning on
    a guess would be worse than none."""
    shutdowns: dict[str, dt.date] = {}
    for model in page(data, "models").items:
        model_id, when = model.raw("id"), model.raw("shutdown_date")
        if id_problem(model_id) or not isinstance(when, str) or not _DATE.fullmatch(when):
            continue
        try:
            shutdowns[model_id] = dt.date.fromisoformat(when)
        except ValueError:
            continue  # 2027-02-30
    return shutdowns


def model_ids(data: Any) -> list[str]:
    """``GET /v1/models``: the ids it lists, sorted; an entry whose id is not an id is
    skipped (the list must still be a page of objects, else ``AnswerProblem``)."""
    ids = {model.raw("id") for model in page(data, "models").items}
    return sorted(i for i in ids if isinstance(i, str) and not id_problem(i))


class Pager:
    """Stops a listing the server would page forever: a cursor seen before, or too much."""

    def __init__(self, what: str, limits: AnswerLimits = DEFAULT_LIMITS) -> None:
        self.what = what
        self.limits = limits
        self.pages = 0
        self.items = 0
        self._cursors: set[str] = set()

    def next_cursor(self, got: Page) -> str | None:
        """The ``after`` of the next request, None when done; AnswerProblem when it runs away."""
        self.pages += 1
        self.items += len(got.items)
        if not got.has_more:
            return None
        cursor = got.last_id
        if cursor is None and got.items:
            cursor = got.items[-1].id()
        if cursor is None:
            raise AnswerProblem(f"said there are more {self.what} but gave no way to get them")
        if cursor in self._cursors:
            raise AnswerProblem(
                f"sent the same page of {self.what} again after {self.pages} pages: stopped"
                " reading"
            )
        if self.pages >= self.limits.max_pages or self.items >= self.limits.max_items:
            raise AnswerProblem(
                f"still had more {self.what} after {self.pages} pages ({self.items}): stopped"
                " reading"
            )
        self._cursors.add(cursor)
        return cursor


# ---------------------------------------------------------------- bytes


class _Inflater:
    """gzip/deflate, decoded a bounded piece at a time: the output never exceeds ``room``."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        wbits = 16 + zlib.MAX_WBITS if coding in {"gzip", "x-gzip"} else zlib.MAX_WBITS
        self._z = zlib.decompressobj(wbits)
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._z.decompress(data, room + 1)
        except zlib.error:
            if not (self._first and self.coding == "deflate"):
                raise AnswerProblem(f"sent a damaged {self.coding} body") from None
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
            out = self._decompress_raw(data, room)
        self._first = False
        return out

    def _decompress_raw(self, data: bytes, room: int) -> bytes:
        try:
            return self._z.decompress(data, room + 1)
        except zlib.error:
            raise AnswerProblem(f"sent a damaged {self.coding} body") from None


class _GuardedStream(httpx2.AsyncByteStream):
    """The body of one answer: decoded here (bounded), counted, and timed when not a stream."""

    def __init__(
        self,
        inner: httpx2.AsyncByteStream,
        inflater: _Inflater | None,
        limit: int,
        deadline: float | None,
    ) -> None:
        self._inner = inner
        self._inflater = inflater
        self._limit = limit
        self._deadline = deadline

    def _too_big(self) -> AnswerProblem:
        size = f"{self._limit // MB} MB" if self._limit >= MB else f"{self._limit} bytes"
        return AnswerProblem(f"sent an answer larger than {size} (decoded): not read")

    def __aiter__(self) -> AsyncIterator[bytes]:
        # A plain iterator, not an async generator: nothing of ours is left for the event
        # loop to finalize when a stream is abandoned half-way (Esc).
        self._started = time.monotonic()
        self._total = 0
        self._chunks = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        while True:
            chunk = await self._chunks.__anext__()
            if (
                self._deadline is not None
                and time.monotonic() - self._started > self._deadline
            ):
                raise AnswerProblem(
                    f"sent its answer too slowly (still arriving after {self._deadline:g} s):"
                    " given up"
                )
            if self._inflater is not None:
                chunk = self._inflater.feed(chunk, self._limit - self._total)
            self._total += len(chunk)
            if self._total > self._limit:
                raise self._too_big()
            if chunk:
                return chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _is_quota(body: bytes) -> bool:
    """Whether an error body is the API's ``insufficient_quota``."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError, UnicodeError):
        return False
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return False
    return "insufficient_quota" in (error.get("code"), error.get("type"))


class GuardedAsyncClient(httpx2.AsyncClient):
    """The SDK's HTTP client with every answer body bounded (see the module docstring).

    Overriding ``send`` (not the transport) keeps it in front of whatever transport httpx
    picks, proxies from the environment included.
    """

    def __init__(
        self, *args: Any, answer_limits: AnswerLimits = DEFAULT_LIMITS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.answer_limits = answer_limits

    async def send(
        self, request: httpx2.Request, *, stream: bool = False, **kwargs: Any
    ) -> httpx2.Response:
        request.headers["accept-encoding"] = "gzip, deflate"
        response = await super().send(request, stream=True, **kwargs)
        try:
            self._guard(response)
            if not stream or response.status_code == 429:
                await response.aread()
            if response.status_code == 429 and _is_quota(response.content):
                # Billing, not a burst: the SDK would retry it (twice by default) before the
                # user hears that retrying will not help. The real API says so with this
                # header; a server that does not is taken at its word (the code) all the same.
                response.headers["x-should-retry"] = "false"
        except BaseException:
            await response.aclose()
            raise
        return response

    def _guard(self, response: httpx2.Response) -> None:
        codings = [
            value.strip().lower()
            for value in response.headers.get_list("content-encoding", split_commas=True)
            if value.strip() and value.strip().lower() != "identity"
        ]
        if len(codings) > 1 or (codings and codings[0] not in _DECODABLE):
            raise AnswerProblem(
                f"answered in an encoding threadtui does not read "
                f"({printable(', '.join(codings))[:60]})"
            )
        inflater = _Inflater(codings[0]) if codings else None
        if codings:
            del response.headers["content-encoding"]
            if "content-length" in response.headers:
                del response.headers["content-length"]
        limits = self.answer_limits
        streaming = is_event_stream(response)
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        response.stream = _GuardedStream(
            response.stream,
            inflater,
            limits.stream_bytes if streaming else limits.json_bytes,
            None if streaming else limits.body_deadline,
        )
