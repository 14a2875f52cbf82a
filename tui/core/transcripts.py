"""Transcript files: one per thread, so that appending a turn costs the same however many
other threads there are, and listing threads never reads a message.

Each file is ``{"format", "version", "thread_id", "record", "turns"}``. ``thread_id`` lets a
file be checked against the thread asking for it (and found again without the index);
``record`` is a copy of the thread's index row as of the file's last write, so a lost index can
be rebuilt from the transcripts. Also here: merging the server's view of a transcript with ours.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tui.core.files import CorruptFile, parse_json, read_file
from tui.core.migrations import thread_doc_problem, turn_problem
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


def transcript_document(
    thread_id: str, turns: list[dict[str, Any]], record: dict[str, Any] | None
) -> dict[str, Any]:
    """What a transcript file holds; ``record`` is the index row as of this write, kept so
    that a lost index can be rebuilt."""
    return {
        "format": TRANSCRIPT_FORMAT,
        "version": TRANSCRIPT_VERSION,
        "thread_id": thread_id,
        "record": record,
        "turns": turns,
    }


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


def row_from_transcript_file(path: Path) -> dict[str, Any] | None:
    """An index row for a transcript found without one: its stored copy, else a stub."""
    loaded = read_file(path)
    try:
        data = parse_json(path, loaded[0]) if loaded else None
    except CorruptFile:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("thread_id"), str):
        return None
    thread_id = data["thread_id"]
    if transcript_file_name(thread_id) != path.name:
        return None
    record = data.get("record")
    if isinstance(record, dict) and thread_doc_problem(thread_id, record) is None:
        return dict(record)
    return _stub_row(thread_id, data.get("turns"))


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
