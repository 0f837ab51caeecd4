import dataclasses
import re
from pathlib import Path
from typing import Literal

import pytest

from gajax.config import ConfigError, dump_config, load_config, parse_overrides, read_yaml
from gajax.models.llama import LlamaConfig, load_arch
from gajax.sharding import MeshConfig

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Inner:
    lr: float = 1e-3
    steps: int = 10
    name: Literal["adamw", "sgd"] = "adamw"


@dataclasses.dataclass(frozen=True)
class Outer:
    inner: Inner = dataclasses.field(default_factory=Inner)
    mesh: MeshConfig = dataclasses.field(default_factory=MeshConfig)
    tags: tuple[str, ...] = ()
    out: Path | None = None
    flag: bool = False


def test_overrides_are_typed_and_nested(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("inner:\n  lr: 0.5\nflag: true\n")
    cfg = load_config(Outer, f, ["inner.steps=7", "tags=[a, b]", "out=/tmp/x", "inner.lr=2"])
    assert cfg.inner == Inner(lr=2.0, steps=7)
    assert isinstance(cfg.inner.lr, float)
    assert cfg.tags == ("a", "b") and cfg.out == Path("/tmp/x") and cfg.flag is True


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("inner.stepz=3", "unknown config key inner.stepz"),
        ("inner.steps=3.5", "inner.steps: expected an integer"),
        ("inner.name=lion", "inner.name: 'lion' is not one of"),
        ("flag=maybe", "flag: expected true or false"),
        ("mesh.data=0", "mesh"),
        ("nonsense", "key=value"),
    ],
)
def test_bad_overrides_name_the_key(override, needle):
    with pytest.raises(ConfigError, match=re.escape(needle)):
        load_config(Outer, None, [override])


def test_shipped_architectures_load_and_round_trip():
    for name in ("tiny", "smollm2_135m", "llama2_7b", "llama2_13b", "llama3_2_1b", "llama3_2_3b", "llama3_1_8b"):
        arch = load_arch(name)
        assert isinstance(arch, LlamaConfig)
        fields = {k: v for k, v in dataclasses.asdict(arch).items() if v is not None}
        again = load_config(LlamaConfig, None, [f"{k}={v}" for k, v in fields.items()])
        assert again == arch
    # LLaMA-2 sizes are the published parameter counts.
    assert abs(load_arch("llama2_7b").num_params / 6.74e9 - 1) < 0.01
    assert abs(load_arch("llama2_13b").num_params / 13.0e9 - 1) < 0.01
    assert abs(load_arch("smollm2_135m").num_params / 134.5e6 - 1) < 0.01


def test_unknown_shipped_name_lists_choices():
    with pytest.raises(ConfigError, match="llama2_13b"):
        load_arch("llama9_999b")


def test_bad_yaml_names_the_file(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        read_yaml(f)


def test_dump_is_loadable(tmp_path):
    cfg = load_config(Outer, None, ["inner.steps=3", "tags=[x]"])
    f = tmp_path / "dump.yaml"
    f.write_text(dump_config(cfg))
    assert load_config(Outer, f) == cfg


def test_parse_overrides_conflict():
    with pytest.raises(ConfigError, match="both as a value and as a section"):
        parse_overrides(["a=1", "a.b=2"])


@pytest.mark.parametrize(
    "cls_path", ["gajax.guide:GuideConfig", "gajax.retrieval:RetrieveConfig", "gajax.serve:ServeConfig"]
)
def test_flat_retrieval_keys_name_their_new_place(cls_path):
    import importlib

    from gajax.config import ConfigError, from_dict

    module, _, name = cls_path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    with pytest.raises(ConfigError, match=r"config key top_n is now retrieval\.top_n"):
        from_dict(cls, {"top_n": 5})
    assert from_dict(cls, {"retrieval": {"top_n": 5}}).retrieval.top_n == 5


# Shipped configs whose YAML sets a field to other than its dataclass default on purpose, with the reason.
ON_PURPOSE = {
    # dpo.yaml is sft.yaml (its _base) plus the DPO settings, on the same FinetuneConfig.
    "dpo": {"data.chosen_field": "a guided.jsonl's guided response is the chosen one",
            "data.rejected_field": "and the same model's unguided response the rejected one",
            "optimizer.learning_rate": "the paper's DPO learning rate (5e-7) is a tenth of SFT's",
            "trainer.output_dir": "a DPO run must not resume the SFT run's checkpoints"},
    # GenerationSettings is shared by generate, chat and serve-llm; generate's batch is the default.
    "chat": {"batch_size": "a chat answers one conversation at a time"},
    "serve_llm": {"llm.batch_size": "the server batches up to 16 concurrent requests"},
}
# Fields without a default (the config must name them): taken from the YAML before comparing.
REQUIRED = {"eval": ("benchmarks",)}


def _shipped_top_level_configs():
    from gajax.cli import COMMANDS, _resolve

    classes = {}
    for cmd in COMMANDS.values():
        if cmd.default_config and "/" not in cmd.default_config:
            classes.setdefault(cmd.default_config, _resolve(cmd.config))
    classes["retriever/minilm"] = _resolve(COMMANDS["train-retriever"].config)  # train-retriever's default config
    return classes


def test_every_shipped_config_equals_its_dataclass_defaults():
    from gajax.config import flatten, to_dict

    classes = _shipped_top_level_configs()
    shipped = sorted(p.stem for p in (ROOT / "configs").glob("*.yaml"))
    assert set(shipped) <= set(classes), f"a shipped config with no command: {set(shipped) - set(classes)}"
    for name, cls in classes.items():
        loaded = load_config(cls, name)
        default = cls(**{k: getattr(loaded, k) for k in REQUIRED.get(name, ())})
        got, want = flatten(to_dict(loaded)), flatten(to_dict(default))
        differ = {k for k in got.keys() | want.keys() if got.get(k) != want.get(k)}
        assert differ == set(ON_PURPOSE.get(name, {})), (name, {k: (got.get(k), want.get(k)) for k in differ})


@pytest.mark.parametrize(("cls_path", "old", "new"), [
    ("gajax.finetune.train:FinetuneConfig", "train.max_steps=3", "trainer.steps"),
    ("gajax.finetune.train:FinetuneConfig", "train.output_dir=x", "trainer.output_dir"),
    ("gajax.retriever.train:TrainRetrieverConfig", "output_dir=x", "trainer.output_dir"),
    ("gajax.retriever.train:TrainRetrieverConfig", "train.checkpoint_every=5", "trainer.checkpoint_every"),
    ("gajax.seed:SeedConfig", "tuned_layers=2", "top_layers.count"),
    ("gajax.seed:SeedConfig", "layer_epochs=2", "top_layers.epochs"),
])
def test_moved_keys_name_their_new_place(cls_path, old, new):
    from gajax.cli import _resolve

    with pytest.raises(ConfigError, match=rf"{re.escape(old.split('=')[0])} is now {re.escape(new)}"):
        load_config(_resolve(cls_path), None, [old])


def test_old_retriever_snapshot_upgrades_to_the_trainer_section():
    from gajax.config import from_dict, upgrade_moved_keys
    from gajax.retriever.train import TrainRetrieverConfig

    old = {"output_dir": "runs/r", "export_hf": False, "train": {"steps": 7, "seed": 3, "batch_size": 8}}
    cfg = from_dict(TrainRetrieverConfig, upgrade_moved_keys(TrainRetrieverConfig, old))
    trainer = cfg.trainer
    assert (trainer.output_dir, trainer.export_hf, trainer.steps, trainer.seed) == ("runs/r", False, 7, 3)
    assert cfg.train.batch_size == 8 and cfg.trainer.log_every == TrainRetrieverConfig().trainer.log_every
