"""threadtui in a real terminal with a bug planted on purpose (run as a script by a test).

    python crash_child.py DIR worker    # the reply worker raises, the key in a local
    python crash_child.py DIR handler   # f5 opens a screen whose compose raises

The key lives in ``os.environ`` only, as a user's would; the sandbox is the local stand-in
for the API. What the terminal shows is read by tests/reliability/test_rel_boundary.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.app.app import ThreadApp
from tui.app.connections import default_factory
from tui.core.config import load_config
from tui.core.keys import KeyRing
from tui.core.store import Store
from tui.sandbox import ACME_KEY, Sandbox


class Planted(Exception):
    """A bug nobody foresaw."""


class BrokenScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        secret_header = f"Bearer {os.environ['CRASH_KEY']}"
        raise Planted(f"compose failed ({len(secret_header)})")
        yield  # pragma: no cover


class CrashApp(ThreadApp):
    BINDINGS: ClassVar[list[BindingType]] = [
        *ThreadApp.BINDINGS, Binding("f5", "broken", "Broken", id="test.broken"),
    ]

    def action_broken(self) -> None:
        self.push_screen(BrokenScreen())


def faulty_factory() -> Any:
    real = default_factory()

    def make(profile: Any, keyring: Any, store: Any, *, dialect: Any = None) -> Any:
        backend = real(profile, keyring, store, dialect=dialect)
        key = keyring.key_for(profile)

        def stream_reply(record: Any, text: str) -> Any:
            async def explode() -> Any:
                secret_header = f"Bearer {key}"
                raise Planted(f"stream failed ({len(secret_header)})")
                yield  # pragma: no cover

            return explode()

        backend.stream_reply = stream_reply
        return backend

    return make


def main(directory: str, mode: str) -> int:
    root = Path(directory)
    with Sandbox() as sandbox:
        config_path = root / "config.toml"
        config_path.write_text(
            f'[profiles.work]\napi_key_env = "CRASH_KEY"\nbase_url = "{sandbox.base_url}"\n'
        )
        os.environ["CRASH_KEY"] = ACME_KEY
        config = load_config(config_path, os.environ)
        store = Store.open(root / "data")
        factory = (lambda: faulty_factory()) if mode == "worker" else default_factory
        app = CrashApp(config=config, store=store, keyring=KeyRing(), data_dir=root / "data",
                       remember_theme=False, backend_factory=factory)
        app.run()
        store.close()
        return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
