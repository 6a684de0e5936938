# SPDX-License-Identifier: MIT
"""The package layout is the architecture: layering, private modules, no cycles, honest __all__."""

from __future__ import annotations

import ast
import importlib
import types
from pathlib import Path

import pytest

import pht_rules
from pht_rules.engine import durable_available

SRC = Path(pht_rules.__file__).parent

# The packages in pipeline order: a package may import its own modules and those of the packages
# before it, never one after it (docs/architecture.md).
LAYERS = (
    ("errors", "_version"),
    ("patient",),
    ("definitions",),
    ("loading",),
    ("engine",),
    ("evaluation",),
    ("audit",),
    ("episodes",),
    ("testing",),
    ("fhir",),
    # Population runs read FHIR Bulk Data exports, so they come after fhir.
    ("population",),
    ("service",),
    # The command line, and the python -m aliases that the generated documents name.
    ("cli", "reference", "rule_docs"),
)
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = ["pht_rules", *path.relative_to(SRC).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _package_of(name: str) -> str:
    return name if _is_package(name) else name.rpartition(".")[0]


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(name: str, *, top_level_only: bool) -> set[str]:
    """The pht_rules modules ``name`` imports (at import time only, if ``top_level_only``)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in MODULES else node.module)
            elif top_level_only:
                if isinstance(node, ast.If) and not _is_type_checking(node):
                    visit(node.body + node.orelse)
                elif isinstance(node, ast.Try):
                    visit(node.body)
            else:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        visit([child])

    visit(tree.body)
    return {m for m in found if m in MODULES}


def _top_package(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_top_level_name_has_a_layer() -> None:
    """Every module or package directly under pht_rules is placed in the layering."""
    for name in MODULES:
        top = _top_package(name)
        assert top == "" or top in LEVEL, f"{name} is not in the layering"


def test_packages_import_only_the_layers_before_them() -> None:
    """A package uses itself and the packages above it in the pipeline, never one below."""
    for name in MODULES:
        if name == "pht_rules":
            continue  # the public face gathers every layer
        mine = LEVEL[_top_package(name)]
        for target in _imports(name, top_level_only=False):
            assert target != "pht_rules", f"{name} imports the package face"
            theirs = LEVEL[_top_package(target)]
            assert theirs <= mine, f"{name} imports {target}, a later layer"


def test_private_modules_are_imported_only_inside_their_package() -> None:
    """A module named _x is imported only by modules of its own package."""
    root_private = {n for n in MODULES if n.count(".") == 1 and n.split(".")[1].startswith("_")}
    # The root's one private module holds the version and imports nothing.
    assert root_private == {"pht_rules._version"}
    for name in MODULES:
        for target in _imports(name, top_level_only=False):
            leaf = target.rpartition(".")[2]
            if not leaf.startswith("_") or target in root_private:
                continue
            owner = target.rpartition(".")[0]
            importer = _package_of(name)
            assert importer == owner or importer.startswith(owner + "."), (
                f"{name} imports {target}, private to {owner}"
            )


def test_no_import_cycles() -> None:
    """The module-level import graph has no cycle."""
    graph = {name: _imports(name, top_level_only=True) for name in MODULES}
    state: dict[str, int] = {}

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt] if nxt in stack else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                walk(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])


def _defined_public_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                names.update(e.id for e in elts if isinstance(e, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") or n == "__version__"}


# The durable-rules adapter imports durable-rules' C module, which exists on Python 3.11/3.12 only.
_IMPORTABLE = [
    n
    for n in MODULES
    if not n.endswith("__main__") and (durable_available() or n != "pht_rules.engine._durable")
]


@pytest.mark.parametrize("name", _IMPORTABLE)
def test_all_is_honest(name: str) -> None:
    """__all__ names exactly the module's public names, and each of them resolves.

    For a plain module: the names it defines. For a package: the pht_rules names it gathers from
    its modules (a package may also offer names that it imports lazily). ruff (RUF022) keeps
    every __all__ sorted.
    """
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    exported = set(module.__all__)
    for exported_name in exported:
        assert getattr(module, exported_name) is not None or exported_name.isupper()
    defined = _defined_public_names(ast.parse(MODULES[name].read_text(encoding="utf-8")))
    if _is_package(name):
        gathered = {
            n
            for n, v in vars(module).items()
            if not n.startswith("_")
            and not isinstance(v, types.ModuleType)
            and getattr(v, "__module__", "").startswith("pht_rules")
        }
        assert defined | gathered <= exported, f"{name}.__all__ misses public names"
    else:
        assert exported == defined, f"{name}.__all__ differs from its public names"


def test_long_modules_say_why() -> None:
    """A module over about 400 lines says at its top why it is one module."""
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES:
            head = "\n".join(lines[:40])
            assert "over 400 lines" in head.lower(), f"{name} has {len(lines)} lines and no reason"
