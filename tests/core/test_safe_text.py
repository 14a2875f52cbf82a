"""Text from outside reaches the terminal escaped, encodable, and cut to the columns it has."""

from __future__ import annotations

import json

from tui.core.safe_text import display_width, fit, json_text, printable, printable_block


def test_printable_escapes_what_a_terminal_would_act_on() -> None:
    assert printable("a\x1b[2J\x9b\u202eb\ud800") == "a\\x1b[2J\\x9b\\u202eb\\ud800"
    assert printable("naïve 表") == "naïve 表"
    assert printable_block("one\n\ttwo\x07") == "one\n\ttwo\\x07"


def test_json_text_stays_valid_and_readable() -> None:
    value = {"title": "é\x1b\x9b\u202e\ud800"}
    text = json_text(value)
    assert "é" in text and "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
    text.encode("utf-8")
    assert json.loads(text) == value


def test_fit_counts_wide_characters_as_two_columns() -> None:
    assert display_width("表表a") == 5
    assert fit("abcdef", 4) == "abc…"
    assert fit("表表表", 5) == "表表…"
    assert display_width(fit("表表表", 5)) <= 5
    assert fit("abc", 3) == "abc"
