"""The top bar: which profile, organization, project, key, dialect and model are in use.

The organization and project shown are what the server reported in its response headers once
a request has answered (that is the truth about which account is billed); until then the
configured values are shown, marked "(unconfirmed)", or "org: not yet known" when nothing is
configured. Every value is shown as plain text. A model the server shuts down within 60 days
(``tui.core.models``) is named with a short warning right after the profile.

At the right end: what the profile spent today and this month, and its organization (every
profile billing it), from ``tui.core.bar_costs`` (the rule of ``threadtui usage``). The costs
always stay in view: when the line is wider than the terminal they are shortened first
("org Nov $40.10"), then the rest of the line is cut with an ellipsis.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from tui.core.bar_costs import BarCosts, Spend
from tui.core.pricing import format_dollars
from tui.core.records import Identity, Profile
from tui.core.safe_text import one_line
from tui.core.usage_report import UsageLine

KEEP_LEFT = 32
"""Columns of the bar's start (profile, organization) the costs never shorten it below."""


class SwitcherBar(Static):
    """One line, data-bound to the main screen's profile, key, identity and busy state."""

    profile: reactive[Profile | None] = reactive(None)
    key_hint: reactive[str | None] = reactive(None)
    key_problem: reactive[str | None] = reactive(None)
    identity: reactive[Identity | None] = reactive(None)
    busy: reactive[str | None] = reactive(None)
    model_warning: reactive[str | None] = reactive(None)
    record_note: reactive[str | None] = reactive(None)
    """What is wrong with the record for the whole session ("read-only record: …")."""
    costs: reactive[BarCosts | None] = reactive(None)
    """Spent today and this month (None until first summed, or nothing spent this month)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def render(self) -> Content:
        if self.profile is None:
            return Content("")
        bar = render_bar(
            self.profile, self.key_hint, self.identity, self.key_problem, self.busy,
            self.model_warning, self.record_note,
        )
        return with_costs(bar, self.costs, self.size.width)


def amount(line: UsageLine) -> str:
    """A line's cost as ``threadtui usage`` says it: ``no price`` when none of its replies
    could be priced, ``$1.23 + ?`` when some could not (never costed as zero)."""
    if line.replies and line.replies == line.unpriced_replies:
        return "no price"
    words = format_dollars(line.cost)
    return f"{words} + ?" if line.unpriced_replies else words


def spend_words(spend: Spend, month: str, *, short: bool = False) -> str:
    """``today $0.42 · Nov $12.30``; ``short``: the month only (``Nov $12.30``)."""
    month_words = f"{month} {amount(spend.month)}"
    return month_words if short else f"today {amount(spend.today)} · {month_words}"


def cost_parts(costs: BarCosts, level: int) -> list[str | tuple[str, str]]:
    """The costs at the end of the bar; ``level`` 0 says everything, 1 and 2 are shorter."""
    parts: list[str | tuple[str, str]] = [(spend_words(costs.profile, costs.month_name,
                                                       short=level >= 2), "bold")]
    org = costs.organization
    if org is not None and org.month.replies:
        parts += [(" · org ", "$text-muted"),
                  (spend_words(org, costs.month_name, short=level >= 1), "")]
    return parts


def with_costs(bar: Content, costs: BarCosts | None, width: int) -> Content:
    """``bar`` with the costs at its end, fitted to ``width`` columns (0: not laid out yet).
    The most detailed costs that leave the bar ``KEEP_LEFT`` columns (the profile and the
    start of its organization) are used; what then does not fit of the bar is cut with an
    ellipsis, and the costs stay whole."""
    if costs is None:
        return bar
    sep = (" │ ", "$text-muted")
    keep = min(bar.cell_length, KEEP_LEFT)
    for level in (0, 1, 2):
        tail = Content.assemble(sep, *cost_parts(costs, level), " ")
        if width <= 0 or width - tail.cell_length >= keep:
            break
    room = width - tail.cell_length
    if width > 0 and bar.cell_length > room:
        bar = bar.truncate(max(room, 1), ellipsis=True)
    return Content.assemble(bar, tail)


def render_bar(
    profile: Profile,
    key_hint: str | None,
    identity: Identity | None,
    key_problem: str | None,
    busy: str | None,
    model_warning: str | None = None,
    record_note: str | None = None,
) -> Content:
    """``model_warning``: a few words when the server shuts the model down soon
    ("shuts down 2027-01-14"), shown with the model's name right after the profile's."""
    where: list[str | tuple[str, str]]
    if identity is not None and (identity.organization or identity.project):
        organization = identity.organization or profile.organization or "-"
        project = identity.project or profile.project or "-"
        where = [(one_line(organization, 28), "bold"), ("/", "$text-muted"),
                 (one_line(project, 28), "")]
    elif profile.organization or profile.project:
        # Configured, but the server has not said yet which account this key bills.
        where = [(one_line(profile.organization or "org: not yet known", 28), ""),
                 ("/", "$text-muted"), (one_line(profile.project or "-", 28), ""),
                 (" (unconfirmed)", "$text-muted")]
    else:
        where = [("org: not yet known", "$text-muted")]
    if key_problem:
        key = ("no key", "$text-error bold")
    elif key_hint:
        key = (key_hint, "")
    else:
        key = ("sk-…", "$text-muted")
    sep = (" │ ", "$text-muted")
    parts: list[str | tuple[str, str]] = [
        (f" {one_line(profile.name, 24)} ", "bold reverse"),
        " ",
    ]
    if record_note:  # first after the profile: at 80 columns the end of the bar is cut
        parts.extend([(one_line(record_note, 60), "$text-warning bold"), sep])
    parts += [
        *where,
        sep,
        key,
        sep,
        (str(profile.api), ""),
        sep,
        (one_line(profile.model, 32), ""),
    ]
    if model_warning:
        # First after the profile: the end of the bar is cut off on a narrow terminal.
        warning = f"{one_line(profile.model, 32)} {one_line(model_warning, 30)}"
        parts[2:2] = [(warning, "$text-warning bold"), sep]
    if busy:
        parts.extend([sep, (one_line(busy, 30), "$text-warning")])
    return Content.assemble(*parts)

