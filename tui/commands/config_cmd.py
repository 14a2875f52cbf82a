"""`threadtui config path|check|init`: where things live, and whether the config is usable."""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from tui.commands.context import CliContext
from tui.core.api.servers import server_url
from tui.core.keys import KeyResolutionError
from tui.core.resources import shipped
from tui.core.secrets import mask_key, scrub


def register(subparsers: Any) -> None:
    config = subparsers.add_parser(
        "config", help="show where config and data live, or check the config"
    )
    actions = config.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    # `path` and `init` help to find or replace a config: they must work when it is broken.
    actions.add_parser("path", help="print the config file and data directory").set_defaults(
        needs_config=False
    )
    check = actions.add_parser(
        "check",
        help="validate the config and show each profile with its masked key",
    )
    check.add_argument(
        "--no-keys", action="store_true", help="do not resolve keys (no key commands are run)"
    )
    actions.add_parser(
        "init", help="write the commented example config if there is none yet"
    ).set_defaults(needs_config=False)
    config.set_defaults(func=run_config)


def run_config(args: argparse.Namespace, ctx: CliContext) -> int:
    handlers = {"path": _path, "check": _check, "init": _init}
    return handlers[args.config_action](args, ctx)


def _path(args: argparse.Namespace, ctx: CliContext) -> int:
    state = "exists" if ctx.config_path.exists() else "not created yet; `threadtui config init`"
    print(f"config: {ctx.config_path} ({state})", file=ctx.out)
    print(f"data:   {ctx.data_dir}", file=ctx.out)
    print(f"themes: {ctx.config_path.parent / 'themes'} (your own theme files)", file=ctx.out)
    return 0


def _check(args: argparse.Namespace, ctx: CliContext) -> int:
    config = ctx.config
    source = str(config.path) if config.exists else f"{config.path} (absent: using OPENAI_* env)"
    print(
        f"{source}: OK, {len(config.profiles)} profile(s), default {config.default_profile!r}",
        file=ctx.out,
    )
    failures = 0
    for name, profile in config.profiles.items():
        marker = "*" if name == config.default_profile else " "
        if args.no_keys:
            key_text = f"from {profile.key_source}"
        else:
            try:
                key_text = f"{mask_key(ctx.keyring.key_for(profile))} from {profile.key_source}"
            except KeyResolutionError as exc:
                failures += 1
                key_text = f"UNAVAILABLE: {exc}"
        print(f"{marker} {name}", file=ctx.out)
        # The command text itself may embed a key (`echo sk-…`): scrub what we print.
        print(f"    key:          {scrub(key_text, ctx.keyring.known_keys())}", file=ctx.out)
        print(f"    organization: {profile.organization or '(key default)'}", file=ctx.out)
        print(f"    project:      {profile.project or '(key default)'}", file=ctx.out)
        print(f"    api:          {profile.api}  model: {profile.model}", file=ctx.out)
        print(f"    base_url:     {server_url(profile.base_url)}", file=ctx.out)
        if profile.owner:
            print(f"    owner:        {profile.owner}", file=ctx.out)
    if failures:
        print(f"{failures} profile(s) have no usable key", file=ctx.err)
    return 1 if failures else 0


def _init(args: argparse.Namespace, ctx: CliContext) -> int:
    target = ctx.config_path
    if target.exists():
        print(f"threadtui: {target} already exists; not overwritten", file=ctx.err)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shipped("config.example.toml"), target)
    target.chmod(0o600)
    print(f"wrote {target}; edit its profiles, then `threadtui config check`", file=ctx.out)
    return 0
