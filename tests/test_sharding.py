import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from jax.sharding import PartitionSpec as P

from gajax.models.llama import Llama, load_arch
from gajax.sharding import MeshConfig, create_sharded, logical_to_spec, make_mesh, resolve_mesh_shape


def test_rules_use_each_mesh_axis_once():
    # A weight shards embed over fsdp; an activation whose batch already uses fsdp leaves embed alone.
    assert logical_to_spec(("embed", "heads", "head_dim")) == P("fsdp", "tensor", None)
    assert logical_to_spec(("batch", "length", "embed")) == P(("data", "fsdp"), None, None)
    assert logical_to_spec(("layers", "vocab", "embed")) == P(None, "tensor", "fsdp")
    with pytest.raises(KeyError, match="no rule"):
        logical_to_spec(("nonsense",))


def test_mesh_shape_inference():
    assert resolve_mesh_shape(MeshConfig(), 8) == (1, 8, 1)
    assert resolve_mesh_shape(MeshConfig(data=2, fsdp=-1, tensor=2), 8) == (2, 2, 2)
    with pytest.raises(ValueError, match="cannot split 8 devices"):
        resolve_mesh_shape(MeshConfig(data=3, fsdp=-1), 8)
    with pytest.raises(ValueError, match="needs 4 devices"):
        resolve_mesh_shape(MeshConfig(data=2, fsdp=2, tensor=1), 8)
    with pytest.raises(ValueError, match="at most one"):
        MeshConfig(data=-1, fsdp=-1)


@pytest.fixture(scope="module")
def tiny():
    return load_arch("tiny")


@pytest.fixture(scope="module")
def batch(tiny):
    rng = np.random.default_rng(0)
    tokens = jnp.asarray(rng.integers(0, tiny.vocab_size, (4, 12)))
    segments = np.ones((4, 12), np.int32)
    segments[1, :5] = 0  # left padding
    segments[3, :2] = 0
    return tokens, jnp.asarray(segments)


def _flat_params(model):
    return {"/".join(map(str, k)): v for k, v in nnx.to_flat_state(nnx.state(model, nnx.Param))}


def test_sharded_forward_matches_single_device(tiny, batch):
    assert jax.device_count() == 8, "run with XLA_FLAGS=--xla_force_host_platform_device_count=8"
    tokens, segments = batch
    single = Llama(tiny, rngs=nnx.Rngs(3))
    expected, _ = single(tokens, segment_ids=segments)

    mesh = make_mesh(MeshConfig(data=1, fsdp=2, tensor=4))
    sharded = create_sharded(lambda: Llama(tiny, rngs=nnx.Rngs(3)), mesh)

    # Every large parameter is really split: each device holds a fraction of it.
    for name, var in _flat_params(sharded).items():
        value = var[...]
        if value.size >= 4096:
            shard = value.addressable_shards[0].data
            assert shard.size < value.size, f"{name} {value.shape} is not sharded ({value.sharding.spec})"
    assert _flat_params(sharded)["layers/q_proj"][...].sharding.spec == P(None, "fsdp", "tensor", None)

    @jax.jit
    def forward(state, tokens, segments):
        model = nnx.merge(nnx.graphdef(sharded), state)
        return model(tokens, segment_ids=segments)[0]

    with jax.set_mesh(mesh):
        got = forward(nnx.state(sharded), tokens, segments)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), atol=1e-5)


def test_sharded_gradients_and_remat_match(tiny, batch):
    tokens, segments = batch

    def loss(model):
        logits, _ = model(tokens, segment_ids=segments)
        logp = jax.nn.log_softmax(logits[:, :-1])
        nll = -jnp.take_along_axis(logp, tokens[:, 1:, None], axis=-1)[..., 0]
        return jnp.sum(nll * (segments[:, 1:] > 0)) / jnp.sum(segments[:, 1:] > 0)

    reference = nnx.grad(loss)(Llama(tiny, rngs=nnx.Rngs(5)))
    mesh = make_mesh(MeshConfig(data=2, fsdp=2, tensor=2))
    for remat in ("full", "minimal", "save_qkv_proj"):
        model = create_sharded(lambda r=remat: Llama(tiny, remat=r, rngs=nnx.Rngs(5)), mesh)
        with jax.set_mesh(mesh):
            grads = nnx.jit(nnx.grad(loss))(model)
        for (path, want), (_, got) in zip(nnx.to_flat_state(reference), nnx.to_flat_state(grads), strict=True):
            np.testing.assert_allclose(np.asarray(got[...]), np.asarray(want[...]), atol=1e-5, err_msg=str(path))


def test_unknown_remat_policy(tiny):
    with pytest.raises(ValueError, match="unknown remat policy"):
        Llama(tiny, remat="sometimes", rngs=nnx.Rngs(0))


def test_unrolled_layer_loop_equals_the_rolled_one(tiny):
    # scan_unroll changes the compiled program (GPU speed), never the maths: logits and gradients agree.
    tokens = jnp.asarray(np.random.default_rng(2).integers(0, tiny.vocab_size, (2, 9)))

    def loss(model: Llama) -> jax.Array:
        return jnp.mean(model(tokens)[0] ** 2)

    rolled, unrolled = Llama(tiny, rngs=nnx.Rngs(4)), Llama(tiny, scan_unroll=tiny.num_layers, rngs=nnx.Rngs(4))
    np.testing.assert_allclose(unrolled(tokens)[0], rolled(tokens)[0], atol=1e-5)
    for a, b in zip(jax.tree.leaves(nnx.grad(loss)(unrolled)), jax.tree.leaves(nnx.grad(loss)(rolled)), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="scan_unroll must be at least 1"):
        Llama(tiny, scan_unroll=0, rngs=nnx.Rngs(0))


def test_attention_choice_is_checked(tiny):
    with pytest.raises(ValueError, match="unknown attention"):
        Llama(tiny, attention="flash", rngs=nnx.Rngs(0))
    # cuDNN's flash attention computes in 16-bit floats only: a float32 model is refused up front.
    with pytest.raises(ValueError, match="needs dtype bfloat16"):
        Llama(tiny, attention="cudnn", rngs=nnx.Rngs(0))
    nnx.eval_shape(lambda: Llama(tiny, attention="cudnn", dtype=jnp.bfloat16, rngs=nnx.Rngs(0)))


def test_padding_does_not_change_real_tokens(tiny):
    # Left padding must not shift positions or leak into attention: the padded row equals the unpadded one.
    model = Llama(tiny, rngs=nnx.Rngs(1))
    rng = np.random.default_rng(1)
    row = jnp.asarray(rng.integers(0, tiny.vocab_size, (1, 7)))
    alone, _ = model(row)
    padded = jnp.concatenate([jnp.zeros((1, 3), row.dtype), row], axis=1)
    seg = jnp.asarray([[0, 0, 0] + [1] * 7])
    with_pad, _ = model(padded, segment_ids=seg)
    np.testing.assert_allclose(np.asarray(with_pad[:, 3:]), np.asarray(alone), atol=1e-5)


def test_batches_split_over_the_data_axes_or_are_refused():
    from gajax.sharding import batch_shardings, check_batch_divides, put_batch

    if len(jax.devices()) < 8:
        pytest.skip("needs XLA_FLAGS=--xla_force_host_platform_device_count=8")
    mesh = make_mesh(MeshConfig(data=2, fsdp=2, tensor=2))
    shardings = batch_shardings(mesh, {"tokens": (None, "batch", "length"), "labels": (None, None)})
    rows = np.arange(2 * 8 * 3).reshape(2, 8, 3)
    placed = put_batch({"tokens": rows, "labels": rows[:, :5, 0]}, shardings)
    np.testing.assert_array_equal(np.asarray(placed["tokens"]), rows)
    assert placed["tokens"].sharding.spec == P(None, ("data", "fsdp"), None)
    assert {s.data.shape for s in placed["tokens"].addressable_shards} == {(2, 2, 3)}  # 4 batch shards of 2 rows
    assert placed["labels"].sharding.is_fully_replicated  # an array whose axes name no mesh axis: replicated
    with pytest.raises(ValueError, match=r"batch array 'tokens': dimension 1 of size 6 does not divide over the 4 "
                                         r"shards of mesh \{'data': 2, 'fsdp': 2, 'tensor': 2\}"):
        put_batch({"tokens": rows[:, :6]}, shardings)
    with pytest.raises(ValueError, match=r"train.micro_batch=6 of 6 rows does not divide over the 4 batch shards"):
        check_batch_divides(6, mesh, "train.micro_batch=6")
