"""The house's arrows point down: every import of app/ is read from the source (AST), none may run upward,
and no modules (nor capability packages) import each other in a circle. docs/架构.md draws the same layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"

# Lower numbers are nearer the ground; a module may import only what stands strictly lower, or its own room.
LAYERS: list[tuple[str, int]] = [
    ("app", 0),  # app/__init__.py: the title and version only
    ("app.resources", 0),
    ("app.models", 0),  # the package itself holds nothing
    ("app.models.values", 1),
    ("app.models.rules", 2),
    ("app.models.store", 3),
    ("app.models.xlsx", 3),
    ("app.models.ledger", 4),
    ("app.models.plan", 4),
    ("app.models.payments", 4),
    ("app.models.notices", 4),
    ("app.models.performance", 4),
    ("app.models.warnings", 4),
    ("app.models.reports", 4),
    ("app.models.prefecture", 4),
    ("app.models.search", 4),
    ("app.models.integrity", 5),
    ("app.export", 6),
    ("app.demo", 7),
    ("app.ui", 8),
    ("app.cli", 9),
    ("app.__main__", 10),
]
CAPABILITY_RANK = 4  # capabilities may use each other sideways, as long as their packages form no circle


def room(module: str) -> tuple[str, int]:
    best = max((p for p, _ in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return best, dict(LAYERS)[best]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str) -> Iterable[tuple[str, int]]:
    """(imported app module, line) for every import in the file, at any depth, TYPE_CHECKING ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "app" or a.name.startswith("app."):
                    yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                src = ".".join(base + ([node.module] if node.module else []))
            else:
                src = node.module or ""
            if not (src == "app" or src.startswith("app.")):
                continue
            for a in node.names:
                full = f"{src}.{a.name}"
                yield (full if full in MODULES else src), node.lineno


FILES = {module_name(p): p for p in sorted(APP.rglob("*.py"))}
MODULES = set(FILES)


def graph(files: dict[str, Path]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {m: set() for m in files}
    for m, p in files.items():
        for target, _line in imports_of(p, m):
            t = target
            while t not in MODULES and "." in t:
                t = t.rsplit(".", 1)[0]
            if t in MODULES and t != m:
                out[m].add(t)
    return out


def upward(files: dict[str, Path]) -> list[str]:
    bad = []
    for m, p in files.items():
        here, rank = room(m)
        for target, line in imports_of(p, m):
            there, trank = room(target)
            if there == here or trank < rank or (trank == rank == CAPABILITY_RANK):
                continue
            if there == "app" and target != "app":
                continue  # app.X is resolved by its own room above
            bad.append(f"{p.relative_to(ROOT)}:{line}: {m} ({here}, 层 {rank}) → {target} ({there}, 层 {trank})")
    return bad


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def package_graph(g: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m, targets in g.items():
        a = room(m)[0]
        for t in targets:
            b = room(t)[0]
            if a != b:
                out.setdefault(a, set()).add(b)
    return out


def test_no_import_runs_upward() -> None:
    bad = upward(FILES)
    assert not bad, "向上的依赖：\n" + "\n".join(bad)


def test_no_modules_import_each_other_in_a_circle() -> None:
    found = cycles(graph(FILES))
    assert not found, "循环依赖：\n" + "\n".join(" ↔ ".join(c) for c in found)


def test_no_rooms_depend_on_each_other_in_a_circle() -> None:
    found = cycles(package_graph(graph(FILES)))
    assert not found, "功能包之间的循环依赖：\n" + "\n".join(" ↔ ".join(c) for c in found)


def test_every_module_has_a_room() -> None:
    for m in FILES:
        assert room(m)[0] != "app" or m == "app", f"{m} 不属于任何一层：请在 LAYERS 中为它找一个位置"


def test_models_never_import_qt() -> None:
    for m, p in FILES.items():
        if m.startswith("app.models"):
            text = p.read_text(encoding="utf-8")
            assert "PySide6" not in text, f"{p.relative_to(ROOT)} 导入了 Qt：app/models 不依赖界面"


# -- the test itself must be able to fail -----------------------------------------------------------

@pytest.mark.parametrize("source, target", [
    ("app.models.values.money", "app.models.store.book"),
    ("app.models.store.book", "app.export.manifest"),
    ("app.models.reports.monthly", "app.ui.kit.widgets"),
    ("app.export.workbook", "app.cli.main"),
])
def test_an_added_upward_import_is_caught(tmp_path: Path, source: str, target: str) -> None:
    fake = {source: tmp_path / "fake.py"}
    fake[source].write_text(f"from {target.rsplit('.', 1)[0]} import {target.rsplit('.', 1)[1]}\n", encoding="utf-8")
    global ROOT
    saved = ROOT
    ROOT = tmp_path
    try:
        assert upward(fake), f"{source} → {target} 应被判为向上的依赖"
    finally:
        ROOT = saved


def test_an_added_circle_is_caught() -> None:
    g = graph(FILES)
    a, b = "app.models.store.book", "app.models.store.db"
    g[b] = set(g[b]) | {a}
    g[a] = set(g[a]) | {b}
    assert any(a in c and b in c for c in cycles(g))
