"""Build the backend for a profile: resolve its key, make one SDK client, pick the dialect.

The client is pinned to the profile: organization, project and base_url are set from the
profile alone. The SDK would otherwise fill unset ones from ``OPENAI_ORG_ID`` /
``OPENAI_PROJECT_ID`` / ``OPENAI_BASE_URL``, and a profile meant for the key's default
organization would silently bill the one in the environment.
"""

from __future__ import annotations

import httpx2
import openai

from tui.core.api import answers
from tui.core.api.answers import AnswerLimits, GuardedAsyncClient
from tui.core.api.assistants import AssistantsBackend
from tui.core.api.base import Backend
from tui.core.api.chat import ChatBackend
from tui.core.api.conversations import ConversationsBackend
from tui.core.api.identity import IdentityTracker
from tui.core.api.sdk import LocalStore
from tui.core.api.servers import OPENAI_BASE_URL
from tui.core.keys import KeyRing
from tui.core.records import Dialect, Profile
from tui.core.secrets import mask_key

DEFAULT_MAX_RETRIES = 2
# Read timeout is per read: a long reply keeps the stream alive as long as tokens flow.
DEFAULT_TIMEOUT = httpx2.Timeout(60.0, connect=10.0)

_BACKENDS: dict[
    Dialect, type[ConversationsBackend] | type[AssistantsBackend] | type[ChatBackend]
] = {
    Dialect.CONVERSATIONS: ConversationsBackend,
    Dialect.ASSISTANTS: AssistantsBackend,
    Dialect.CHAT: ChatBackend,
}


def make_backend(
    profile: Profile,
    keyring: KeyRing,
    store: LocalStore | None = None,
    *,
    dialect: Dialect | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    timeout: float | httpx2.Timeout = DEFAULT_TIMEOUT,
    limits: AnswerLimits | None = None,
) -> Backend:
    """The backend for ``profile``, speaking ``dialect`` (default: the profile's own ``api``).

    Pass the record's dialect when opening a thread: a thread made as a legacy thread stays
    one even if the profile has moved on to conversations. Raises ``KeyResolutionError`` when
    the key cannot be had (no request is made then). ``store`` (a ``tui.core.store.Store``, or
    None) keeps assistant ids and provides chat history. ``limits`` bounds what is read of an
    answer (default ``answers.DEFAULT_LIMITS``, read when the backend is made).
    """
    limits = limits or answers.DEFAULT_LIMITS
    key = keyring.key_for(profile)
    key_hint = mask_key(key)
    tracker = IdentityTracker(profile, key_hint)
    # The SDK's own defaults (connection limits, redirects), in the client that bounds every
    # answer (``tui.core.api.answers``).
    http_client = GuardedAsyncClient(
        timeout=timeout if isinstance(timeout, httpx2.Timeout) else httpx2.Timeout(timeout),
        limits=openai.DEFAULT_CONNECTION_LIMITS,
        follow_redirects=True,
        event_hooks={"response": [tracker.observe]},
        answer_limits=limits,
    )
    client = openai.AsyncOpenAI(
        api_key=key,
        organization=profile.organization,
        project=profile.project,
        base_url=profile.base_url or OPENAI_BASE_URL,
        max_retries=max_retries,
        timeout=timeout,
        http_client=http_client,
    )
    # The constructor falls back to OPENAI_ORG_ID / OPENAI_PROJECT_ID for None: undo that.
    client.organization = profile.organization
    client.project = profile.project
    backend_class = _BACKENDS[dialect or profile.api]
    return backend_class(
        profile,
        client,
        key_hint=key_hint,
        tracker=tracker,
        secrets=keyring.known_keys,
        store=store,
        limits=limits,
    )
