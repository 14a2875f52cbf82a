"""The log of unexpected errors: a traceback a maintainer can use, with nothing of the user's.

Textual's own crash screen prints each frame's local variables, and locals hold keys (a
``Profile`` with a literal key, the headers of a request, a key command's output). Here a
traceback is written without locals, scrubbed of every key the session resolved and of
anything shaped like one, and of credentials in URLs, into ``errors.log`` in the data
directory (0600). Each incident has a short id that the message on screen names, so a user
can point at the entry without pasting anything else.
"""

from __future__ import annotations

import os
import secrets
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tui.core.safe_text import one_line
from tui.core.secrets import scrub

LOG_NAME = "errors.log"
MAX_LOG_BYTES = 1_000_000
"""Past this the log is moved to ``errors.log.1`` (one old generation is kept)."""


@dataclass(frozen=True, slots=True)
class Incident:
    """What the screen says about one unexpected error."""

    id: str
    summary: str  # the exception's type and scrubbed message, one line
    log_path: Path | None  # None when the log could not be written
    log_problem: str | None = None

    def sentence(self) -> str:
        where = (
            f"details in {self.log_path}" if self.log_path is not None
            else f"the log could not be written ({self.log_problem})"
        )
        return f"Internal error {self.id}: {self.summary}; {where}"


class IncidentLog:
    """Writes incidents to ``directory/errors.log``; ``secrets`` gives the keys to scrub."""

    def __init__(self, directory: Path, secrets_source: Callable[[], Iterable[str]]) -> None:
        self.path = directory / LOG_NAME
        self._secrets = secrets_source

    def clean(self, text: str) -> str:
        """``text`` without keys (known or key-shaped)."""
        try:
            known = list(self._secrets())
        except Exception:  # the boundary must not fail on its own helper
            known = []
        return scrub(text, known)

    def record(self, error: BaseException, where: str) -> Incident:
        """Log ``error`` (raised in ``where``) and return what to tell the user. Never raises."""
        incident_id = secrets.token_hex(3)
        summary = one_line(self.clean(f"{type(error).__name__}: {error}"), 160)
        try:
            entry = self._entry(incident_id, error, where)
            self._append(entry)
        except Exception as exc:  # a full or read-only disk: say so, do not fail
            return Incident(incident_id, summary, None, one_line(str(exc), 120))
        return Incident(incident_id, summary, self.path)

    def _entry(self, incident_id: str, error: BaseException, where: str) -> str:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S %z")
        body = self.clean("".join(lines))
        return f"=== {stamp} incident {incident_id} in {where}\n{body}\n"

    def _append(self, entry: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            if self.path.stat().st_size > MAX_LOG_BYTES:
                os.replace(self.path, self.path.with_name(LOG_NAME + ".1"))
        except FileNotFoundError:
            pass
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a log made by hand, or by an older version, becomes private
            os.write(fd, entry.encode("utf-8", "backslashreplace"))
        finally:
            os.close(fd)
