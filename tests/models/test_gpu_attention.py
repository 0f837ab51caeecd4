"""cuDNN flash attention (``attention="cudnn"``) against the XLA attention path, on an NVIDIA GPU.

Skipped without a GPU (CI has none); run on one with ``JAX_PLATFORMS=cuda pytest tests/test_gpu_attention.py``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from gajax.finetune.data import Example, pack
from gajax.models.llama import Llama, LlamaConfig

pytestmark = pytest.mark.skipif(jax.default_backend() != "gpu", reason="needs an NVIDIA GPU (cuDNN)")

ARCH = LlamaConfig(vocab_size=512, embed_dim=256, num_layers=2, num_heads=4, num_kv_heads=2, head_dim=64, mlp_dim=512)


def _packed_batch() -> dict[str, jax.Array]:
    # The trainer's packing: row 0 holds two documents (50 + 78 tokens), row 1 one of 100 tokens then padding.
    rng = np.random.default_rng(0)
    documents = [rng.integers(0, ARCH.vocab_size, n + 1).astype(np.int32) for n in (50, 78, 100)]
    rows = pack([Example(d, np.ones_like(d)) for d in documents], seq_len=128)
    return {k: jnp.asarray(v) for k, v in rows.items()}


def _model(attention: str) -> Llama:
    return Llama(ARCH, dtype=jnp.bfloat16, param_dtype=jnp.float32, attention=attention, rngs=nnx.Rngs(0))


def test_cudnn_logits_match_xla_with_packing_and_padding():
    batch = _packed_batch()
    tokens, positions, segments = batch["inputs"], batch["positions"], batch["segment_ids"]
    assert segments[0, -1] == 2 and segments[1, -1] == 0  # the layout the test means to cover
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
    batch = _packed_batch()

    def grads(attention: str) -> list[np.ndarray]:
        graphdef, params = nnx.split(_model(attention))

        def loss(p: nnx.State) -> jax.Array:
            logits, _ = nnx.merge(graphdef, p)(
                batch["inputs"], positions=batch["positions"], segment_ids=batch["segment_ids"]
            )
            logp = jnp.take_along_axis(jax.nn.log_softmax(logits), batch["targets"][..., None], axis=-1)[..., 0]
            return -jnp.sum(logp * batch["loss_mask"])

        return [np.asarray(g) for g in jax.tree.leaves(jax.grad(loss)(params))]

    for flash, reference in zip(grads("cudnn"), grads("xla"), strict=True):
        rel = np.linalg.norm(flash - reference) / max(np.linalg.norm(reference), 1e-12)
        assert rel <= 0.05, rel
