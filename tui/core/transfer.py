"""What leaves and enters the record: backups, Markdown transcripts, and lists of saved ids.

A backup is one JSON document tagged with its format and version, so that a record moved to
another machine (or restored after a disaster) is read back exactly, and a future threadtui can
tell an old backup from a new one. An id list is what people actually kept before threadtui
existed: a text file of ``thread_…``/``conv_…`` ids, one per line, often with a note.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from tui import __version__
from tui.core.migrations import CURRENT_VERSION, thread_doc_problem, turn_problem
from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn
from tui.core.safe_text import UNSAFE, printable, printable_block, unsafe_in_value
from tui.core.store import Store, ThreadImport
from tui.core.transcripts import MAX_ID_LENGTH, dialect_for_id

BACKUP_FORMAT = "threadtui-backup"
BACKUP_VERSION = 1
MAX_LINE_LENGTH = 200
ID_PATTERN = re.compile(r"(?:thread|conv)_[A-Za-z0-9_-]+")
_NOTE_LEADERS = "#-–—:|"


class TransferError(Exception):
    """The input as a whole cannot be used; the message says why, for the user."""


# -- backups ------------------------------------------------------------------------------


def backup_document(store: Store, ids: list[str] | None = None) -> dict[str, Any]:
    """The whole record (``ids`` None) or some threads, as one importable document.

    App state (``meta``) belongs to the whole record and travels only in a full backup.
    """
    records = store.list_threads() if ids is None else [_known(store, i) for i in ids]
    document: dict[str, Any] = {
        "format": BACKUP_FORMAT,
        "version": BACKUP_VERSION,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "threadtui": __version__,
        "schema_version": CURRENT_VERSION,
        "threads": [_backup_entry(store, record) for record in records],
    }
    if ids is None:
        document["meta"] = store.meta_items()
    return document


def _backup_entry(store: Store, record: ThreadRecord) -> dict[str, Any]:
    return {"record": record.to_dict(), "turns": [t.to_dict() for t in store.transcript(record.id)]}


def _known(store: Store, thread_id: str) -> ThreadRecord:
    record = store.get(thread_id)
    if record is None:
        raise TransferError(f"no thread {printable(thread_id)} in the local record")
    return record


@dataclass
class BackupContents:
    items: list[ThreadImport] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)


def parse_backup(document: Any) -> BackupContents:
    """Read a backup; a thread that is not usable is rejected whole, with the reason."""
    if not isinstance(document, dict) or document.get("format") != BACKUP_FORMAT:
        raise TransferError(f'not a threadtui backup (no "format": "{BACKUP_FORMAT}")')
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TransferError("the backup's version is missing or malformed")
    if version > BACKUP_VERSION:
        raise TransferError(
            f"the backup is format version {version}, newer than this threadtui reads "
            f"({BACKUP_VERSION}); upgrade threadtui to import it"
        )
    threads = document.get("threads")
    if not isinstance(threads, list):
        raise TransferError("the backup has no list of threads")
    contents = BackupContents()
    for position, entry in enumerate(threads, 1):
        item, problem = _backup_item(entry)
        if item is None:
            contents.rejected.append(f"thread #{position}: {problem}")
        else:
            contents.items.append(item)
    meta = document.get("meta") or {}
    if isinstance(meta, dict):
        contents.meta = {str(key): value for key, value in meta.items()}
    return contents


def _backup_item(entry: Any) -> tuple[ThreadImport | None, str]:
    record = entry.get("record") if isinstance(entry, dict) else None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        return None, "no record with an id"
    thread_id: str = record["id"]
    name = printable(thread_id)
    problem = thread_doc_problem(thread_id, record)
    if problem is None and (len(thread_id) > MAX_ID_LENGTH or UNSAFE.search(thread_id)):
        problem = "its id is too long or contains control characters"
    if problem is not None:
        return None, f"{name}: {problem}"
    turns = entry.get("turns", [])
    if not isinstance(turns, list):
        return None, f"{name}: its turns are not a list"
    for number, turn in enumerate(turns, 1):
        why = turn_problem(turn)
        if why is not None:
            return None, f"{name}: message {number}: {why}"
    return ThreadImport(ThreadRecord.from_dict(record), [Turn.from_dict(t) for t in turns]), ""


def looks_like_json(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


# -- id lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IdLine:
    line: int
    thread_id: str
    note: str


@dataclass(frozen=True)
class RejectedLine:
    line: int
    reason: str


def parse_id_list(raw: bytes) -> tuple[list[IdLine], list[RejectedLine]]:
    """Ids from a text file, one per line; blank lines and ``#`` comments are skipped.

    Anything after the id (``conv_abc  my note``) becomes the note, i.e. the title. A line is
    rejected, with its number, when it is not UTF-8, has control characters, is absurdly long,
    or does not start with a ``thread_``/``conv_`` id.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    found: list[IdLine] = []
    rejected: list[RejectedLine] = []
    for number, chunk in enumerate(raw.split(b"\n"), 1):
        result = _parse_line(number, chunk.removesuffix(b"\r"))
        if isinstance(result, IdLine):
            found.append(result)
        elif isinstance(result, RejectedLine):
            rejected.append(result)
    return found, rejected


def _parse_line(number: int, chunk: bytes) -> IdLine | RejectedLine | None:
    try:
        line = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return RejectedLine(number, "not UTF-8 text")
    if len(line) > MAX_LINE_LENGTH:
        return RejectedLine(number, f"{len(line)} characters long (the limit is {MAX_LINE_LENGTH})")
    if unsafe_in_value(line):
        return RejectedLine(number, f"control characters in {printable(line)!s}")
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    token, *rest = text.split(None, 1)
    if not ID_PATTERN.fullmatch(token):
        return RejectedLine(number, f"{printable(token)!s} is not a thread_… or conv_… id")
    return IdLine(number, token, _note(rest[0] if rest else ""))


def _note(rest: str) -> str:
    note = " ".join(rest.split())
    return note.lstrip(_NOTE_LEADERS).strip()


def record_for_id(
    thread_id: str,
    note: str,
    profile_name: str,
    *,
    organization: str | None = None,
    project: str | None = None,
    base_url: str | None = None,
    owner: str | None = None,
    when: float | None = None,
) -> ThreadRecord:
    """The row for an imported id: ``unknown`` until the API layer checks it on the server."""
    now = time.time() if when is None else when
    return ThreadRecord(
        id=thread_id,
        api=dialect_for_id(thread_id),
        profile=profile_name,
        organization=organization,
        project=project,
        base_url=base_url,
        owner=owner,
        title=note,
        created_at=now,
        last_active=now,
        status=ThreadStatus.UNKNOWN,
    )


# -- Markdown -----------------------------------------------------------------------------

_ROLE_NAMES = {Role.USER: "User", Role.ASSISTANT: "Assistant", Role.SYSTEM: "System"}


def transcript_markdown(record: ThreadRecord, turns: list[Turn]) -> str:
    """A thread as Markdown: the facts needed to find it again on the server, then each turn.

    The one renderer: ``threadtui export --format md`` and the app's export both write this.
    Everything from outside (titles, ids, replies, errors) has its unsafe characters spelt out
    (``\x1b``): ``cat thread.md`` must not let a reply or a pasted log retitle or clear the
    terminal. Times are local, to the minute.
    """
    where = " / ".join(p for p in (record.organization, record.project) if p) or "-"
    lines = [
        f"# {printable(record.display_title)}",
        "",
        f"- id: `{printable(record.id)}` ({record.api})",
        f"- profile: {printable(record.profile) or '-'} ({printable(where)})",
        f"- model: {printable(record.model or '-')}",
        f"- created: {_when(record.created_at)}; last active: {_when(record.last_active)}",
        f"- status: {record.status}",
    ]
    for turn in turns:
        lines += ["", f"## {_ROLE_NAMES.get(turn.role, str(turn.role))} · {_when(turn.at)}", ""]
        lines.append(printable_block(turn.text))
        if turn.interrupted:
            lines += ["", "*(interrupted: the reply stopped here)*"]
        if turn.error:
            lines += ["", f"> error: {printable(turn.error)}"]
        if turn.usage is not None:
            usage = turn.usage
            lines += ["", f"*({usage.input_tokens:,} tokens in, {usage.output_tokens:,} out)*"]
    return "\n".join(lines) + "\n"


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
