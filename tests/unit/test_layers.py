"""The house's shape, checked from the source: which room may import which, and no import
cycle between modules (each rule is in the README's "Architecture")."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY = {"PySide6", "shiboken6", "keyring", "platformdirs"}
APP_ROOMS = ("core", "qt", "system", "ui", "integration", "commands")

# What each room may import besides the standard library and itself.
ALLOWED: dict[str, set[str]] = {
    "host": set(),
    "app.core": {"host"},
    "app.system": {"host", "app", "app.core", "keyring", "platformdirs"},
    "app.integration": {"host", "app", "app.core", "app.system"},
    "app.commands": {"host", "app", "app.core", "app.system", "app.integration"},
    "app.qt": {"host", "app", "app.core", "app.system", "PySide6"},
    "app.ui": {"host", "app", "app.core", "app.system", "app.integration", "PySide6", "shiboken6"},
}
ENTRY_POINTS = {"app.__main__", "app.cli", "app.main", "app"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # ``from app.system import folders`` imports the module app.system.folders.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {
    module_name(path): path
    for folder in ("host", "app")
    for path in sorted((ROOT / folder).rglob("*.py"))
    if "assets" not in path.parts
}


def room(module: str) -> str:
    for name in ALLOWED:
        if module == name or module.startswith(name + "."):
            return name
    return module


def allowed(importer: str, imported: str) -> bool:
    may = ALLOWED[room(importer)]
    top = imported.split(".", maxsplit=1)[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return True
    if top not in ("app", "host"):
        return top in may  # a third-party package
    if imported not in MODULES:  # ``from app import __version__``: a name in a package
        imported = imported.rsplit(".", 1)[0]
    if imported == "app":
        return "app" in may
    return room(imported) == room(importer) or room(imported) in may


def test_the_rules_catch_what_they_forbid() -> None:
    assert not allowed("app.core.queue", "PySide6.QtCore")
    assert not allowed("app.core.queue", "app.system.folders")
    assert not allowed("app.core.queue", "app")
    assert not allowed("host.relay", "app.core.dispatch")
    assert not allowed("app.system.settings", "PySide6.QtCore")
    assert not allowed("app.commands.decisions", "app.ui.tray")
    assert not allowed("app.qt.server", "app.ui.dialogs")
    assert allowed("app.ui.tray", "app.core.queue")
    assert allowed("app.system.instance", "host.transport")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m not in ENTRY_POINTS))
def test_each_module_imports_only_what_its_room_may(module: str) -> None:
    assert room(module) in ALLOWED, f"{module} lives in no room: put it in one of {APP_ROOMS}"
    wrong = sorted(name for name in imports(MODULES[module]) if not allowed(module, name))
    assert wrong == [], f"{module} ({room(module)}) may not import {wrong}"


def test_app_root_holds_only_the_entry_points() -> None:
    loose = sorted(p.name for p in (ROOT / "app").glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "cli.py", "main.py"]


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle a depth-first walk of ``graph`` meets, as the modules along it."""
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for name in sorted(graph[module]):
            if state.get(name) == 1:
                cycles.append([*trail[trail.index(name) :], name])
            elif name not in state:
                visit(name, [*trail, name])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules() -> None:
    graph = {
        module: {
            name
            for name in imports(path)
            # A package's __init__ is imported on the way to its modules, not by choice.
            if name in MODULES and name != module and not module.startswith(name + ".")
        }
        for module, path in MODULES.items()
    }
    assert find_cycles(graph) == []
