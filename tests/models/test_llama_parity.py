"""gajax's Llama against transformers' LlamaForCausalLM (PyTorch) on tiny random checkpoints, in float32."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding

from gajax.convert.hf_llama import load_hf_llama
from gajax.sharding import make_mesh

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TOL = 1e-4

LLAMA3_SCALING = {
    "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 64,
}

CASES = {
    "gqa_untied": dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False, rope_theta=50000.0),
    "mha_tied": dict(num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=True, rope_theta=123456.0),
    "mqa_tied_headdim": dict(
        num_attention_heads=4, num_key_value_heads=1, tie_word_embeddings=True, rope_theta=5000.0, head_dim=8
    ),
    # Llama 3 RoPE scaling; wavelengths 6, 63, 628, 6283 fall in all three of its bands (< 16, 16..64, > 64).
    "gqa_llama3_scaled": dict(
        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True, rope_theta=10000.0,
        rope_scaling=LLAMA3_SCALING,
    ),
}


def make_hf(tmp_path, **overrides):
    """A random tiny HF LlamaForCausalLM saved to ``tmp_path``; returns (torch model, directory)."""
    fields = dict(
        vocab_size=97,
        hidden_size=32,
        intermediate_size=72,
        num_hidden_layers=3,
        rms_norm_eps=1e-5,
        max_position_embeddings=128,
    )
    fields.update(overrides)
    rope = {"rope_type": "default", **fields.pop("rope_scaling", {}), "rope_theta": fields.pop("rope_theta")}
    cfg = transformers.LlamaConfig(**fields, rope_parameters=rope)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # norms start at exactly 1; make them non-trivial so a wrong mapping shows
        for name, param in model.named_parameters():
            if "norm" in name:
                param.add_(0.3 * torch.randn_like(param))
    model.save_pretrained(tmp_path)
    return model, tmp_path


def hf_logits(model, tokens: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    kwargs = {}
    if mask is not None:
        kwargs["attention_mask"] = torch.tensor(mask)
        kwargs["position_ids"] = torch.tensor(np.maximum(np.cumsum(mask, axis=1) - 1, 0))
    with torch.no_grad():
        return model(torch.tensor(tokens), **kwargs).logits.float().numpy()


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request, tmp_path_factory):
    model, directory = make_hf(tmp_path_factory.mktemp(request.param), **CASES[request.param])
    gajax_model, _ = load_hf_llama(directory)
    return model, gajax_model


def test_config_mapped(pair):
    hf, ours = pair
    c = hf.config
    assert ours.cfg.num_heads == c.num_attention_heads
    assert ours.cfg.num_kv_heads == c.num_key_value_heads
    assert ours.cfg.head_dim == c.head_dim
    assert ours.cfg.tie_embeddings == c.tie_word_embeddings
    assert ours.cfg.rope_theta == c.rope_parameters["rope_theta"]
    scaling = ours.cfg.rope_scaling
    assert (scaling and scaling.rope_type) == (c.rope_parameters["rope_type"] if scaling else None)
    if scaling:
        for key in ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"):
            assert getattr(scaling, key) == c.rope_parameters[key], key
    assert ours.cfg.norm_eps == c.rms_norm_eps
    assert hasattr(ours, "lm_head") != c.tie_word_embeddings


def test_logits_match(pair):
    hf, ours = pair
    tokens = np.random.default_rng(0).integers(0, hf.config.vocab_size, (2, 11))
    got = np.asarray(ours(jnp.asarray(tokens))[0])
    want = hf_logits(hf, tokens)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


def test_final_hidden_states_match(pair):
    hf, ours = pair
    tokens = np.random.default_rng(1).integers(0, hf.config.vocab_size, (1, 7))
    got = np.asarray(ours(jnp.asarray(tokens), return_hidden=True)[0])
    with torch.no_grad():
        want = hf.model(torch.tensor(tokens)).last_hidden_state.numpy()
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


@pytest.mark.parametrize("side", ["left", "right"])
def test_padded_batch_matches(pair, side):
    hf, ours = pair
    rng = np.random.default_rng(2)
    lengths = [9, 5, 2]
    width = max(lengths)
    tokens = np.zeros((len(lengths), width), np.int64)
    mask = np.zeros((len(lengths), width), np.int64)
    for row, n in enumerate(lengths):
        cols = slice(width - n, width) if side == "left" else slice(0, n)
        tokens[row, cols] = rng.integers(1, hf.config.vocab_size, n)
        mask[row, cols] = 1
    got = np.asarray(ours(jnp.asarray(tokens), segment_ids=jnp.asarray(mask))[0])
    want = hf_logits(hf, tokens, mask)
    real = mask.astype(bool)
    np.testing.assert_allclose(got[real], want[real], atol=TOL, rtol=0)
    # Each padded row also equals that sequence run alone.
    for row in range(len(lengths)):
        alone = tokens[row][real[row]][None]
        np.testing.assert_allclose(got[row][real[row]], hf_logits(hf, alone)[0], atol=TOL, rtol=0)


def test_sharded_load_matches(tmp_path):
    if jax.device_count() < 2:
        pytest.skip("needs several (host) devices")
    hf, directory = make_hf(tmp_path, **CASES["gqa_untied"])
    mesh = make_mesh()
    ours, _ = load_hf_llama(directory, mesh=mesh)
    q = ours.layers.q_proj[...]
    assert isinstance(q.sharding, NamedSharding) and q.sharding.mesh.shape == mesh.shape
    assert not q.sharding.is_fully_replicated  # embed (32) is split over the fsdp axis
    assert q.addressable_shards[0].data.shape[1] < q.shape[1]
    tokens = np.random.default_rng(3).integers(0, hf.config.vocab_size, (8, 6))
    with jax.set_mesh(mesh):
        got = np.asarray(jax.jit(lambda m, t: m(t)[0])(ours, jnp.asarray(tokens)))
    np.testing.assert_allclose(got, hf_logits(hf, tokens), atol=TOL, rtol=0)
