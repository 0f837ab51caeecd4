"""TFDS builder for the evaluation prompt sets, read from a manual directory (array_record).

The benchmark files are not downloaded: put them in a directory and pass it as TFDS's manual directory::

    config = tfds.download.DownloadConfig(manual_dir="benchmarks")
    EvalPrompts(config="do_not_answer", data_dir="tfds", loader=load_benchmark).download_and_prepare(
        download_config=config)
    prompts = load_eval_prompts("tfds:eval_prompts/do_not_answer@tfds")   # both from gajax.eval.benchmarks

One config per benchmark, each parsed by the ``loader`` the builder is given (``gajax build-tfds`` passes
:func:`gajax.eval.benchmarks.load_benchmark`: the builder packs records and never imports the eval stage); the first
of its file names found in the manual directory is read (see ``MANUAL_DOWNLOAD_INSTRUCTIONS``). Features: ``id``,
``prompt``, ``group`` (risk area, category, subset, ...) and ``should_refuse`` as int8: ``1`` the prompt should be
refused, ``0`` it should be answered, ``-1`` the benchmark does not say (TFDS has no optional bool). One split,
``test``, in the order of the source file. Where the data came from (paths, sha256) is in ``builder.info.metadata``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
import tensorflow_datasets as tfds

from gajax.data.tfds.provenance import SourcedBuilder
from gajax.records import RecordError

SHOULD_REFUSE = {True: 1, False: 0, None: -1}


@dataclasses.dataclass(eq=False)
class EvalPromptsConfig(tfds.core.BuilderConfig):
    """A benchmark: its loader name in :data:`gajax.eval.benchmarks.BENCHMARKS` and the file (or directory) names
    it accepts in the manual directory, in order of preference."""

    benchmark: str = "jsonl"
    filenames: tuple[str, ...] = ("prompts.jsonl",)


class PromptRecord(Protocol):
    """What the builder reads of a parsed prompt (:class:`gajax.eval.types.EvalPrompt` is one)."""

    id: str
    prompt: str
    group: str
    should_refuse: bool | None


PromptLoader = Callable[[str, Path], Sequence[PromptRecord]]


class EvalPrompts(SourcedBuilder):
    """Evaluation prompts of one benchmark per config: ``id``, ``prompt``, ``group``, ``should_refuse`` (int8).

    Building needs ``loader(benchmark, path)``, the parser of the config's benchmark file; reading does not."""

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

    def __init__(self, *, loader: PromptLoader | None = None, **kwargs: Any):
        self.loader = loader
        super().__init__(**kwargs)

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
        if self.loader is None:
            raise RecordError(
                f"eval_prompts/{self.builder_config.name}: building needs loader=... (the benchmark parser, "
                "gajax.eval.benchmarks.load_benchmark); gajax build-tfds passes it"
            )
        manual_dir = Path(dl_manager.manual_dir)
        prompts = self.loader(self.builder_config.benchmark, self.benchmark_path(manual_dir))
        self.record_provenance(manual_dir, examples=len(prompts))
        return {"test": self._generate_examples(prompts)}

    def _generate_examples(self, prompts: Sequence[PromptRecord]) -> Iterator[tuple[int, dict[str, Any]]]:
        for position, p in enumerate(prompts):
            yield position, {"id": p.id, "prompt": p.prompt, "group": p.group,
                             "should_refuse": SHOULD_REFUSE[p.should_refuse]}

