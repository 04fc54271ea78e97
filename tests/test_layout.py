"""The structure holds: no import circles between modules, no module taking another's private names, and the
README's map names every package and module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "voice_assistant"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, list[tuple[str, list[str], bool]]]:
    """module -> [(imported module, names, inside a function)]."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    found: dict[str, list[tuple[str, list[str], bool]]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(f)}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        rows = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
                if not base.startswith("voice_assistant"):
                    continue
                names = [a.name for a in node.names]
                for n in names:  # `from voice_assistant import models`: the submodule itself
                    if f"{base}.{n}" in modules:
                        rows.append((f"{base}.{n}", [], id(node) in inside))
                rows.append((base, names, id(node) in inside))
            elif isinstance(node, ast.Import):
                rows += [(a.name, [], id(node) in inside) for a in node.names if a.name.startswith("voice_assistant")]
        found[name] = [r for r in rows if r[0] in modules and r[0] != name]
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _is_package_face(importer: str, imported: str) -> bool:
    """A package's __init__ handing on its own submodules' names is not a circle of modules."""
    return imported.startswith(importer + ".") or importer.startswith(imported + ".")


def test_no_import_circles_between_modules():
    graph = {m: {t for t, _, _ in rows if not _is_package_face(m, t)} for m, rows in _imports().items()}
    assert _cycles(graph) == []


def test_no_module_takes_another_modules_private_names():
    private = [(m, t, n) for m, rows in _imports().items() for t, names, _ in rows for n in names
               if n.startswith("_") and not n.startswith("__") and t.split(".")[:2] != m.split(".")[:2]]
    assert private == []


def test_the_readme_map_names_every_package_and_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    organised = readme.split("## How it is organised", 1)[1].split("\n## ", 1)[0]
    names = sorted({p.name + "/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
                   | {p.name for p in PACKAGE.glob("*.py") if not p.name.startswith("__")})
    missing = [n for n in names if n not in organised]
    assert not missing, f"README 'How it is organised' does not name {missing}"
