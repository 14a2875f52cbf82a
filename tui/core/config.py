"""Load and validate `config.toml` (never written by threadtui: app state goes to
``tui.core.app_state``).

Every problem is reported as file:line, table and key, because a user staring at a
traceback over SSH cannot tell which of their profiles is wrong. All problems are collected
before raising, so one run shows everything to fix.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.models import DEFAULT_MODEL
from tui.core.pricing import PRICE_KEYS, Price, price_problem
from tui.core.records import Dialect, Profile
from tui.core.safe_text import UNSAFE_IN_BLOCK, printable, unsafe_in_value
from tui.core.secrets import USERINFO_MASK, redact_url, token_problem

DEFAULT_PROFILE_NAME = "default"
DEFAULT_KEY_COMMAND_TIMEOUT = 10.0
MAX_VALUE_LENGTH = 4096

TOP_LEVEL_KEYS = {
    "default_profile", "theme", "key_command_timeout", "profiles", "keymap", "prices"
}
PROFILE_KEYS = {
    "api_key_env",
    "api_key_cmd",
    "api_key",
    "organization",
    "project",
    "base_url",
    "api",
    "model",
    "owner",
    "no_key",
    "instructions",
}
MAX_INSTRUCTIONS_LENGTH = 32_768
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_PROFILE_NAME = 64


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    file: Path
    message: str
    line: int | None = None
    table: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        """One line, safe to print: table names, keys and values come from the file, and a
        quoted TOML key may hold escape sequences that would retitle or clear the terminal."""
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        place = ""
        if self.table:
            place += f"[{self.table}]"
        if self.key:
            place += f"{' ' if place else ''}{self.key}"
        return printable(f"{where}: {place + ': ' if place else ''}{self.message}")


class ConfigError(Exception):
    """The config cannot be used; ``str()`` lists every problem, one per line."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(slots=True)
class Config:
    path: Path
    exists: bool
    profiles: dict[str, Profile]
    default_profile: str
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    key_command_timeout: float = DEFAULT_KEY_COMMAND_TIMEOUT
    warnings: list[str] = field(default_factory=list)
    prices: dict[str, Price] = field(default_factory=dict)  # [prices."MODEL"] overrides

    def profile(self, name: str | None = None) -> Profile:
        """The named profile (default when None); an unknown name is a user error, not a crash."""
        wanted = name or self.default_profile
        try:
            return self.profiles[wanted]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise ConfigError(
                [ConfigProblem(self.path, f"no profile named {wanted!r} (profiles: {known})")]
            ) from None


def profile_from_environment(environ: Mapping[str, str] | None = None) -> Profile:
    """The profile a user with only `OPENAI_*` variables set expects to get."""
    env = os.environ if environ is None else environ
    return Profile(
        name=DEFAULT_PROFILE_NAME,
        api_key_env="OPENAI_API_KEY",
        organization=env.get("OPENAI_ORG_ID") or None,
        project=env.get("OPENAI_PROJECT_ID") or None,
        base_url=env.get("OPENAI_BASE_URL") or None,
    )


def base_url_problem(url: str, *, credentials_allowed: bool) -> str | None:
    """Why ``url`` cannot be a ``base_url``, or None.

    It must be http(s)://host[:port][/path] with a port from 1 to 65535 and no spaces: the
    SDK would otherwise fail on the first request, with a traceback that holds the key.
    Credentials (``user:password@``) are refused unless ``credentials_allowed``: they would be
    printed and stored with every thread. The URL is quoted with its credentials masked.
    """
    shown = repr(printable(redact_url(url, USERINFO_MASK)))
    for position, ch in enumerate(url, start=1):
        if ch.isspace():
            return f"{shown} is not a usable URL: it has a space at position {position}"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return f"{shown} is not a usable URL: it must start with http:// or https://"
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    _, at, host_port = authority.rpartition("@")
    if at and not credentials_allowed:
        return (
            f"{shown} holds credentials (user:password@ before the host), which would be shown"
            " and stored with every thread: remove them from base_url"
        )
    if host_port.startswith("["):  # [::1]:8080
        host, closed, after = host_port[1:].partition("]")
        port = after[1:] if after.startswith(":") else None
        if not closed or (after and port is None):
            return f"{shown} is not a usable URL: unexpected text after the IPv6 address"
    else:
        host, colon, port_text = host_port.partition(":")
        port = port_text if colon else None
    if not host:
        return f"{shown} is not a usable URL: it has no host"
    if re.search(r"[\[\]\\\"<>^`{|}]", host):
        return f"{shown} is not a usable URL: {printable(host)!r} is not a host name"
    if port is not None and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        return (
            f"{shown} is not a usable URL: the port {printable(port)!r} is not a number from"
            " 1 to 65535"
        )
    return None


def _environment_problems(path: Path, profile: Profile) -> list[ConfigProblem]:
    """The `OPENAI_*` values the environment's profile took, checked like a config's."""
    problems: list[ConfigProblem] = []
    if profile.base_url is not None:
        # Credentials here are the environment's business: they are kept for the requests
        # and removed from everything shown or stored (``redact_url``).
        wrong = base_url_problem(profile.base_url, credentials_allowed=True)
        if wrong:
            problems.append(
                ConfigProblem(path, wrong, key="OPENAI_BASE_URL (from the environment)")
            )
    for name, value in (("OPENAI_ORG_ID", profile.organization),
                        ("OPENAI_PROJECT_ID", profile.project)):
        wrong = token_problem(value) if value is not None else None
        if wrong:
            problems.append(ConfigProblem(
                path, f"must be printable ASCII without spaces or quotes: {wrong}",
                key=f"{name} (from the environment)",
            ))
    return problems


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config at ``path``; a missing file gives the environment's profile."""
    if not path.exists():
        profile = profile_from_environment(environ)
        problems = _environment_problems(path, profile)
        if problems:
            raise ConfigError(problems)
        return Config(
            path=path,
            exists=False,
            profiles={DEFAULT_PROFILE_NAME: profile},
            default_profile=DEFAULT_PROFILE_NAME,
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(path, f"cannot read the file: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(path, text, exc)]) from None
    except RecursionError:  # tomllib recurses per nesting level: `a = [[[[…` in 4 KB
        raise ConfigError([ConfigProblem(path, "TOML nested too deeply to read")]) from None
    return _validate(path, text, data, environ)


def _syntax_problem(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigProblem:
    message = str(exc)
    line = getattr(exc, "lineno", None)
    if line is None:
        found = re.search(r"at line (\d+)", message)
        line = int(found.group(1)) if found else None
    table, key = _context_at(text, line) if line else (None, None)
    detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", getattr(exc, "msg", message))
    return ConfigProblem(path, f"TOML syntax error: {detail}", line=line, table=table, key=key)


class _Validator:
    """Collects problems with their locations while building the typed config."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[ConfigProblem] = []

    def problem(self, message: str, table: tuple[str, ...] = (), key: str | None = None) -> None:
        self.problems.append(
            ConfigProblem(
                self.path,
                message,
                line=locate(self.text, table, key),
                table=".".join(table) or None,
                key=key,
            )
        )

    def unknown_keys(self, data: Mapping[str, Any], allowed: set[str], table: tuple[str, ...]):
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = ", ".join(sorted(allowed))
                self.problem(f"unknown key{hint}; known keys: {known}", table, key)

    def block(
        self, data: Mapping[str, Any], key: str, table: tuple[str, ...], limit: int
    ) -> str | None:
        """Several lines of text (instructions): newlines and tabs allowed, nothing else unsafe."""
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(f"must be a string, not {_type_name(value)}", table, key)
            return None
        problem = _block_problem(value, limit)
        if problem:
            self.problem(problem, table, key)
            return None
        return value

    def string(self, data: Mapping[str, Any], key: str, table: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(f"must be a string, not {_type_name(value)}", table, key)
            return None
        if len(value) > MAX_VALUE_LENGTH:
            self.problem(
                f"is {len(value)} characters long (at most {MAX_VALUE_LENGTH})", table, key
            )
            return None
        if unsafe_in_value(value):
            self.problem("contains control characters", table, key)
            return None
        return value


def instructions_problem(text: str) -> str | None:
    """Why ``text`` cannot be a profile's or a thread's instructions (None when it can)."""
    return _block_problem(text, MAX_INSTRUCTIONS_LENGTH)


def _block_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"is {len(value)} characters long (at most {limit})"
    if UNSAFE_IN_BLOCK.search(value):
        return "contains control characters (newlines and tabs are fine)"
    return None


def _validate(
    path: Path, text: str, data: dict[str, Any], environ: Mapping[str, str] | None
) -> Config:
    check = _Validator(path, text)
    check.unknown_keys(data, TOP_LEVEL_KEYS, ())
    warnings: list[str] = []

    profiles: dict[str, Profile] = {}
    raw_profiles = data.get("profiles", {})
    if not isinstance(raw_profiles, dict):
        check.problem(f"must be a table, not {_type_name(raw_profiles)}", (), "profiles")
        raw_profiles = {}
    for name, body in raw_profiles.items():
        table = ("profiles", name)
        if unsafe_in_value(name) or len(name) > MAX_PROFILE_NAME or not name.strip():
            # Shown in the bar, the picker, every list and message: plain, short text only.
            check.problem(
                f"a profile name must be 1-{MAX_PROFILE_NAME} characters of plain text (no"
                " control characters)",
                ("profiles",),
                name if len(name) <= MAX_PROFILE_NAME else name[:MAX_PROFILE_NAME] + "…",
            )
            continue
        if not isinstance(body, dict):
            check.problem(f"must be a table, not {_type_name(body)}", ("profiles",), name)
            continue
        profile = _profile(check, name, body, table, warnings)
        if profile is not None:
            profiles[name] = profile
    if not raw_profiles:
        profiles[DEFAULT_PROFILE_NAME] = profile_from_environment(environ)
        check.problems += _environment_problems(path, profiles[DEFAULT_PROFILE_NAME])

    default = check.string(data, "default_profile", ())
    if default is not None and raw_profiles and default not in raw_profiles:
        known = ", ".join(sorted(raw_profiles))
        check.problem(
            f"{default!r} names no profile; profiles are: {known}", (), "default_profile"
        )
    if default is None:
        default = next(iter(raw_profiles), DEFAULT_PROFILE_NAME)

    theme = check.string(data, "theme", ())
    keymap = _keymap(check, data.get("keymap", {}))
    prices = _prices(check, data.get("prices", {}))
    timeout = data.get("key_command_timeout", DEFAULT_KEY_COMMAND_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        check.problem(
            f"must be a number of seconds, not {_type_name(timeout)}", (), "key_command_timeout"
        )
        timeout = DEFAULT_KEY_COMMAND_TIMEOUT
    elif not 0 < timeout <= 600:
        check.problem("must be between 0 and 600 seconds", (), "key_command_timeout")
        timeout = DEFAULT_KEY_COMMAND_TIMEOUT

    if check.problems:
        raise ConfigError(check.problems)
    return Config(
        path=path,
        exists=True,
        profiles=profiles,
        default_profile=default,
        theme=theme,
        keymap=keymap,
        key_command_timeout=float(timeout),
        warnings=warnings,
        prices=prices,
    )


def _profile(
    check: _Validator,
    name: str,
    body: dict[str, Any],
    table: tuple[str, ...],
    warnings: list[str],
) -> Profile | None:
    before = len(check.problems)
    check.unknown_keys(body, PROFILE_KEYS, table)
    values = {
        key: check.string(body, key, table) for key in PROFILE_KEYS - {"no_key", "instructions"}
    }
    instructions = check.block(body, "instructions", table, MAX_INSTRUCTIONS_LENGTH)
    no_key = body.get("no_key", False)
    if not isinstance(no_key, bool):
        check.problem(f"must be true or false, not {_type_name(no_key)}", table, "no_key")
        no_key = False
    key_sources = [k for k in ("api_key_env", "api_key_cmd", "api_key") if values[k]]
    if no_key and key_sources:
        check.problem(
            f"no_key = true and {key_sources[0]} contradict each other; keep one", table, "no_key"
        )

    env_name = values["api_key_env"]
    if env_name is not None and not _ENV_NAME.match(env_name):
        check.problem(f"{env_name!r} is not an environment variable name", table, "api_key_env")
    if values["api_key"] is not None:
        mode = check.path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            check.problem(
                f"a literal key in a file others can read (mode {stat.filemode(mode)}) is refused;"
                f" run `chmod 600 {check.path}` or use api_key_env / api_key_cmd",
                table,
                "api_key",
            )
        else:
            warnings.append(
                f"{check.path}: [profiles.{name}] holds a literal api_key; prefer api_key_env"
                " or api_key_cmd so the key is not stored in plain text"
            )
    if not key_sources and not no_key:
        check.problem(
            'has no way to get a key: set api_key_env (e.g. "OPENAI_API_KEY"), api_key_cmd,'
            " or api_key (or no_key = true for a server that needs none, such as Ollama)",
            table,
        )
    dialect = Dialect.CONVERSATIONS
    if values["api"] is not None:
        try:
            dialect = Dialect(values["api"])
        except ValueError:
            allowed = ", ".join(d.value for d in Dialect)
            check.problem(f"{values['api']!r} is not one of: {allowed}", table, "api")
    base_url = values["base_url"]
    if base_url is not None:
        wrong = base_url_problem(base_url, credentials_allowed=False)
        if wrong:
            check.problem(wrong, table, "base_url")
    for key in ("organization", "project"):  # sent as HTTP headers: ASCII only
        value = values[key]
        wrong = token_problem(value) if value is not None else None
        if wrong:
            check.problem(f"must be printable ASCII without spaces or quotes: {wrong}", table, key)
    if len(check.problems) > before:
        return None
    return Profile(
        name=name,
        api_key_env=env_name,
        api_key_cmd=values["api_key_cmd"],
        api_key=values["api_key"],
        organization=values["organization"],
        project=values["project"],
        base_url=base_url,
        api=dialect,
        model=values["model"] or DEFAULT_MODEL,
        owner=values["owner"],
        no_key=no_key,
        instructions=instructions or None,
    )


def _keymap(check: _Validator, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        check.problem(f"must be a table, not {_type_name(raw)}", (), "keymap")
        return {}
    keymap: dict[str, str] = {}
    for binding_id in raw:
        keys = check.string(raw, binding_id, ("keymap",))
        if keys is not None:
            if not keys.strip():
                check.problem("must name at least one key", ("keymap",), binding_id)
            else:
                keymap[binding_id] = keys
    return keymap


def _prices(check: _Validator, raw: Any) -> dict[str, Price]:
    """``[prices."MODEL"]`` tables: input, output and optional cached_input, in dollars per
    million tokens; each mistake named with its line, the rest still read."""
    if not isinstance(raw, dict):
        check.problem(f"must be a table, not {_type_name(raw)}", (), "prices")
        return {}
    prices: dict[str, Price] = {}
    for model, body in raw.items():
        table = ("prices", model)
        if unsafe_in_value(model) or not model.strip() or len(model) > MAX_PROFILE_NAME * 2:
            check.problem("a model name must be plain text (no control characters)",
                          ("prices",), model[:MAX_PROFILE_NAME])
            continue
        if not isinstance(body, dict):
            check.problem(f"must be a table, not {_type_name(body)}", ("prices",), model)
            continue
        check.unknown_keys(body, set(PRICE_KEYS), table)
        values: dict[str, float] = {}
        for key in PRICE_KEYS:
            if key not in body:
                if key != "cached_input":
                    check.problem(f"is missing (dollars per million {key} tokens)", table, key)
                continue
            problem = price_problem(body[key])
            if problem:
                check.problem(problem, table, key)
            else:
                values[key] = float(body[key])
        if "input" in values and "output" in values:
            prices[model] = Price(
                input=values["input"],
                output=values["output"],
                cached_input=values.get("cached_input"),
                source="config",
            )
    return prices


def _type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _split_dotted(name: str) -> tuple[str, ...]:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s]+)', name)
    return tuple(next(p for p in groups if p) if any(groups) else "" for groups in parts)


def _key_at(line: str) -> str | None:
    found = re.match(r'^\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*=', line)
    return found.group(1).strip("\"'") if found else None


def locate(text: str, table: tuple[str, ...], key: str | None) -> int | None:
    """Line number of ``key`` in ``[table]`` (or of the table header), for the message.

    tomllib gives no positions for valid documents, so we scan the text; a key written as an
    inline table or dotted key may not be found, and then the message has no line.
    """
    current: tuple[str, ...] = ()
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = _split_dotted(header.group(1))
            if current == table and key is None:
                return number
            if current == table:
                header_line = number
            continue
        if current == table and key is not None and _key_at(line) == key:
            return number
    return header_line


def _context_at(text: str, line: int) -> tuple[str | None, str | None]:
    """The table a line belongs to and the key it sets, for syntax errors."""
    lines = text.splitlines()
    table: str | None = None
    for current in lines[: max(line, 0)]:
        header = _HEADER.match(current)
        if header:
            table = ".".join(_split_dotted(header.group(1)))
    key = _key_at(lines[line - 1]) if 0 < line <= len(lines) else None
    return table, key
