"""The layering of gajax/, read statically from the source: no circles, the core never imports a stage, and a
stage imports another stage only through the commented allow-list below (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gajax"

# Stages: one per step of the paper (a package counts as one stage); input expansion comes before detect; the
# Stage-2 lookup and its HTTP server belong to the index stage; ranking the best-of-n samples belongs to sampling.
STAGES = frozenset(
    {"expand", "detect", "guidelines", "library", "retriever", "index", "guide", "finetune", "eval", "sample"}
)
STAGE_OF = {"retrieval": "index", "serve": "index", "rank": "sample"}
# Drivers: entry points that may call several stages: the command line, the end-to-end demo, the bundled seed
# retriever (builds a library, trains its query side, indexes it) and `gajax bench`. Everything else is core.
DRIVERS = frozenset({"cli", "demo", "seed", "bench", "__init__", "__main__"})
# Driver modules inside the core's packages: `gajax build-tfds`, which loads each stage's files (a checked library,
# a benchmark parser) and hands them to the TFDS builders, so that the builders themselves import no stage.
DRIVER_MODULES = frozenset({"gajax.data.tfds.build"})
# Stage -> stage (or driver) imports still allowed: (importer module, imported module). Each is a debt with its
# reason; the list may only shrink.
ALLOWED_STAGE_IMPORTS = frozenset({
    # guidelines writes its detect-then-write conversations with detect's prompt (DetectionPrompt)
    ("gajax.guidelines", "gajax.detect"),
    # build-library embeds with the retriever's guideline tower and writes the library's index/
    ("gajax.library", "gajax.retriever.encoder"),
    ("gajax.library", "gajax.index"),
    # the Stage-2 lookup reads library/ through Library and embeds queries with the retriever's query side
    ("gajax.retrieval", "gajax.library"),
    ("gajax.retrieval", "gajax.retriever.encoder"),
    ("gajax.retrieval", "gajax.retriever.top_layers"),
    # guide looks guidelines up, scores risk, and falls back to the bundled seed retriever
    ("gajax.guide", "gajax.retrieval"),
    ("gajax.guide", "gajax.retriever.risk"),
    ("gajax.guide", "gajax.seed"),
    # eval generates its responses with the guide stage
    ("gajax.eval.run", "gajax.guide"),
    # best-of-n sampling retrieves and prompts exactly as guide does; ranking scores samples with eval's judges
    ("gajax.sample", "gajax.guide"),
    ("gajax.rank", "gajax.eval.judges"),
    ("gajax.rank", "gajax.eval.types"),
    ("gajax.eval.run", "gajax.guide"),
})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every gajax module that `name` imports, at module level or inside functions."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    tree = ast.parse(path.read_text(), filename=str(path))
    type_only = {  # `if TYPE_CHECKING:` imports never run; annotations may name any module
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("gajax"):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("gajax"):
                continue
            for alias in node.names:  # `from gajax.eval import run` imports the module gajax.eval.run
                sub = f"{module}.{alias.name}"
                add(sub if sub in known else module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _layer(module: str) -> tuple[str, str]:
    """('stage', stage name), ('driver', name) or ('core', name) for a gajax module."""
    if module in DRIVER_MODULES:
        return "driver", module
    top = module.split(".")[1] if "." in module else "__init__"
    top = STAGE_OF.get(top, top)
    if top in STAGES:
        return "stage", top
    if top in DRIVERS:
        return "driver", top
    return "core", top


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_graph_reads_every_module():
    graph = _graph()
    assert "gajax.library" in graph and "gajax.cli" in graph
    assert "gajax.config" in graph["gajax.cli"]


def test_no_import_circles():
    circles = _cycles(_graph())
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_core_never_imports_a_stage_or_driver():
    bad = [
        f"{src} -> {dst}"
        for src, targets in sorted(_graph().items())
        if _layer(src)[0] == "core"
        for dst in sorted(targets)
        if _layer(dst)[0] != "core" and (src, dst) not in ALLOWED_STAGE_IMPORTS
    ]
    assert not bad, "core imports a stage or driver: " + ", ".join(bad)


def test_stages_hand_each_other_files():
    bad = []
    for src, targets in sorted(_graph().items()):
        kind, stage = _layer(src)
        if kind != "stage":
            continue
        for dst in sorted(targets):
            dst_kind, dst_stage = _layer(dst)
            crosses = dst_kind == "driver" or (dst_kind == "stage" and dst_stage != stage)
            if crosses and (src, dst) not in ALLOWED_STAGE_IMPORTS:
                bad.append(f"{src} -> {dst}")
    assert not bad, "stage imports another stage or a driver: " + ", ".join(bad)


def test_allow_list_names_only_real_edges():
    graph = _graph()
    stale = sorted(f"{src} -> {dst}" for src, dst in ALLOWED_STAGE_IMPORTS if dst not in graph.get(src, set()))
    assert not stale, "allow-list entries with no import behind them (remove them): " + ", ".join(stale)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import gajax.library as lib\n", {"gajax.library"}),
        ("def f():\n    from ..index import x\n", {"gajax.index"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import gajax.library\n", set()),
    ],
)
def test_reader_sees_every_import_form(tmp_path, source, expected):
    path = tmp_path / "mod.py"
    path.write_text(source)
    assert _imports("gajax.eval.mod", path, {"gajax.library", "gajax.index", "gajax.eval"}) == expected
