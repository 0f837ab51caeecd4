"""cuDNN flash attention (``attention="cudnn"``) against the XLA attention path, on an NVIDIA GPU.

Skipped without a GPU (CI has none); run on one with ``JAX_PLATFORMS=cuda pytest tests/test_gpu_attention.py``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from gajax.models.llama import Llama, LlamaConfig

pytestmark = pytest.mark.skipif(jax.default_backend() != "gpu", reason="needs an NVIDIA GPU (cuDNN)")

ARCH = LlamaConfig(vocab_size=512, embed_dim=256, num_layers=2, num_heads=4, num_kv_heads=2, head_dim=64, mlp_dim=512)


def _inputs() -> tuple[jax.Array, jax.Array]:
    # Row 0 packs two documents; row 1 is one document followed by right padding (segment 0).
    length = 128
    tokens = np.random.default_rng(0).integers(0, ARCH.vocab_size, (2, length))
    segments = np.ones((2, length), np.int32)
    segments[0, 50:] = 2
    segments[1, 100:] = 0
    return jnp.asarray(tokens), jnp.asarray(segments)


def _model(attention: str) -> Llama:
    return Llama(ARCH, dtype=jnp.bfloat16, param_dtype=jnp.float32, attention=attention, rngs=nnx.Rngs(0))


def _positions(segments: jax.Array) -> jax.Array:
    # Each packed document starts at position 0.
    starts = jnp.concatenate([jnp.ones_like(segments[:, :1]), (segments[:, 1:] != segments[:, :-1])], axis=1)
    index = jnp.arange(segments.shape[1])
    last_start = jax.lax.cummax(jnp.where(starts > 0, index, 0), axis=1)
    return index - last_start


def test_cudnn_logits_match_xla_with_packing_and_padding():
    tokens, segments = _inputs()
    positions = _positions(segments)
    reference, _ = _model("xla")(tokens, positions=positions, segment_ids=segments)
    flash, _ = _model("cudnn")(tokens, positions=positions, segment_ids=segments)
    real = np.asarray(segments > 0)
    diff = np.abs(np.asarray(flash) - np.asarray(reference))[real]
    scale = np.abs(np.asarray(reference))[real].max()
    assert diff.max() <= 0.03 * scale, (diff.max(), scale)
    # Packing: the second document must not see the first. Recomputing it alone gives the same logits.
    alone, _ = _model("cudnn")(tokens[:1, 50:], segment_ids=jnp.ones((1, 78), jnp.int32))
    assert np.abs(np.asarray(alone[0]) - np.asarray(flash[0, 50:])).max() <= 0.03 * scale


def test_cudnn_gradients_match_xla():
    tokens, segments = _inputs()
    positions = _positions(segments)

    def grads(attention: str) -> list[np.ndarray]:
        model = _model(attention)
        graphdef, params = nnx.split(model)

        def loss(p: nnx.State) -> jax.Array:
            logits, _ = nnx.merge(graphdef, p)(tokens, positions=positions, segment_ids=segments)
            logp = jax.nn.log_softmax(logits[:, :-1])
            picked = jnp.take_along_axis(logp, tokens[:, 1:, None], axis=-1)[..., 0]
            return -jnp.sum(picked * (segments[:, 1:] > 0))

        return [np.asarray(g) for g in jax.tree.leaves(jax.grad(loss)(params))]

    for flash, reference in zip(grads("cudnn"), grads("xla"), strict=True):
        rel = np.linalg.norm(flash - reference) / max(np.linalg.norm(reference), 1e-12)
        assert rel <= 0.05, rel
