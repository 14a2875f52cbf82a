"""Demo content: a few conversations and threads across both organizations.

The API cannot list them, so whoever seeds them (``threadtui --demo``, ``python -m tui.sandbox
--seed-demo``) gets back everything a client needs to record them: id, dialect, key, tenant.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.secrets import mask_key
from tui.core.store import Store

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

DEMO_MODEL = "gpt-4.1-mini"
DEMO_DELAY_S = 0.012
DEMO_KEY_ENV = {
    "acme": ("THREADTUI_DEMO_ACME_KEY", ACME_KEY),
    "personal": ("THREADTUI_DEMO_PERSONAL_KEY", PERSONAL_KEY),
}
# A conversation id nobody can see: what an id kept "in a txt file" looks like after it expired
# or was made under a key the user no longer has. Opening it shows the "gone" flow.
FORGOTTEN_ID = "conv_demo0forgotten0000000000000000"
_DAY = 86_400.0


@dataclass(frozen=True)
class DemoEnvironment:
    """A throw-away world for ``threadtui --demo``: never the user's own config or record."""

    root: Path
    config_path: Path
    data_dir: Path
    environ: dict[str, str]
    sandbox: Sandbox


@contextmanager
def demo_environment(delay_s: float = DEMO_DELAY_S) -> Iterator[DemoEnvironment]:
    """Start a sandbox with two organizations, write a config and a seeded record, clean up.

    One thread is recorded under the wrong profile on purpose ("Trip packing list" was made in
    the personal organization but is filed under acme) so the 404 → switch prompt can be seen.
    """
    with tempfile.TemporaryDirectory(prefix="threadtui-demo-") as tmp:
        root = Path(tmp)
        sandbox = Sandbox(demo_tenancy(), ModelSettings(delay_s=delay_s)).start()
        try:
            seeded = seed_demo(sandbox)
            config_path = root / "config.toml"
            _write_demo_config(config_path, sandbox.base_url)
            data_dir = root / "data"
            _record_demo_threads(data_dir, seeded, sandbox.base_url)
            environ = {env: key for env, key in DEMO_KEY_ENV.values()}
            yield DemoEnvironment(root, config_path, data_dir, environ, sandbox)
        finally:
            sandbox.stop()


def _write_demo_config(path: Path, base_url: str) -> None:
    profiles = {
        name: {"api_key_env": env, "base_url": base_url, "model": DEMO_MODEL, "owner": name}
        for name, (env, _key) in DEMO_KEY_ENV.items()
    }
    profiles["acme-legacy"] = {
        "api_key_env": DEMO_KEY_ENV["acme"][0],
        "base_url": base_url,
        "api": "assistants",
        "model": DEMO_MODEL,
        "owner": "acme",
    }
    with path.open("wb") as handle:
        tomli_w.dump({"default_profile": "acme", "profiles": profiles}, handle)
    path.chmod(0o600)


def _profile_for(item: Seeded) -> str:
    if item.api == "assistants":
        return "acme-legacy"
    if item.title == "Trip packing list":
        return "acme"  # filed under the wrong profile on purpose: the 404 flow
    return "acme" if item.key == ACME_KEY else "personal"


def _record_demo_threads(data_dir: Path, seeded: list[Seeded], base_url: str) -> None:
    now = time.time()
    with Store.open(data_dir) as store:
        for age_days, item in zip((0.1, 1.2, 3.0, 53.0), seeded, strict=True):
            profile = _profile_for(item)
            tenant = "personal" if profile == "personal" else "acme"
            key = DEMO_KEY_ENV[tenant][1]
            started = now - age_days * _DAY
            record = ThreadRecord(
                id=item.id,
                api=Dialect(item.api),
                profile=profile,
                # What the user believed when filing it, so the misfiled one looks like acme's.
                organization="acme-corp" if tenant == "acme" else item.organization,
                project=item.project,
                key_hint=mask_key(key),
                base_url=base_url,
                model=DEMO_MODEL,
                title=item.title,
                owner=tenant,
                created_at=started,
                last_active=started,
            )
            store.upsert(record)
            for offset, (role, text) in enumerate(item.turns):
                store.append_turn(item.id, Turn(role=Role(role), text=text, at=started + offset))
        store.upsert(
            ThreadRecord(
                id=FORGOTTEN_ID,
                profile="acme",
                base_url=base_url,
                title="(imported id) an old conversation",
                created_at=now - 40 * _DAY,
                last_active=now - 40 * _DAY,
                status=ThreadStatus.UNKNOWN,
            )
        )
