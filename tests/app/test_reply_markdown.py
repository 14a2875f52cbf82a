"""A streamed reply is drawn exactly as the same text drawn at once, however it was segmented.

The reply is streamed into a ``MessageView`` in small fragments (as the server sends them), with
segments made tiny so that many splits happen; the screen is then compared, as an SVG
screenshot, with a fresh view of the whole text. Replies with code fences, lists, tables,
setext headings and a fence opened and never closed.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from tui.app.widgets import reply_markdown
from tui.app.widgets.message import MessageView
from tui.app.widgets.reply_markdown import ReplyMarkdown
from tui.core.records import Role, Turn

PARAGRAPHS = "\n\n".join(f"Paragraph {n} says something *short* about `{n}`." for n in range(12))

REPLIES = {
    "paragraphs": PARAGRAPHS + "\n",
    "mixed": (
        "# Title\n\nIntro paragraph.\n\n- one\n- two\n  continued\n\nAfter the list.\n\n"
        "```python\nprint('a')\n\nprint('b')\n```\n\nAfter the fence.\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter the table.\n\n"
        "Setext heading\n==============\n\nThen text.\n\n> quoted\n> more\n\nLast words.\n"
    ),
    "unclosed fence": PARAGRAPHS + "\n\n```\ncode that never ends\n\nstill code\n",
    "numbered": "\n\n".join(f"{n}. item {n}\n\ntext {n}" for n in range(1, 8)),
}


class Pane(App[None]):
    def __init__(self, turn: Turn, *, streaming: bool) -> None:
        super().__init__()
        self.view = MessageView(turn, streaming=streaming)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.view


def fragments(text: str, size: int = 7) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


async def drawn(text: str, *, streamed: bool) -> tuple[str, int]:
    """(the SVG screenshot, how many segments the body ended with)."""
    turn = Turn(role=Role.ASSISTANT, text="" if streamed else text)
    app = Pane(turn, streaming=streamed)
    async with app.run_test(size=(60, 120)) as pilot:
        await pilot.pause()
        if streamed:
            app.view.start_stream()
            for piece in fragments(text):
                await app.view.write(piece)
                if len(turn.text) % 21 == 0:
                    await pilot.pause(0.06)  # let a flush happen now and then
            await app.view.end_stream()
        await pilot.pause(0.1)
        body = app.view.markdown
        assert isinstance(body, ReplyMarkdown) and body.source == text
        return app.export_screenshot(), len(body.segments)


@pytest.mark.parametrize("blocks", [1, 2])
@pytest.mark.parametrize("name", list(REPLIES))
async def test_a_streamed_reply_is_drawn_like_the_whole_text(
    name: str, blocks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reply_markdown, "SEGMENT_BLOCKS", blocks)
    text = REPLIES[name]
    whole, one = await drawn(text, streamed=False)
    streamed, segments = await drawn(text, streamed=True)
    assert one == 1
    if name == "paragraphs":
        assert segments > 2  # the test would prove nothing without splits
    assert streamed == whole


async def test_a_changed_final_text_is_drawn_in_one_segment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reply_markdown, "SEGMENT_BLOCKS", 2)
    app = Pane(Turn(role=Role.ASSISTANT, text=""), streaming=True)
    async with app.run_test(size=(60, 60)) as pilot:
        app.view.start_stream()
        for piece in fragments(PARAGRAPHS, 40):
            await app.view.write(piece)
            await pilot.pause(0.06)
        await app.view.end_stream("Something else entirely.")
        await pilot.pause()
        body = app.view.markdown
        assert body is not None and body.source == "Something else entirely."
        assert len(body.segments) == 1


async def test_finished_segments_fold_while_streaming_and_come_back_when_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Folded away (a stand-in of their height) while the reply streams below them; scrolled
    back to, they are drawn as the whole text is."""
    monkeypatch.setattr(reply_markdown, "SEGMENT_BLOCKS", 2)
    text = "\n\n".join(f"Paragraph {n}: " + "words " * 12 for n in range(40)) + "\n"
    folded: list[int] = []

    async def screens(streamed: bool) -> list[str]:
        app = Pane(Turn(role=Role.ASSISTANT, text="" if streamed else text),
                   streaming=streamed)
        async with app.run_test(size=(60, 16)) as pilot:
            pane = app.query_one(VerticalScroll)
            await pilot.pause()
            if streamed:
                app.view.start_stream()
                for piece in fragments(text, 60):
                    await app.view.write(piece)
                    await pilot.pause(0.06)
                    pane.scroll_end(animate=False)
                    body = app.view.markdown
                    assert body is not None
                    folded.append(len(body.query_children(reply_markdown.SegmentStandIn)))
                await app.view.end_stream()
            shots = []
            for scroll in (pane.scroll_end, pane.scroll_home):
                scroll(animate=False)
                # A stand-in seen gives its place back a frame or two later: wait for the
                # screen to settle (the same twice in a row).
                shot, previous = app.export_screenshot(), ""
                for _ in range(60):
                    if shot == previous:
                        break
                    await pilot.pause(0.05)
                    previous, shot = shot, app.export_screenshot()
                shots.append(shot)
            return shots

    whole = await screens(False)
    streamed = await screens(True)
    assert max(folded) > 3  # the segments far above were folded while it streamed
    assert streamed == whole
