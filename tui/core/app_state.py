"""App state the user did not write: ``state.json`` in the data directory.

What the app remembers between runs (the theme picked in the palette; room for the last
profile and the sidebar width) lives here, never in the user's ``config.toml``: rewriting a
config loses its comments and replaces a symlinked one with a plain file. The config's values
stay the user's defaults; a value here wins at the next start.

The file is written like the record (``tui.core.files.atomic_write``: a kill leaves the old
file or the new one, mode 0600), as a read-modify-write under ``state.lock`` so that two
sessions each remembering something keep both. A file that does not parse is treated as empty
(it holds nothing that cannot be picked again) and replaced at the next write.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui.core.files import CorruptFile, atomic_write, dumps, ensure_private_dir, parse_json
from tui.core.files import read_file as _read
from tui.core.locks import InterProcessLock

STATE_NAME = "state.json"
LOCK_NAME = "state.lock"
THEME = "theme"
LAST_PROFILE = "last_profile"
SIDEBAR_WIDTH = "sidebar_width"


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_NAME


def load_state(data_dir: Path) -> dict[str, Any]:
    """The remembered values ({} when there is no file, or it cannot be read)."""
    path = state_path(data_dir)
    try:
        loaded = _read(path)
    except OSError:
        return {}
    if loaded is None:
        return {}
    try:
        data = parse_json(path, loaded[0])
    except CorruptFile:
        return {}
    return data if isinstance(data, dict) else {}


def save_state(data_dir: Path, updates: Mapping[str, Any]) -> None:
    """Merge ``updates`` into the file (None removes a key). Raises ``OSError`` when the
    directory cannot be written; ``ValueError``/``TypeError`` for values JSON cannot hold."""
    dumps(dict(updates))  # refuse before anything is written
    ensure_private_dir(data_dir)
    lock = InterProcessLock(data_dir / LOCK_NAME)
    try:
        with lock.hold():
            state = load_state(data_dir)
            for key, value in updates.items():
                if value is None:
                    state.pop(key, None)
                else:
                    state[key] = value
            atomic_write(state_path(data_dir), dumps(state))
    finally:
        lock.close()
