"""The `threadtui` front door: run the app (the default) or one of the subcommands.

Subcommands use `tui.core` only, and textual is imported only when the app runs, so that
`threadtui list` answers as fast as a shell command should.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from tui import __version__
from tui.commands.context import CliContext
from tui.core.config import ConfigError
from tui.core.damage import RecordBusy, RecordWriteFailed
from tui.core.gc_pause import end_start
from tui.core.keys import KeyResolutionError
from tui.core.safe_text import printable

# Each module has `register(subparsers)`; its parsers set `func(args, ctx) -> int`.
COMMAND_MODULES = (
    "tui.commands.config_cmd",
    "tui.commands.list_cmd",
    "tui.commands.export_cmd",
    "tui.commands.import_cmd",
    "tui.commands.api_cmd",
    "tui.commands.trash_cmd",
    "tui.commands.usage_cmd",
    "tui.commands.continue_cmd",
)


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options accepted before or after the subcommand (`threadtui list --profile work`).

    On subcommands the defaults are suppressed so they never overwrite a value given earlier.
    """
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--profile",
        metavar="NAME",
        default=default,
        help="profile to use (default: default_profile in the config)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="config file ($THREADTUI_CONFIG wins over this)",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="where the local record lives ($THREADTUI_DATA_DIR wins over this)",
    )


class _SubcommandParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_global_options(self, top=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threadtui",
        description="A terminal chat client for the OpenAI API that remembers every thread.",
        epilog="Run with no command to open the app. `threadtui --demo` needs no key.",
    )
    _add_global_options(parser, top=True)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against a built-in local server with two demo organizations",
    )
    parser.add_argument("--theme", metavar="NAME", default=None, help="theme for this run")
    parser.add_argument("--version", action="version", version=f"threadtui {__version__}")
    parser.set_defaults(func=None)
    subparsers = parser.add_subparsers(
        title="commands", metavar="COMMAND", parser_class=_SubcommandParser
    )
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ctx = CliContext(args)
    if args.demo and args.func is not None:
        # The demo's sandbox and record exist only while the app runs: a subcommand would
        # act on the real config, record and account (`--demo delete ID --yes` deleted).
        print(
            "threadtui: --demo only runs the app; subcommands always use your real config,"
            " record and account. Run `threadtui --demo` alone, or the command without --demo.",
            file=sys.stderr,
        )
        return 2
    try:
        if getattr(args, "needs_config", True) and not args.demo:
            # Every command checks the whole config first, even one that reads only the
            # record: a mistake is told once, at once, with its file, line and key, rather
            # than as a crash deep in a later command (or the app) that might show a key.
            ctx.config  # noqa: B018  (loading is the check)
        if args.func is None:
            from tui.commands.launch import launch  # textual loads only in there

            return launch(args, ctx)
        end_start()  # a command may build a lot, cycles included: the collector runs again
        status: int = args.func(args, ctx)
        return status
    except ConfigError as exc:
        print(f"threadtui: the config cannot be used:\n{exc}", file=sys.stderr)
        return 2
    except KeyResolutionError as exc:
        print(f"threadtui: {exc}", file=sys.stderr)
        return 2
    except (RecordWriteFailed, RecordBusy) as exc:
        # A full or read-only disk, or a record another threadtui holds (ctrl+z): one line,
        # exit 1, never a traceback. Nothing was changed by the refused write.
        print(f"threadtui: {printable(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
