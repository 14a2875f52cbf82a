"""The house rule: tui.core and tui.sandbox never import textual, directly or indirectly.

Checked two ways: the source (a direct import anywhere, even in a function) and a fresh
interpreter that imports every module and then looks for textual in sys.modules.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import tui

PACKAGE_ROOT = Path(tui.__file__).parent
SCREEN_FREE = ("core", "sandbox")


def screen_free_modules() -> list[str]:
    names = []
    for part in SCREEN_FREE:
        for path in sorted((PACKAGE_ROOT / part).rglob("*.py")):
            relative = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


def test_there_are_modules_to_check() -> None:
    modules = screen_free_modules()
    assert "tui.core.config" in modules and "tui.sandbox" in modules


def test_no_source_file_imports_textual() -> None:
    offenders = []
    for part in SCREEN_FREE:
        for path in (PACKAGE_ROOT / part).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "textual"]
    assert offenders == []


def test_importing_every_screen_free_module_does_not_load_textual() -> None:
    script = (
        "import importlib, json, sys\n"
        f"for name in {screen_free_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_cli_subcommands_do_not_load_textual() -> None:
    script = (
        "import contextlib, io, sys\n"
        "from tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['config', 'path'])\n"
        "print(any(m.split('.')[0] == 'textual' for m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_app_does_not_load_the_openai_sdk_before_its_first_screen() -> None:
    """The SDK costs about half a second to import: the app imports it after the first
    paint, when the first client is built (``tui.app.connections``), never at start-up."""
    script = (
        "import sys\n"
        "from tui.app.app import ThreadApp\n"
        "from tui.commands.launch import run_app\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'openai', 'httpx2'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_app_does_not_load_what_its_first_screen_does_not_draw() -> None:
    """The first screen is timed from the process start (issue 15: ≤ 0.35 s at 100,000
    threads): Markdown (a reply's, drawn later) and the history readers with zipfile (an
    import) wait for their first use."""
    script = (
        "import sys\n"
        "from tui.app.app import ThreadApp\n"
        "from tui.commands.launch import run_app\n"
        "late = ('markdown_it', 'zipfile', 'tui.core.history_import')\n"
        "print(sorted({m for m in sys.modules if m.startswith(late)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
