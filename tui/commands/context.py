"""What every subcommand needs, loaded only when asked for, so `--version` stays instant."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TextIO

from tui.core import paths
from tui.core.config import Config, load_config
from tui.core.keys import KeyRing
from tui.core.records import Profile


class CliContext:
    def __init__(
        self,
        args: argparse.Namespace,
        out: TextIO | None = None,
        err: TextIO | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.args = args
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.environ = os.environ if environ is None else environ

    @cached_property
    def config_path(self) -> Path:
        return paths.config_path(getattr(self.args, "config", None))

    @cached_property
    def data_dir(self) -> Path:
        return paths.data_dir(getattr(self.args, "data_dir", None))

    @cached_property
    def config(self) -> Config:
        """The validated config; raises ConfigError, which `main` turns into exit status 2."""
        config = load_config(self.config_path, self.environ)
        for warning in config.warnings:
            print(f"threadtui: warning: {warning}", file=self.err)
        return config

    @cached_property
    def profile_name(self) -> str:
        return self.profile.name

    @cached_property
    def profile(self) -> Profile:
        return self.config.profile(getattr(self.args, "profile", None))

    @cached_property
    def keyring(self) -> KeyRing:
        return KeyRing(timeout=self.config.key_command_timeout, environ=self.environ)
