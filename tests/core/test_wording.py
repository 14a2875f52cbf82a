"""Counted words read as English: ``1 line``, ``2 lines``; never ``1 lines`` or ``(s)``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tui.app.widgets.composer import paste_token
from tui.core.records import DeleteReport
from tui.core.wording import agree, plural

TUI = Path(__file__).resolve().parents[2] / "tui"


@pytest.mark.parametrize(
    ("count", "word", "many", "said"),
    [(0, "line", None, "0 lines"), (1, "line", None, "1 line"), (2, "word", None, "2 words"),
     (1, "reply", "replies", "1 reply"), (1200, "reply", "replies", "1,200 replies")],
)
def test_plural(count: int, word: str, many: str | None, said: str) -> None:
    assert plural(count, word, many) == said


def test_agree() -> None:
    assert (agree(1, "was", "were"), agree(3, "was", "were")) == ("was", "were")


def test_a_one_line_paste_says_one_line() -> None:
    assert paste_token(1, "x") == "⟦paste 1: 1 char, 1 line⟧"
    assert paste_token(2, "ab\ncd") == "⟦paste 2: 5 chars, 2 lines⟧"


def test_a_delete_summary_does_not_repeat_itself() -> None:
    report = DeleteReport("conv_1", thread_deleted=True, removed=["resp_1"])
    assert report.summary() == "conv_1 deleted on the server, 1 stored response removed"
    assert "NOT deleted" in DeleteReport("conv_1").summary()


def test_no_message_in_the_app_or_core_counts_with_parenthesised_plurals() -> None:
    """``response(s)``, ``thread(s)``: counted words go through ``plural`` instead."""
    found = []
    for folder in ("app", "core"):
        for path in sorted((TUI / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):  # string literals only: len(s) is code, not English
                if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and re.search(r"[a-z]\(s\)", node.value) and "http(s)" not in node.value:
                    found.append(f"{path.relative_to(TUI)}:{node.lineno}: {node.value[:60]!r}")
    assert found == []
