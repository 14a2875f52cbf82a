"""What the server says about who is paying, read from the headers of every response.

The organization and project a key bills cannot be read from the key; the API tells it in
``openai-organization`` / ``openai-project`` on each answer. An httpx event hook feeds every
response (plain calls, streams, errors alike) to ``IdentityTracker.observe``, so the switcher
bar can show the last thing the server said without an extra request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import httpx2

from tui.core.records import Identity, Profile


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError):  # "abc", "nan", "inf", "1e999": a header is untrusted
        return None


def identity_from_headers(
    profile: Profile, key_hint: str, headers: Mapping[str, str], *, models_listable: bool = True
) -> Identity:
    """An Identity from one response's headers (absent headers leave fields None)."""
    return Identity(
        profile=profile.name,
        key_hint=key_hint,
        organization=headers.get("openai-organization") or None,
        organization_id=profile.organization,
        project=headers.get("openai-project") or None,
        base_url=profile.base_url,
        rate_limit_remaining_requests=_int_or_none(headers.get("x-ratelimit-remaining-requests")),
        rate_limit_remaining_tokens=_int_or_none(headers.get("x-ratelimit-remaining-tokens")),
        request_id=headers.get("x-request-id") or None,
        models_listable=models_listable,
    )


class IdentityTracker:
    """Keeps the latest identity any response of one backend reported.

    A header that a response lacks does not erase what an earlier response said: an error page
    from a proxy should not blank the organization in the switcher bar.
    """

    def __init__(self, profile: Profile, key_hint: str) -> None:
        self._profile = profile
        self._key_hint = key_hint
        self.last: Identity | None = None

    def update(self, headers: Mapping[str, str]) -> Identity | None:
        seen = identity_from_headers(self._profile, self._key_hint, headers)
        if self.last is None:
            if seen.organization or seen.project or seen.request_id:
                self.last = seen
            return self.last
        self.last = replace(
            self.last,
            organization=seen.organization or self.last.organization,
            project=seen.project or self.last.project,
            rate_limit_remaining_requests=(
                seen.rate_limit_remaining_requests
                if seen.rate_limit_remaining_requests is not None
                else self.last.rate_limit_remaining_requests
            ),
            rate_limit_remaining_tokens=(
                seen.rate_limit_remaining_tokens
                if seen.rate_limit_remaining_tokens is not None
                else self.last.rate_limit_remaining_tokens
            ),
            request_id=seen.request_id or self.last.request_id,
        )
        return self.last

    async def observe(self, response: httpx2.Response) -> None:
        """The httpx ``response`` event hook: runs when headers arrive, before the body."""
        self.update(response.headers)
