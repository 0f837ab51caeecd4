"""The FLOPs-per-token formula behind the logged MFU (gajax/perf.py), counted by hand from a real tiny Llama's
parameter shapes and checked against XLA's own count of the compiled training step."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import pytest
from flax import nnx

from gajax.models.llama import Llama, load_arch
from gajax.perf import matmul_params, train_flops_per_token

SEQ_LEN = 128


def _model(tie: bool) -> Llama:
    cfg = dataclasses.replace(load_arch("tiny"), tie_embeddings=tie)
    # Layers unrolled: XLA's cost analysis counts a loop body once, whatever its trip count.
    return Llama(cfg, scan_unroll=cfg.num_layers, rngs=nnx.Rngs(0))


@pytest.mark.parametrize("tie", [False, True])
def test_formula_counts_the_models_matmuls(tie):
    model = _model(tie)
    params = nnx.to_flat_state(nnx.state(model, nnx.Param))
    shapes = {"/".join(map(str, path)): variable.get_value().shape for path, variable in params}
    # Every weight a token meets in a matmul: the projections of each layer and the LM head. Norm scales are
    # elementwise and the input embedding is a gather; a tied embedding is the head.
    projections = [name for name in shapes if name.startswith("layers/") and name.endswith("_proj")]
    assert len(projections) == 7
    head = shapes["lm_head"] if not tie else shapes["embed"]
    n_matmul = sum(math.prod(shapes[name]) for name in projections) + math.prod(head)
    assert ("lm_head" in shapes) != tie
    assert matmul_params(model.cfg) == n_matmul

    # Per token and layer, the scores q.k and the weighted sum of values each take 2 * heads * head_dim FLOPs per
    # position of the window; the backward pass costs twice the forward.
    layers, _, heads, head_dim = shapes["layers/q_proj"]
    forward = 2 * n_matmul + layers * 2 * (2 * heads * head_dim * SEQ_LEN)
    assert train_flops_per_token(model.cfg, SEQ_LEN) == 3 * forward


def test_formula_matches_xlas_count_of_a_training_step():
    model = _model(tie=False)
    graphdef, state = nnx.split(model)
    tokens = jnp.zeros((1, SEQ_LEN), jnp.int32)

    def loss(state, tokens):
        logits, _ = nnx.merge(graphdef, state)(tokens)
        return jnp.mean(jax.nn.log_softmax(logits)[..., 0])

    cost = jax.jit(jax.grad(loss)).lower(state, tokens).compile().cost_analysis()
    xla = (cost[0] if isinstance(cost, list) else cost)["flops"] / SEQ_LEN
    # XLA also counts the elementwise work (norms, softmax, RoPE, SiLU) that the formula leaves out: a few percent.
    assert 1.0 <= xla / train_flops_per_token(model.cfg, SEQ_LEN) < 1.1
