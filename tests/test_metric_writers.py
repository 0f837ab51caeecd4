"""Metric writers: JSONL and TensorBoard read back (by TensorBoard's own event reader), resume after a kill logs
every step once, and bad metrics directories fail at start."""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from gajax.config import ConfigError, load_config
from gajax.finetune.train import FinetuneConfig, run_finetune
from gajax.metric_writers import JSONL_FILE, TENSORBOARD_DIR, MetricWriter
from gajax.records import RecordError


def _events(directory: Path) -> EventAccumulator:
    events = EventAccumulator(str(directory / TENSORBOARD_DIR), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    return events


def _jsonl(directory: Path) -> list[dict]:
    return [json.loads(line) for line in (directory / JSONL_FILE).read_text().splitlines()]


def test_tensorboard_and_jsonl_read_back_and_resume_drops_later_steps(tmp_path):
    config = {"train": {"learning_rate": 0.5, "metrics": ["jsonl", "tensorboard"]}, "data": {"path": "x.jsonl"}}
    with MetricWriter(tmp_path, enabled=True) as writer:
        writer.start(0, config)
        for step in range(1, 5):
            writer.write(step, {"loss": 1.0 / step, "eval": {"recall": step / 10}, "key": f"train/{step}"})
    # Killed after step 4 with its last checkpoint at step 2: the resumed run logs 3, 4, 5 again.
    with MetricWriter(tmp_path, enabled=True) as writer:
        writer.start(2, config)
        for step in range(3, 6):
            writer.write(step, {"loss": 10.0 + step})

    rows = _jsonl(tmp_path)
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["loss"] for r in rows] == [1.0, 0.5, 13.0, 14.0, 15.0]
    assert rows[0]["key"] == "train/1" and rows[0]["eval"] == {"recall": 0.1}

    events = _events(tmp_path)
    assert [(e.step, e.value) for e in events.Scalars("loss")] == [(1, 1.0), (2, 0.5), (3, 13.0), (4, 14.0), (5, 15.0)]
    assert [e.step for e in events.Scalars("eval/recall")] == [1, 2]  # the killed run's 3 and 4 are purged
    (text,) = events.Tensors("config/text_summary")
    assert '"learning_rate": 0.5' in text.tensor_proto.string_val[0].decode()
    start_info = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    hparams = plugin_data_pb2.HParamsPluginData.FromString(start_info).session_start_info.hparams
    assert hparams["train.learning_rate"].number_value == 0.5
    assert hparams["data.path"].string_value == "x.jsonl"


def test_fresh_start_replaces_old_metrics_and_a_cut_line_is_dropped(tmp_path):
    (tmp_path / JSONL_FILE).write_text('{"loss": 1.0, "step": 1}\n{"loss": 2.0, "step": 2}\n{"loss": 3')
    with MetricWriter(tmp_path, ["jsonl"], enabled=True) as writer:
        writer.start(2)
        writer.write(3, {"loss": 3.5})
    assert [r["step"] for r in _jsonl(tmp_path)] == [1, 2, 3]
    with MetricWriter(tmp_path, ["jsonl"], enabled=True) as writer:
        writer.start(0)  # a fresh run (no checkpoint): nothing of an earlier run stays
        writer.write(1, {"loss": 9.0})
    assert _jsonl(tmp_path) == [{"loss": 9.0, "step": 1}]
    (tmp_path / JSONL_FILE).write_text('{"loss": 1.0, "step": 1}\nnot json\n{"loss": 2.0, "step": 2}\n')
    with pytest.raises(RecordError, match=r"metrics\.jsonl:2: not valid JSON"):
        MetricWriter(tmp_path, ["jsonl"], enabled=True).start(2)


def test_unwritable_directory_and_missing_wandb_fail_at_start(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match=r"metrics directory .*file/run is not writable"):
        MetricWriter(blocker / "run", enabled=True)
    MetricWriter(blocker / "run", enabled=False).start(0)  # processes other than 0 write nothing
    if importlib.util.find_spec("wandb") is None:
        with pytest.raises(ValueError, match="wandb package is not installed: pip install wandb"):
            MetricWriter(tmp_path / "run", ["jsonl", "wandb"], enabled=True)
    with pytest.raises(ConfigError, match=r"trainer\.metrics\[1\]: 'csv' is not one of"):
        load_config(FinetuneConfig, "sft", ["trainer.metrics=[jsonl, csv]"])


def _sft_config(tmp_path: Path, *extra: str) -> FinetuneConfig:
    data = tmp_path / "guided.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"Question {i}?", "response": f"Answer {i}."}) + "\n"
                            for i in range(8)))
    return load_config(FinetuneConfig, "sft", [
        "model.weights=random", "model.arch=tiny_chat", f"data.path={data}", f"trainer.output_dir={tmp_path / 'run'}",
        "train.seq_len=64", "train.micro_batch=2", "train.grad_accum=2", "train.epochs=3", "trainer.export_hf=false",
        "trainer.async_checkpoints=false", "trainer.checkpoint_every=2", "data.pack=false", "mesh.devices=1", *extra,
    ])


def test_sft_killed_between_checkpoints_logs_each_step_once(tmp_path):
    out = tmp_path / "run"
    cfg = _sft_config(tmp_path, "trainer.steps=3")
    run_finetune(cfg, "sft")  # checkpoints at 2 and at the stop (3); steps 1-3 logged
    shutil.rmtree(out / "checkpoints" / "3")  # as if killed after logging step 3, before its checkpoint
    run_finetune(_sft_config(tmp_path), "sft")  # resumes at step 2 and runs to step 6
    assert [r["step"] for r in _jsonl(out)] == [1, 2, 3, 4, 5, 6]
    losses = {r["step"]: r["loss"] for r in _jsonl(out)}
    assert [(e.step, pytest.approx(e.value)) for e in _events(out).Scalars("loss")] == sorted(losses.items())
