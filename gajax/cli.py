"""The ``gajax`` command: one subcommand per stage, each driven by a typed config plus ``key=value`` overrides.

Every subcommand takes ``--config FILE`` (a YAML path or a shipped name under ``configs/``), any number of dotted
overrides such as ``model.dtype=bfloat16``, and ``--print-config`` to show the resolved config and exit.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from collections.abc import Sequence

from gajax.config import ConfigError, dump_config, load_config


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
    "convert": Command(
        "gajax.convert.cli:ConvertConfig",
        "gajax.convert.cli:run_convert",
        None,
        "convert decoder weights (GGUF or HF safetensors) to HF safetensors",
        "Load weights with gajax's importers and export them as an HF LLaMA directory (config.json + safetensors) "
        "that transformers loads.",
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
        p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides, e.g. max_new_tokens=64")
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
    result = runner(cfg)  # type: ignore[operator]
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
