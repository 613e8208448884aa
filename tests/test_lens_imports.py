"""The package's import graph: no cycles, and data flowing one way (lens never imported below it)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import steerlens

ROOT = Path(steerlens.__file__).resolve().parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        pkg = module.split(".") if is_package else module.split(".")[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join(pkg + ([node.module] if node.module else []))
    # `from . import plot` imports a submodule; `from .x import name` imports module x
    return [f"{base}.{a.name}" for a in node.names] + [base]


def _graph(module_level_only: bool) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        nodes = tree.body if module_level_only else list(ast.walk(tree))
        deps: set[str] = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = _resolve(name, path.name == "__init__.py", node)
            else:
                continue
            deps |= {t for t in targets if t in modules and t != name}
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return found


def _ancestor_edge(a: str, b: str) -> bool:
    # a package's __init__ importing its own submodules (and a submodule its package's
    # siblings through it) is how packages are built, not a cycle between ideas
    return a.startswith(b + ".") or b.startswith(a + ".")


def test_no_import_cycle_at_module_level():
    graph = _graph(module_level_only=True)
    graph = {a: {b for b in deps if not _ancestor_edge(a, b)} for a, deps in graph.items()}
    assert _cycles(graph) == []


def test_no_import_cycle_in_my_modules_even_counting_lazy_imports():
    graph = _graph(module_level_only=False)
    graph = {a: {b for b in deps if not _ancestor_edge(a, b)} for a, deps in graph.items()}
    mine = ("steerlens.lens", "steerlens.transforms", "steerlens.flow", "steerlens.magnify")
    cycles = [c for c in _cycles(graph) if any(m.startswith(mine) for m in c)]
    assert cycles == []


def test_budget_search_does_not_import_the_lens():
    deps = _graph(module_level_only=False)["steerlens.lens._budget"]
    assert "steerlens.lens._lens" not in deps and "steerlens.lens" not in deps
    assert "_gradient_at" not in (ROOT / "lens" / "_budget.py").read_text()


def test_transforms_never_import_the_lens_or_above():
    graph = _graph(module_level_only=False)
    for name, deps in graph.items():
        if name.startswith("steerlens.transforms"):
            assert not any(d.startswith(("steerlens.lens", "steerlens.evaluate", "steerlens.widgets"))
                           for d in deps), (name, deps)


@pytest.mark.parametrize("name", sorted(_module_name(p) for p in ROOT.rglob("*.py")))
def test_every_module_imports_on_its_own(name):
    importlib.import_module(name)


def test_public_names_keep_working():
    import steerlens as sl
    from steerlens.lens import EditResult, Gradient, MorphResult, SteerableLens  # noqa: F401

    assert sl.Gradient is Gradient and sl.SteerableLens is SteerableLens
    assert Gradient.__module__ == "steerlens.lens"
    assert sl.transforms.COLOR_MODES == ("rgb", "luminance")
    for name in ("CSP", "Fourier", "Pixel", "Coefficients", "Transform", "rgb_to_yiq",
                 "yiq_to_rgb", "clear_pyramid_cache"):
        assert getattr(sl.transforms, name) is not None
    from steerlens.lens import COMPONENTS, DOMAINS, NORMALIZATIONS, REGIMES  # noqa: F401


def test_the_command_line_sits_on_top():
    # steerlens.cli imports the layers it drives; nothing in the package imports the CLI
    # (only `python -m steerlens`, steerlens/__main__.py, calls it)
    graph = _graph(module_level_only=False)
    importers = sorted(
        name for name, deps in graph.items()
        if not name.startswith(("steerlens.cli", "steerlens.__main__"))
        and any(d == "steerlens.cli" or d.startswith("steerlens.cli.") for d in deps)
    )
    assert importers == []
    used = set().union(*(deps for name, deps in graph.items() if name.startswith("steerlens.cli")))
    for layer in ("steerlens.lens", "steerlens.models", "steerlens.evaluate", "steerlens.magnify",
                  "steerlens.plot", "steerlens.data"):
        assert any(d == layer or d.startswith(layer + ".") for d in used), layer
    assert graph["steerlens.__main__"] == {"steerlens.cli"}
