"""Shared model layers: buckets, the LM head, the typed KV cache, the BERT conversion table, norms vs NumPy."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from gajax.buckets import bucket_sizes, length_bucket, round_to_bucket, round_up
from gajax.convert.hf_bert import BERT_TENSORS
from gajax.models.bert import Bert, load_bert_arch
from gajax.models.layers import LayerNorm, RMSNorm
from gajax.models.llama import KVCache, Llama, load_arch


def test_bucket_schedules_are_the_ones_callers_compile_for():
    assert bucket_sizes(256) == [32, 48, 64, 96, 128, 192, 256]
    assert bucket_sizes(100) == [32, 48, 64, 96, 100]
    assert [round_to_bucket(n, 256) for n in (1, 32, 33, 49, 200, 300)] == [32, 32, 48, 64, 256, 300]
    assert [length_bucket(n) for n in (1, 8, 9, 64, 65, 97)] == [8, 8, 16, 64, 96, 128]
    assert [round_up(n, 4) for n in (1, 4, 5)] == [4, 4, 8]


def test_norms_match_numpy():
    x = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    rms = RMSNorm(8, 1e-5, jnp.float32)(jnp.asarray(x))
    np.testing.assert_allclose(rms, x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-5), rtol=1e-5)
    ln = LayerNorm(8, 1e-12, jnp.float32)(jnp.asarray(x))
    centred = x - x.mean(-1, keepdims=True)
    np.testing.assert_allclose(ln, centred / np.sqrt(centred.var(-1, keepdims=True) + 1e-12), rtol=1e-4, atol=1e-5)


def test_logits_of_hidden_states_equal_the_forward_pass():
    for tie in (True, False):
        cfg = dataclasses.replace(load_arch("tiny"), tie_embeddings=tie)
        model = Llama(cfg, rngs=nnx.Rngs(0))
        tokens = jnp.asarray([[3, 5, 7, 9]])
        logits, _ = model(tokens)
        hidden, _ = model(tokens, return_hidden=True)
        np.testing.assert_array_equal(model.logits(hidden), logits)


def test_kv_cache_is_a_typed_pytree_the_model_fills():
    cfg = load_arch("tiny")
    model = Llama(cfg, rngs=nnx.Rngs(0))
    cache = KVCache.init(cfg, 2, 16)
    _, cache = model(jnp.ones((2, 5), jnp.int32), cache=cache)
    assert isinstance(cache, KVCache) and int(cache.index) == 5
    assert cache.keys.shape == (cfg.num_layers, 2, 16, cfg.num_kv_heads, cfg.head_dim) == cache.values.shape
    assert bool(cache.mask[:, :5].all()) and not bool(cache.mask[:, 5:].any())
    assert float(jnp.abs(cache.keys[:, :, :5]).sum()) > 0 and float(jnp.abs(cache.keys[:, :, 5:]).sum()) == 0
    assert len(jax.tree.leaves(cache)) == 4 and len(KVCache.AXES) == cache.keys.ndim


def test_bert_table_covers_every_parameter_once():
    model = Bert(load_bert_arch("bert_tiny"), rngs=nnx.Rngs(0))
    paths = {
        ".".join(str(getattr(p, "key", p)) for p in path)
        for path, _ in jax.tree_util.tree_leaves_with_path(nnx.to_pure_dict(nnx.state(model, nnx.Param)))
    }
    rows = [r.gajax for r in BERT_TENSORS]
    assert len(rows) == len(set(rows)) and set(rows) == paths
