"""The layout tells the architecture: the core knows programmes only through sim.programme, the
imports have no cycle, and nothing reaches into another package's private modules."""

import ast
import sys

import pytest

from conftest import ROOT

CORE = ("sim.model", "sim.arrivals", "sim.population", "sim.kernels", "sim.schema", "sim.disease", "sim.hosts",
        "sim.routes", "sim.rng", "sim.tally", "sim.selection", "sim.checks", "sim.protection", "sim.programme",
        "sim.diagnostics", "sim.outcomes")
PACKAGES = ("sim", "analysis", "hydra_plugins")


def reachable(graph: dict[str, set[str]], module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_programme(module):
    """Statically, through its own imports and theirs (importing any module of `sim` also runs
    sim/__init__.py, the public API, which does import the programmes)."""
    programmes = sorted(m for m in reachable(module_imports(), module) if m.startswith("sim.programmes"))
    assert not programmes, f"{module} imports {programmes}"


def module_imports() -> dict[str, set[str]]:
    """Each project module and the project modules it imports at module level (any depth of
    `if`/`try`, not inside functions)."""
    files = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            files[name] = path
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text())
        found = set()
        for node in module_level(tree.body):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {f"{node.module}.{alias.name}" for alias in node.names} & set(files)
                found |= submodules or {node.module}  # `from sim import kernels` imports sim.kernels
        graph[name] = {target for target in found if target in files and target != name}
    return graph


def module_level(body):
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            yield from module_level(node.body + node.orelse + getattr(node, "finalbody", [])
                                    + [n for handler in getattr(node, "handlers", []) for n in handler.body])


def test_no_import_cycles():
    graph = module_imports()
    state, path = {}, []

    def visit(module):
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)


# The imports made inside a function on purpose reach up from sim to the analysis package when
# called, which never happens while sim is being imported: drawing a Result (Result.plot) and the
# command line's run over paired seeds (sim.cli, analysis.seeds).
UPWARD = {("sim", "analysis")}


def test_no_function_level_imports_of_the_project():
    """An import inside a function hides a cycle from the test above (but an upward one, from the
    model to the drawing code, which sim never needs to import itself)."""
    hidden = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for inner in ast.walk(node):
                        names = ([alias.name for alias in inner.names] if isinstance(inner, ast.Import)
                                 else [inner.module] if isinstance(inner, ast.ImportFrom) and inner.module else [])
                        hidden += [f"{path.relative_to(ROOT)}:{inner.lineno} {name}" for name in names
                                   if name.split(".")[0] in PACKAGES and (package, name.split(".")[0]) not in UPWARD]
    assert not hidden, hidden


def test_no_private_imports_from_other_packages():
    private = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            own = ".".join(path.relative_to(ROOT).parts[:2])
            for node in ast.walk(ast.parse(path.read_text())):
                names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                         else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                for name in names:
                    parts = name.split(".")
                    private = [part for part in parts[1:] if part.startswith("_") and not part.startswith("__")]
                    if parts[0].startswith("_") and parts[0] not in sys.stdlib_module_names:
                        private.append(parts[0])  # stdlib modules such as _thread are documented
                    if private and not name.startswith(own):
                        private.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert not private, private
