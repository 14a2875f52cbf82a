"""The sidebar's ``?`` search goes through the search index, built in the background the first
time (the record's worker stays free), and reads the transcripts meanwhile."""

from __future__ import annotations

import time

from app_harness import AppEnv, idle, to_list, wait_until

from tui.core.search_index import INDEX_NAME, SearchIndex


def ids(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [option.id for option in app.main.sidebar.thread_list.options]


async def test_the_first_search_builds_the_index_in_the_background_then_it_answers(
    app_env: AppEnv,
) -> None:
    app_env.record("conv_a", "Alpha", turns=[("user", "tell me about zebras")])
    app_env.record("conv_b", "Beta", turns=[("user", "tell me about lions")], age_days=2)
    answered: list[bool] = []
    original = SearchIndex.search

    def spying(self: SearchIndex, text: str, *, ranked: bool = True) -> list[str] | None:
        found = original(self, text, ranked=ranked)
        answered.append(found is not None)
        return found

    SearchIndex.search = spying  # type: ignore[method-assign]
    app = app_env.make_app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot, app)
            await to_list(pilot, app)
            await pilot.press("slash", *"?zebra")
            await wait_until(pilot, lambda: ids(app) == ["conv_a"])
            index = app_env.store.search
            deadline = time.monotonic() + 20
            while (index.building or not index.path.exists()) and time.monotonic() < deadline:
                await pilot.pause(0.05)
            answered.clear()
            await pilot.press(*["backspace"] * 5, *"lion")
            await wait_until(pilot, lambda: ids(app) == ["conv_b"])
            assert answered and answered[-1], "the index did not answer once built"
            assert (app_env.data_dir / INDEX_NAME).exists()
    finally:
        SearchIndex.search = original  # type: ignore[method-assign]
