"""simonw/llm's logs database (``llm logs path``): each conversation becomes a thread.

llm logs every prompt and its response as one row of ``responses``; rows sharing a
``conversation_id`` are one conversation (``llm -c``), named in ``conversations``. Each row
becomes the user's turn and the model's, with the model and token counts llm recorded (older
databases have no token columns: those turns simply carry no usage). A system prompt is kept
as a system turn where it first appears or changes. Attachments are named, not copied.

The database is opened read-only: importing never changes the user's llm logs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tui.core.history_import.batch import (
    HistoryBatch,
    HistoryFormatError,
    Progress,
    no_progress,
)
from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn, Usage
from tui.core.safe_text import one_line, printable
from tui.core.thread_docs import ThreadImport

SOURCE = "llm logs database"
THREAD_PREFIX = "llm_"
ITEM_PREFIX = "llm:"
SQLITE_MAGIC = b"SQLite format 3\x00"
_OPTIONAL_COLUMNS = ("system", "conversation_id", "datetime_utc", "input_tokens", "output_tokens")


def is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def read_database(path: Path, progress: Progress = no_progress) -> HistoryBatch:
    """Every conversation in llm's logs database at ``path``."""
    batch = HistoryBatch(SOURCE)
    try:
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise HistoryFormatError(f"cannot open {printable(str(path))}: {exc}") from None
    try:
        rows, names, attachments = _read(connection, path)
    except sqlite3.Error as exc:
        raise HistoryFormatError(f"{printable(str(path))} could not be read: {exc}") from None
    finally:
        connection.close()
    conversations: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        key = row["conversation_id"] or row["id"]
        if isinstance(key, str) and key:
            conversations.setdefault(key, []).append(row)
        else:
            batch.problems.append(f"response {printable(str(row['id']))}: it has no usable id")
    for done, (key, responses) in enumerate(conversations.items(), 1):
        try:
            batch.items.append(_thread(key, responses, names.get(key), attachments))
        except ValueError as exc:
            batch.problems.append(f"conversation {printable(key)}: {exc}")
        progress(done, len(conversations))
    return batch


def _read(
    connection: sqlite3.Connection, path: Path
) -> tuple[list[dict[str, Any]], dict[str, tuple[Any, Any]], dict[str, list[str]]]:
    tables = {name for (name,) in connection.execute("select name from sqlite_master")}
    if "responses" not in tables:
        raise HistoryFormatError(
            f"{printable(str(path))} is an SQLite database but not llm's logs (it has no "
            "responses table)"
        )
    columns = {row[1] for row in connection.execute("pragma table_info(responses)")}
    missing = {"id", "prompt", "response"} - columns
    if missing:
        raise HistoryFormatError(
            f"{printable(str(path))}: its responses table lacks {', '.join(sorted(missing))}"
        )
    wanted = ["id", "model", "prompt", "response"]
    wanted += [name if name in columns else f"null as {name}" for name in _OPTIONAL_COLUMNS]
    if "model" not in columns:
        wanted[1] = "null as model"
    order = "datetime_utc, rowid" if "datetime_utc" in columns else "rowid"
    connection.row_factory = sqlite3.Row
    # Column names are ours (checked against pragma table_info), never text from the file.
    query = f"select {', '.join(wanted)} from responses order by {order}"
    rows = [dict(row) for row in connection.execute(query)]
    names: dict[str, tuple[Any, Any]] = {}
    if "conversations" in tables:
        for row in connection.execute("select * from conversations"):
            keys = row.keys()
            if "id" in keys:
                names[row["id"]] = (
                    row["name"] if "name" in keys else None,
                    row["model"] if "model" in keys else None,
                )
    return rows, names, _attachments(connection, tables)


def _attachments(connection: sqlite3.Connection, tables: set[str]) -> dict[str, list[str]]:
    """response id -> the names of its attachments, in order."""
    if not {"attachments", "prompt_attachments"} <= tables:
        return {}
    found: dict[str, list[str]] = {}
    query = (
        "select pa.response_id as response_id, a.path as path, a.url as url, a.type as type "
        "from prompt_attachments pa join attachments a on a.id = pa.attachment_id "
        'order by pa.response_id, pa."order"'
    )
    try:
        rows = list(connection.execute(query))
    except sqlite3.Error:  # an older or newer layout: the text is what matters
        return {}
    for row in rows:
        name = next(
            (Path(v).name if key == "path" else v for key, v in
             (("path", row["path"]), ("url", row["url"]), ("type", row["type"]))
             if isinstance(v, str) and v.strip()),
            "attachment",
        )
        found.setdefault(str(row["response_id"]), []).append(one_line(name, 120))
    return found


def _thread(
    key: str,
    responses: list[dict[str, Any]],
    named: tuple[Any, Any] | None,
    attachments: dict[str, list[str]],
) -> ThreadImport:
    turns = list(_turns(responses, attachments))
    if not turns:
        raise ValueError("it holds no prompt or response text")
    name, model = named or (None, None)
    title = one_line(name, 200) if isinstance(name, str) and name.strip() else ""
    if not title:
        first = next((t.text for t in turns if t.role is Role.USER), "")
        title = one_line(first, 60)
    models = [r["model"] for r in responses if isinstance(r["model"], str) and r["model"]]
    model = models[-1] if models else (model if isinstance(model, str) else None)
    times = [turn.at for turn in turns if turn.at]
    record = ThreadRecord(
        id=THREAD_PREFIX + key,
        api=Dialect.CHAT,
        profile="",
        title=title,
        model=one_line(model, 80) if model else None,
        created_at=min(times, default=0.0),
        last_active=max(times, default=0.0),
        status=ThreadStatus.OK,
        server_meta={"imported_from": "llm", "source_id": key, "imported_title": title},
    )
    return ThreadImport(record, turns)


def _turns(
    responses: Iterable[dict[str, Any]], attachments: dict[str, list[str]]
) -> Iterable[Turn]:
    system: str | None = None
    for row in responses:
        response_id = str(row["id"])
        at = _when(row["datetime_utc"])
        if isinstance(row["system"], str) and row["system"].strip() and row["system"] != system:
            system = row["system"]
            yield Turn(Role.SYSTEM, system, at=at, item_id=f"{ITEM_PREFIX}{response_id}:system")
        prompt = row["prompt"] if isinstance(row["prompt"], str) else ""
        names = attachments.get(response_id, [])
        prompt = "\n\n".join(filter(None, [prompt, *(f"[attachment: {n}]" for n in names)]))
        if prompt.strip():
            yield Turn(Role.USER, prompt, at=at, item_id=f"{ITEM_PREFIX}{response_id}:prompt")
        reply = row["response"] if isinstance(row["response"], str) else ""
        if reply.strip():
            yield Turn(
                Role.ASSISTANT,
                reply,
                at=at,
                item_id=f"{ITEM_PREFIX}{response_id}:response",
                usage=_usage(row["input_tokens"], row["output_tokens"]),
            )


def _usage(input_tokens: Any, output_tokens: Any) -> Usage | None:
    counts = [v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None
              for v in (input_tokens, output_tokens)]
    if counts == [None, None]:
        return None
    given_in, given_out = (count or 0 for count in counts)
    return Usage(input_tokens=given_in, output_tokens=given_out,
                 total_tokens=given_in + given_out)


def _when(value: Any) -> float:
    """llm's ``datetime_utc`` (ISO text, with or without an offset) as a timestamp."""
    if not isinstance(value, str):
        return 0.0
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
