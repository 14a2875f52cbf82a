"""`threadtui config path|check|init`: where things live, and whether the config is usable."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from tui.commands.context import CliContext
from tui.core.api.servers import server_url
from tui.core.config import Config, ConfigProblem
from tui.core.files import atomic_write
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


def app_problems(config: Config) -> list[ConfigProblem]:
    """Keymap ids, the theme and theme files, checked against the app: this loads Textual
    (half a second), so only `config check` and `doctor` do it."""
    from tui.app.config_checks import app_config_problems

    return app_config_problems(config)


def _check(args: argparse.Namespace, ctx: CliContext) -> int:
    config = ctx.config
    mistakes = app_problems(config)
    source = str(config.path) if config.exists else f"{config.path} (absent: using OPENAI_* env)"
    verdict = f"{len(mistakes)} setting(s) the app would ignore (below)" if mistakes else "OK"
    print(
        f"{source}: {verdict}, {len(config.profiles)} profile(s), default"
        f" {config.default_profile!r}",
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
    if mistakes:
        print("threadtui: the app would ignore these settings:", file=ctx.err)
        for mistake in mistakes:
            print(str(mistake), file=ctx.err)
        return 2
    return 1 if failures else 0


def _init(args: argparse.Namespace, ctx: CliContext) -> int:
    target = ctx.config_path
    if target.exists():
        print(f"threadtui: {target} already exists; not overwritten", file=ctx.err)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    example = shipped("config.example.toml").read_text(encoding="utf-8")
    kept = bool(ctx.environ.get("OPENAI_API_KEY", "").strip())
    text = keep_environment_profile(example, ctx.environ) if kept else example
    atomic_write(target, text.encode("utf-8"))  # 0600: a config may come to hold a key
    print(f"wrote {target}; edit its profiles, then `threadtui config check`", file=ctx.out)
    if kept:
        print("kept your OPENAI_API_KEY setup as profile `default` (the default); the"
              " example profiles are commented out", file=ctx.out)
    return 0


def keep_environment_profile(example: str, environ: Mapping[str, str]) -> str:
    """The example with a working ``default`` profile from the ``OPENAI_*`` variables (what
    threadtui used before there was a config), and the example profiles commented out, so
    that writing the example never replaces a working setup with placeholders."""
    profile = ['[profiles.default]', '# Your setup before this file existed: the OPENAI_*'
               ' environment variables.', 'api_key_env = "OPENAI_API_KEY"']
    for name, key in (("OPENAI_ORG_ID", "organization"), ("OPENAI_PROJECT_ID", "project"),
                      ("OPENAI_BASE_URL", "base_url")):
        value = environ.get(name, "").strip()
        if value:
            profile.append(f"{key} = {json.dumps(value)}")
    lines = example.splitlines()
    out: list[str] = []
    in_examples = False
    for line in lines:
        if line.startswith("default_profile ="):
            line = 'default_profile = "default"'
        if line.startswith("[profiles.") and not in_examples:
            in_examples = True
            out += [*profile, "", "# Examples: uncomment and edit to add profiles."]
        elif line.startswith("[") and not line.startswith("[profiles."):
            in_examples = False
        if in_examples and line and not line.startswith("#"):
            line = "# " + line
        out.append(line)
    return "\n".join(out) + "\n"
