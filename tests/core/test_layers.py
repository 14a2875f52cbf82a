"""The layers of ``tui``, checked on every run from the source (see ``import_graph.py``).

    tui.cli, tui.commands   the command line: may use everything below
    tui.app                 the screen (textual): may use core, never the command line
    tui.core                no screen, no command line
    tui.sandbox             the fake server: no screen, no command line, never the client's
                            record (it seeds its own state; the client records what it made)

and no two modules of ``tui`` import each other, however indirectly, so each can be read,
tested and changed from the bottom up. Every import counts, even inside a function or under
``TYPE_CHECKING``. A failure names the import (file:line) or the cycle, edge by edge.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from import_graph import (
    ImportGraph,
    Rule,
    breaches,
    build_graph,
    find_cycles,
)

import tui

PACKAGE_ROOT = Path(tui.__file__).parent

DIALECTS = ("tui.core.api.assistants", "tui.core.api.chat", "tui.core.api.conversations")

RULES = (
    Rule(
        name="core-and-sandbox-no-ui-no-cli",
        layer=("tui.core", "tui.sandbox"),
        forbidden=("tui.app", "tui.commands", "tui.cli", "textual"),
        why="core and sandbox know nothing of the screen or the command line",
    ),
    Rule(
        name="app-no-cli",
        layer=("tui.app",),
        forbidden=("tui.commands", "tui.cli"),
        why="the app is started by the command line, never the other way round",
    ),
    Rule(
        name="sandbox-no-client-record",
        layer=("tui.sandbox",),
        forbidden=("tui.core.store",),
        why="the sandbox is the server: the client's record is written by the client side",
    ),
    *(
        Rule(
            name=f"dialect-{dialect.rsplit('.', 1)[1]}-alone",
            layer=(dialect,),
            forbidden=tuple(d for d in DIALECTS if d != dialect),
            why="a dialect shares code through tui.core.api.sdk/base, not through a sibling",
        )
        for dialect in DIALECTS
    ),
)


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return build_graph(PACKAGE_ROOT)


def test_the_graph_sees_every_kind_of_import(graph: ImportGraph) -> None:
    assert len(graph.modules) > 50 and "tui.core.store" in graph.modules
    assert "tui.sandbox" in graph.modules  # a package is its __init__
    targets = {(e.source, e.target) for es in graph.edges.values() for e in es}
    assert ("tui.cli", "tui.commands.context") in targets  # absolute
    assert ("tui.sandbox.sandbox", "tui.sandbox.routes_control") in targets  # from . import x
    assert ("tui.app.widgets.chat", "textual") in targets  # third party: its top-level name


def test_no_import_cycles(graph: ImportGraph) -> None:
    cycles = [str(c) for c in find_cycles(graph)]
    assert not cycles, "\n" + "\n".join(cycles)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_layer_rule(graph: ImportGraph, rule: Rule) -> None:
    found = breaches(graph, rule)
    assert not found, "\n" + "\n".join(found)


# ------------------------------------------------------- the checker itself catches breakage


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / next(iter(files)).split("/")[0]


def test_the_checker_finds_a_planted_cycle_through_lazy_and_type_only_imports(
    tmp_path: Path,
) -> None:
    package = _plant(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "def f():\n    from pkg import b\n",
        "pkg/sub/__init__.py": "",
        "pkg/b.py": "from .sub import c\n",
        "pkg/sub/c.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from ..a import f\n"
        ),
        "pkg/d.py": "import pkg.a\n",  # leads into the cycle but is not part of it
    })
    cycles = find_cycles(build_graph(package))
    assert len(cycles) == 1
    assert cycles[0].members == ("pkg.a", "pkg.b", "pkg.sub.c")
    text = str(cycles[0])
    assert "shortest: pkg.a -> pkg.b -> pkg.sub.c -> pkg.a" in text
    assert "pkg/a.py:2: pkg.a imports pkg.b" in text
    assert "pkg/sub/c.py:3: pkg.sub.c imports pkg.a" in text


def test_the_checker_finds_a_planted_forbidden_import_direct_or_through_another_module(
    tmp_path: Path,
) -> None:
    package = _plant(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core/__init__.py": "",
        "pkg/core/ok.py": "import json\nfrom pkg.core import helper\n",
        "pkg/core/helper.py": "def g():\n    import textual.widgets\n",
        "pkg/core/sneaky.py": "from pkg import glue\n",
        "pkg/glue.py": "from pkg.ui import screen\n",
        "pkg/ui/__init__.py": "",
        "pkg/ui/screen.py": "",
    })
    rule = Rule("planted", layer=("pkg.core",), forbidden=("pkg.ui", "textual"), why="planted")
    found = breaches(build_graph(package), rule)
    assert found == [
        "pkg/core/helper.py:2: pkg.core.helper imports textual (planted)",
        "pkg/core/sneaky.py:1: pkg.core.sneaky imports pkg.glue, which reaches "
        "pkg.core.sneaky -> pkg.glue -> pkg.ui.screen (via pkg/glue.py:1) (planted)",
    ]
    assert find_cycles(build_graph(package)) == []
