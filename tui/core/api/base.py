"""The one interface the UI and the CLI speak to any server dialect through.

The UI knows only these events and errors; which of conversations, legacy threads or chat
completions is behind a profile is the backend's business. Errors are a small taxonomy with
messages a user can act on, so no SDK exception (and no key) ever reaches the screen.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tui.core.records import DeleteReport, Identity, ThreadRecord, Turn, Usage

# ---------------------------------------------------------------- stream events


@dataclass(frozen=True, slots=True)
class TextDelta:
    """New text of the reply. ``refusal``: the model declined, and this is its refusal text
    (the app marks it as such); a reply's several output messages arrive in the server's
    order, joined by ``PART_SEPARATOR``, exactly as ``Completed.text`` and a reopened thread
    hold them."""

    text: str
    refusal: bool = False


@dataclass(frozen=True, slots=True)
class Completed:
    """The reply finished; ``text`` is the whole reply as the server reported it."""

    response_id: str | None
    usage: Usage | None
    text: str
    item_id: str | None = None
    refusal: bool = False  # the reply is a refusal (all its text came from refusal parts)


@dataclass(frozen=True, slots=True)
class Failed:
    """The reply stopped early: ``partial_text`` is what arrived and must be kept."""

    error: ApiError
    partial_text: str


StreamEvent = TextDelta | Completed | Failed

PART_SEPARATOR = "\n\n"
"""Between the output messages of one reply (a commentary message, then the answer): live,
completed and reopened alike."""

# ---------------------------------------------------------------- errors


class ApiError(Exception):
    """Base of the taxonomy: ``str()`` is a sentence for the user, naming profile and request id.

    ``retryable`` tells the UI whether to offer a retry key.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        profile: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.profile = profile
        self.request_id = request_id
        self.status_code = status_code
        self.detail = message
        super().__init__(self._compose(message))

    def _compose(self, message: str) -> str:
        text = message
        if self.profile:
            text = f"[{self.profile}] {text}"
        if self.request_id:
            text = f"{text} (request {self.request_id})"
        return text


class NotFound(ApiError):
    """404: deleted, expired, or owned by another organization/project (the API can't tell).

    ``route_missing``: the answer did not come from the API's object lookup at all (a 404
    worded ``Invalid URL (…)``, or a body that is not the API's error shape: a server that
    has no such endpoint). Such a 404 says nothing about a thread.
    """

    retryable = False
    route_missing = False


class AuthFailed(ApiError):
    retryable = False


class PermissionDenied(ApiError):
    retryable = False


class RateLimited(ApiError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class QuotaExceeded(ApiError):
    """429 insufficient_quota: retrying will not help until billing changes."""

    retryable = False


class ServerError(ApiError):
    pass


class Incomplete(ApiError):
    """The reply ended as ``incomplete`` (``reason``: ``max_output_tokens``,
    ``content_filter`` …): the same request would stop the same way, so it is not offered as a
    retry; the partial text is kept."""

    retryable = False

    def __init__(self, message: str, *, reason: str | None = None, **kwargs: object) -> None:
        self.reason = reason
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class Network(ApiError):
    pass


class BadAnswer(ServerError):
    """The server answered, but not as the OpenAI API does: HTML from a proxy or captive
    portal, invalid JSON, wrong types, a runaway listing, an oversized body. Worth a retry
    (the portal may let go), but the answer itself was not used."""


class Timeout(ApiError):
    pass


class BadRequest(ApiError):
    retryable = False


class Unsupported(ApiError):
    """The server does not serve this API at all (e.g. Assistants after its shutdown)."""

    retryable = False


class HistoryNotCarried(ApiError):
    """Copying a transcript into a new thread failed partway (``create_with_history``); the
    message says what failed and whether the half-built thread was deleted."""

    retryable = True


class NoConversations(Unsupported):
    """The server has no ``/v1/conversations`` (Ollama, vLLM, LM Studio, llama.cpp …): a
    profile problem (``api = "chat"``), never a verdict on a thread."""


# ---------------------------------------------------------------- the protocol


@runtime_checkable
class Backend(Protocol):
    """One profile's connection to one server dialect."""

    profile_name: str

    @property
    def last_identity(self) -> Identity | None:
        """What the server's latest response said about organization/project/rate limits.

        Read from the headers of every response this backend received (None before the
        first); the switcher bar shows it without making a request of its own.
        """
        ...

    async def create_thread(self, title: str, owner: str | None = None) -> ThreadRecord: ...

    def stream_reply(self, record: ThreadRecord, text: str) -> AsyncGenerator[StreamEvent, None]:
        """Yield deltas then exactly one ``Completed`` or ``Failed``; never raise ApiError.

        Every server or network fault ends as ``Failed(error, partial_text)``: errors before
        the first byte (401, 429, 5xx after the SDK's retries, no connection) with empty
        ``partial_text``, and streams cut off half-way (connection closed, ``error`` or
        ``response.failed`` event, malformed SSE, an incomplete reply) with the text received
        so far. The UI has one path for all of them.

        Nothing happens until the iterator is first advanced. Closing it early (``aclose()``,
        or cancelling the task consuming it) closes the HTTP stream promptly; the caller keeps
        the text it has received. Only cancellation itself propagates.
        """
        ...

    async def fetch_transcript(self, record: ThreadRecord) -> list[Turn]: ...

    async def create_with_history(
        self,
        title: str,
        turns: list[Turn],
        owner: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ThreadRecord:
        """A new thread whose history is ``turns`` (in order), for continuing a thread here.

        ``progress(done, total)`` follows the messages carried. A failure partway deletes
        what was built and raises ``HistoryNotCarried`` saying whether that worked; nothing is
        left half-made on the server without the user being told.
        """
        ...

    async def rename(self, record: ThreadRecord, title: str) -> None: ...

    async def delete(self, record: ThreadRecord) -> DeleteReport: ...

    async def check(self, record: ThreadRecord) -> bool:
        """True when the thread exists for this profile; False on 404; other errors raise."""
        ...

    async def whoami(self) -> Identity: ...

    async def aclose(self) -> None: ...
