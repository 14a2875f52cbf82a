"""Transcript files: one per thread, so that appending a turn costs the same however many
other threads there are, and listing threads never reads a message.

The file format is ``tui.core.transcript_files``'s; here are the file names, the old
whole-JSON format (``{"format", "version": 1, "thread_id", "record", "turns"}``, still read),
rebuilding a row from a transcript, and merging the server's view of a transcript with ours.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tui.core.files import CorruptFile
from tui.core.migrations import turn_problem
from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn

TRANSCRIPT_FORMAT = "threadtui-transcript"
TRANSCRIPT_VERSION = 1
MAX_ID_LENGTH = 200

_FILE_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def transcript_file_name(thread_id: str) -> str:
    """A file name for a thread id that no id can escape from or collide on.

    Plain lower-case ids keep their name (easy to find by hand). Ids with upper case get a hash
    suffix, because two ids differing only in case share a file on case-insensitive
    filesystems (macOS); anything else is named by its hash alone.
    """
    digest = hashlib.sha256(thread_id.encode("utf-8", "surrogatepass")).hexdigest()
    if not _FILE_SAFE_ID.fullmatch(thread_id) or len(thread_id) > MAX_ID_LENGTH:
        return f"~{digest[:40]}.json"
    if thread_id != thread_id.lower():
        return f"{thread_id}-{digest[:10]}.json"
    return f"{thread_id}.json"


def dialect_for_id(thread_id: str) -> Dialect:
    """The API an id belongs to, from its prefix (what an imported id tells us)."""
    if thread_id.startswith("thread_"):
        return Dialect.ASSISTANTS
    if thread_id.startswith("conv_"):
        return Dialect.CONVERSATIONS
    return Dialect.CHAT


def transcript_turns(path: Path, thread_id: str, data: Any) -> list[Any]:
    if not isinstance(data, dict) or data.get("format") != TRANSCRIPT_FORMAT:
        raise CorruptFile(path, "not a threadtui transcript")
    if data.get("thread_id") != thread_id:
        raise CorruptFile(path, f"it belongs to another thread ({data.get('thread_id')!r})")
    turns = data.get("turns")
    if not isinstance(turns, list):
        raise CorruptFile(path, "its turns are not a list")
    return turns


def merge_turns(local: list[Turn], server: list[Turn]) -> list[Turn]:
    """See ``Store.merge_transcript``: server order, local extras, local-only turns kept."""
    pairs = _pair_turns(local, server)
    by_server = {theirs: mine for mine, theirs in pairs.items()}
    after: dict[int, list[Turn]] = {}
    anchor = -1
    for index, turn in enumerate(local):
        if index in pairs:
            anchor = pairs[index]
        else:
            after.setdefault(anchor, []).append(turn)
    merged = list(after.get(-1, []))
    for index, turn in enumerate(server):
        mine = by_server.get(index)
        merged.append(turn if mine is None else _combine(local[mine], turn))
        merged.extend(after.get(index, []))
    return merged


def _pair_turns(local: list[Turn], server: list[Turn]) -> dict[int, int]:
    """{local index: server index}: by item id, else by role and text, in order."""
    server_by_item = {t.item_id: i for i, t in enumerate(server) if t.item_id}
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for index, turn in enumerate(local):
        match = server_by_item.get(turn.item_id) if turn.item_id else None
        if match is not None and match not in taken:
            pairs[index] = match
            taken.add(match)
    by_content: dict[tuple[str, str], list[int]] = {}
    for candidate, theirs in enumerate(server):
        if candidate not in taken:
            by_content.setdefault((theirs.role, theirs.text.strip()), []).append(candidate)
    for index, turn in enumerate(local):
        waiting = (
            None
            if index in pairs or turn.item_id
            else by_content.get((turn.role, turn.text.strip()))
        )
        if waiting:
            pairs[index] = waiting.pop(0)
    return pairs


def _combine(mine: Turn, theirs: Turn) -> Turn:
    return replace(
        theirs,
        at=mine.at or theirs.at,
        response_id=theirs.response_id or mine.response_id,
        usage=theirs.usage or mine.usage,
        error=theirs.error or mine.error,
        alternatives=theirs.alternatives or mine.alternatives,
    )


def row_from_transcript(
    thread_id: str, record: dict[str, Any] | None, turns: list[dict[str, Any]]
) -> dict[str, Any]:
    """An index row for a transcript found without one: its stored copy (dated up to its
    newest turn, which may be newer than the copy), else a stub made from the turns."""
    if record is None:
        return _stub_row(thread_id, turns)
    row = dict(record)
    newest = max((float(t.get("at", 0.0)) for t in turns), default=0.0)
    if newest > row.get("last_active", 0.0):
        row["last_active"] = newest
    return row


def _stub_row(thread_id: str, turns: Any) -> dict[str, Any]:
    usable = [t for t in turns or [] if turn_problem(t) is None]
    times = [float(t.get("at", 0.0)) for t in usable] or [time.time()]
    first_user = next((t["text"] for t in usable if t["role"] == str(Role.USER)), "")
    record = ThreadRecord(
        id=thread_id,
        api=dialect_for_id(thread_id),
        title=" ".join(first_user.split())[:60],
        created_at=min(times),
        last_active=max(times),
        status=ThreadStatus.UNKNOWN,
    )
    return record.to_dict()
