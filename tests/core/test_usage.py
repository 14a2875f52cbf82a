"""What threads cost: the shipped price table, config overrides, `threadtui usage`.

Every expected cost below was worked out by hand from the per-million prices (written next to
each), not by calling the code under test.
"""

from __future__ import annotations

import json
import math
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from tui import cli
from tui.commands.usage_cmd import since_timestamp
from tui.core.api.sdk import usage_from
from tui.core.config import ConfigError, load_config
from tui.core.pricing import builtin_prices, format_dollars
from tui.core.records import Role, ThreadRecord, Turn, Usage
from tui.core.store import Store

CONFIG = """\
default_profile = "work"
[profiles.work]
api_key_env = "WORK_KEY"
[profiles.home]
api_key_env = "HOME_KEY"
"""
DAY = 86400.0
NOW = datetime(2026, 11, 27, 12, 0).timestamp()


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG)
    monkeypatch.setenv("THREADTUI_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("THREADTUI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def reply(at: float, input_tokens: int, output_tokens: int, cached: int = 0) -> Turn:
    usage = Usage(input_tokens, output_tokens, input_tokens + output_tokens, cached)
    return Turn(Role.ASSISTANT, "answer", at=at, usage=usage)


def thread(store: Store, thread_id: str, profile: str, org: str, model: str,
           replies: list[Turn]) -> None:
    store.upsert(ThreadRecord(id=thread_id, profile=profile, organization=org, model=model,
                              title=thread_id.title(), last_active=replies[-1].at))
    for turn in replies:
        store.append_turn(thread_id, Turn(Role.USER, "question", at=turn.at - 1))
        store.append_turn(thread_id, turn)


@pytest.fixture
def record(env: Path) -> Path:
    with Store.open(env / "data") as store:
        # gpt-4.1-mini: $0.40 in, $0.10 cached, $1.60 out.
        # 800*0.40 + 200*0.10 + 500*1.60 = 1,140 -> $0.00114;  2e6*0.40 + 1e6*1.60 -> $2.40
        thread(store, "conv_a", "work", "org-work", "gpt-4.1-mini",
               [reply(NOW - 40 * DAY, 1000, 500, cached=200), reply(NOW - 1, 2_000_000, 1_000_000)])
        # gpt-4o: $2.50 in, $1.25 cached, $10 out. 50,000*2.5 + 50,000*1.25 + 10,000*10 -> $0.2875
        thread(store, "conv_b", "home", "org-home", "gpt-4o",
               [reply(NOW - 2 * DAY, 100_000, 10_000, cached=50_000)])
        # A local model: no price anywhere.
        thread(store, "chat_c", "work", "org-work", "my-local-llama", [reply(NOW - 3, 10, 20)])
        # A dated snapshot takes its model's price: 1e6 * 2.50 -> $2.50
        thread(store, "conv_d", "work", "org-work", "gpt-4o-2024-08-06",
               [reply(NOW - 5 * DAY, 1_000_000, 0)])
    return env


def usage_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, dict]:
    assert cli.main(["usage", "--json", *argv]) == 0
    data = json.loads(capsys.readouterr().out)
    return {line["key"]: line for line in data["lines"]}


def test_costs_by_profile_organization_model_and_thread_match_the_hand_sums(
    capsys: pytest.CaptureFixture[str], record: Path
) -> None:
    by_profile = usage_json(capsys, "--by", "profile")
    assert math.isclose(by_profile["work"]["cost_usd"], 2.40114 + 2.5)
    assert by_profile["work"]["replies"] == 4 and by_profile["work"]["unpriced_replies"] == 1
    assert by_profile["work"]["unpriced_models"] == ["my-local-llama"]
    assert math.isclose(by_profile["home"]["cost_usd"], 0.2875)
    assert by_profile["home"]["cached_input_tokens"] == 50_000
    by_model = usage_json(capsys, "--by", "model")
    assert math.isclose(by_model["gpt-4.1-mini"]["cost_usd"], 2.40114)
    assert math.isclose(by_model["gpt-4o-2024-08-06"]["cost_usd"], 2.5)
    assert by_model["my-local-llama"]["cost_usd"] == 0 and by_model["my-local-llama"][
        "unpriced_replies"] == 1
    by_org = usage_json(capsys, "--by", "organization")
    assert set(by_org) == {"org-work", "org-home"}
    by_thread = usage_json(capsys, "--by", "thread")
    assert list(by_thread) == ["conv_d", "conv_a", "conv_b", "chat_c"]  # costliest first


def test_since_counts_only_newer_replies(
    capsys: pytest.CaptureFixture[str], record: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    since = datetime.fromtimestamp(NOW - 3 * DAY).strftime("%Y-%m-%d")
    by_profile = usage_json(capsys, "--since", since)
    # conv_a's old reply and conv_d are older: only $2.40 of conv_a, and chat_c (no price).
    assert math.isclose(by_profile["work"]["cost_usd"], 2.4)
    assert by_profile["work"]["replies"] == 2
    assert since_timestamp("month", NOW) == datetime(2026, 11, 1).timestamp()
    assert since_timestamp("today", NOW) == datetime(2026, 11, 27).timestamp()
    assert since_timestamp("27/11/2026") is None
    assert cli.main(["usage", "--since", "yesterday-ish"]) == 2
    assert "give a date as YYYY-MM-DD" in capsys.readouterr().err


def test_the_table_names_models_without_a_price_and_never_costs_them_as_zero(
    capsys: pytest.CaptureFixture[str], record: Path
) -> None:
    assert cli.main(["usage", "--by", "model"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["model", "replies", "tokens", "in", "cached", "tokens", "out",
                                "cost"]
    llama = next(line for line in lines if line.startswith("my-local-llama"))
    assert llama.endswith("no price")
    total = next(line for line in lines if line.startswith("total"))
    assert total.endswith("$5.19 + ?")  # 2.40114 + 2.5 + 0.2875 = 5.18864, plus an unknown
    assert "no price for my-local-llama: 1 reply not costed" in out


def test_config_prices_override_the_table_and_price_a_local_model(
    capsys: pytest.CaptureFixture[str], record: Path, env: Path
) -> None:
    (env / "config.toml").write_text(CONFIG + """
[prices."gpt-4o"]
input = 5
output = 10

[prices."my-local-llama"]
input = 0
output = 0
""")
    by_model = usage_json(capsys, "--by", "model")
    # No cached_input given: cached input costs as input. 100,000*5 + 10,000*10 -> $0.60
    assert math.isclose(by_model["gpt-4o"]["cost_usd"], 0.6)
    assert by_model["my-local-llama"]["unpriced_replies"] == 0
    # The snapshot follows its model's overridden price: 1e6 * 5 -> $5
    assert math.isclose(by_model["gpt-4o-2024-08-06"]["cost_usd"], 5.0)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ('[prices."gpt-4o"]\ninput = "cheap"\noutput = 1\n', 7, "input: must be a number"),
        ('[prices."gpt-4o"]\ninput = -1\noutput = 1\n', 7, "input: must be a finite number"),
        ('[prices."gpt-4o"]\ninput = 1\n', 6, "output: is missing"),
        ('[prices."gpt-4o"]\ninput = 1\noutput = 1\ncached = 1\n', 9,
         "cached: unknown key (did you mean 'cached_input'?)"),
    ],
)
def test_a_mistake_in_prices_names_the_file_line_and_key(
    env: Path, body: str, line: int, message: str
) -> None:
    path = env / "config.toml"
    path.write_text(CONFIG + body)  # CONFIG is 5 lines: the table starts on line 6
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert f"{path}:{line}: [prices.gpt-4o] {message}" in str(caught.value)
    path.write_text("prices = 3\n" + CONFIG)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert f"{path}:1: prices: must be a table, not an integer" in str(caught.value)


def test_the_shipped_table_is_complete_and_dated() -> None:
    table = builtin_prices()
    raw = tomllib.loads((Path(__file__).parents[2] / "tui/core/prices.toml").read_text())
    datetime.strptime(raw["taken"], "%Y-%m-%d")
    assert set(table.prices) == set(raw["models"]) and len(table.prices) >= 5
    for name, price in table.prices.items():
        assert price.input >= 0 and price.output >= 0, name
        assert price.cached_input is None or price.cached_input <= price.input, name
        assert price.source == f"built-in ({raw['taken']})"
    assert table.price_for("gpt-4o-2024-08-06") is table.price_for("gpt-4o")
    assert table.price_for("gpt-4o-mini-audio") is None  # a similar name is not a price


def test_dollars_are_shown_to_the_cent_or_two_significant_digits() -> None:
    assert [format_dollars(v) for v in (None, 0, 0.00114, 0.2875, 5.18864, 1234.5)] == [
        "no price", "$0.00", "$0.0011", "$0.29", "$5.19", "$1,234.50"]


def test_cached_tokens_are_read_from_both_dialects_usage_reports() -> None:
    responses = {"input_tokens": 100, "output_tokens": 5, "total_tokens": 105,
                 "input_tokens_details": {"cached_tokens": 64}}
    chat = {"prompt_tokens": 100, "completion_tokens": 5, "total_tokens": 105,
            "prompt_tokens_details": {"cached_tokens": 32}}
    usage = usage_from(responses, prompt="input_tokens", completion="output_tokens")
    assert usage is not None and usage.cached_input_tokens == 64
    usage = usage_from(chat, prompt="prompt_tokens", completion="completion_tokens")
    assert usage is not None and usage.cached_input_tokens == 32
    assert Usage(1, 2, 3).to_dict() == {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}
