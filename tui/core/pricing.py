"""What a reply costs: a price table shipped with threadtui, overridable in the config.

Users cannot tell which organization a key bills or what their threads cost; the tokens of
every reply are in the record already, so the cost is arithmetic on a table of prices. The
table (``prices.toml`` beside this module) says the date it was taken; the config's
``[prices."MODEL"]`` tables override or add models. A model found in neither has **no
price**: the cost is unknown and is said to be, never guessed from a similar name, with one
exception that is not a guess: a dated snapshot (``gpt-4o-2024-08-06``) takes the price of
the model it is a snapshot of when it has none of its own.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from tui.core.records import Usage

PER_TOKENS = 1_000_000
_SNAPSHOT = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}$")
PRICE_KEYS = ("input", "cached_input", "output")


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per million tokens. ``cached_input`` None: cached input costs as input."""

    input: float
    output: float
    cached_input: float | None = None
    source: str = "built-in"  # "built-in (2025-08-07)" or "config"

    def cost(self, usage: Usage) -> float:
        cached = min(usage.cached_input_tokens, usage.input_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        return (
            (usage.input_tokens - cached) * self.input
            + cached * cached_rate
            + usage.output_tokens * self.output
        ) / PER_TOKENS


@dataclass(frozen=True)
class PriceTable:
    prices: Mapping[str, Price] = field(default_factory=dict)
    taken: str | None = None  # when the built-in prices were read off OpenAI's page

    def price_for(self, model: str | None) -> Price | None:
        if not model:
            return None
        price = self.prices.get(model)
        if price is None and (snapshot := _SNAPSHOT.match(model)):
            price = self.prices.get(snapshot.group("base"))
        return price

    def cost(self, model: str | None, usage: Usage | None) -> float | None:
        """Dollars for one reply; None when the model has no price (or nothing was counted)."""
        price = self.price_for(model)
        if price is None or usage is None:
            return None
        return price.cost(usage)

    def with_overrides(self, overrides: Mapping[str, Price]) -> PriceTable:
        return PriceTable({**self.prices, **overrides}, self.taken)


def price_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a price per million tokens (None when it can)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number of dollars per million tokens"
    if not math.isfinite(value) or value < 0:
        return "must be a finite number, 0 or more"
    return None


def builtin_prices() -> PriceTable:
    """The table shipped with threadtui (``prices.toml``); checked by a test, so a mistake in
    it fails CI rather than a user's start-up."""
    text = resources.files("tui.core").joinpath("prices.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    taken = str(data["taken"])
    prices = {
        name: Price(
            input=float(body["input"]),
            output=float(body["output"]),
            cached_input=float(body["cached_input"]) if "cached_input" in body else None,
            source=f"built-in ({taken})",
        )
        for name, body in data["models"].items()
    }
    return PriceTable(prices, taken)


def format_dollars(amount: float | None) -> str:
    """``$1.23``, ``$0.0042`` (small sums keep two significant digits), ``no price``."""
    if amount is None:
        return "no price"
    if amount == 0:
        return "$0.00"
    if amount >= 0.01:
        return f"${amount:,.2f}"
    digits = max(2, 1 - math.floor(math.log10(amount)))
    return f"${amount:.{digits}f}"
