"""The progress strip: Textual's ProgressBar for long work, fed by typed messages from workers.

Continuing a long thread is driven against the sandbox over real HTTP (the conversation is
rebuilt 20 items per request), exports write real files, the search index is built for real
in its own thread; the strip is spied on to see every step it was given.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from app_harness import AppEnv, idle, notification_text, to_list, wait_until

from tui.app.screens.profile_picker import ProfilePicker
from tui.core import search_index

Step = tuple[str, str, int, "int | None"]
"""One step the strip was shown (job, label, done, total), from the ``shown`` fixture."""


async def test_continuing_a_long_thread_shows_a_determinate_bar_then_it_goes(
    app_env: AppEnv, shown: list[Step],
) -> None:
    turns = [("user" if n % 2 == 0 else "assistant", f"message {n}") for n in range(50)]
    original = app_env.seeded("A long one", turns)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilePicker))
        await pilot.pause(0.5)
        await pilot.press(*"home", "enter")
        await wait_until(pilot, lambda: app.main.chat.record is not None
                         and app.main.chat.record.id != original.id, timeout=15)
        await idle(pilot, app)
        copying = [step for step in shown if step[0] == "continue" and step[3] is not None]
        assert copying and all(step[1] == "copying messages" for step in copying)
        assert copying[-1][2:] == (50, 50)  # every message carried, the total known
        assert shown[-1] == ("continue", "end", 0, None)
        assert not app.main.progress_strip.has_class("-shown")  # gone when done
        assert "copying messages" not in (app.main.bar.render().plain)  # not in the bar


async def test_an_export_shows_its_steps_and_a_failure_ends_the_strip_inline(
    app_env: AppEnv, shown: list[Step], tmp_path: Path,
) -> None:
    record = app_env.record("conv_x", "Exported", turns=[("user", "q"), ("assistant", "a")])
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.main.open_thread(record.id)
        await wait_until(pilot, lambda: len(app.main.chat.messages) == 2)
        app.main._export_to(record, str(tmp_path / "out"))
        await wait_until(pilot, lambda: "Exported to" in notification_text(app))
        assert ("export", "exporting the thread", 2, 2) in shown
        assert shown[-1] == ("export", "end", 0, None)
        assert len(list((tmp_path / "out").glob("*.md"))) == 1
        # A folder that cannot be made: the strip ends with the reason where the bar was.
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        app.main._export_to(record, str(blocker / "sub"))
        await wait_until(pilot, lambda: app.main.progress_strip.error is not None)
        strip = app.main.progress_strip
        assert strip.shown_text.startswith("Could not export:")
        assert strip.has_class("-error") and strip.has_class("-shown")


async def test_a_search_index_build_shows_its_progress(
    app_env: AppEnv, shown: list[Step], monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(6):
        app_env.record(f"conv_{n}", f"Thread {n}", turns=[("user", f"zebra number {n}")],
                       age_days=n + 1)
    monkeypatch.setattr(search_index, "_BATCH_THREADS", 1)  # a step per transcript
    real_load = search_index._load

    def slow_load(path: Path):  # type: ignore[no-untyped-def]
        time.sleep(0.1)  # a large record's build, at the scale of a test
        return real_load(path)

    monkeypatch.setattr(search_index, "_load", slow_load)
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await to_list(pilot, app)
        await pilot.press("slash", *"?zebra")
        await wait_until(pilot, lambda: any(step[0] == "index" and step[3] == 6
                                            for step in shown), timeout=10)
        await wait_until(pilot, lambda: ("index", "end", 0, None) in shown, timeout=10)
        labels = {step[1] for step in shown if step[0] == "index" and step[3] is not None}
        assert labels == {"indexing transcripts for search"}
        await idle(pilot, app)
        assert not app.main.progress_strip.has_class("-shown")


async def test_the_strip_says_the_newest_job_and_how_many_more(app_env: AppEnv) -> None:
    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        strip = app.main.progress_strip
        assert not strip.has_class("-shown") and strip.shown_text == ""
        strip.show("import", "recording", 3, 10)
        await pilot.pause()
        assert strip.shown_text == "recording 3/10" and strip.bar.total == 10
        strip.show("export", "exporting the thread", 0, None)
        await pilot.pause()
        assert strip.shown_text == "exporting the thread (+1 more)"
        assert strip.bar.total is None  # indeterminate: no total known
        strip.end("export")
        await pilot.pause()
        assert strip.shown_text == "recording 3/10"
        strip.end("import", "Import failed: internal error abc123")
        await pilot.pause()
        assert strip.shown_text == "Import failed: internal error abc123"
        strip.show("import", "reading", 0, None)  # the next job clears the old error
        strip.end("import")
        await pilot.pause()
        assert not strip.has_class("-shown")


async def test_two_jobs_of_one_kind_are_two_bars_and_a_failure_ends_its_own(
    app_env: AppEnv,
) -> None:
    """Two exports at once: the first to end leaves the other's bar (they once shared a name,
    and the first's end hid the second's); one that fails unforeseen ends its own bar, and
    the error boundary's words take its place."""
    from tui.app.progress import ProgressReporter, reporting

    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        strip, post = app.main.progress_strip, app.main.post_message
        first = ProgressReporter(post, "export", "exporting the first")
        second = ProgressReporter(post, "export", "exporting the second")
        first(1, 4)
        second(1, 9)
        await pilot.pause()
        assert strip.shown_text == "exporting the second 1/9 (+1 more)"
        second.end()
        await pilot.pause()
        assert strip.shown_text == "exporting the first 1/4"
        with pytest.raises(RuntimeError), reporting(post, "export", "exporting a third"):
            await pilot.pause()
            assert strip.shown_text == "exporting a third (+1 more)"
            raise RuntimeError("unforeseen")
        await pilot.pause()
        assert strip.shown_text == "exporting the first 1/4"
        first.end()
        await pilot.pause()
        assert not strip.has_class("-shown")
