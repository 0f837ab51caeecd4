"""The ``gajax`` command: one subcommand per stage, each driven by a typed config plus ``key=value`` overrides.

Every subcommand takes ``--config FILE`` (a YAML path or a shipped name under ``configs/``), any number of dotted
overrides such as ``model.dtype=bfloat16``, and ``--print-config`` to show the resolved config and exit.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
from collections.abc import Sequence

from gajax.config import ConfigError, dump_config, load_config
from gajax.records import RecordError


@dataclasses.dataclass(frozen=True)
class Command:
    """A subcommand: its config class and runner (``module:attr``), shipped default config and help."""

    config: str
    runner: str
    default_config: str | None
    help: str
    description: str = ""


def _resolve(ref: str) -> object:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


COMMANDS: dict[str, Command] = {
    "chat": Command(
        "gajax.generate:ChatConfig",
        "gajax.generate:run_chat",
        "chat",
        "chat with the decoder (SmolLM2-135M-Instruct by default)",
        "Chat with a decoder through gajax's own Flax model. With prompt=... answers once and exits; "
        "otherwise reads turns from standard input.",
    ),
    "generate": Command(
        "gajax.generate:GenerateConfig",
        "gajax.generate:run_generate",
        "generate",
        "generate responses for one prompt or a JSONL file of prompts (resumable)",
        "Greedy or sampled generation with a static KV cache. input=prompts.jsonl output=responses.jsonl streams "
        "records and resumes after an interruption; prompt='...' answers one prompt.",
    ),
    "build-library": Command(
        "gajax.library:BuildLibraryConfig",
        "gajax.library:run_build_library",
        "build_library",
        "build the guideline library (dedup, embeddings, ScaNN index) and pairs.jsonl from guidelines_raw.jsonl",
        "Reads raw=guidelines_raw.jsonl and inputs=inputs.jsonl, merges near-duplicate guidelines (fuzzy ratio >= "
        "dedup_threshold), embeds them, writes output=DIR (guidelines.jsonl, embeddings.npy, manifest.json, index/) "
        "and pairs=pairs.jsonl remapped through the merge map.",
    ),
    "retrieve": Command(
        "gajax.retrieval:RetrieveConfig",
        "gajax.retrieval:run_retrieve",
        "retrieve",
        "look up guidelines for one query or a JSONL file of prompts (top-20, fuzzy dedup, keep 6)",
        "query='...' prints the kept guidelines; input=prompts.jsonl output=FILE.jsonl writes one record per prompt "
        "and resumes after an interruption.",
    ),
    "serve-guidelines": Command(
        "gajax.serve:ServeConfig",
        "gajax.serve:run_serve",
        "serve_guidelines",
        "serve a guideline library over HTTP (POST /retrieve, GET /health)",
        "A JSON API with request batching and size limits; see gajax/serve.py for the request format.",
    ),
    "expand-inputs": Command(
        "gajax.expand:ExpandConfig",
        "gajax.expand:run_expand",
        "expand_inputs",
        "grow seed questions per category into many diverse training inputs (ROUGE-L filter, resumable)",
        "Self-instruct style expansion: the model sees example requests of a category and writes new ones; a new "
        "one is kept only if its ROUGE-L against every kept one is <= rouge_threshold (0.7).",
    ),
    "detect": Command(
        "gajax.detect:DetectConfig",
        "gajax.detect:run_detect",
        "detect",
        "judge every training input for safety risk (few-shot; inputs.jsonl -> detections.jsonl, resumable)",
        "Asks llm (gajax's decoder, or an OpenAI-compatible API with llm.backend=openai) for an analysis ending "
        "in 'Final answer: Yes/No'; unparseable answers are retried and recorded as unparsed. limit=N, "
        "shard.index/shard.count split the inputs across hosts; a summary lists rejected inputs and failures.",
    ),
    "write-guidelines": Command(
        "gajax.guidelines:WriteGuidelinesConfig",
        "gajax.guidelines:run_write_guidelines",
        "write_guidelines",
        "write input-specific guidelines (inputs.jsonl + detections.jsonl -> guidelines_raw.jsonl, resumable)",
        "Risky inputs get the risk-aware multi-turn prompt with their detection analysis in context, the others "
        "the quality prompt; answers are parsed into 'Title: description' guidelines and validated.",
    ),
    "serve-llm": Command(
        "gajax.llm.server:ServeConfig",
        "gajax.llm.server:run_serve_llm",
        "serve_llm",
        "serve gajax's decoder as an OpenAI-compatible chat-completions endpoint",
        "POST /v1/chat/completions (non-streaming) and GET /v1/models; concurrent requests are batched into one "
        "generate call; size limits and OpenAI-style JSON errors.",
    ),
    "sft": Command(
        "gajax.finetune.train:FinetuneConfig",
        "gajax.finetune.train:run_sft",
        "sft",
        "supervised fine-tuning (Labrador) on guided responses",
        "Full-parameter SFT with loss on response tokens only, packing, gradient accumulation, Orbax checkpoints "
        "(resume, SIGTERM-safe) and HF export. Hardware recipes: --config recipes/labrador_13b_v5e64.",
    ),
    "dpo": Command(
        "gajax.finetune.train:FinetuneConfig",
        "gajax.finetune.train:run_dpo",
        "dpo",
        "DPO fine-tuning: guided response = chosen, unguided = rejected",
        "Direct preference optimisation in TRL's vocabulary (beta, sigmoid loss, label_smoothing) with reference "
        "log-probs precomputed in one pass.",
    ),
    "aot": Command(
        "gajax.finetune.aot:AotConfig",
        "gajax.finetune.aot:run_aot",
        "aot",
        "compile a recipe's train step for a TPU topology from this host and report per-chip memory",
        "Ahead-of-time compilation with libtpu (pip install 'jax[tpu]'): an out-of-memory plan fails here, not on "
        "the pod. Exit status 1 when the plan leaves less than min_headroom of HBM free.",
    ),
    "bench": Command(
        "gajax.bench:BenchConfig",
        "gajax.bench:run_bench",
        None,
        "run a benchmark against its peer (area=decoder|encoder|retrieval|serving|train|risk_identification)",
        "Runs benchmarks/<area>.py, which prints a table and writes benchmarks/results/<area>.json. Pass the "
        "script's own options with args=[...].",
    ),
    "convert": Command(
        "gajax.convert.cli:ConvertConfig",
        "gajax.convert.cli:run_convert",
        None,
        "convert decoder weights (GGUF, HF safetensors, training runs) to HF safetensors or GGUF",
        "Load weights with gajax's importers and export them as an HF LLaMA directory (config.json + safetensors) "
        "that transformers loads, or with format=gguf as one GGUF file (F32/F16/BF16) for llama.cpp and Ollama.",
    ),
    "train-retriever": Command(
        "gajax.retriever.train:TrainRetrieverConfig",
        "gajax.retriever.train:run_train_retriever",
        "retriever/minilm",
        "train the dual-encoder retriever on (input, guideline) pairs",
        "Contrastive (InfoNCE, multi-positive masked) training of the dual encoder on pairs.jsonl against the "
        "guidelines.jsonl library, data-parallel over the mesh; resumes from its Orbax checkpoints.",
    ),
    "embed": Command(
        "gajax.retriever.embed:EmbedConfig",
        "gajax.retriever.embed:run_embed",
        "embed",
        "embed the texts of a JSONL file with the retriever",
        "Writes a float32 .npy matrix (one row per record) and an .ids.json file; checkpoint=DIR uses a "
        "train-retriever run, otherwise model.weights (all-MiniLM-L6-v2 by default).",
    ),
    "guide": Command(
        "gajax.guide:GuideConfig",
        "gajax.guide:run_guide",
        "guide",
        "guided generation: retrieve guidelines for each input and answer with them (resumable)",
        "prompt='...' answers one prompt; input=inputs.jsonl output=guided.jsonl writes one record per input. "
        "library=DIR uses a built library (default: the embedded seed library); unguided=true also records the "
        "answer without guidelines, for DPO pairs.",
    ),
    "sample": Command(
        "gajax.sample:SampleConfig",
        "gajax.sample:run_sample",
        "sample",
        "best-of-n sampling: n answers per input, guided, unguided or both, in one decode (resumable)",
        "input=inputs.jsonl output=samples.jsonl n=4 variant=both: every prompt repeated n times per variant and "
        "decoded in one batch, each sample with its own seed, log-likelihood and the guideline ids that steered it. "
        "Retrieval as in gajax guide.",
    ),
    "rank": Command(
        "gajax.rank:RankConfig",
        "gajax.rank:run_rank",
        "rank",
        "rank best-of-n samples by a judge: chosen/rejected per input, SFT and DPO files, safe-sample yield",
        "Judges every sample (offline refusal detector by default; judges.use=[llm] or [classifier]); on a risky "
        "prompt a refusal beats compliance, on a benign one a compliant answer beats a refusal; ties go to the "
        "higher mean log-likelihood. Writes output=ranked.jsonl (resumable), sft=, dpo= and summary=.",
    ),
    "build-seed": Command(
        "gajax.seed:SeedConfig",
        "gajax.seed:run_build_seed",
        "seed",
        "build (or find) the cached default: seed library, fine-tuned MiniLM retriever, ScaNN index",
        "Embeds the packaged seed guidelines and inputs with MiniLM, fine-tunes the query side on the pairs, "
        "indexes the library with ScaNN and caches it all under $GAJAX_CACHE (default ~/.cache/gajax).",
    ),
    "eval": Command(
        "gajax.eval.run:EvalConfig",
        "gajax.eval.run:run_eval",
        "eval",
        "evaluate a model with and without guidelines: harmless rate, over-refusal, pairwise win rates (resumable)",
        "Generates guided and unguided answers on each benchmark (Do-Not-Answer, Vicuna-80, HHH, XSTest, any JSONL), "
        "judges them (offline refusal detector, transformers classifier, LLM judge with the 6-class action rubric), "
        "compares them pairwise in both orders, and writes output/results.json, report.md and PNG plots.",
    ),
    "build-tfds": Command(
        "gajax.data.tfds.build:BuildTfdsConfig",
        "gajax.data.tfds.build:run_build_tfds",
        "build_tfds",
        "prepare a TFDS dataset (library, pairs, aligned SFT set, DPO pairs, eval prompts) for the trainers",
        "Writes array_record files under data_dir, read without TensorFlow through tfds.data_source; trainers "
        "take it as data.path=tfds:aligned_sft@DATA_DIR (sft), tfds:dpo_pairs@DATA_DIR (dpo), "
        "pairs=tfds:guideline_pairs@DATA_DIR (train-retriever). Records where the data came from (sha256).",
    ),
    "demo": Command(
        "gajax.demo:DemoConfig",
        "gajax.demo:run_demo",
        "demo",
        "the whole pipeline on the embedded defaults: guided vs unguided SmolLM2 answers side by side",
        "Builds or loads the seed library, retriever and index, loads SmolLM2-135M-Instruct and prints guided "
        "and unguided answers for a few prompts with their retrieved guidelines.",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="gajax",
        description="Guide-Align in JAX: guideline library, retriever, guided generation and fine-tuning.",
        epilog="Run 'gajax COMMAND --help' for a command's options; 'gajax COMMAND --print-config' for its config.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, cmd in COMMANDS.items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.description or cmd.help)
        p.add_argument(
            "--config",
            default=cmd.default_config,
            help=f"YAML file or shipped config name (default: {cmd.default_config or 'none'})",
        )
        p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
        p.add_argument(
            "overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides, e.g. max_new_tokens=64"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gajax`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    cmd = COMMANDS[args.command]
    config_cls = _resolve(cmd.config)
    try:
        cfg = load_config(config_cls, args.config, args.overrides)  # type: ignore[arg-type]
    except ConfigError as err:
        print(f"gajax {args.command}: config error: {err}", file=sys.stderr)
        return 2
    if args.print_config:
        print(dump_config(cfg), end="")
        return 0
    runner = _resolve(cmd.runner)
    try:
        result = runner(cfg)  # type: ignore[operator]
    except (ConfigError, RecordError, FileNotFoundError, ValueError) as err:
        # Bad input is reported in one line; GAJAX_DEBUG=1 shows the traceback.
        if os.environ.get("GAJAX_DEBUG"):
            raise
        print(f"gajax {args.command}: error: {err}", file=sys.stderr)
        return 2 if isinstance(err, ConfigError) else 1
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
