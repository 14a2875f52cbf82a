"""Turn a profile's key source into a key, only when the profile is actually used.

Resolution is lazy because an `api_key_cmd` may prompt a password manager or take seconds;
starting the app must not run every profile's command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping

from tui.core.config import DEFAULT_KEY_COMMAND_TIMEOUT
from tui.core.records import Profile
from tui.core.safe_text import printable
from tui.core.secrets import scrub

STDERR_SHOWN = 400
NO_KEY_PLACEHOLDER = "no-key"
"""Sent for a ``no_key`` profile: the SDK refuses an empty key, a keyless server ignores it."""


class KeyResolutionError(Exception):
    """No key could be had for a profile; the message says what to set, never a key."""

    def __init__(self, profile: str, message: str) -> None:
        self.profile = profile
        super().__init__(message)


def resolve_api_key(
    profile: Profile,
    *,
    timeout: float = DEFAULT_KEY_COMMAND_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The key for ``profile``: from its env var, its command, or its literal value."""
    env = os.environ if environ is None else environ
    if profile.no_key:
        return NO_KEY_PLACEHOLDER
    if profile.api_key_env:
        value = env.get(profile.api_key_env, "").strip()
        if not value:
            raise KeyResolutionError(
                profile.name,
                f"profile {profile.name!r}: environment variable {profile.api_key_env} is not"
                f" set (export {profile.api_key_env}=sk-… or change api_key_env)",
            )
        return value
    if profile.api_key_cmd:
        return _run_key_command(profile, timeout, env)
    if profile.api_key:
        return profile.api_key.strip()
    raise KeyResolutionError(
        profile.name,
        f"profile {profile.name!r} has no key source: set api_key_env or api_key_cmd",
    )


def _run_key_command(profile: Profile, timeout: float, env: Mapping[str, str]) -> str:
    """Run the command in its own process group so a hung helper and its children all die."""
    shown = scrub(profile.api_key_cmd or "")  # `echo sk-…` holds the very key it prints
    try:
        process = subprocess.Popen(
            profile.api_key_cmd or "",
            shell=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            start_new_session=True,
            text=True,
        )
    except OSError as exc:
        raise KeyResolutionError(
            profile.name, f"profile {profile.name!r}: cannot run api_key_cmd: {exc}"
        ) from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise KeyResolutionError(
            profile.name,
            f"profile {profile.name!r}: api_key_cmd `{shown}` did not finish within"
            f" {timeout:g} s and was stopped (raise key_command_timeout if it needs longer)",
        ) from None
    if process.returncode != 0:
        detail = _shown(stderr) or "(no output on stderr)"
        raise KeyResolutionError(
            profile.name,
            f"profile {profile.name!r}: api_key_cmd `{shown}` failed with exit status"
            f" {process.returncode}: {detail}",
        )
    key = stdout.strip().splitlines()[0].strip() if stdout.strip() else ""
    if not key:
        raise KeyResolutionError(
            profile.name, f"profile {profile.name!r}: api_key_cmd `{shown}` printed no key"
        )
    return key


def _shown(stderr: str) -> str:
    """A helper's stderr as one safe line: keys masked, and escapes spelt out, since password
    managers colour their errors and this text reaches the screen and the terminal."""
    return printable(scrub(" ".join(stderr.split())))[:STDERR_SHOWN]


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


class KeyRing:
    """Resolved keys for this process only, so a command runs once per profile per session."""

    def __init__(
        self, timeout: float = DEFAULT_KEY_COMMAND_TIMEOUT, environ: Mapping[str, str] | None = None
    ) -> None:
        self._timeout = timeout
        self._environ = environ
        self._keys: dict[str, str] = {}
        self._retired: list[str] = []

    def key_for(self, profile: Profile) -> str:
        if profile.name not in self._keys:
            self._keys[profile.name] = resolve_api_key(
                profile, timeout=self._timeout, environ=self._environ
            )
        return self._keys[profile.name]

    def forget(self, profile_name: str) -> None:
        """Resolve the profile's key again on next use (the server rejected this one).

        The old key stays known to ``known_keys`` so text mentioning it is still scrubbed.
        """
        old = self._keys.pop(profile_name, None)
        if old is not None:
            self._retired.append(old)

    def known_keys(self) -> list[str]:
        """Every key resolved so far, so error text can be scrubbed of all of them."""
        return [*self._keys.values(), *self._retired]
