"""Inside a thread: first/last message, line scroll, code-block copy, and what replies cost."""

from __future__ import annotations

import math

from app_harness import AppEnv, idle, open_first, wait_until

from tui.app.widgets.message import code_blocks

CODE_REPLY = (
    "Two ways:\n\n```python\nprint('one')\n```\n\nor\n\n~~~sh\necho two\n~~~\n\nDone."
)


async def test_g_and_G_go_to_the_first_and_last_message_and_c_copies_each_code_block(
    app_env: AppEnv,
) -> None:
    app_env.record("conv_code", "Code", turns=[
        ("user", "how?"), ("assistant", CODE_REPLY), ("user", "thanks"), ("assistant", "ok")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await open_first(pilot, app)
        await idle(pilot, app)
        views = app.main.chat.messages
        app.main.chat.focus_message(views[-1])
        await pilot.press("g")
        assert app.focused is views[0]
        await pilot.press("G")
        assert app.focused is views[-1]
        await pilot.press("k", "k")
        assert app.focused is views[1]
        await pilot.press("c")
        assert app.clipboard == "print('one')\n"
        await pilot.press("c")
        assert app.clipboard == "echo two\n"
        await pilot.press("c")  # round again
        assert app.clipboard == "print('one')\n"
        app.main.chat.focus_message(views[0])
        await pilot.press("c")
        assert app.clipboard == "print('one')\n"  # nothing copied from a message without code
        scroller = app.main.chat.transcript
        scroller.scroll_home(animate=False)
        await pilot.pause()
        before = scroller.scroll_y
        await pilot.press("ctrl+down")
        await pilot.pause()
        assert scroller.scroll_y == before + 1 or scroller.max_scroll_y == 0


def test_code_blocks_reads_fences_of_both_kinds_and_ignores_inline_code() -> None:
    assert code_blocks(CODE_REPLY) == ["print('one')\n", "echo two\n"]
    assert code_blocks("use `x` inline") == []


async def test_a_reply_shows_its_cost_and_the_header_the_threads(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await idle(pilot, app)
        app.main.composer.load_text("price me")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.main.chat.record is not None
                         and len(app_env.store.transcript(app.main.chat.record.id)) == 2
                         and not app.main.replying, timeout=10)
        await idle(pilot, app)
        usage = app_env.store.transcript(app.main.chat.record.id)[-1].usage
        assert usage is not None and app.main.chat.record.model == "gpt-4.1-mini"
        # gpt-4.1-mini: $0.40 per million input tokens, $1.60 per million output.
        dollars = (usage.input_tokens * 0.40 + usage.output_tokens * 1.60) / 1e6
        digits = max(2, 1 - math.floor(math.log10(dollars)))
        shown = f"${dollars:.{digits}f}"
        footer = str(app.main.chat.messages[-1].query_one(".message-footer").render())
        assert footer.endswith(f"· {shown}")
        header = str(app.main.chat.query_one("#chat-header").render())
        assert f"≈ {shown}" in header
