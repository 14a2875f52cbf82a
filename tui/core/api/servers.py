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
