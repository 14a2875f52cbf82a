"""The fake model's text: deterministic, Markdown-bearing, exact in length."""

from __future__ import annotations

import pytest

from tui.sandbox import ModelSettings, count_tokens, reply_text, split_tokens


def test_reply_echoes_the_prompt_and_carries_markdown() -> None:
    text = reply_text("How do I bake bread?")
    assert text.startswith("## Sandbox reply\n")
    assert "You said: How do I bake bread?" in text
    assert "\n- your message has **20** characters\n" in text
    assert "\n```python\n" in text and text.rstrip().endswith("```")


def test_reply_is_a_pure_function() -> None:
    assert reply_text("same", tokens=300) == reply_text("same", tokens=300)
    assert reply_text("one") != reply_text("two")


@pytest.mark.parametrize("tokens", [0, 1, 7, 55, 56, 57, 500, 20_000])
def test_reply_has_exactly_the_requested_number_of_pieces(tokens: int) -> None:
    text = reply_text("length check", tokens=tokens)
    assert len(split_tokens(text)) == tokens
    assert count_tokens(text) == tokens


def test_long_reply_keeps_the_whole_markdown_core_first() -> None:
    natural = reply_text("core")
    long = reply_text("core", tokens=count_tokens(natural) + 200)
    assert long.startswith(natural)


def test_pieces_are_small_and_join_back() -> None:
    text = reply_text("Ein längerer Satz mit Umlauten und `code`", tokens=400)
    pieces = split_tokens(text)
    assert "".join(pieces) == text
    assert all(len(piece.strip()) <= 4 for piece in pieces)


def test_negative_length_is_refused() -> None:
    with pytest.raises(ValueError):
        reply_text("x", tokens=-1)


def test_settings_update_validates() -> None:
    settings = ModelSettings()
    settings.update(tokens=20_000, delay_s=0.5)
    assert settings.snapshot()["tokens"] == 20_000
    assert settings.delay_s == 0.5
    settings.update(tokens=None)
    assert settings.tokens is None
    for bad in ({"tokens": -1}, {"tokens": "many"}, {"delay_s": -1}, {"models": []},
                {"colour": "red"}):
        with pytest.raises(ValueError):
            settings.update(**bad)
