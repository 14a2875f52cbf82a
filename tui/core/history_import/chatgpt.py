"""A ChatGPT data export: every conversation, its main branch in order, the rest kept.

An export holds the conversations either in one ``conversations.json`` (older exports) or
split over ``conversations-000.json``, ``conversations-001.json``, … (newer ones); the user may
hand over that file, the unpacked export's folder, or the zip as downloaded. Each
conversation is a tree (``mapping``: node id -> {message, parent, children}); what the user saw
last is the path from the root to ``current_node``. Sibling nodes along that path are the
other branches (a regenerated answer, an edited question): they are kept as the turn's
``alternatives``, each branch followed down its latest child.

Attachments and generated images are named in the text (``[attachment: report.pdf]``); their
files are not copied. Hidden system messages, custom instructions and reasoning summaries are
left out: the user never saw them as part of the conversation.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from tui.core.history_import.batch import (
    HistoryBatch,
    HistoryFormatError,
    Progress,
    no_progress,
)
from tui.core.migrations import MAX_ALTERNATIVE_DEPTH
from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.safe_text import one_line, printable
from tui.core.thread_docs import ThreadImport

SOURCE = "ChatGPT export"
THREAD_PREFIX = "chatgpt_"
ITEM_PREFIX = "chatgpt:"
MAX_MEMBER_BYTES = 2 * 1024**3
"""A member of the zip larger than this is refused rather than read into memory (a zip bomb
states a small packed size and a huge unpacked one)."""

_FILE_NAME = re.compile(r"conversations(?:-(\d+))?\.json")
_CONVERSATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,120}")
_SKIPPED_CONTENT = {
    "thoughts",
    "reasoning_recap",
    "user_editable_context",
    "model_editable_context",
}
_ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT, "tool": Role.SYSTEM}


def read_export(path: Path, progress: Progress = no_progress) -> HistoryBatch:
    """Every conversation of the export at ``path`` (a JSON file, a folder or a zip)."""
    batch = HistoryBatch(SOURCE)
    documents = list(_documents(path))
    if not documents:
        raise HistoryFormatError(
            f"{printable(str(path))}: no conversations.json or conversations-NNN.json found"
        )
    conversations: list[tuple[str, Any]] = []
    for name, raw in documents:
        for position, conversation in enumerate(_conversations(name, raw)):
            conversations.append((f"{name} #{position + 1}", conversation))
    seen: set[str] = set()
    for done, (where, conversation) in enumerate(conversations, 1):
        try:
            item = conversation_import(conversation)
        except ValueError as exc:
            batch.problems.append(f"{where}: {exc}")
        else:
            if item.record.id in seen:
                batch.problems.append(f"{where}: {item.record.id} appears twice; kept the first")
            else:
                seen.add(item.record.id)
                batch.items.append(item)
        progress(done, len(conversations))
    return batch


# -- finding the files ------------------------------------------------------------------------


def _documents(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each conversations file, in the export's order."""
    try:
        if path.is_dir():
            yield from _folder_documents(path)
        elif zipfile.is_zipfile(path):
            yield from _zip_documents(path)
        else:
            yield str(path), path.read_bytes()
    except OSError as exc:
        raise HistoryFormatError(
            f"cannot read {printable(str(path))}: {exc.strerror or exc}"
        ) from None
    except zipfile.BadZipFile as exc:
        raise HistoryFormatError(f"{printable(str(path))} is a damaged zip: {exc}") from None


def _order(name: str) -> tuple[int, str] | None:
    """Sort key of a conversations file name (None: not one): the single file first, then the
    numbered parts by number."""
    match = _FILE_NAME.fullmatch(name)
    if not match:
        return None
    return (-1 if match.group(1) is None else int(match.group(1)), name)


def _folder_documents(folder: Path) -> Iterator[tuple[str, bytes]]:
    # The export's own folder, or the folder it was unpacked into (one level down).
    for candidate in (folder, *sorted(p for p in folder.iterdir() if p.is_dir())):
        files = [(key, p) for p in candidate.iterdir() if (key := _order(p.name)) and p.is_file()]
        if files:
            for _, file in sorted(files):
                yield str(file), file.read_bytes()
            return


def _zip_documents(path: Path) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        found: dict[str, list[tuple[tuple[int, str], zipfile.ZipInfo]]] = {}
        for info in archive.infolist():
            member = PurePosixPath(info.filename)
            key = _order(member.name)
            if key and not info.is_dir():
                found.setdefault(str(member.parent), []).append((key, info))
        if not found:
            return
        folder = min(found, key=lambda name: (name.count("/"), name))  # the shallowest
        for _, info in sorted(found[folder], key=lambda pair: pair[0]):
            if info.file_size > MAX_MEMBER_BYTES:
                raise HistoryFormatError(
                    f"{printable(str(path))}: {printable(info.filename)} would unpack to "
                    f"{info.file_size:,} bytes; unzip it and import the folder"
                )
            with archive.open(info) as member_file:
                data = member_file.read(MAX_MEMBER_BYTES + 1)
            if len(data) > MAX_MEMBER_BYTES:
                raise HistoryFormatError(
                    f"{printable(str(path))}: {printable(info.filename)} unpacks to more than "
                    f"{MAX_MEMBER_BYTES:,} bytes"
                )
            yield f"{path}:{info.filename}", data


def _conversations(name: str, raw: bytes) -> list[Any]:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryFormatError(f"{printable(name)} is not readable JSON: {exc}") from None
    except RecursionError:
        raise HistoryFormatError(f"{printable(name)} is nested too deeply to read") from None
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        data = data["conversations"]
    if not isinstance(data, list):
        raise HistoryFormatError(
            f"{printable(name)} is not a ChatGPT export's list of conversations"
        )
    return data


# -- one conversation ---------------------------------------------------------------------------


def conversation_import(conversation: Any) -> ThreadImport:
    """One conversation as a thread; ValueError says why it cannot be one."""
    if not isinstance(conversation, dict):
        raise ValueError("not a conversation object")
    conversation_id = conversation.get("conversation_id") or conversation.get("id")
    if not isinstance(conversation_id, str) or not _CONVERSATION_ID.fullmatch(conversation_id):
        raise ValueError("it has no usable conversation id")
    mapping = conversation.get("mapping")
    if not isinstance(mapping, dict) or not mapping:
        raise ValueError(f"conversation {conversation_id} has no messages (mapping)")
    tree = _Tree(mapping)
    turns = tree.main_branch(conversation.get("current_node"))
    title = conversation.get("title")
    title = one_line(title, 200) if isinstance(title, str) else ""
    created = _time(conversation.get("create_time"))
    updated = _time(conversation.get("update_time"))
    times = [turn.at for turn in turns if turn.at]
    created = created or (min(times) if times else 0.0)
    last_active = max([updated or 0.0, created, *times])
    record = ThreadRecord(
        id=THREAD_PREFIX + conversation_id,
        api=Dialect.CHAT,
        profile="",
        title=title,
        model=_model(conversation, tree),
        created_at=created,
        last_active=last_active,
        status=ThreadStatus.OK,
        server_meta={"imported_from": "chatgpt", "source_id": conversation_id,
                     "imported_title": title},
    )
    return ThreadImport(record, turns)


def _model(conversation: dict[str, Any], tree: _Tree) -> str | None:
    slug = conversation.get("default_model_slug")
    if isinstance(slug, str) and slug.strip():
        return one_line(slug, 80)
    return tree.last_model


class _Tree:
    """The message tree of one conversation, read defensively (ids that point nowhere,
    cycles, children that are not lists)."""

    def __init__(self, mapping: dict[Any, Any]) -> None:
        self.nodes = {key: node for key, node in mapping.items() if isinstance(node, dict)}
        self.last_model: str | None = None

    def parent(self, node_id: str) -> str | None:
        parent = self.nodes[node_id].get("parent")
        return parent if isinstance(parent, str) and parent in self.nodes else None

    def children(self, node_id: str) -> list[str]:
        children = self.nodes[node_id].get("children")
        if not isinstance(children, list):
            return []
        return [c for c in children if isinstance(c, str) and c in self.nodes]

    def main_branch(self, current: Any) -> list[Turn]:
        if not isinstance(current, str) or current not in self.nodes:
            current = self._latest_leaf()
        path: list[str] = []
        seen: set[str] = set()
        node: str | None = current
        while node is not None and node not in seen:  # a cycle ends the walk
            seen.add(node)
            path.append(node)
            node = self.parent(node)
        path.reverse()
        return self._turns(path, depth=0, on_path=seen)

    def _latest_leaf(self) -> str:
        roots = [key for key in self.nodes if self.parent(key) is None] or list(self.nodes)
        return self._follow_latest(roots[0], set())[-1]

    def _follow_latest(self, start: str, avoid: set[str]) -> list[str]:
        """From ``start`` down through each node's last (latest) child."""
        path = [start]
        seen = set(avoid) | {start}
        while True:
            children = [c for c in self.children(path[-1]) if c not in seen]
            if not children:
                return path
            path.append(children[-1])
            seen.add(children[-1])

    def _turns(self, path: list[str], depth: int, on_path: set[str]) -> list[Turn]:
        turns: list[Turn] = []
        pending: list[list[Turn]] = []  # branches waiting for the next visible turn
        for position, node_id in enumerate(path):
            if depth < MAX_ALTERNATIVE_DEPTH and position > 0:
                for sibling in self.children(path[position - 1]):
                    if sibling != node_id and sibling not in on_path:
                        branch = self._follow_latest(sibling, on_path)
                        turned = self._turns(branch, depth + 1, on_path | set(branch))
                        if turned:
                            pending.append(turned)
            turn = self._turn(self.nodes[node_id].get("message"))
            if turn is not None:
                turn.alternatives = pending
                pending = []
                turns.append(turn)
        return turns

    def _turn(self, message: Any) -> Turn | None:
        if not isinstance(message, dict):
            return None
        author = message.get("author")
        role_name = author.get("role") if isinstance(author, dict) else None
        role = _ROLES.get(role_name) if isinstance(role_name, str) else None
        metadata = message.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        if role is None or metadata.get("is_visually_hidden_from_conversation") is True:
            return None
        text = _content_text(message.get("content"))
        names = _attachment_names(metadata)
        if names:
            text = "\n\n".join(filter(None, [text, *(f"[attachment: {n}]" for n in names)]))
        if not text.strip():
            return None
        if role is Role.SYSTEM:
            name = author.get("name") if isinstance(author, dict) else None
            label = f"tool output ({one_line(name, 40)})" if isinstance(name, str) else "tool"
            text = f"{label}:\n\n{text}"
        model = metadata.get("model_slug")
        if role is Role.ASSISTANT and isinstance(model, str) and model.strip():
            self.last_model = one_line(model, 80)
        message_id = message.get("id")
        return Turn(
            role=role,
            text=text,
            at=_time(message.get("create_time")) or 0.0,
            item_id=ITEM_PREFIX + message_id if isinstance(message_id, str) else None,
        )


def _content_text(content: Any) -> str:
    """The words a user saw for one message's content, whatever its type."""
    if not isinstance(content, dict):
        return ""
    kind = content.get("content_type")
    if kind in _SKIPPED_CONTENT:
        return ""
    if kind in ("text", "multimodal_text") or "parts" in content:
        parts = content.get("parts")
        return "\n\n".join(filter(None, map(_part_text, parts if isinstance(parts, list) else [])))
    if kind == "code":
        language = content.get("language")
        language = language if isinstance(language, str) and language != "unknown" else ""
        return f"```{one_line(language, 20)}\n{_text(content.get('text'))}\n```"
    if kind == "tether_quote":
        title = _text(content.get("title")) or _text(content.get("url"))
        return f"> {_text(content.get('text'))}\n\n— {title}".strip()
    if kind == "tether_browsing_display":
        return _text(content.get("result")) or _text(content.get("summary"))
    for name in ("text", "result"):  # execution_output, system_error and their kin
        if isinstance(content.get(name), str):
            return content[name]
    return f"[{one_line(str(kind), 40)} content not imported]" if kind else ""


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = part.get("content_type")
    if kind == "image_asset_pointer":
        metadata = part.get("metadata")
        generated = isinstance(metadata, dict) and metadata.get("dalle") is not None
        return "[generated image]" if generated else "[image]"
    if isinstance(part.get("text"), str):  # audio transcriptions and the like
        return part["text"]
    return f"[{one_line(str(kind), 40)}]" if kind else ""


def _attachment_names(metadata: dict[str, Any]) -> list[str]:
    attachments = metadata.get("attachments")
    if not isinstance(attachments, list):
        return []
    names = []
    for attachment in attachments:
        name = attachment.get("name") if isinstance(attachment, dict) else None
        if isinstance(name, str) and name.strip():
            names.append(one_line(name, 120))
    return names


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None
