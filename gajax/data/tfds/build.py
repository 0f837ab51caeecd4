"""``gajax build-tfds``: prepare one of gajax's TFDS datasets (array_record) from the pipeline's files."""

from __future__ import annotations

import dataclasses
from typing import Any

DATASETS = ("guideline_library", "guideline_pairs", "aligned_sft", "dpo_pairs", "eval_prompts")


@dataclasses.dataclass(frozen=True)
class BuildTfdsConfig:
    """``gajax build-tfds``: prepare ``dataset`` under ``data_dir`` (read it back as ``tfds:NAME@DATA_DIR``).

    ``dataset`` and what it reads:

    - ``guideline_library``: ``library`` (a ``gajax build-library`` directory);
    - ``guideline_pairs``: ``library`` and ``pairs`` (``pairs.jsonl``);
    - ``aligned_sft``: ``guided`` (``guided.jsonl`` of ``gajax guide``);
    - ``dpo_pairs``: ``guided`` (made with ``unguided=true``) or ``pairs`` (``{prompt, chosen, rejected}`` JSONL);
    - ``eval_prompts/<benchmark>`` (``do_not_answer``, ``vicuna80``, ``hhh``, ``xstest``, ``jsonl``):
      ``manual_dir``, the directory that holds the benchmark file.

    ``validation_fraction`` (``aligned_sft``, ``dpo_pairs``): inputs moved to a ``validation`` split by a hash of
    ``input_id``. A dataset already there is reused when it was built from the same files and settings and refused
    otherwise; ``rebuild=true`` replaces it.
    """

    dataset: str = "aligned_sft"
    data_dir: str = "runs/tfds"
    library: str = ""
    pairs: str = ""
    guided: str = ""
    manual_dir: str = ""
    validation_fraction: float = 0.0
    rebuild: bool = False

    def __post_init__(self) -> None:
        if self.dataset.partition("/")[0] not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS} (eval_prompts/<benchmark>), got {self.dataset!r}")
        if self.validation_fraction and self.dataset not in ("aligned_sft", "dpo_pairs"):
            raise ValueError(f"validation_fraction applies to aligned_sft and dpo_pairs, not {self.dataset}")


def _library(cfg: BuildTfdsConfig) -> Any:
    """The library ``cfg.library`` names, loaded (and so checked), or None when it names none."""
    from gajax.library import Library

    return Library.load(cfg.library) if cfg.library else None


def make_builder(cfg: BuildTfdsConfig) -> Any:
    """The TFDS builder ``cfg`` names, given its source files."""
    name, _, config = cfg.dataset.partition("/")
    common: dict[str, Any] = {"data_dir": cfg.data_dir}
    if name == "guideline_library":
        from gajax.data.tfds.library import GuidelineLibrary

        return GuidelineLibrary(library=_library(cfg), **common)
    if name == "guideline_pairs":
        from gajax.data.tfds.library import GuidelinePairs

        return GuidelinePairs(library=_library(cfg), pairs=cfg.pairs or None, **common)
    if name == "eval_prompts":
        from gajax.data.tfds.eval_prompts import EvalPrompts

        if not config:
            names = [c.name for c in EvalPrompts.BUILDER_CONFIGS]
            raise ValueError(f"dataset=eval_prompts/<benchmark> needs a benchmark, one of {names}")
        if not cfg.manual_dir:
            raise ValueError(f"dataset={cfg.dataset} reads manual_dir=DIR, the directory with the benchmark file")
        from gajax.eval.benchmarks import load_benchmark

        return EvalPrompts(config=config, loader=load_benchmark, **common)
    from gajax.data.tfds.aligned import AlignedSFT, DPOPairs

    fraction = cfg.validation_fraction
    if name == "aligned_sft":
        return AlignedSFT(guided=cfg.guided or None, validation_fraction=fraction, **common)
    return DPOPairs(guided=cfg.guided or None, pairs=cfg.pairs or None, validation_fraction=fraction, **common)


def run_build_tfds(cfg: BuildTfdsConfig) -> int:
    """Prepare the dataset and print its splits and where it came from."""
    import tensorflow_datasets as tfds

    builder = make_builder(cfg)
    modes = tfds.download.GenerateMode
    download_config = tfds.download.DownloadConfig(
        manual_dir=cfg.manual_dir or None,
        download_mode=modes.FORCE_REDOWNLOAD if cfg.rebuild else modes.REUSE_DATASET_IF_EXISTS,
    )
    builder.download_and_prepare(download_config=download_config)
    splits = ", ".join(f"{name} {split.num_examples}" for name, split in sorted(builder.info.splits.items()))
    print(f"{builder.info.full_name} in {builder.data_path}: {splits}")
    metadata = dict(builder.info.metadata.items()) if builder.info.metadata is not None else {}
    for source in metadata.get("sources", []):
        print(f"  from {source['path']} (sha256 {source['sha256']})")
    if metadata.get("counts"):
        print(f"  {metadata['counts']}")
    print(f"read it as tfds:{cfg.dataset}@{cfg.data_dir}")
    return 0
