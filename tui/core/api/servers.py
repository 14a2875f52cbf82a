"""Which server a profile talks to, in one place: an unset base_url means OpenAI's own.

Kept free of the SDK so the CLI can name servers without paying for importing it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tui.core.secrets import redact_url

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENAI_HOST = "api.openai.com"


def server_url(base_url: str | None) -> str:
    """The URL requests go to, comparable between profiles (no trailing slash), as it may be
    shown: without credentials (an ``OPENAI_BASE_URL`` may carry ``user:password@``)."""
    return redact_url(base_url or OPENAI_BASE_URL).rstrip("/")


def is_openai(base_url: str | None) -> bool:
    """Whether this is OpenAI's own API, on any of its hosts (``api.openai.com``, regional
    ones such as ``eu.api.openai.com``), where the Assistants API has been shut down."""
    host = urlsplit(server_url(base_url)).hostname or ""
    return host == OPENAI_HOST or host.endswith("." + OPENAI_HOST)


def thread_host(profile_base_url: str | None, record_base_url: str | None) -> str | None:
    """The base URL to reach a thread on when it is not the profile's own: a thread made on
    one of OpenAI's hosts stays there (data residency: a thread made on eu.api.openai.com
    answers 404 on api.openai.com), so it is asked where it was made even after the profile
    moved to another OpenAI host. None: the profile's own base URL is right (the same
    server, a record that names none, or a server that is not OpenAI's, where the record's
    old URL may be a port that is long gone)."""
    if not record_base_url or server_url(profile_base_url) == server_url(record_base_url):
        return None
    if is_openai(profile_base_url) and is_openai(record_base_url):
        return record_base_url
    return None
