"""Turn a profile's key source into a key, only when the profile is actually used.

Resolution is lazy because an `api_key_cmd` may prompt a password manager or take seconds;
starting the app must not run every profile's command.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping

from tui.core.config import DEFAULT_KEY_COMMAND_TIMEOUT
from tui.core.records import Profile
from tui.core.safe_text import printable
from tui.core.secrets import mask_key, scrub, token_problem

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
    stop: threading.Event | None = None,
) -> str:
    """The key for ``profile``: from its env var, its command, or its literal value.

    The key is checked before it is returned: it goes into an HTTP header, so it must be
    printable ASCII without spaces or quotes (a key pasted with smart quotes would otherwise
    fail on the first request, in a traceback that shows it). ``stop``, when set, ends a
    running key command at once (the app is quitting).
    """
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
        return _checked(profile, value, f"environment variable {profile.api_key_env}")
    if profile.api_key_cmd:
        key = _run_key_command(profile, timeout, env, stop)
        return _checked(profile, key, f"the output of api_key_cmd `{scrub(profile.api_key_cmd)}`")
    if profile.api_key:
        return _checked(profile, profile.api_key.strip(), "api_key in the config file")
    raise KeyResolutionError(
        profile.name,
        f"profile {profile.name!r} has no key source: set api_key_env or api_key_cmd",
    )


def _checked(profile: Profile, key: str, source: str) -> str:
    """``key`` if it can be sent; else an error naming the profile, the source and the first
    bad character by position and kind (never the key, nor a character of it)."""
    wrong = token_problem(key)
    if wrong is None:
        return key
    # The mask helps tell keys apart, unless the bad character is in the part it shows.
    which = f" ({mask_key(key)})" if len(key) >= 12 and token_problem(key[-4:]) is None else ""
    raise KeyResolutionError(
        profile.name,
        f"profile {profile.name!r}: the key{which} from {source} has {wrong}; a key is"
        " printable ASCII without spaces or quotes (was it pasted with quotes, or with a"
        " second line?)",
    )


def _run_key_command(
    profile: Profile, timeout: float, env: Mapping[str, str], stop: threading.Event | None
) -> str:
    """Run the command in its own process group so a hung helper and its children all die.

    Its output is read with a deadline, not until end of file: a helper may leave a child
    holding the pipe open (`setsid`, a daemon it starts), and that child is in another
    process group, out of reach of the kill. Once the command itself has exited, what it
    wrote is in the pipe already; nothing later is waited for.
    """
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
        )
    except OSError as exc:
        raise KeyResolutionError(
            profile.name, f"profile {profile.name!r}: cannot run api_key_cmd: {exc}"
        ) from None
    try:
        outcome, stdout, stderr = _read_until_exit(process, timeout, stop)
    finally:
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    if outcome != "exited":
        _kill_group(process)
        if outcome == "stopped":
            raise KeyResolutionError(
                profile.name, f"profile {profile.name!r}: api_key_cmd `{shown}` was stopped"
            )
        raise KeyResolutionError(
            profile.name,
            f"profile {profile.name!r}: api_key_cmd `{shown}` did not finish within"
            f" {timeout:g} s and was stopped (raise key_command_timeout if it needs longer)",
        )
    if process.returncode != 0:
        detail = _shown(stderr.decode("utf-8", "replace")) or "(no output on stderr)"
        raise KeyResolutionError(
            profile.name,
            f"profile {profile.name!r}: api_key_cmd `{shown}` failed with exit status"
            f" {process.returncode}: {detail}",
        )
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeyResolutionError(
            profile.name,
            f"profile {profile.name!r}: api_key_cmd `{shown}` printed output that is not UTF-8"
            f" text (a byte that cannot be decoded at byte {exc.start + 1}); it must print the"
            " key as text",
        ) from None
    key = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not key:
        raise KeyResolutionError(
            profile.name, f"profile {profile.name!r}: api_key_cmd `{shown}` printed no key"
        )
    return key


POLL_SECONDS = 0.05  # how often a waiting read looks whether the command has exited


def _read_until_exit(
    process: subprocess.Popen[bytes], timeout: float, stop: threading.Event | None
) -> tuple[str, bytes, bytes]:
    """("exited" | "timeout" | "stopped", stdout, stderr): both pipes read until the command
    has exited and its pipes are drained (or closed), the deadline passes, or ``stop`` is set."""
    assert process.stdout is not None and process.stderr is not None
    chunks: dict[int, list[bytes]] = {process.stdout.fileno(): [], process.stderr.fileno(): []}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while True:
            if stop is not None and stop.is_set():
                return "stopped", b"", b""
            exited = process.poll() is not None
            remaining = deadline - time.monotonic()
            if not exited and remaining <= 0:
                return "timeout", b"", b""
            if not selector.get_map():  # both pipes closed: wait for the exit itself
                if exited:
                    break
                time.sleep(min(remaining, POLL_SECONDS))
                continue
            # Once exited, take only what is already there: a child left behind may hold the
            # pipe open for ever.
            ready = selector.select(0.0 if exited else min(remaining, POLL_SECONDS))
            for selected, _ in ready:
                data = os.read(selected.fd, 65536)
                if data:
                    chunks[selected.fd].append(data)
                else:
                    selector.unregister(selected.fd)
            if exited and not ready:
                break
    out, err = (b"".join(chunks[fd]) for fd in (process.stdout.fileno(), process.stderr.fileno()))
    return "exited", out, err


def _shown(stderr: str) -> str:
    """A helper's stderr as one safe line: keys masked, and escapes spelt out, since password
    managers colour their errors and this text reaches the screen and the terminal."""
    return printable(scrub(" ".join(stderr.split())))[:STDERR_SHOWN]


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the command's process group and reap the command; its pipes are not read (a child
    in another group may hold them open)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class KeyRing:
    """Resolved keys for this process only, so a command runs once per profile per session."""

    def __init__(
        self, timeout: float = DEFAULT_KEY_COMMAND_TIMEOUT, environ: Mapping[str, str] | None = None
    ) -> None:
        self._timeout = timeout
        self._environ = environ
        self._keys: dict[str, str] = {}
        self._retired: list[str] = []
        self._stop = threading.Event()

    def key_for(self, profile: Profile) -> str:
        if profile.name not in self._keys:
            self._keys[profile.name] = resolve_api_key(
                profile, timeout=self._timeout, environ=self._environ, stop=self._stop
            )
        return self._keys[profile.name]

    def stop(self) -> None:
        """End every key command still running, at once (their process groups are killed)
        and refuse to start new ones: the program is quitting and must not wait for them."""
        self._stop.set()

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
