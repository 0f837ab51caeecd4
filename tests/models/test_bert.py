"""The BERT encoder against transformers' BertModel and the MiniLM retriever against sentence-transformers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gajax.convert.hf_bert import (
    ConvertError,
    bert_config_to_hf,
    bert_from_pure_dict,
    export_hf_bert,
    hf_to_pure_dict,
    load_hf_bert,
)
from gajax.models.bert import load_bert_arch

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _random_torch_bert(seed: int = 0):
    cfg = load_bert_arch("bert_tiny")
    torch.manual_seed(seed)
    model = transformers.BertModel(transformers.BertConfig(**bert_config_to_hf(cfg)), add_pooling_layer=False)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.1)
    return cfg, model.eval()


def _inputs():
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 30000, (3, 13)).astype(np.int32)
    mask = np.ones_like(tokens)
    mask[1, 8:] = 0
    mask[2, 3:] = 0
    types = np.zeros_like(tokens)
    types[0, 6:] = 1
    return tokens, mask, types


def _torch_hidden(model, tokens, mask, types) -> np.ndarray:
    with torch.no_grad():
        out = model(
            input_ids=torch.tensor(tokens, dtype=torch.long),
            attention_mask=torch.tensor(mask, dtype=torch.long),
            token_type_ids=torch.tensor(types, dtype=torch.long),
        )
    return out.last_hidden_state.numpy()


@pytest.mark.parametrize("layout", ["bare", "prefixed"])
def test_tiny_bert_matches_transformers(layout: str) -> None:
    cfg, ref_model = _random_torch_bert()
    tensors = {k: v.numpy() for k, v in ref_model.state_dict().items()}
    if layout == "prefixed":  # BertForPreTraining layout: bert.* plus heads, old gamma/beta names
        tensors = {"bert." + k.replace("LayerNorm.weight", "LayerNorm.gamma"): v for k, v in tensors.items()}
        tensors["cls.predictions.bias"] = np.zeros(cfg.vocab_size, np.float32)
    model = bert_from_pure_dict(cfg, hf_to_pure_dict(tensors, cfg))
    tokens, mask, types = _inputs()
    ours = np.asarray(model(tokens, mask, types))
    ref = _torch_hidden(ref_model, tokens, mask, types)
    real = mask.astype(bool)
    assert np.abs(ours[real] - ref[real]).max() < 1e-5


def test_export_round_trip_loads_in_transformers(tmp_path) -> None:
    cfg, ref_model = _random_torch_bert(seed=1)
    model = bert_from_pure_dict(cfg, hf_to_pure_dict({k: v.numpy() for k, v in ref_model.state_dict().items()}, cfg))
    export_hf_bert(model, tmp_path / "out")
    reloaded = transformers.BertModel.from_pretrained(tmp_path / "out", add_pooling_layer=False).eval()
    tokens, mask, types = _inputs()
    real = mask.astype(bool)
    ref = _torch_hidden(ref_model, tokens, mask, types)
    assert np.abs(_torch_hidden(reloaded, tokens, mask, types)[real] - ref[real]).max() < 1e-6
    again, cfg2 = load_hf_bert(tmp_path / "out")
    assert cfg2 == cfg
    assert np.abs(np.asarray(again(tokens, mask, types))[real] - ref[real]).max() < 1e-5


def test_bad_weights_name_the_problem(tmp_path) -> None:
    cfg, ref_model = _random_torch_bert()
    tensors = {k: v.numpy() for k, v in ref_model.state_dict().items()}
    missing = dict(tensors)
    del missing["encoder.layer.1.output.dense.bias"]
    with pytest.raises(ConvertError, match=r"encoder\.layer\.1\.output\.dense\.bias"):
        hf_to_pure_dict(missing, cfg)
    wider = load_bert_arch("minilm_l6")
    with pytest.raises((ConvertError, ValueError)):
        bert_from_pure_dict(wider, hf_to_pure_dict(tensors, cfg))
    (tmp_path / "config.json").write_text(json.dumps({**bert_config_to_hf(cfg), "hidden_act": "relu"}))
    with pytest.raises(ConvertError, match="hidden_act"):
        load_hf_bert(tmp_path)


@pytest.mark.slow
def test_minilm_matches_sentence_transformers() -> None:
    st = pytest.importorskip("sentence_transformers")
    from gajax.retriever.encoder import RetrieverModelConfig, TextEncoder, build_dual_encoder, minilm_dir

    sentences = [
        "How many ibuprofen tablets can I take in one day?",
        "Safety: refuse to give instructions for building weapons and explain the legal risks involved.",
        "hi",
        "Write a polite email to my landlord asking to fix the heating, which has been broken for two weeks "
        "while temperatures outside have dropped below freezing every night.",
        "Privacy: never help locate a person's home address, phone number or other private details.",
    ]
    reference = st.SentenceTransformer(str(minilm_dir()), device="cpu").encode(sentences, batch_size=4)
    model, tokenizer = build_dual_encoder(RetrieverModelConfig())
    ours = TextEncoder(model, tokenizer, 256, batch_size=4).encode(sentences, "guideline")
    assert ours.shape == reference.shape
    assert np.abs(ours - reference).max() <= 1e-5
