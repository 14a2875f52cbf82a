"""What the recorded replies cost, summed by thread, profile, organization or model.

One rule for every place a cost is shown (``threadtui usage``, the chat header, the bar): a
reply costs ``PriceTable.cost(model, usage)``; replies whose model has no price are counted
apart (``unpriced_replies``, with the models named) and never folded into a sum as zero, so
a total never looks smaller than it is without saying so.

A reply is charged to the thread's model, profile and organization/project as recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from tui.core.pricing import PriceTable
from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import Store


class UsageBy(StrEnum):
    THREAD = "thread"
    PROFILE = "profile"
    ORGANIZATION = "organization"
    MODEL = "model"


@dataclass
class UsageLine:
    key: str
    label: str
    replies: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0  # of the priced replies only
    unpriced_replies: int = 0
    unpriced_models: set[str] = field(default_factory=set)

    def add(self, turn: Turn, model: str | None, prices: PriceTable) -> None:
        usage = turn.usage
        if usage is None:
            return
        self.replies += 1
        self.input_tokens += usage.input_tokens
        self.cached_input_tokens += usage.cached_input_tokens
        self.output_tokens += usage.output_tokens
        cost = prices.cost(model, usage)
        if cost is None:
            self.unpriced_replies += 1
            self.unpriced_models.add(model or "unknown model")
        else:
            self.cost += cost

    def absorb(self, other: UsageLine) -> None:
        """Add ``other``'s counts to this line (a total)."""
        self.replies += other.replies
        self.input_tokens += other.input_tokens
        self.cached_input_tokens += other.cached_input_tokens
        self.output_tokens += other.output_tokens
        self.cost += other.cost
        self.unpriced_replies += other.unpriced_replies
        self.unpriced_models |= other.unpriced_models

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "replies": self.replies,
            "input_tokens": self.input_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost, 6),
            "unpriced_replies": self.unpriced_replies,
            "unpriced_models": sorted(self.unpriced_models),
        }


def organization_label(record: ThreadRecord) -> str:
    """``org/project`` as recorded, the words the bar and ``whoami`` use."""
    parts = [record.organization or "no organization"]
    if record.project:
        parts.append(record.project)
    return "/".join(parts)


def group_of(record: ThreadRecord, by: UsageBy) -> tuple[str, str]:
    """(key, label) of the line a thread's replies are added to."""
    if by is UsageBy.THREAD:
        return record.id, record.display_title
    if by is UsageBy.PROFILE:
        return record.profile or "(no profile)", record.profile or "(no profile: imported)"
    if by is UsageBy.ORGANIZATION:
        label = organization_label(record)
        return label, label
    model = record.model or "unknown model"
    return model, model


def replies_since(turns: Iterable[Turn], since: float | None) -> Iterable[Turn]:
    for turn in turns:
        if turn.role is Role.ASSISTANT and turn.usage is not None and (
            since is None or turn.at >= since
        ):
            yield turn


def usage_report(
    store: Store, prices: PriceTable, by: UsageBy, since: float | None = None
) -> list[UsageLine]:
    """Lines sorted by cost (then tokens), largest first; threads with no counted reply
    since ``since`` make no line."""
    lines: dict[str, UsageLine] = {}
    for record in store.list_threads(statuses=set(ThreadStatus)):
        if since is not None and record.last_active < since:
            continue  # nothing in it can be newer than its last activity
        turns = list(replies_since(store.transcript(record.id), since))
        if not turns:
            continue
        key, label = group_of(record, by)
        line = lines.setdefault(key, UsageLine(key, label))
        for turn in turns:
            line.add(turn, record.model, prices)
    return sorted(
        lines.values(),
        key=lambda line: (-line.cost, -(line.input_tokens + line.output_tokens), line.key),
    )
