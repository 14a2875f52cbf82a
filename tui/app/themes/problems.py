"""What is wrong with a theme file, worded for the user, with the file named as they know it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ThemeProblem:
    """One theme file that could not be used (or only partly), and why.

    There is at most one per file, however many things are wrong in it, so the app shows one
    notification per file and the user sees every reason at once.
    """

    file: Path
    reason: str
    skipped: bool = True
    """True: the file's theme was not registered. False: it was, and something was ignored."""

    @property
    def message(self) -> str:
        """The text the app shows, naming the file so the user can find and fix it."""
        where = display_path(self.file)
        if self.skipped:
            return f"Theme file {where} was not loaded: {self.reason}"
        return f"Theme file {where}: {self.reason}"

    def __str__(self) -> str:
        return self.message


def display_path(path: Path) -> str:
    """The path with the home directory as `~`: shorter in a notification, same meaning."""
    home = os.path.expanduser("~")
    text = str(path)
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text
