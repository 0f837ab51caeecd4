"""TFDS builder for the evaluation prompt sets, read from a manual directory (array_record).

The benchmark files are not downloaded: put them in a directory and pass it as TFDS's manual directory::

    config = tfds.download.DownloadConfig(manual_dir="benchmarks")
    EvalPrompts(config="do_not_answer", data_dir="tfds").download_and_prepare(download_config=config)
    prompts = load_eval_prompts("tfds:eval_prompts/do_not_answer@tfds")   # list[EvalPrompt]

One config per benchmark, each parsed by :func:`gajax.eval.benchmarks.load_benchmark`; the first of its file names
found in the manual directory is read (see ``MANUAL_DOWNLOAD_INSTRUCTIONS``). Features: ``id``, ``prompt``,
``group`` (risk area, category, subset, ...) and ``should_refuse`` as int8: ``1`` the prompt should be refused,
``0`` it should be answered, ``-1`` the benchmark does not say (TFDS has no optional bool). One split, ``test``, in
the order of the source file. Where the data came from (paths, sha256) is in ``builder.info.metadata``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import tensorflow_datasets as tfds

from gajax.data.tfds.provenance import SourcedBuilder
from gajax.data.tfds.source import read_records
from gajax.eval.types import EvalPrompt
from gajax.records import RecordError

SHOULD_REFUSE = {True: 1, False: 0, None: -1}


@dataclasses.dataclass(eq=False)
class EvalPromptsConfig(tfds.core.BuilderConfig):
    """A benchmark: its loader name in :data:`gajax.eval.benchmarks.BENCHMARKS` and the file (or directory) names
    it accepts in the manual directory, in order of preference."""

    benchmark: str = "jsonl"
    filenames: tuple[str, ...] = ("prompts.jsonl",)


class EvalPrompts(SourcedBuilder):
    """Evaluation prompts of one benchmark per config: ``id``, ``prompt``, ``group``, ``should_refuse`` (int8)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.0.0": "Benchmark prompts from local files."}
    BUILDER_CONFIGS: ClassVar[list[EvalPromptsConfig]] = [
        EvalPromptsConfig(
            name="do_not_answer",
            description="Do-Not-Answer: 939 prompts a responsible model declines; group = risk area.",
            benchmark="do_not_answer",
            filenames=("do_not_answer.jsonl", "do_not_answer_en_prompt.jsonl", "do_not_answer.csv"),
        ),
        EvalPromptsConfig(
            name="vicuna80",
            description="The Vicuna benchmark: 80 benign questions; group = category.",
            benchmark="vicuna80",
            filenames=("vicuna80.jsonl", "question.jsonl"),
        ),
        EvalPromptsConfig(
            name="hhh",
            description="BIG-bench HHH alignment inputs; group = subset; should_refuse unknown.",
            benchmark="hhh",
            filenames=("hhh_alignment", "hhh.jsonl"),
        ),
        EvalPromptsConfig(
            name="xstest",
            description="XSTest v2: safe prompts that sound unsafe and unsafe contrasts; group = type.",
            benchmark="xstest",
            filenames=("xstest_prompts.csv",),
        ),
        EvalPromptsConfig(
            name="jsonl",
            description="Any JSONL of prompts (prompt, optional id); should_refuse unknown.",
            benchmark="jsonl",
            filenames=("prompts.jsonl",),
        ),
    ]
    SOURCE_HINT = "download_config.manual_dir with the benchmark file"
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Put the benchmark file of the config you build in the manual directory (download_config.manual_dir):
    do_not_answer: do_not_answer.jsonl (id, prompt, risk_area), Guide-Align's do_not_answer_en_prompt.jsonl or
      LibrAI's do_not_answer.csv (https://github.com/Libr-AI/do-not-answer);
    vicuna80: vicuna80.jsonl (id, prompt, category) or FastChat's vicuna_bench question.jsonl;
    hhh: the BIG-bench hhh_alignment directory (harmless/, helpful/, honest/, other/ with task.json) or hhh.jsonl;
    xstest: xstest_prompts.csv (https://github.com/paul-rottger/exaggerated-safety);
    jsonl: prompts.jsonl with a prompt (and optional id) per line.
    """

    def _info(self) -> tfds.core.DatasetInfo:
        text = tfds.features.Text()
        return self.dataset_info(
            f"Evaluation prompts (gajax): {self.builder_config.description}",
            {"id": text, "prompt": text, "group": text, "should_refuse": np.int8},
        )

    def benchmark_path(self, manual_dir: Path) -> Path:
        """The first of the config's file names present in ``manual_dir``."""
        config: EvalPromptsConfig = self.builder_config
        for name in config.filenames:
            if (manual_dir / name).exists():
                return manual_dir / name
        raise RecordError(f"{manual_dir}: none of {list(config.filenames)} is there (eval_prompts/{config.name})")

    def source_files(self, manual_dir: Path | None) -> list[Path]:
        if manual_dir is None:
            return []
        path = self.benchmark_path(manual_dir)
        return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]

    def settings(self) -> dict[str, Any]:
        return {"benchmark": self.builder_config.benchmark}

    def _split_generators(self, dl_manager: Any) -> dict[str, Iterator[tuple[int, dict[str, Any]]]]:
        from gajax.eval.benchmarks import load_benchmark

        manual_dir = Path(dl_manager.manual_dir)
        prompts = load_benchmark(self.builder_config.benchmark, self.benchmark_path(manual_dir))
        self.record_provenance(manual_dir, examples=len(prompts))
        return {"test": self._generate_examples(prompts)}

    def _generate_examples(self, prompts: list[EvalPrompt]) -> Iterator[tuple[int, dict[str, Any]]]:
        for position, p in enumerate(prompts):
            yield position, {"id": p.id, "prompt": p.prompt, "group": p.group,
                             "should_refuse": SHOULD_REFUSE[p.should_refuse]}


def load_eval_prompts(source: str) -> list[EvalPrompt]:
    """The :class:`EvalPrompt` records of a prepared ``eval_prompts`` dataset, e.g.
    ``tfds:eval_prompts/vicuna80@DATA_DIR`` (see :mod:`gajax.data.tfds.source`)."""
    refuse = {v: k for k, v in SHOULD_REFUSE.items()}
    return [
        EvalPrompt(r["id"], r["prompt"], r["group"], refuse[r["should_refuse"]])
        for r in read_records(source, {"id": str, "prompt": str, "group": str, "should_refuse": int})
    ]
