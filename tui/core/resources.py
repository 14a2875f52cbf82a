"""Files shipped with the app (themes, the example config), found the same way installed or not.

A wheel carries them inside the package (`tui/_data`, see pyproject's force-include); a source
checkout or an editable install has them at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def shipped(name: str) -> Path:
    """Path of a shipped file or folder, e.g. ``shipped("themes")``."""
    packaged = _PACKAGE_ROOT / "_data" / name
    if packaged.exists():
        return packaged
    return _PACKAGE_ROOT.parent / name
