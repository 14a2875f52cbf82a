"""Where config and data live, with the precedence the README promises.

The environment wins over the command line on purpose: a wrapper or an SSH `SetEnv` can pin a
user to one config without every alias having to pass `--config`.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "threadtui"
CONFIG_ENV = "THREADTUI_CONFIG"
DATA_DIR_ENV = "THREADTUI_DATA_DIR"


def config_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """`$THREADTUI_CONFIG`, else `--config PATH`, else the platform's user config dir."""
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    if cli_value:
        return Path(cli_value).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def config_dir(config_file: Path) -> Path:
    """User themes and other per-user files sit next to the config file."""
    return config_file.parent


def data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """`$THREADTUI_DATA_DIR`, else `--data-dir DIR`, else the platform's user data dir."""
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    if cli_value:
        return Path(cli_value).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
