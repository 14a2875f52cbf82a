"""Text from outside reaches the terminal escaped, encodable, and cut to the columns it has.

One definition of unsafe (``tui.core.safe_text``) and every function held to it, class by
class: C0 controls, DEL and C1, bidi overrides and isolates, zero-width characters, lone
surrogates; and what must survive: newlines and tabs in blocks, the zero-width joiner of an
emoji sequence, ordinary non-ASCII text.
"""

from __future__ import annotations

import json

import pytest

from tui.core import safe_text
from tui.core.safe_text import (
    display_width,
    fit,
    json_text,
    one_line,
    printable,
    printable_block,
    strip_controls,
    unsafe_in_value,
)

# (class, a character of it, how printable spells it)
UNSAFE_CLASSES = [
    ("C0 escape", "\x1b", "\\x1b"),
    ("C0 bell", "\x07", "\\x07"),
    ("C0 nul", "\x00", "\\x00"),
    ("carriage return", "\r", "\\x0d"),
    ("DEL", "\x7f", "\\x7f"),
    ("C1 CSI", "\x9b", "\\x9b"),
    ("bidi override RLO", "\u202e", "\\u202e"),
    ("bidi embedding LRE", "\u202a", "\\u202a"),
    ("bidi isolate RLI", "\u2067", "\\u2067"),
    ("bidi isolate PDI", "\u2069", "\\u2069"),
    ("zero-width space", "\u200b", "\\u200b"),
    ("word joiner", "\u2060", "\\u2060"),
    ("byte-order mark", "\ufeff", "\\ufeff"),
]
IDS = [name for name, _, _ in UNSAFE_CLASSES]
SURROGATES = ["\ud800", "\udfff"]
FAMILY = "\U0001f469\u200d\U0001f4bb"  # woman technologist: two emoji joined by U+200D
KEPT = f"naïve 表 {FAMILY} \u200c"  # ordinary text, a ZWJ sequence, a ZWNJ (Persian needs it)


@pytest.mark.parametrize(("name", "ch", "spelt"), UNSAFE_CLASSES, ids=IDS)
def test_every_function_treats_each_unsafe_class_alike(name: str, ch: str, spelt: str) -> None:
    text = f"a{ch}b"
    assert safe_text.UNSAFE.search(text)
    assert unsafe_in_value(text)
    assert printable(text) == f"a{spelt}b"
    assert printable_block(text) == f"a{spelt}b"
    assert strip_controls(text) == "ab"
    assert one_line(text) == ("a b" if ch == "\r" else "ab")  # a line break, gone flat
    dumped = json_text({"t": text})
    assert ch not in dumped and json.loads(dumped) == {"t": text}


@pytest.mark.parametrize("ch", SURROGATES)
def test_a_lone_surrogate_becomes_the_replacement_character(ch: str) -> None:
    text = f"a{ch}b"
    assert safe_text.UNSAFE.search(text) and unsafe_in_value(text)
    for shown in (printable(text), printable_block(text), strip_controls(text), one_line(text)):
        assert shown == "a\ufffdb"
        shown.encode("utf-8")  # printing it can no longer raise
    dumped = json_text({"t": text})  # a backup keeps it, in a spelling JSON can carry
    dumped.encode("utf-8")
    assert json.loads(dumped) == {"t": text}


def test_newlines_and_tabs_are_layout_in_a_block_and_unsafe_on_a_line() -> None:
    text = "one\n\ttwo"
    assert printable_block(text) == text and strip_controls(text) == text
    assert printable(text) == "one\\x0a\\x09two"
    assert one_line(text) == "one two"
    assert one_line("a\u2028b\u2029c\r\n\n\td\n") == "a b c d"
    assert not unsafe_in_value("a\tb") and unsafe_in_value("a\nb")
    assert json.loads(json_text(text)) == text


def test_what_must_survive_survives_every_function() -> None:
    assert safe_text.UNSAFE.search(KEPT) is None and not unsafe_in_value(KEPT)
    for function in (printable, printable_block, strip_controls, one_line):
        assert function(KEPT) == KEPT, function.__name__
    assert json.loads(json_text(KEPT)) == KEPT and FAMILY in json_text(KEPT)


def test_one_line_cuts_to_the_limit_after_cleaning() -> None:
    assert one_line("  ab\x1bcdef  ", 4) == "abc…"
    assert one_line("abc", 3) == "abc"
    assert one_line("\x1b\u200b", 10) == ""


def test_no_module_but_safe_text_defines_what_a_control_character_is() -> None:
    """One home for the rule: five regexes once disagreed on zero-width characters and lone
    surrogates. A character class of control characters anywhere else is a second rule."""
    import re
    from pathlib import Path

    import tui

    # A range of control characters, as a regex character class spells it (x00-x1f, ...).
    control_class = re.compile(r"\\(x(00|0e|7f|80)|u(200b|202a|2066))-", re.I)
    package = Path(tui.__file__).parent
    others = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        if path.name != "safe_text.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if control_class.search(line)
    ]
    assert others == []


def test_fit_counts_wide_characters_as_two_columns() -> None:
    assert display_width("表表a") == 5
    assert fit("abcdef", 4) == "abc…"
    assert fit("表表表", 5) == "表表…"
    assert display_width(fit("表表表", 5)) <= 5
    assert fit("abc", 3) == "abc"


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("plain ascii", 11),
        ("表計算", 6),  # wide CJK: two columns each
        ("ｶﾀｶﾅ", 4),  # halfwidth katakana: one each
        ("Ｆｕｌｌ", 8),  # fullwidth Latin: two each
        ("e\u0301te\u0301", 3),  # decomposed accents: combining marks take no column
        ("été", 3),  # the same word composed
        ("a\u20dd", 1),  # an enclosing mark
        ("🚀 go", 5),  # an emoji is wide
        ("❤\ufe0f", 1),  # a variation selector takes no column
        ("👩\u200d💻", 4),  # the joiner takes none; each emoji of the sequence is measured
        ("", 0),
    ],
)
def test_display_width_counts_terminal_columns(text: str, columns: int) -> None:
    assert display_width(text) == columns


def test_fit_keeps_combining_marks_with_their_letter_and_never_splits_a_wide_one() -> None:
    assert fit("e\u0301e\u0301e\u0301e\u0301", 3) == "e\u0301e\u0301…"
    assert fit("a表b", 2) == "a…"
    assert fit("🚀🚀🚀", 4) == "🚀…"
    assert fit("表表", 4) == "表表"
    for text in ("表計算の質問", "Café crème brûlée", "deploy 🚀 notes", "e\u0301" * 9):
        for width in range(1, 12):
            assert display_width(fit(text, width)) <= max(width, 1)
