"""The import graph of a package, read from its source with ``ast``, and the rules it must keep.

Every import counts, wherever it is written: at module level, inside a function, under
``if TYPE_CHECKING:``. A lazy import still ties two modules together (and a type-only one
still says one layer knows about another), so a rule that skipped them would pass while the
layering is broken.

Resolution: relative imports are made absolute; ``from a.b import c`` is an edge to ``a.b.c``
when that is a module of the package, else to ``a.b``; ``import a.b.c`` is an edge to the
longest prefix that is a module of the package. Imports from outside the package are kept
under their top-level name (``textual``), so a rule can forbid a third-party package too.

Used by ``test_layers.py``; works on any directory, so the tests can plant a broken package
in ``tmp_path`` and check that the checker sees it.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``path:line``."""

    source: str
    target: str
    path: str
    line: int

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class ImportGraph:
    package: str
    modules: dict[str, Path]  # module name -> source file
    edges: dict[str, list[Edge]]  # source module -> its imports, in source order

    def internal(self, name: str) -> bool:
        return name in self.modules

    def targets(self, source: str) -> Iterator[Edge]:
        yield from self.edges.get(source, ())


def module_name(root: Path, path: Path) -> str:
    """``root/../pkg/a/b.py`` -> ``pkg.a.b``; a package's ``__init__.py`` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def build_graph(root: Path) -> ImportGraph:
    """The import graph of the package whose directory is ``root``."""
    modules = {module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    graph = ImportGraph(root.name, modules, {})
    base = root.parent
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        shown = str(path.relative_to(base))
        edges: set[Edge] = set()  # `from a import x, y` is one edge when x and y are names
        for node in ast.walk(tree):
            for target in _targets(node, name, is_package, modules):
                edges.add(Edge(name, target, shown, getattr(node, "lineno", 0)))
        graph.edges[name] = sorted(edges, key=lambda e: (e.line, e.target))
    return graph


def _targets(node: ast.AST, here: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [_longest_module(alias.name, modules) for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        # `from . import x` in pkg/a.py is relative to pkg; in pkg/__init__.py to pkg itself.
        anchor = here.split(".") if is_package else here.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        absolute = ".".join([*anchor, node.module] if node.module else anchor)
    else:
        absolute = node.module or ""
    found = []
    for alias in node.names:
        submodule = f"{absolute}.{alias.name}"
        found.append(submodule if submodule in modules else _longest_module(absolute, modules))
    return found


def _longest_module(dotted: str, modules: dict[str, Path]) -> str:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return parts[0]  # outside the package: its top-level name


def in_layer(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


# ------------------------------------------------------------------------------------- cycles


@dataclass(frozen=True)
class Cycle:
    """Modules that import each other (a strongly connected group) and every import among them."""

    members: tuple[str, ...]
    shortest: list[Edge]  # the shortest way round through the first member
    edges: list[Edge]  # every import from one member to another: break enough of these

    def __str__(self) -> str:
        way = " -> ".join([self.shortest[0].source, *(e.target for e in self.shortest)])
        lines = [f"import cycle among {', '.join(self.members)}", f"  shortest: {way}"]
        lines.append("  imports:")
        lines += [f"    {e.where()}: {e.source} imports {e.target}" for e in self.edges]
        return "\n".join(lines)


def find_cycles(graph: ImportGraph) -> list[Cycle]:
    """One ``Cycle`` per group of package modules that import each other, however indirectly."""
    cycles = []
    for group in _strongly_connected(graph):
        start = min(group)
        shortest = _shortest_path(graph, start, {start}, within=group, first_step=True)
        assert shortest, group
        inside = [e for m in sorted(group) for e in graph.targets(m) if e.target in group]
        cycles.append(Cycle(tuple(sorted(group)), shortest, inside))
    return sorted(cycles, key=lambda c: c.members)


def _strongly_connected(graph: ImportGraph) -> list[set[str]]:
    """Tarjan's algorithm, iterative; only groups that hold a cycle (size > 1, or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[set[str]] = []
    counter = 0

    def successors(module: str) -> list[str]:
        return [e.target for e in graph.targets(module) if graph.internal(e.target)]

    for root in graph.modules:
        if root in index:
            continue
        work = [(root, iter(successors(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors(child))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in successors(node):
                        groups.append(group)
    return groups


def _shortest_path(
    graph: ImportGraph,
    start: str,
    goals: set[str],
    *,
    within: set[str] | None = None,
    first_step: bool = False,
) -> list[Edge] | None:
    """Breadth-first: the fewest edges from ``start`` to any of ``goals`` (``start`` itself
    counts only after ``first_step``, which is how a cycle back to ``start`` is found)."""
    if not first_step and start in goals:
        return []
    came: dict[str, Edge | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge in graph.targets(node):
            target = edge.target
            if within is not None and target not in within:
                continue
            if target in goals:
                path = [edge]
                back = came[node]
                while back is not None:
                    path.append(back)
                    back = came[back.source]
                return path[::-1]
            if target not in came and graph.internal(target):
                came[target] = edge
                queue.append(target)
    return None


# -------------------------------------------------------------------------------- layer rules


@dataclass(frozen=True)
class Rule:
    """Modules in ``layer`` must not reach any module in ``forbidden``, directly or through
    other modules. ``why`` is printed with each breach."""

    name: str
    layer: tuple[str, ...]
    forbidden: tuple[str, ...]
    why: str


def breaches(graph: ImportGraph, rule: Rule) -> list[str]:
    """Every import written in ``rule.layer`` that leads into ``rule.forbidden``.

    Reported at the edge where the layer is left, with the rest of the way when the forbidden
    module is reached through others (``tui.core.x`` -> ``tui.cli`` -> ``tui.commands``).
    """
    found = []
    for module in graph.modules:
        if not in_layer(module, rule.layer):
            continue
        for edge in graph.targets(module):
            target = edge.target
            if in_layer(target, rule.forbidden):
                found.append(f"{edge.where()}: {module} imports {target} ({rule.why})")
                continue
            if in_layer(target, rule.layer) or not graph.internal(target):
                continue  # inside the layer: that module's own imports are checked in turn
            goals = {m for m in graph.modules if in_layer(m, rule.forbidden)}
            goals |= {
                e.target for es in graph.edges.values() for e in es
                if in_layer(e.target, rule.forbidden)
            }
            rest = _shortest_path(graph, target, goals)
            if rest:
                way = " -> ".join([module, target, *(e.target for e in rest)])
                hops = ", ".join(f"{e.where()}" for e in rest)
                found.append(
                    f"{edge.where()}: {module} imports {target}, which reaches {way} "
                    f"(via {hops}) ({rule.why})"
                )
    return found
