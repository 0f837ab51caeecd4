"""Checkpoint import/export: HF -> gajax -> HF round trips, GGUF import, load_decoder and bad input."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gajax.config import ConfigError, configs_dir
from gajax.convert.cli import ConvertConfig, run_convert
from gajax.convert.gguf import load_gguf_llama
from gajax.convert.hf_llama import CheckpointError, config_to_hf, export_hf_llama, load_hf_llama
from gajax.decoder import DecoderConfig, load_decoder
from gajax.models.llama import load_arch

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
gguf = pytest.importorskip("gguf")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

TOL = 1e-4


def make_hf(directory, *, tie: bool = False, vocab: int = 96, layers: int = 2, theta: float = 50000.0):
    """A random tiny HF LlamaForCausalLM (GQA 4/2, head_dim 16) saved to ``directory``."""
    cfg = transformers.LlamaConfig(
        vocab_size=vocab,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        rms_norm_eps=1e-6,
        max_position_embeddings=256,
        tie_word_embeddings=tie,
        rope_parameters={"rope_type": "default", "rope_theta": theta},
    )
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(cfg).eval()
    model.save_pretrained(directory)
    return model


def logits_of(model, tokens: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.tensor(tokens)).logits.float().numpy()


def write_byte_tokenizer(directory, vocab: int) -> None:
    """A byte-level BPE tokenizer.json with the 256 byte symbols truncated to ``vocab`` (no merges)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    tok = Tokenizer(models.BPE(vocab={s: i for i, s in enumerate(sorted(alphabet)[:vocab])}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.save(str(directory / "tokenizer.json"))


TOKENS = np.random.default_rng(0).integers(0, 96, (2, 10))


# --------------------------------------------------------------------------------------------------------------
# HF round trip


@pytest.mark.parametrize("tie", [False, True])
def test_hf_round_trip_loads_in_transformers(tmp_path, tie):
    original = make_hf(tmp_path / "src", tie=tie)
    ours, raw = load_hf_llama(tmp_path / "src")
    assert raw["model_type"] == "llama"
    out = export_hf_llama(ours, tmp_path / "out", special_ids={"bos": 1, "eos": 2, "pad": None})
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"] and config["model_type"] == "llama"
    assert config["torch_dtype"] == "float32" and config["eos_token_id"] == 2 and "pad_token_id" not in config
    reloaded = transformers.LlamaForCausalLM.from_pretrained(out).eval()
    assert reloaded.config.tie_word_embeddings == tie
    for name, tensor in original.state_dict().items():
        np.testing.assert_array_equal(reloaded.state_dict()[name].numpy(), tensor.numpy(), err_msg=name)
    np.testing.assert_allclose(logits_of(reloaded, TOKENS), logits_of(original, TOKENS), atol=TOL, rtol=0)
    np.testing.assert_allclose(np.asarray(ours(jnp.asarray(TOKENS))[0]), logits_of(original, TOKENS), atol=TOL)


def test_bf16_export(tmp_path):
    original = make_hf(tmp_path / "src")
    ours, _ = load_hf_llama(tmp_path / "src")
    out = export_hf_llama(ours, tmp_path / "out", dtype="bfloat16")
    assert json.loads((out / "config.json").read_text())["torch_dtype"] == "bfloat16"
    reloaded = transformers.LlamaForCausalLM.from_pretrained(out, dtype=torch.bfloat16).eval()
    want = original.model.embed_tokens.weight.detach().to(torch.bfloat16)
    assert torch.equal(reloaded.model.embed_tokens.weight, want)


def test_sharded_checkpoint_directory(tmp_path):
    original = make_hf(tmp_path / "src")
    original.save_pretrained(tmp_path / "sharded", max_shard_size="40KB")
    assert (tmp_path / "sharded" / "model.safetensors.index.json").exists()
    ours, _ = load_hf_llama(tmp_path / "sharded")
    np.testing.assert_allclose(np.asarray(ours(jnp.asarray(TOKENS))[0]), logits_of(original, TOKENS), atol=TOL)


# --------------------------------------------------------------------------------------------------------------
# GGUF


def llama_cpp_permute(weight: np.ndarray, heads: int) -> np.ndarray:
    """The q/k row permutation llama.cpp's HF -> GGUF converter applies."""
    return (
        weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)
    )


def write_gguf(path, model, qtype) -> None:
    """Write ``model`` as a llama.cpp-style GGUF, matrices stored as ``qtype``."""
    cfg, sd = model.config, {k: v.numpy() for k, v in model.state_dict().items()}
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(cfg.num_attention_heads)
    writer.add_head_count_kv(cfg.num_key_value_heads)
    writer.add_rope_freq_base(cfg.rope_parameters["rope_theta"])
    writer.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    writer.add_vocab_size(cfg.vocab_size)
    writer.add_rope_dimension_count(cfg.head_dim)

    def put(name: str, array: np.ndarray, kind=qtype) -> None:
        array = array.astype(np.float32)
        if kind == gguf.GGMLQuantizationType.F32:
            writer.add_tensor(name, array)
        elif kind == gguf.GGMLQuantizationType.F16:
            writer.add_tensor(name, array.astype(np.float16))
        else:
            writer.add_tensor(name, gguf.quants.quantize(array, kind), raw_dtype=kind)

    f32 = gguf.GGMLQuantizationType.F32
    put("token_embd.weight", sd["model.embed_tokens.weight"])
    put("output_norm.weight", sd["model.norm.weight"], f32)
    if not cfg.tie_word_embeddings:
        put("output.weight", sd["lm_head.weight"])
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        put(f"blk.{i}.attn_norm.weight", sd[p + "input_layernorm.weight"], f32)
        put(f"blk.{i}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"], f32)
        put(f"blk.{i}.attn_q.weight", llama_cpp_permute(sd[p + "self_attn.q_proj.weight"], cfg.num_attention_heads))
        put(f"blk.{i}.attn_k.weight", llama_cpp_permute(sd[p + "self_attn.k_proj.weight"], cfg.num_key_value_heads))
        put(f"blk.{i}.attn_v.weight", sd[p + "self_attn.v_proj.weight"])
        put(f"blk.{i}.attn_output.weight", sd[p + "self_attn.o_proj.weight"])
        put(f"blk.{i}.ffn_gate.weight", sd[p + "mlp.gate_proj.weight"])
        put(f"blk.{i}.ffn_up.weight", sd[p + "mlp.up_proj.weight"])
        put(f"blk.{i}.ffn_down.weight", sd[p + "mlp.down_proj.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.mark.parametrize(
    ("qtype", "tie"), [("F32", False), ("F16", True), ("Q8_0", False), ("Q4_1", True), ("Q4_0", False)]
)
def test_gguf_matches_transformers(tmp_path, qtype, tie):
    original = make_hf(tmp_path / "src", tie=tie)
    kind = gguf.GGMLQuantizationType[qtype]
    write_gguf(tmp_path / "tiny.gguf", original, kind)
    ours = load_gguf_llama(tmp_path / "tiny.gguf")
    assert ours.cfg.tie_embeddings == tie and ours.cfg.rope_theta == 50000.0
    got = np.asarray(ours(jnp.asarray(TOKENS))[0])
    # transformers dequantises and un-permutes the same file on its own.
    reference = transformers.AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file="tiny.gguf", dtype=torch.float32)
    np.testing.assert_allclose(got, logits_of(reference.eval(), TOKENS), atol=TOL, rtol=0)
    if qtype == "F32":
        np.testing.assert_allclose(got, logits_of(original, TOKENS), atol=TOL, rtol=0)


# --------------------------------------------------------------------------------------------------------------
# load_decoder and convert


def write_tiny_arch_checkpoint(directory):
    """An HF directory whose architecture is exactly configs/model/tiny.yaml, with a 256-symbol tokenizer."""
    arch = load_arch("tiny")
    cfg = transformers.LlamaConfig(
        vocab_size=arch.vocab_size,
        hidden_size=arch.embed_dim,
        intermediate_size=arch.mlp_dim,
        num_hidden_layers=arch.num_layers,
        num_attention_heads=arch.num_heads,
        num_key_value_heads=arch.num_kv_heads,
        head_dim=arch.head_dim,
        rms_norm_eps=arch.norm_eps,
        max_position_embeddings=arch.max_seq_len,
        tie_word_embeddings=arch.tie_embeddings,
        rope_parameters={"rope_type": "default", "rope_theta": arch.rope_theta},
    )
    torch.manual_seed(1)
    model = transformers.LlamaForCausalLM(cfg).eval()
    model.save_pretrained(directory)
    write_byte_tokenizer(directory, arch.vocab_size)
    return model


def test_load_decoder_hf_dir_with_arch_check(tmp_path):
    original = write_tiny_arch_checkpoint(tmp_path)
    model, tokenizer = load_decoder(DecoderConfig(weights=str(tmp_path), arch="tiny"))
    assert model.cfg == load_arch("tiny")
    assert tokenizer.vocab_size == 256
    ids = tokenizer.encode("hi!")
    assert tokenizer.decode(ids) == "hi!"
    tokens = np.asarray([ids + ids])
    np.testing.assert_allclose(np.asarray(model(jnp.asarray(tokens))[0]), logits_of(original, tokens), atol=TOL)
    # dtype and remat options reach the model.
    bf16, _ = load_decoder(DecoderConfig(weights=str(tmp_path), dtype="bfloat16", param_dtype="bfloat16", remat="full"))
    assert bf16.embed[...].dtype == jnp.bfloat16 and bf16.remat == "full"


def test_load_decoder_arch_mismatch_lists_fields(tmp_path):
    make_hf(tmp_path, vocab=256, layers=3)
    write_byte_tokenizer(tmp_path, 256)
    with pytest.raises(CheckpointError) as err:
        load_decoder(DecoderConfig(weights=str(tmp_path), arch="tiny"))
    message = str(err.value)
    assert "tiny" in message and str(tmp_path) in message
    assert "num_layers: arch 2, checkpoint 3" in message
    assert "norm_eps" not in message and "vocab_size" not in message  # only fields that differ


def test_load_decoder_random_needs_arch_and_fitting_tokenizer(tmp_path):
    with pytest.raises(CheckpointError, match="needs an arch"):
        load_decoder(DecoderConfig(weights="random"))
    write_byte_tokenizer(tmp_path, 256)
    model, tokenizer = load_decoder(DecoderConfig(weights="random", arch="tiny", tokenizer=str(tmp_path)))
    assert model.cfg == load_arch("tiny") and tokenizer.vocab_size == 256
    if jax.device_count() > 1:  # placed over the default all-device mesh
        assert not model.layers.q_proj[...].sharding.is_fully_replicated
    small = tmp_path / "small.yaml"
    small.write_text((configs_dir() / "model" / "tiny.yaml").read_text().replace("vocab_size: 256", "vocab_size: 128"))
    assert load_arch(str(small)).vocab_size == 128
    with pytest.raises(CheckpointError, match="has 256 ids but the model's vocab_size is 128"):
        load_decoder(DecoderConfig(weights="random", arch=str(small), tokenizer=str(tmp_path)))


def test_load_decoder_unknown_weights():
    with pytest.raises(CheckpointError, match="not 'smollm2', 'random'"):
        load_decoder(DecoderConfig(weights="no_such_thing"))
    with pytest.raises(CheckpointError, match="GGUF file not found"):
        load_decoder(DecoderConfig(weights="/nonexistent/model.gguf"))


def test_run_convert_from_hf_dir(tmp_path):
    original = write_tiny_arch_checkpoint(tmp_path / "src")
    run_convert(ConvertConfig(weights=str(tmp_path / "src"), output=str(tmp_path / "out")))
    reloaded = transformers.LlamaForCausalLM.from_pretrained(tmp_path / "out").eval()
    tokens = np.random.default_rng(4).integers(0, 256, (1, 9))
    np.testing.assert_allclose(logits_of(reloaded, tokens), logits_of(original, tokens), atol=TOL, rtol=0)
    assert (tmp_path / "out" / "tokenizer.json").exists()
    with pytest.raises(ValueError, match="output=PATH"):
        run_convert(ConvertConfig(weights=str(tmp_path / "src")))


# --------------------------------------------------------------------------------------------------------------
# Bad input


def test_missing_directory_and_config(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint directory not found"):
        load_hf_llama(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match=r"no config\.json"):
        load_hf_llama(tmp_path / "empty")


def test_corrupt_safetensors_names_file(tmp_path):
    make_hf(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(CheckpointError, match=r"model\.safetensors: cannot read safetensors file"):
        load_hf_llama(tmp_path)


def test_corrupt_config_json(tmp_path):
    make_hf(tmp_path)
    (tmp_path / "config.json").write_text("{broken")
    with pytest.raises(CheckpointError, match=r"config\.json: not valid JSON"):
        load_hf_llama(tmp_path)


def test_config_shapes_mismatch_names_tensor_and_shapes(tmp_path):
    make_hf(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["intermediate_size"] = 80
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as err:
        load_hf_llama(tmp_path)
    assert "'model.layers.0.mlp.gate_proj.weight' has shape (96, 64)" in str(err.value)
    assert "needs (80, 64)" in str(err.value)


def test_missing_tensor_names_key(tmp_path):
    make_hf(tmp_path)
    tensors = safetensors_numpy.load_file(str(tmp_path / "model.safetensors"))
    del tensors["model.layers.1.self_attn.v_proj.weight"]
    safetensors_numpy.save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"no tensor 'model\.layers\.1\.self_attn\.v_proj\.weight'"):
        load_hf_llama(tmp_path)


def test_unsupported_hf_features(tmp_path):
    make_hf(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["rope_parameters"] = {"rope_type": "yarn", "rope_theta": 5e5, "factor": 8.0}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="rope_parameters: rope_type 'yarn' is not supported"):
        load_hf_llama(tmp_path)


@pytest.mark.parametrize("key", ["rope_parameters", "rope_scaling"])
def test_incomplete_llama3_rope_scaling_names_missing_fields(tmp_path, key):
    make_hf(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    del config["rope_parameters"]
    config[key] = {"rope_type": "llama3", "factor": 8.0, "high_freq_factor": 4.0}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as err:
        load_hf_llama(tmp_path)
    message = str(err.value)
    assert f"config.json: {key}: rope_type 'llama3' needs low_freq_factor, original_max_position_embeddings" in message


def test_incomplete_llama3_rope_scaling_in_arch_file(tmp_path):
    text = (configs_dir() / "model" / "llama3_1_8b.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("  low_freq_factor: 1.0\n", ""))
    with pytest.raises(ConfigError, match=r"missing required config key rope_scaling\.low_freq_factor"):
        load_arch(str(broken))
    broken.write_text(text.replace("high_freq_factor: 4.0", "high_freq_factor: 0.5"))
    with pytest.raises(ConfigError, match=r"rope_scaling: .*low_freq_factor < high_freq_factor"):
        load_arch(str(broken))


@pytest.mark.parametrize("name", ["llama3_2_1b", "llama3_2_3b", "llama3_1_8b"])
def test_llama3_arch_files_match_transformers(name):
    """Each architecture file, through config_to_hf, builds a transformers model with gajax's parameter count
    and the published size (1.24B, 3.21B, 8.03B)."""
    arch = load_arch(name)
    hf = transformers.LlamaConfig(**config_to_hf(arch, "bfloat16"))
    assert hf.rope_parameters["rope_type"] == "llama3" and hf.rope_parameters["rope_theta"] == 500000.0
    assert hf.rope_parameters["factor"] == arch.rope_scaling.factor
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(hf)
    assert sum(p.numel() for p in model.parameters()) == arch.num_params
    assert round(arch.num_params / 1e9, 2) == {"llama3_2_1b": 1.24, "llama3_2_3b": 3.21, "llama3_1_8b": 8.03}[name]


def test_llama3_hf_round_trip(tmp_path):
    """A Llama 3 scaled checkpoint: HF -> gajax -> HF keeps rope_scaling, and transformers gives the same logits."""
    cfg = transformers.LlamaConfig(
        vocab_size=96, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256,
        rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
    )
    torch.manual_seed(0)
    original = transformers.LlamaForCausalLM(cfg).eval()
    original.save_pretrained(tmp_path / "src")
    ours, _ = load_hf_llama(tmp_path / "src")
    assert ours.cfg.rope_scaling.original_max_position_embeddings == 64
    out = export_hf_llama(ours, tmp_path / "out")
    config = json.loads((out / "config.json").read_text())
    assert config["rope_scaling"]["rope_type"] == config["rope_parameters"]["rope_type"] == "llama3"
    reloaded = transformers.LlamaForCausalLM.from_pretrained(out).eval()
    assert reloaded.config.rope_parameters["low_freq_factor"] == 1.0
    tokens = np.random.default_rng(5).integers(0, 96, (2, 40))
    np.testing.assert_allclose(logits_of(reloaded, tokens), logits_of(original, tokens), atol=TOL, rtol=0)
    np.testing.assert_allclose(np.asarray(ours(jnp.asarray(tokens))[0]), logits_of(original, tokens), atol=TOL)
    assert load_hf_llama(out)[0].cfg == ours.cfg
    # The scaling matters at these positions: the same weights with plain RoPE give other logits.
    plain = dataclasses.replace(ours.cfg, rope_scaling=None)
    unscaled, _ = load_hf_llama(tmp_path / "src", cfg=plain)
    assert np.abs(np.asarray(unscaled(jnp.asarray(tokens))[0]) - logits_of(original, tokens)).max() > 10 * TOL


def test_bad_gguf_files(tmp_path):
    with pytest.raises(CheckpointError, match="GGUF file not found"):
        load_gguf_llama(tmp_path / "absent.gguf")
    (tmp_path / "junk.gguf").write_bytes(b"this is not a gguf file at all" * 4)
    with pytest.raises(CheckpointError, match=r"junk\.gguf: not a readable GGUF file"):
        load_gguf_llama(tmp_path / "junk.gguf")
    original = make_hf(tmp_path / "src")
    write_gguf(tmp_path / "tiny.gguf", original, gguf.GGMLQuantizationType.F32)
    truncated = (tmp_path / "tiny.gguf").read_bytes()[:-5000]
    (tmp_path / "cut.gguf").write_bytes(truncated)
    with pytest.raises(CheckpointError, match=r"cut\.gguf"):
        load_gguf_llama(tmp_path / "cut.gguf")
