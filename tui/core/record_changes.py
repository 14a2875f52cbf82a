"""What another process changed in the record since this one last read it.

A second session (another SSH login) writes the same record. Reloading everything and
redrawing the whole sidebar costs 0.6 s at 100,000 threads and makes keys lag, so a reload
says which rows changed: the app reloads and redraws only those. ``everything`` is the
honest answer when the change cannot be told row by row (the index was rebuilt or repaired):
then the app reloads all rows, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NOTHING", "RecordChanges"]


@dataclass(frozen=True)
class RecordChanges:
    """Thread ids added or updated (``changed``) or gone (``removed``) by another process."""

    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    meta: bool = False  # a meta value (a draft, a setting) changed
    everything: bool = False  # not describable row by row: reload every row
    # Another process committed; a transcript may have changed without its row (a refresh
    # from the server): an open thread's transcript is worth re-reading.
    transcripts: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.changed or self.removed or self.meta or self.everything or self.transcripts
        )

    def __or__(self, other: RecordChanges) -> RecordChanges:
        removed = (self.removed - other.changed) | other.removed
        changed = (self.changed - other.removed) | other.changed
        return RecordChanges(
            changed=frozenset(changed),
            removed=frozenset(removed),
            meta=self.meta or other.meta,
            everything=self.everything or other.everything,
            transcripts=self.transcripts or other.transcripts,
        )


NOTHING = RecordChanges()
