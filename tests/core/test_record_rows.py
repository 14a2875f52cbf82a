"""``ThreadRecord.from_dict`` (run for every row a listing shows) takes its fast path without
letting through anything the plain constructors refuse: each row below gives the same record
or the same error as building the record field by field with ``dataclasses.fields``."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from tui.core.records import Dialect, ThreadRecord, ThreadStatus


def reference(data: dict[str, Any]) -> ThreadRecord:
    """The rule as it was written before the fast path: the definition to agree with."""
    known = {f.name for f in fields(ThreadRecord)}
    values = {k: v for k, v in data.items() if k in known}
    values["api"] = Dialect(values.get("api", Dialect.CONVERSATIONS))
    values["status"] = ThreadStatus(values.get("status", ThreadStatus.OK))
    values["server_meta"] = dict(values.get("server_meta") or {})
    return ThreadRecord(**values)


ROWS: list[dict[str, Any]] = [
    {"id": "conv_1"},
    {"id": "conv_2", "api": "chat", "status": "gone", "pinned": True, "title": "t"},
    {"id": "conv_3", "api": Dialect.ASSISTANTS, "status": ThreadStatus.UNKNOWN},
    {"id": "conv_4", "status": "foreign", "unknown_key": 1, "server_meta": None},
    {"id": "conv_5", "server_meta": {"response_ids": ["resp_1"]}, "created_at": 1.0},
    {"id": "conv_6", "base_url": "https://user:secret@example.com/v1"},
    # Refused:
    {"title": "no id"},
    {"id": "conv_7", "api": "Chat"},
    {"id": "conv_8", "api": "responses"},
    {"id": "conv_9", "api": None},
    {"id": "conv_10", "api": ["chat"]},
    {"id": "conv_11", "api": True},
    {"id": "conv_12", "api": 1},
    {"id": "conv_13", "status": "OK"},
    {"id": "conv_14", "status": ""},
    {"id": "conv_15", "status": {"ok": 1}},
    {"id": "conv_16", "status": 0},
    {"id": "conv_17", "server_meta": [1, 2]},
    {"id": "conv_18", "server_meta": "text"},
]


def outcome(build: Any, row: dict[str, Any]) -> tuple[str, Any]:
    row = {"created_at": 5.0, "last_active": 6.0, **row}  # not "now", twice
    try:
        return "record", build(row)
    except Exception as error:  # the same kind, saying the same
        return type(error).__name__, str(error)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: str(row.get("id", "no id")))
def test_from_dict_gives_the_same_record_or_error_as_the_constructors(
    row: dict[str, Any],
) -> None:
    assert outcome(ThreadRecord.from_dict, row) == outcome(reference, row)


def test_the_refused_rows_are_refused() -> None:
    refused = [row for row in ROWS if outcome(reference, row)[0] != "record"]
    assert len(refused) == 13
    for row in refused:
        with pytest.raises((TypeError, ValueError)):
            ThreadRecord.from_dict(dict(row))


def test_enum_members_come_back_as_the_members() -> None:
    record = ThreadRecord.from_dict({"id": "conv_x", "api": "chat", "status": "gone"})
    assert record.api is Dialect.CHAT and record.status is ThreadStatus.GONE
