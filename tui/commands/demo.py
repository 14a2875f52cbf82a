"""``threadtui --demo``'s world on the client side: a config and a record, in a temporary directory.

The sandbox (``tui.sandbox.demo``) serves and seeds the two demo organizations; this module is
the client that made those threads: it writes the profiles that reach them and records every
thread, exactly as threadtui records a thread it creates. Never the user's own config or record.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from tui.core.models import DEFAULT_MODEL
from tui.core.records import Dialect, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.secrets import mask_key
from tui.core.store import Store
from tui.sandbox import ACME_KEY, PERSONAL_KEY, Sandbox
from tui.sandbox.demo import DEMO_DELAY_S, Seeded, demo_server

DEMO_MODEL = DEFAULT_MODEL
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
    """Start the demo sandbox, write a config and a record of its threads, clean up.

    One thread is recorded under the wrong profile on purpose ("Trip packing list" was made in
    the personal organization but is filed under acme) so the 404 → switch prompt can be seen.
    """
    with (
        tempfile.TemporaryDirectory(prefix="threadtui-demo-") as tmp,
        demo_server(delay_s) as server,
    ):
        root = Path(tmp)
        sandbox = server.sandbox
        config_path = root / "config.toml"
        _write_demo_config(config_path, sandbox.base_url)
        data_dir = root / "data"
        _record_demo_threads(data_dir, server.seeded, sandbox.base_url)
        environ = {env: key for env, key in DEMO_KEY_ENV.values()}
        yield DemoEnvironment(root, config_path, data_dir, environ, sandbox)


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


def _record_demo_threads(data_dir: Path, seeded: tuple[Seeded, ...], base_url: str) -> None:
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
