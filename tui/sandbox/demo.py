"""Demo content: a few conversations and threads across both organizations, on the server.

The API cannot list them, so whoever seeds them (``threadtui --demo``, ``python -m tui.sandbox
--seed-demo``) gets back everything a client needs to record them: id, dialect, key, tenant.
Recording them is the client's business (``tui.commands.demo`` writes the demo's record): the
sandbox is the server and never touches the client's files.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .model import ModelSettings
from .sandbox import Sandbox
from .tenancy import ACME_KEY, PERSONAL_KEY, USER_KEY, demo_tenancy


@dataclass(frozen=True)
class Seeded:
    """One seeded conversation or thread and the tenant that owns it."""

    api: str  # "conversations" or "assistants"
    id: str
    key: str
    organization: str  # slug, as the openai-organization header says it
    project: str
    title: str
    turns: tuple[tuple[str, str], ...]


_DEMO: tuple[tuple[str, str, str | None, str, tuple[tuple[str, str], ...]], ...] = (
    ("conversations", ACME_KEY, None, "Quarterly report outline", (
        ("user", "Outline the Q3 report for the board."),
        ("assistant", "## Q3 report\n\n- Revenue\n- Hiring\n- Risks"),
    )),
    ("conversations", PERSONAL_KEY, None, "Sourdough schedule", (
        ("user", "When should I feed the starter for a Saturday bake?"),
        ("assistant", "Feed it **Friday evening**, about 12 hours before mixing."),
    )),
    ("conversations", USER_KEY, "personal", "Trip packing list", (
        ("user", "Packing list for three days of hiking?"),
        ("assistant", "- boots\n- rain jacket\n- water filter"),
    )),
    ("assistants", ACME_KEY, None, "Legacy support thread", (
        ("user", "Can you summarise ticket 4521?"),
        ("assistant", "The customer reports a login loop after the last update."),
    )),
)


def seed_demo(sandbox: Sandbox) -> list[Seeded]:
    """Create the demo history (and one assistant per tenant with a thread) in ``sandbox``."""
    seeded: list[Seeded] = []
    for api, key, org, title, turns in _DEMO:
        scope = sandbox.tenancy.resolve(key, org)
        if api == "conversations":
            ident = sandbox.seed_conversation(key, title=title, turns=turns, org=org)
        else:
            sandbox.seed_assistant(key, name="Demo assistant", org=org)
            ident = sandbox.seed_thread(key, title=title, turns=turns, org=org)
        seeded.append(Seeded(api, ident, key, scope.organization.slug, scope.project.id, title,
                             turns))
    return seeded


# ------------------------------------------------------------------ threadtui --demo

DEMO_DELAY_S = 0.012


@dataclass(frozen=True)
class DemoServer:
    """A started sandbox with the two demo organizations and what was seeded in it."""

    sandbox: Sandbox
    seeded: tuple[Seeded, ...]


@contextmanager
def demo_server(delay_s: float = DEMO_DELAY_S) -> Iterator[DemoServer]:
    """Start a sandbox with two organizations and the demo history; stop it afterwards."""
    sandbox = Sandbox(demo_tenancy(), ModelSettings(delay_s=delay_s)).start()
    try:
        yield DemoServer(sandbox, tuple(seed_demo(sandbox)))
    finally:
        sandbox.stop()
