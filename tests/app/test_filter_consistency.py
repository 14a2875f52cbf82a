"""The sidebar's filter box and `threadtui list -s` show the same threads in the same order.

Both go through ``tui.core.thread_query``; this checks the whole way round: the query typed
into the running app's filter box against the CLI's answer on the same record.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from app_harness import NOW, AppEnv, idle, wait_until

from tui import cli
from tui.core.records import ThreadRecord, ThreadStatus

TITLES = [
    "Straße planning",
    "STRASSE survey",
    "strasse Map",
    "Café notes",
    "CAFÉ menu",
    unicodedata.normalize("NFD", "café decomposed"),
    "cafe without accent",
    "Quarterly Report Q3",
    "quarterly budget",
    "Report on the quarter",
    "ΣΊΣΥΦΟΣ myth",
    "σίσυφος again",
    "ﬁnance ligature",
    "Finance plain",
    "Zebra crossing",
    "zebra Stripes and lions",
    "",
    "Ünïcödé test",
    "unicode test",
    "Packing list",
]


def seed(env: AppEnv) -> list[ThreadRecord]:
    records = []
    for n in range(60):
        work = n % 3 != 0
        record = ThreadRecord(
            id=f"conv_{'AB' if n % 4 == 0 else 'cd'}{n:03d}" if n % 7 else f"thread_Old{n}",
            title=TITLES[n % len(TITLES)] + ("" if n < len(TITLES) else f" #{n}"),
            profile="work" if work else "home",
            organization="acme-corp" if work else "Personal-Org",
            project=f"proj_{'x' if n % 2 else 'Y'}{n % 5}" if work else None,
            owner="Müller" if n % 11 == 0 else None,
            # Groups of four share a moment, so order among them comes from the tie-break.
            last_active=NOW - (n // 4) * 3600.0,
            created_at=NOW - 90 * 86400.0,
            pinned=n % 13 == 5,
            status=ThreadStatus.GONE if n % 17 == 3 else ThreadStatus.OK,
        )
        env.store.upsert(record)
        records.append(record)
    return records


QUERIES = [
    "",
    "straße",
    "STRASSE",
    "strasse plan",
    "café",
    "CAFÉ",
    "cafe",
    "café menu",
    "quarterly",
    "report quarterly",
    "acme",
    "acme corp",
    "personal-org",
    "PROJ_x",
    "conv_ab",
    "CONV_CD01",
    "thread_old",
    "work acme zebra",
    "σίσυφος",
    "ΣΊΣΥΦΟΣ",
    "finance",
    "müller",
    "MÜLLER work",
    "ünïcödé",
    "e",
    "  zebra   lions  ",
    "nothing-matches-this",
]


def cli_ids(capsys: pytest.CaptureFixture[str], query: str) -> list[str]:
    capsys.readouterr()
    status = cli.main(["list", "--all", "--json", "-s", query])
    out = capsys.readouterr().out
    assert status == 0
    return [json.loads(line)["id"] for line in out.splitlines() if line.strip()]


def shown_ids(env_app) -> list[str]:  # type: ignore[no-untyped-def]
    return [option.id for option in env_app.main.sidebar.thread_list.options]


def pilot_keys(text: str) -> list[str]:
    return ["space" if ch == " " else ch for ch in text]


async def test_sidebar_filter_and_cli_search_agree(
    app_env: AppEnv, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = seed(app_env)
    monkeypatch.setenv("THREADTUI_CONFIG", str(app_env.tmp / "config.toml"))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(app_env.data_dir))
    assert len(QUERIES) >= 20
    expected = {query: cli_ids(capsys, query) for query in QUERIES}

    # The CLI's answers are the rule: spot-check them by hand.
    by_id = {r.id: r for r in records}
    assert len(expected[""]) == 60
    assert expected["straße"] == expected["STRASSE"]
    assert {by_id[i].title.split()[0] for i in expected["STRASSE"]} >= {"Straße", "STRASSE"}
    assert expected["café"] == expected["CAFÉ"]
    assert any("decomposed" in by_id[i].title for i in expected["café"])
    assert not any(by_id[i].title.startswith("cafe ") for i in expected["café"])
    assert expected["σίσυφος"] == expected["ΣΊΣΥΦΟΣ"] and len(expected["σίσυφος"]) == 6
    assert any(by_id[i].title.startswith("ﬁnance") for i in expected["finance"])
    assert expected["report quarterly"] != []
    assert expected["müller"] and all(by_id[i].owner == "Müller" for i in expected["müller"])
    assert expected["nothing-matches-this"] == []
    everything = expected[""]
    pinned = [i for i in everything if by_id[i].pinned]
    assert everything[: len(pinned)] == pinned and pinned
    rest = everything[len(pinned):]
    assert rest == sorted(rest, key=lambda i: (-by_id[i].last_active, i))

    app = app_env.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await wait_until(pilot, lambda: app.main.sidebar.count == 60)
        for query in QUERIES:
            await pilot.press("escape")
            await pilot.press("slash", *pilot_keys(query))
            assert app.main.sidebar.filter_input.value == query
            await pilot.pause()
            assert shown_ids(app) == expected[query], query

