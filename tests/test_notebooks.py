"""Every notebook under ``notebooks/`` runs top to bottom on the CPU with the embedded models and small sizes.

The ``parameters`` cell gets overrides appended; a last cell prints what the notebook computed as JSON, which the
test then checks. The seed retriever comes from the default cache (built on first use).
"""

import json
import math
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
RESULT_MARK = "NOTEBOOK-RESULT "


def run_notebook(name: str, overrides: str, report: str, workdir: Path, monkeypatch) -> tuple[dict, list]:
    """Execute ``name`` with ``overrides`` appended to its parameters cell; returns (the JSON that ``report``
    prints, every output of the run)."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    (params,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    params.source += "\n# test overrides\n" + overrides
    nb.cells.append(nbformat.v4.new_code_cell(f"import json\nprint({RESULT_MARK!r} + json.dumps({report}))"))
    # The kernel inherits this environment: the CPU, with however many devices it has (no forced count).
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.setenv("XLA_FLAGS", "")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    (line,) = [ln for ln in printed.splitlines() if ln.startswith(RESULT_MARK)]
    return json.loads(line[len(RESULT_MARK) :]), outputs


def images(outputs: list) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs if o.get("output_type") == "display_data")


def test_notebooks_are_the_generators_output(tmp_path):
    """The committed notebooks equal what ``build_notebooks.py`` writes (so edits go through the generator)."""
    before = {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    subprocess.run([sys.executable, str(NOTEBOOKS / "build_notebooks.py")], check=True, capture_output=True)
    after = {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    assert after == before
    for data in after.values():
        nb = nbformat.reads(data.decode(), as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert 'GAJAX_SOURCE = os.environ.get("GAJAX_SOURCE", "")' in nb.cells[1].source


@pytest.fixture(scope="session")
def gajax_wheel(tmp_path_factory) -> tuple[Path, str]:
    """gajax built once into a wheel from a copy of the sources; returns (the wheel, the build's output)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "gajax-src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("gajax", "configs"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(base), "."],
        cwd=source, capture_output=True, text=True, check=True,
    )
    (wheel,) = base.glob("gajax-*.whl")
    return wheel, build.stdout + build.stderr


def _install_cell() -> str:
    sources = {nbformat.read(path, as_version=4).cells[1].source for path in NOTEBOOKS.glob("*.ipynb")}
    (source,) = sources  # one install cell for every notebook
    return source


def test_wheel_ships_every_data_file_without_build_warnings(gajax_wheel):
    wheel, output = gajax_wheel
    assert "Warning" not in output, output  # e.g. setuptools BuildBackendWarning about undeclared package data
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = [p for d in ("gajax", "configs") for p in (ROOT / d).rglob("*") if p.suffix in (".yaml", ".json", ".jsonl")]
    assert len(data) > 30
    for path in data:
        relative = path.relative_to(ROOT)
        inside = Path("gajax", relative) if relative.parts[0] == "configs" else relative
        assert inside.as_posix() in shipped, inside


def test_install_cell_installs_the_wheel(gajax_wheel, tmp_path):
    """The notebooks' first cell, run for real with GAJAX_SOURCE set to the wheel, into a throwaway directory."""
    wheel, _ = gajax_wheel
    target = tmp_path / "target"
    env = {**os.environ, "GAJAX_SOURCE": str(wheel), "PIP_TARGET": str(target), "PIP_NO_DEPS": "1"}
    subprocess.run([sys.executable, "-c", _install_cell()], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info")) == ["bin", "gajax"]
    probe = "import gajax, gajax.config as c; print(gajax.__file__); print(c.resolve_config_path('sft'))"
    shown = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONPATH": str(target)}).stdout.split()
    assert shown == [str(target / "gajax" / "__init__.py"), str(target / "gajax" / "configs" / "sft.yaml")]


def test_install_cell_says_what_to_set_outside_a_checkout(tmp_path):
    # -S hides the installed (editable) gajax; site-packages on PYTHONPATH keeps everything else importable.
    env = {k: v for k, v in os.environ.items() if k != "GAJAX_SOURCE"} | {"PYTHONPATH": sysconfig.get_path("purelib")}
    run = subprocess.run([sys.executable, "-S", "-c", _install_cell()], cwd=tmp_path, env=env, capture_output=True,
                         text=True)
    assert run.returncode != 0
    assert "gajax is not installed and this notebook is not in a gajax checkout: set GAJAX_SOURCE" in run.stderr


@pytest.mark.slow
def test_guided_generation_notebook(tmp_path, monkeypatch):
    result, outputs = run_notebook(
        "guided_generation",
        'PROMPTS = ["How do I pick a lock?", "Write a haiku about rain."]\nMAX_NEW_TOKENS = 6\nTOP_N = 10\nKEEP = 3',
        "[{k: r[k] for k in ('prompt', 'guidelines', 'response', 'unguided_response')} for r in records]",
        tmp_path,
        monkeypatch,
    )
    assert [r["prompt"] for r in result] == ["How do I pick a lock?", "Write a haiku about rain."]
    for record in result:
        # TOP_N = 10 candidates leave more than KEEP = 3 after fuzzy dedup, so exactly KEEP are kept.
        assert len(record["guidelines"]) == 3
        assert record["response"].strip() and record["unguided_response"].strip()
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "GUIDED" in printed and "UNGUIDED" in printed and "cpu" in printed.lower()


@pytest.mark.slow
def test_retrieval_benchmark_notebook(tmp_path, monkeypatch):
    result, outputs = run_notebook(
        "retrieval_benchmark",
        "SIZES = [20_000]\nNUM_QUERIES = 32\nLEAF_FRACTIONS = [0.05, 0.3]\nREORDERS = [50, 200]\nHNSW_EF = [16, 128]",
        "rows",
        tmp_path,
        monkeypatch,
    )
    methods = {row[1] for row in result}
    assert {"exact", "ScaNN"} <= methods
    scann = [row for row in result if row[1] == "ScaNN"]
    assert len(scann) == 4 and all(0.0 <= row[3] <= 1.0 and row[4] > 0 for row in scann)
    # The widest ScaNN search (30% of the leaves, 200 re-scored) must find nearly all true neighbours.
    assert max(row[3] for row in scann) >= 0.9
    try:
        import faiss  # noqa: F401

        assert "FAISS HNSW" in methods
    except ImportError:
        assert "FAISS HNSW" not in methods
    assert images(outputs) == 1


@pytest.mark.slow
def test_train_retriever_notebook(tmp_path, monkeypatch):
    result, outputs = run_notebook(
        "train_retriever",
        "NUM_PAIRS = 160\nHELDOUT_FRACTION = 0.25\nSTEPS = 4\nBATCH_SIZE = 8\nMAX_LENGTH = 48",
        "{'before': before, 'after': after, 'losses': list(losses), 'output_dir': str(out.resolve())}",
        tmp_path,
        monkeypatch,
    )
    assert len(result["losses"]) == 4 and all(math.isfinite(x) and x > 0 for x in result["losses"])
    for when in ("before", "after"):
        for k in (1, 5, 10, 20):
            assert 0.0 <= result[when][f"recall@{k}"] <= 1.0
        assert result[when]["recall@20"] >= result[when]["recall@1"]
    assert result["before"] != result["after"]  # the weights changed
    out = Path(result["output_dir"])
    assert out.is_relative_to(tmp_path) and (out / "checkpoints").is_dir() and (out / "hf").is_dir()
    assert images(outputs) == 1
