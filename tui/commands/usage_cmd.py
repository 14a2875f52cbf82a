"""`threadtui usage`: what the recorded replies cost, by thread, profile, organization or model.

Local only: the tokens of every reply are in the record, the prices in ``tui.core.prices.toml``
and the config's ``[prices."MODEL"]``. Replies of a model with no price are counted and named,
never costed as zero.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from typing import Any

from tui.commands.context import CliContext
from tui.commands.local_record import error, open_record
from tui.core.bar_costs import day_start, month_start
from tui.core.pricing import builtin_prices, format_dollars
from tui.core.safe_text import display_width, fit, printable
from tui.core.usage_report import UsageBy, UsageLine, usage_report

USAGE_HELP = """\
Sums the tokens of every recorded reply and what they cost at the price table's rates (US
dollars per million tokens: the built-in table says the date it was taken; `[prices."MODEL"]`
in the config overrides it). A model with no price is named; its replies are counted but not
costed. --since takes a date (2026-11-01), `today` or `month` (from the 1st, local time)."""

_HEADERS = ("", "replies", "tokens in", "cached", "tokens out", "cost")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "usage", help="what the recorded replies cost", description=USAGE_HELP
    )
    parser.add_argument(
        "--by", choices=[str(by) for by in UsageBy], default=str(UsageBy.PROFILE),
        help="one line per thread, profile, organization/project or model (default: profile)",
    )
    parser.add_argument("--since", metavar="DATE", help="only replies from this day on")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_usage)


def since_timestamp(text: str, now: float | None = None) -> float | None:
    """The start of a day (local time) from ``YYYY-MM-DD``, ``today`` or ``month``."""
    moment = time.time() if now is None else now
    if text == "today":
        return day_start(moment)  # the bar's "today" and "month" are the same
    if text == "month":
        return month_start(moment)
    try:
        return datetime.strptime(text, "%Y-%m-%d").timestamp()
    except ValueError:
        return None


def run_usage(args: argparse.Namespace, ctx: CliContext) -> int:
    since = None
    if args.since is not None:
        since = since_timestamp(args.since)
        if since is None:
            error(ctx, f"--since {printable(args.since)}: give a date as YYYY-MM-DD, "
                       "`today` or `month`")
            return 2
    prices = builtin_prices().with_overrides(ctx.config.prices)
    with open_record(ctx, read_only_ok=True) as store:
        if store is None:
            return 1
        lines = usage_report(store, prices, UsageBy(args.by), since)
    if args.json:
        print(json.dumps({"by": args.by, "prices_taken": prices.taken,
                          "lines": [line.to_json() for line in lines]}, indent=2), file=ctx.out)
        return 0
    if not lines:
        print("no replies with token counts recorded" + (" since then" if since else ""),
              file=ctx.out)
        return 0
    _print_lines(lines, ctx, args.by)
    return 0


def _print_lines(lines: list[UsageLine], ctx: CliContext, by: str) -> None:
    total = UsageLine("total", "total")
    for line in lines:
        total.absorb(line)
    rows = [(by, *_HEADERS[1:])] + [_cells(line) for line in [*lines, total]]
    widths = [min(48, max(display_width(row[i]) for row in rows)) for i in range(len(rows[0]))]
    for row in rows:
        first = fit(row[0], widths[0])
        cells = [first + " " * (widths[0] - display_width(first))]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip(), file=ctx.out)
    if total.unpriced_models:
        models = ", ".join(printable(m) for m in sorted(total.unpriced_models))
        print(f"no price for {models}: {total.unpriced_replies} "
              f"{'reply' if total.unpriced_replies == 1 else 'replies'} not costed; add "
              '[prices."MODEL"] to the config', file=ctx.out)


def _cells(line: UsageLine) -> tuple[str, ...]:
    cost = format_dollars(line.cost) if line.replies > line.unpriced_replies else "no price"
    if line.unpriced_replies and line.replies > line.unpriced_replies:
        cost += " + ?"  # part of it could not be priced
    return (
        printable(line.label),
        f"{line.replies:,}",
        f"{line.input_tokens:,}",
        f"{line.cached_input_tokens:,}",
        f"{line.output_tokens:,}",
        cost,
    )
