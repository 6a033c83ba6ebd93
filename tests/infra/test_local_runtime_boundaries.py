"""The local runtime's boundaries, read from the sources with `ast` (every import counts: module
level, inside functions, under TYPE_CHECKING): moto's internals only in moto_compat, the domain
layer only in domain, the façade imported only by the HTTP adapter, and no import cycle in infra."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
LOCAL = INFRA / "local"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, imported name) for every import in the file; name is None for `import module`."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.extend((module, alias.name) for alias in node.names)
    return found


def local_sources() -> list[Path]:
    return sorted(LOCAL.glob("*.py"))


def test_only_moto_compat_reaches_into_moto():
    offenders = {
        f"{path.name}: {module}{'.' + name if name else ''}"
        for path in local_sources()
        if path.name != "moto_compat.py"
        for module, name in imports(path)
        if (module == "moto" or module.startswith("moto.")) and (module, name) != ("moto", "mock_aws")
    }
    assert offenders == set(), "moto's internals belong in infra/local/moto_compat.py"


def test_moto_compat_is_where_the_internals_are():
    # The check above would pass vacuously if the scan missed function-level imports.
    used = {module for module, _ in imports(LOCAL / "moto_compat.py")}
    assert "moto.stepfunctions.parser.models" in used
    assert "moto.core.botocore_stubber" in used


def test_only_domain_imports_the_domain_layer():
    importers = {
        path.name
        for path in local_sources()
        for module, _ in imports(path)
        if module == "huike" or module.startswith("huike.")
    }
    assert importers == {"domain.py"}


def test_only_the_http_adapter_imports_the_runtime_facade():
    importers = {
        path.name
        for path in local_sources()
        for module, name in imports(path)
        if module == "infra.local.runtime" or (module == "infra.local" and name == "runtime")
    }
    assert importers == {"server.py", "__main__.py"}


def infra_import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in INFRA.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, imported in imports(path):
            if imported is not None and f"{module}.{imported}" in modules:
                graph[name].add(f"{module}.{imported}")  # from package import submodule
            elif module in modules:
                graph[name].add(module)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_infra_has_no_import_cycle():
    graph = infra_import_graph()
    assert "infra.local.runtime" in graph["infra.local.server"]  # the scan sees intra-package imports
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_event_sources_do_not_know_the_runtime():
    graph = infra_import_graph()
    reachable, frontier = set(), ["infra.local.sources"]
    while frontier:
        for target in graph[frontier.pop()] - reachable:
            reachable.add(target)
            frontier.append(target)
    assert "infra.local.runtime" not in reachable


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
