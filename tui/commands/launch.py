"""Start the app: config, store, keyring, themes; with ``--demo``, a local sandbox instead.

The command line's side of starting the app (the app never imports the command line):
``tui.cli`` calls ``launch`` when no subcommand is given. textual is imported inside
``run_app`` only, so ``threadtui --version`` and the subcommands never pay for it.

A ``ConfigError`` propagates (``tui.cli`` prints it and exits 2); problems found opening the
record are shown as notifications once the app is up, never as a traceback.

SIGHUP and SIGTERM are caught for the whole run (``tui.app.shutdown``, which imports no
Textual): while the app runs they stop it like esc and exit 129 / 143 with the partial reply
recorded; before or after it, and on a second signal, they end the process at once, removing
``--demo``'s temporary directory. After a signal's stop the process ends as soon as the app,
the record and the demo are done (``Shutdown.end_process``).
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tui.app.shutdown import Shutdown
from tui.commands.context import CliContext
from tui.core.config import Config, load_config
from tui.core.gc_pause import end_start
from tui.core.keys import KeyRing
from tui.core.store import RecordWriteFailed, Store, StoreError

READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)
"""Refusals that mean the record is read-only to us, not that something broke."""


def launch(args: argparse.Namespace, ctx: CliContext) -> int:
    with Shutdown() as shutdown:
        if getattr(args, "demo", False):
            status = _launch_demo(args, shutdown)
        else:
            status = run_app(
                config=ctx.config,
                data_dir=ctx.data_dir,
                keyring=ctx.keyring,
                profile=getattr(args, "profile", None),
                cli_theme=getattr(args, "theme", None),
                remember_theme=True,
                shutdown=shutdown,
            )
    shutdown.end_process()  # a signal's stop ends here, with its status
    return status


def run_app(
    *,
    config: Config,
    data_dir: Path,
    keyring: KeyRing,
    profile: str | None,
    cli_theme: str | None,
    remember_theme: bool,
    notes: tuple[str, ...] = (),
    shutdown: Shutdown | None = None,
) -> int:
    from tui.app.app import ThreadApp  # textual loads here, not at `threadtui --version`

    config.profile(profile)  # an unknown --profile is a ConfigError before the screen opens
    try:
        store, read_only = open_record(data_dir)
    except (StoreError, OSError) as exc:  # e.g. written by a newer threadtui; unreadable dir
        print(f"threadtui: cannot open the local record in {data_dir}: {exc}", file=sys.stderr)
        return 2
    try:
        app = ThreadApp(
            config=config,
            store=store,
            keyring=keyring,
            data_dir=data_dir,
            profile=profile,
            cli_theme=cli_theme,
            remember_theme=remember_theme,
            notes=notes,
            shutdown=shutdown,
            read_only=read_only,
        )
        app.run()
        return app.return_code or 0
    finally:
        end_start()  # the app ended before its first paint: the collector runs again
        store.close()


def open_record(data_dir: Path) -> tuple[Store, str | None]:
    """The record for the app, and why it is read-only (None: it can be written).

    A record the disk will not let us write (a read-only mount, a snapshot, a backup, a
    directory of another user) is still worth opening: its threads can be read, searched and
    exported. Any other refusal (a full disk is not one: the store opens on it) propagates,
    here or, the record opened lazily (``Store.open``), from the app's first call that reads
    the whole index."""
    try:
        # Lazily: the first screen needs the index's first page, not all of it.
        return Store.open(data_dir, lazy=True), None
    except RecordWriteFailed as exc:
        if exc.errno not in READ_ONLY_ERRNOS:
            raise
        return Store.open_read_only(data_dir), exc.reason


def _launch_demo(args: argparse.Namespace, shutdown: Shutdown) -> int:
    """Run against ``demo_environment()``: its sandbox, config and record, never the user's."""
    from tui.commands.demo import demo_environment  # starts a server: only for --demo

    with demo_environment() as demo, _environment(demo.environ):
        # A hard exit (second signal, a stop that hangs) skips the context managers.
        shutdown.on_hard_exit(lambda: shutil.rmtree(demo.root, ignore_errors=True))
        config = load_config(demo.config_path)
        return run_app(
            config=config,
            data_dir=demo.data_dir,
            keyring=KeyRing(timeout=config.key_command_timeout),
            profile=getattr(args, "profile", None),
            cli_theme=getattr(args, "theme", None),
            remember_theme=False,
            notes=(
                "Demo: a local stand-in server with two organizations; nothing leaves this"
                " machine. ctrl+o switches profile, f1 lists every key.",
            ),
            shutdown=shutdown,
        )


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set the demo keys' variables for the run only, restoring the user's afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
