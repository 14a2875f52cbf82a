"""What only the app knows about a config: its binding ids and its themes.

`threadtui config check` and `doctor` call ``app_config_problems`` lazily (it loads Textual,
about half a second): every other subcommand stays Textual-free. A ``[keymap]`` id no binding
has, a ``theme`` no theme is called, and a theme file that cannot be used are reported with
the file and line, as the config's own mistakes are.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode
from textual.theme import BUILTIN_THEMES

from tui.core.config import Config, ConfigProblem, locate


def binding_ids() -> set[str]:
    """Every binding id of threadtui's app, screens and widgets (what ``[keymap]`` can name)."""
    import tui.app.app  # noqa: F401  (imports every screen and widget)

    ids: set[str] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    seen: set[type[DOMNode]] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        if not cls.__module__.startswith("tui.app"):
            continue
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


def app_config_problems(config: Config) -> list[ConfigProblem]:
    """Unknown keymap ids, an unknown theme and broken theme files; [] when all is well."""
    from tui.app.themes import load_themes

    problems: list[ConfigProblem] = []
    text = _text(config.path) if config.exists else ""
    known = binding_ids()
    for binding_id in config.keymap:
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(ConfigProblem(
                config.path, f"no binding has this id{hint}; `?` in the app lists them",
                line=locate(text, ("keymap",), binding_id), table="keymap", key=binding_id,
            ))
    catalog = load_themes(config.path)
    for bad in catalog.problems:
        problems.append(ConfigProblem(bad.file, bad.reason))
    if config.theme is not None:
        names = set(catalog.themes) | set(BUILTIN_THEMES)
        if config.theme not in names:
            close = difflib.get_close_matches(config.theme, sorted(names), n=2, cutoff=0.6)
            hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
            problems.append(ConfigProblem(
                config.path,
                f"no theme named {config.theme!r}{hint}; available: {', '.join(sorted(names))}",
                line=locate(text, (), "theme"), key="theme",
            ))
    return problems


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
