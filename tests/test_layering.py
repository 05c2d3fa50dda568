"""The package's architecture rules, read from the source with ``ast`` (nothing is imported).

1. No import cycle crosses a package boundary. Imports inside functions count: they run
   too, only later. Imports under ``if TYPE_CHECKING:`` do not (they never run). Inside one
   package a cycle is allowed (``Task`` and ``Flow`` know each other inside core/). The one
   deliberate exception is named in ``ALLOWED_EDGES``.
2. core/ never imports executors, persistence, eager, cli or ui.
3. No private (``_name``) import across packages: neither ``from x import _name``, nor a
   private module (``x._mod``), nor ``module._name`` through an imported module.
4. Modules are at most ``MODULE_BUDGET`` lines and functions at most ``FUNCTION_BUDGET``
   lines, docstrings and data tables (literal lists, tuples, dicts and sets of plain values
   spanning several lines) aside.

A *package* is a directory right under ``prefectlite/`` (``prefectlite.core``,
``prefectlite.engine``, ``prefectlite.tasks`` with its subpackages, ...); each module at the
top level (``prefectlite.triggers``, ``prefectlite.flows``, ...) is a package of its own.

The ``KNOWN_*`` lists hold what is still being fixed, each entry with its owner. They only
shrink: an entry that no longer applies fails ``test_known_lists_are_current`` until it is
deleted. ``python tests/test_layering.py`` prints what the lists would hold today (cycles as
the cross-package imports inside them, to pick the upward ones from).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import networkx as nx
import pytest

import prefectlite

ROOT = Path(prefectlite.__file__).resolve().parent
MODULE_BUDGET = 400
FUNCTION_BUDGET = 40
CORE_MUST_NOT_IMPORT = ("executors", "persistence", "eager", "cli", "ui")

#: Import edges left out of the cycle check, each with its reason.
ALLOWED_EDGES = {
    # Flow.run hands the flow to the engine; imported when run() is called, never at build
    ("prefectlite.core.flow", "prefectlite.engine.run_setup"):
        "Flow.run calls the runner (Prefect 1's API puts run() on Flow)",
}

#: Modules and functions over budget, as (path relative to prefectlite/, qualified name or
#: None for the module). Owner in the comment. Delete an entry when its item fits.
KNOWN_OVER: set[tuple[str, str | None]] = {
    ("core/apply_map.py", "build_apply_map"),  # arch-core
    ("core/flow.py", None),  # arch-core
    ("core/flow.py", "Flow.__init__"),  # arch-core
    ("core/flow.py", "Flow.add_edge"),  # arch-core
    ("core/flow.py", "Flow.run"),  # arch-core
    ("core/flow.py", "Flow.set_dependencies"),  # arch-core
    ("core/task.py", None),  # arch-core
    ("core/task.py", "Task.__init__"),  # arch-core
}

#: Imports that close a cross-package cycle by pointing up a layer: (importer, imported
#: module), left out of the cycle check until removed. Owner in the comment.
KNOWN_UPWARD: set[tuple[str, str]] = {
    ("prefectlite.core.apply_map", "prefectlite.tasks.core.collections"),  # arch-core
    ("prefectlite.core.apply_map", "prefectlite.tasks.core.constants"),  # arch-core
    ("prefectlite.core.as_task", "prefectlite.tasks.core.collections"),  # arch-core
    ("prefectlite.core.as_task", "prefectlite.tasks.core.constants"),  # arch-core
    ("prefectlite.core.flow", "prefectlite.tasks.core.constants"),  # arch-core
    ("prefectlite.core.task", "prefectlite.tasks.core.function"),  # arch-core
    ("prefectlite.core.task", "prefectlite.tasks.core.operators"),  # arch-core
}

#: Private names used across packages: (user module, "module.name"). Owner in the comment.
_CTX = "prefectlite.utilities.context"
KNOWN_PRIVATE: set[tuple[str, str]] = {
    ("prefectlite.core.task", f"{_CTX}._current"),  # arch-core
    ("prefectlite.engine.state", f"{_CTX}._current"),  # arch-core
    ("prefectlite.persistence.journal_logs", f"{_CTX}._current"),  # arch-core
    ("prefectlite.tasks.core.function", "prefectlite.core.task._SIGNATURE_ATTR"),  # arch-core
    ("prefectlite.tasks.core.function", "prefectlite.core.task._as_seconds"),  # arch-core
    ("prefectlite.tasks.core.function", "prefectlite.core.task._check_run_signature"),  # arch-core
    ("prefectlite.tasks.core.resource_manager", "prefectlite.core.task._SIGNATURE_ATTR"),  # "
    ("prefectlite.tasks.core.resource_manager", "prefectlite.core.task._check_run_signature"),  # "
}


# -- reading the source ------------------------------------------------------------------


@dataclass
class Import:
    target: str  # the module imported (a submodule when `from pkg import submodule`)
    names: tuple[str, ...]  # names taken from it (empty for `import x`)
    line: int
    runtime: bool  # False under `if TYPE_CHECKING:`


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    imports: list[Import] = field(default_factory=list)

    @property
    def relpath(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = ["prefectlite", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(name: str) -> str:
    """``prefectlite.core.flow`` -> ``prefectlite.core``; a top-level module is its own."""
    parts = name.split(".")
    return ".".join(parts[:2])


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk_imports(node: ast.AST, runtime: bool = True):
    """Every Import / ImportFrom under ``node`` with whether it runs (not TYPE_CHECKING)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.body:
                yield from _walk_imports_stmt(sub, False)
            for sub in child.orelse:
                yield from _walk_imports_stmt(sub, runtime)
            continue
        yield from _walk_imports_stmt(child, runtime)


def _walk_imports_stmt(node: ast.AST, runtime: bool):
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, runtime
    else:
        yield from _walk_imports(node, runtime)


def _resolve(mod: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.name.split(".")
    if mod.path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


@cache
def all_modules() -> dict[str, Module]:
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        mod = Module(module_name(path), path, ast.parse(path.read_text(), str(path)))
        modules[mod.name] = mod
    for mod in modules.values():
        for node, runtime in _walk_imports(mod.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    mod.imports.append(Import(alias.name, (), node.lineno, runtime))
                continue
            base = _resolve(mod, node)
            plain = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in modules:
                    mod.imports.append(Import(sub, (), node.lineno, runtime))
                else:
                    plain.append(alias.name)
            if plain:
                mod.imports.append(Import(base, tuple(plain), node.lineno, runtime))
    return modules


def import_graph() -> nx.DiGraph:
    """Modules of the package and who imports whom at run time (ALLOWED_EDGES left out)."""
    modules = all_modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for mod in modules.values():
        for imp in mod.imports:
            edge = (mod.name, imp.target)
            if (imp.runtime and imp.target in modules and imp.target != mod.name
                    and edge not in ALLOWED_EDGES and edge not in KNOWN_UPWARD):
                graph.add_edge(*edge)
    return graph


def cross_package_cycles() -> list[frozenset[str]]:
    cycles = []
    for component in nx.strongly_connected_components(import_graph()):
        if len({package_of(m) for m in component}) > 1:
            cycles.append(frozenset(component))
    return cycles


def _module_aliases(mod: Module) -> dict[str, str]:
    """Names bound to modules of the package in ``mod`` (``import a.b as x``, ``from a
    import b``), with the module each one names."""
    modules = all_modules()
    aliases = {}
    for node, _runtime in _walk_imports(mod.tree):
        for alias in node.names:
            if isinstance(node, ast.Import):
                if alias.asname and alias.name in modules:
                    aliases[alias.asname] = alias.name
            else:
                target = f"{_resolve(mod, node)}.{alias.name}"
                if target in modules:
                    aliases[alias.asname or alias.name] = target
    return aliases


@cache
def private_imports() -> set[tuple[str, str]]:
    """(importer, "module.name") for private names used across packages."""
    found = set()
    modules = all_modules()
    for mod in modules.values():
        here = package_of(mod.name)
        for imp in mod.imports:
            if not imp.target.startswith("prefectlite") or package_of(imp.target) == here:
                continue
            if any(is_private(part) for part in imp.target.split(".")):
                found.add((mod.name, imp.target))
            found.update((mod.name, f"{imp.target}.{n}") for n in imp.names if is_private(n))
        aliases = {a: t for a, t in _module_aliases(mod).items() if package_of(t) != here}
        for node in ast.walk(mod.tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and is_private(node.attr)):
                found.add((mod.name, f"{aliases[node.value.id]}.{node.attr}"))
    return found


# -- sizes -----------------------------------------------------------------------------


def _docstring_lines(node: ast.AST) -> set[int]:
    lines: set[int] = set()
    for sub in ast.walk(node):
        body = getattr(sub, "body", None)
        if (isinstance(sub, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def _is_plain_data(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant | ast.Name | ast.Attribute):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_plain_data(node.operand)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_plain_data(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _is_plain_data(k) for k in node.keys) and all(
            _is_plain_data(v) for v in node.values)
    return False


def _table_lines(node: ast.AST) -> set[int]:
    """Lines of literal data tables: displays of plain values spanning several lines."""
    lines: set[int] = set()
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Tuple | ast.List | ast.Set | ast.Dict)
                and sub.end_lineno > sub.lineno and _is_plain_data(sub)):
            lines.update(range(sub.lineno, sub.end_lineno + 1))
    return lines


def code_lines(node: ast.AST, first: int, last: int, skipped: set[int] | None = None) -> int:
    """Lines ``first..last`` of ``node`` without docstrings and data tables (``skipped``:
    those lines of the whole module, when known)."""
    if skipped is None:
        skipped = _docstring_lines(node) | _table_lines(node)
    return last - first + 1 - len(skipped & set(range(first, last + 1)))


def _functions(tree: ast.AST, prefix: str = ""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{node.name}", node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


@cache
def over_budget() -> dict[tuple[str, str | None], int]:
    """Every module and function over its budget, with its size."""
    over = {}
    for mod in all_modules().values():
        skipped = _docstring_lines(mod.tree) | _table_lines(mod.tree)
        size = code_lines(mod.tree, 1, len(mod.path.read_text().splitlines()), skipped)
        if size > MODULE_BUDGET:
            over[(mod.relpath, None)] = size
        for qualname, fn in _functions(mod.tree):
            size = code_lines(fn, fn.lineno, fn.end_lineno, skipped)
            if size > FUNCTION_BUDGET:
                over[(mod.relpath, qualname)] = size
    return over


# -- the rules ---------------------------------------------------------------------------


def test_no_import_cycle_crosses_a_package_boundary():
    new = cross_package_cycles()
    assert not new, "import cycles across packages (break them; imports point downward):\n" + (
        "\n".join(_describe_cycle(c) for c in new))


def _describe_cycle(component: frozenset[str]) -> str:
    graph = import_graph().subgraph(component)
    cycle = [u for u, _ in nx.find_cycle(graph)]
    return (f"  {len(component)} modules in {sorted({package_of(m) for m in component})}, "
            f"e.g. {' -> '.join([*cycle, cycle[0]])}")


def test_core_imports_no_upper_layer():
    bad = []
    for mod in all_modules().values():
        if package_of(mod.name) != "prefectlite.core":
            continue
        for imp in mod.imports:
            if any(imp.target == f"prefectlite.{p}" or imp.target.startswith(f"prefectlite.{p}.")
                   for p in CORE_MUST_NOT_IMPORT):
                bad.append(f"  {mod.relpath}:{imp.line} imports {imp.target}")
    assert not bad, f"core/ must not import {', '.join(CORE_MUST_NOT_IMPORT)}:\n" + "\n".join(bad)


def test_no_private_imports_across_packages():
    new = sorted(private_imports() - KNOWN_PRIVATE)
    assert not new, "private names used across packages (make them public or move them):\n" + (
        "\n".join(f"  {importer} uses {name}" for importer, name in new))


def test_modules_and_functions_within_budget():
    over = {k: v for k, v in over_budget().items() if k not in KNOWN_OVER}
    lines = [
        f"  {path}{'::' + name if name else ''}: {size} lines "
        f"(budget {FUNCTION_BUDGET if name else MODULE_BUDGET})"
        for (path, name), size in sorted(over.items())
    ]
    assert not lines, "over budget (docstrings and data tables aside):\n" + "\n".join(lines)


def test_known_lists_are_current():
    """Every KNOWN_* entry still applies; delete the ones that do not."""
    stale = [f"  KNOWN_OVER {entry}" for entry in sorted(KNOWN_OVER, key=str)
             if entry not in over_budget()]
    modules = all_modules()
    stale += [f"  KNOWN_UPWARD {entry}" for entry in sorted(KNOWN_UPWARD)
              if not any(i.runtime and i.target == entry[1] for i in modules[entry[0]].imports)]
    private = private_imports()
    stale += [f"  KNOWN_PRIVATE {entry}" for entry in sorted(KNOWN_PRIVATE) if entry not in private]
    assert not stale, "fixed, so delete from tests/test_layering.py:\n" + "\n".join(stale)


# -- the checker itself ------------------------------------------------------------------


def test_sizes_leave_out_docstrings_and_tables():
    source = (
        'def f():\n    """Doc\n    string."""\n    x = 1\n'
        "    table = [\n        1,\n        2,\n    ]\n    return [x, g(\n        x)]\n"
    )
    fn = ast.parse(source).body[0]
    # def, x = 1, return over two lines (not plain data: it calls g)
    assert code_lines(fn, fn.lineno, fn.end_lineno) == 4


def test_type_checking_imports_do_not_count():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n"
                     "def f():\n    import b\n")
    found = {getattr(node, "module", None) or node.names[0].name: runtime
             for node, runtime in _walk_imports(tree)}
    assert found == {"typing": True, "a": False, "b": True}


def test_packages():
    assert package_of("prefectlite.core.flow") == "prefectlite.core"
    assert package_of("prefectlite.tasks.core.function") == "prefectlite.tasks"
    assert package_of("prefectlite.triggers") == "prefectlite.triggers"


@pytest.mark.parametrize("edge", sorted(ALLOWED_EDGES))
def test_allowed_edges_exist(edge):
    importer, target = edge
    assert any(imp.target == target for imp in all_modules()[importer].imports), (
        f"{importer} no longer imports {target}: delete it from ALLOWED_EDGES")


def inventory() -> dict[str, object]:
    """What the KNOWN_* lists would hold today (``python tests/test_layering.py``)."""
    graph, modules = import_graph(), all_modules()
    upward = set()
    for cycle in cross_package_cycles():
        for u, v in graph.subgraph(cycle).edges():
            if package_of(u) != package_of(v):
                upward.add((u, v, tuple(i.line for i in modules[u].imports if i.target == v)))
    return {"over": over_budget(), "cross-package edges in cycles": sorted(upward),
            "private": private_imports()}


if __name__ == "__main__":
    import pprint

    pprint.pprint(inventory(), width=100)
