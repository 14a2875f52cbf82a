"""Issue 16.11: ``GET /v1/models`` reports ``shutdown_date`` for deprecated models; ``doctor``
warns when a profile's or a thread's model shuts down within 60 days.

Over real HTTP against the sandbox, through ``tui.cli.main``. Dates are set relative to the
day the test runs, so the test says the same thing on any day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui.cli import main
from tui.core import config as config_module
from tui.core import records as records_module
from tui.core.api.answers import AnswerProblem, model_shutdowns
from tui.core.models import DEFAULT_MODEL, short_warning, shutdown_warning
from tui.core.records import Profile, ThreadRecord
from tui.core.store import Store
from tui.sandbox import ACME_KEY, PERSONAL_KEY, Sandbox

ENV = {"TT_ACME_KEY": ACME_KEY, "TT_PERSONAL_KEY": PERSONAL_KEY}
TODAY = dt.date.today()


def days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def doctor(tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A config with one profile on a deprecated model and one on the default; the data dir."""
    config = tmp_path / "config.toml"
    config.write_text(f"""
default_profile = "acme"

[profiles.acme]
api_key_env = "TT_ACME_KEY"
base_url = "{sandbox.base_url}"
model = "gpt-4.1-mini"

[profiles.personal]
api_key_env = "TT_PERSONAL_KEY"
base_url = "{sandbox.base_url}"
""")
    config.chmod(0o600)
    monkeypatch.setenv("THREADTUI_CONFIG", str(config))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(tmp_path / "data"))
    for name, key in ENV.items():
        monkeypatch.setenv(name, key)
    yield tmp_path / "data"


def run_doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["doctor"])
    return status, capsys.readouterr().out


def test_the_sandbox_reports_openais_shutdown_dates(sandbox: Sandbox) -> None:
    import httpx2

    answer = httpx2.get(f"{sandbox.base_url}/models",
                        headers={"Authorization": f"Bearer {ACME_KEY}"}).json()
    dates = {m["id"]: m["shutdown_date"] for m in answer["data"]}
    assert dates["gpt-4.1"] == dates["gpt-4.1-mini"] == "2027-01-14"
    assert dates[DEFAULT_MODEL] is None
    assert model_shutdowns(answer)["gpt-4.1-mini"] == dt.date(2027, 1, 14)


def test_doctor_warns_of_a_profile_model_that_shuts_down_within_60_days(
    doctor: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.services.model.shutdowns = {"gpt-4.1-mini": days(48), "gpt-4.1": days(48)}
    status, out = run_doctor(capsys)
    assert status == 0, out  # a warning, not a failure: the model still works
    assert (f"! model of profile acme: gpt-4.1-mini shuts down on {days(48)} (in 48 days):"
            " pick a current model") in out
    assert "profile personal" not in out  # the default model has no shutdown date
    assert out.rstrip().endswith("all checks passed")


def test_doctor_says_nothing_of_a_current_or_a_distant_shutdown(
    doctor: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.services.model.shutdowns = {"gpt-4.1-mini": days(61)}
    status, out = run_doctor(capsys)
    assert status == 0 and "shut" not in out and "!" not in out, out


def test_a_model_already_shut_down_is_a_problem(
    doctor: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.services.model.shutdowns = {"gpt-4.1-mini": days(-1)}
    status, out = run_doctor(capsys)
    assert status == 1
    assert f"✗ model of profile acme: gpt-4.1-mini was shut down on {days(-1)}" in out


def test_doctor_warns_of_a_thread_whose_model_shuts_down(
    doctor: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(doctor) as store:
        for n in range(2):
            store.upsert(ThreadRecord(id=f"conv_old{n}", profile="personal", model="gpt-4.1",
                                      base_url=sandbox.base_url))
        store.upsert(ThreadRecord(id="conv_new", profile="personal", model=DEFAULT_MODEL,
                                  base_url=sandbox.base_url))
    sandbox.services.model.shutdowns = {"gpt-4.1": days(10)}
    status, out = run_doctor(capsys)
    assert status == 0, out
    assert f"! 2 threads of profile personal: gpt-4.1 shuts down on {days(10)} (in 10 days)" \
        in out
    assert "model of profile" not in out  # acme's gpt-4.1-mini has no date here


@pytest.mark.parametrize("served", [
    "soon", 20270114, "2027-02-30", "14/01/2027", {"date": "2027-01-14"}, "2027-01-14T00:00:00Z",
])
def test_a_malformed_shutdown_date_is_ignored(
    doctor: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    sandbox.services.model.shutdowns = {"gpt-4.1-mini": served, "gpt-4.1": days(5)}
    status, out = run_doctor(capsys)
    assert status == 0 and "gpt-4.1-mini" not in out and "Traceback" not in out, out


def test_the_boundary_reads_shutdown_dates_and_refuses_a_list_that_is_not_one() -> None:
    good = {"object": "list", "data": [
        {"id": "a", "shutdown_date": "2027-01-14"},
        {"id": "b", "shutdown_date": None},
        {"id": 7, "shutdown_date": "2027-01-14"},
        {"id": "c", "shutdown_date": "tomorrow"},
        {"id": "d"},
    ]}
    assert model_shutdowns(good) == {"a": dt.date(2027, 1, 14)}
    for bad in ({"data": "x"}, [], "<html>", {"data": [3]}):
        with pytest.raises(AnswerProblem):
            model_shutdowns(bad)


def test_warnings_in_words() -> None:
    today = dt.date(2026, 11, 27)
    known = {"gpt-4.1-mini": dt.date(2027, 1, 14)}
    assert shutdown_warning("gpt-4.1-mini", known, today) == (
        "gpt-4.1-mini shuts down on 2027-01-14 (in 48 days): pick a current model"
    )
    assert short_warning("gpt-4.1-mini", known, today) == "shuts down 2027-01-14"
    assert shutdown_warning("gpt-4.1-mini", known, dt.date(2026, 11, 14)) is None  # 61 days
    assert short_warning("gpt-5-mini", known, today) is None
    assert short_warning(None, known, today) is None


def test_one_default_model_and_it_is_current() -> None:
    assert DEFAULT_MODEL == "gpt-5-mini"
    assert Profile(name="x").model == DEFAULT_MODEL
    assert config_module.DEFAULT_MODEL is records_module.DEFAULT_MODEL is DEFAULT_MODEL
    example = Path(__file__).parents[2] / "config.example.toml"
    assert "gpt-4.1" not in example.read_text(encoding="utf-8")
    # A record made under the old default still reads, with its own model.
    old = ThreadRecord.from_dict({"id": "conv_old", "model": "gpt-4.1-mini"})
    assert old.model == "gpt-4.1-mini"
