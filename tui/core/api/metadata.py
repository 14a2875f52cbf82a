"""The metadata threadtui tags a server-side thread with (title, owner, app), in one place.

Conversations and legacy threads both carry a ``metadata`` object with the same limits, and
both dialects write the same tags, so the tags live here rather than in either dialect.
"""

from __future__ import annotations

METADATA_MAX_PAIRS = 16
METADATA_KEY_MAX = 64
METADATA_VALUE_MAX = 512
APP_TAG = "threadtui"


def thread_metadata(title: str, owner: str | None) -> dict[str, str]:
    """Metadata the API accepts: ≤16 pairs, keys ≤64 chars, values ≤512 chars, strings only."""
    meta = {"title": str(title)[:METADATA_VALUE_MAX], "app": APP_TAG}
    if owner:
        meta["owner"] = str(owner)[:METADATA_VALUE_MAX]
    assert len(meta) <= METADATA_MAX_PAIRS and all(len(k) <= METADATA_KEY_MAX for k in meta)
    return meta
