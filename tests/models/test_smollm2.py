"""The embedded SmolLM2-135M-Instruct GGUF: gajax vs transformers (which dequantises the same file on its own)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from gajax.convert.hf_llama import export_hf_llama
from gajax.decoder import DecoderConfig, load_decoder, smollm2_gguf_path
from gajax.models.llama import Llama, load_arch

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")  # transformers needs it to load GGUF files

pytestmark = pytest.mark.slow

LOGIT_TOL = 1e-3

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "List three prime numbers."},
        {"role": "assistant", "content": "2, 3, 5."},
        {"role": "user", "content": "Two more, please!"},
    ],
    [{"role": "user", "content": "Écris une phrase en français 🙂 et un nombre: 1234."}],
]

TEXTS = [
    "Hello world!",
    "  leading spaces,\ttabs and\n\nblank lines  ",
    "Numbers: 12345, 3.14159, $1,000,000 and 2024-06-01.",
    "Ünïcödé café naïve — 日本語のテキスト, emoji 😀👍🏽",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    "don't you'll I'M we've",
    "def f(x):\n    return x ** 2  # square\n",
    "a" * 40 + " " + "ab" * 20,
    "Ġ literal byte-alphabet characters Ċ",
    "",
]


@pytest.fixture(scope="module")
def gguf_path():
    try:
        return smollm2_gguf_path()
    except FileNotFoundError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def reference(gguf_path):
    """transformers' model and tokenizer from the same GGUF file."""
    directory, name = gguf_path.parent, gguf_path.name
    model = transformers.AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32)
    tokenizer = transformers.AutoTokenizer.from_pretrained(directory, gguf_file=name)
    return model.eval(), tokenizer


@pytest.fixture(scope="module")
def ours():
    return load_decoder(DecoderConfig(weights="smollm2", arch="smollm2_135m"))


def batch_logits(model, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Logits of left-padded rows in one call, and the mask of real tokens."""
    width = max(map(len, rows))
    tokens = np.zeros((len(rows), width), np.int32)
    segments = np.zeros((len(rows), width), np.int32)
    for i, row in enumerate(rows):
        tokens[i, width - len(row) :] = row
        segments[i, width - len(row) :] = 1
    logits = jax.jit(lambda m, t, s: m(t, segment_ids=s)[0])(model, jnp.asarray(tokens), jnp.asarray(segments))
    return np.asarray(logits), segments.astype(bool)


def reference_logits(model, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].numpy()


@pytest.fixture(scope="module")
def prompts(reference):
    _, tokenizer = reference
    texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in CONVERSATIONS]
    return [tokenizer.encode(t, add_special_tokens=False) for t in texts]


def test_architecture_matches_shipped_arch(ours, reference):
    model, _ = ours
    hf_model, _ = reference
    assert model.cfg == load_arch("smollm2_135m")
    assert model.cfg.num_layers == hf_model.config.num_hidden_layers
    assert model.cfg.tie_embeddings and not hasattr(model, "lm_head")


def test_logits_match_transformers(ours, reference, prompts):
    model, _ = ours
    hf_model, _ = reference
    logits, real = batch_logits(model, prompts)
    worst = 0.0
    for i, ids in enumerate(prompts):
        want = reference_logits(hf_model, ids)
        got = logits[i][real[i]]
        assert np.array_equal(got.argmax(-1), want.argmax(-1))
        worst = max(worst, float(np.abs(got - want).max()))
    print(f"\nSmolLM2 float32 logits max |gajax - transformers| = {worst:.3g}")
    assert worst <= LOGIT_TOL


def test_bfloat16_close_to_float32(ours, prompts):
    model, _ = ours
    f32, real = batch_logits(model, prompts)
    # What load_decoder(dtype=param_dtype=bfloat16) builds: the same weights rounded to bf16, bf16 compute.
    abstract = nnx.eval_shape(lambda: Llama(model.cfg, dtype=jnp.bfloat16, param_dtype=jnp.bfloat16, rngs=nnx.Rngs(0)))
    graphdef, _ = nnx.split(abstract)
    bf16_model = nnx.merge(graphdef, jax.tree.map(lambda x: x.astype(jnp.bfloat16), nnx.state(model)))
    assert bf16_model.layers.q_proj[...].dtype == jnp.bfloat16
    bf16, _ = batch_logits(bf16_model, prompts)
    diff = np.abs(bf16[real] - f32[real])
    agree = float(np.mean(bf16[real].argmax(-1) == f32[real].argmax(-1)))
    print(f"\nSmolLM2 bf16 vs f32 logits: max |diff| {diff.max():.3g}, mean {diff.mean():.3g}, top-1 agree {agree:.3f}")
    assert agree >= 0.8  # bf16 rounding flips only near-ties


def test_tokenizer_ids_match_transformers(ours, reference):
    _, tokenizer = ours
    _, ref = reference
    for text in TEXTS:
        ids = tokenizer.encode(text)
        assert ids == ref.encode(text, add_special_tokens=False), text
        assert tokenizer.decode(ids, skip_special_tokens=False) == ref.decode(ids, skip_special_tokens=False)
        assert tokenizer.decode(ids) == ref.decode(ids, skip_special_tokens=True)
    assert tokenizer.vocab_size == len(ref)
    assert tokenizer.eos_id == ref.eos_token_id and tokenizer.bos_id == ref.bos_token_id
    assert tokenizer.pad_id == ref.pad_token_id
    assert ref.convert_tokens_to_ids("<|im_end|>") in tokenizer.stop_ids


def test_digits_are_split_one_by_one(ours, reference):
    # SmolLM2's own tokenizer splits numbers into single digits; the vocabulary has no multi-digit pieces.
    _, tokenizer = ours
    _, ref = reference
    ids = tokenizer.encode("31415926")
    assert len(ids) == 8 and [ref.decode([i]) for i in ids] == list("31415926")


@pytest.mark.parametrize("add_generation_prompt", [True, False])
def test_chat_template_matches_transformers(ours, reference, add_generation_prompt):
    _, tokenizer = ours
    _, ref = reference
    for conversation in CONVERSATIONS:
        want = ref.apply_chat_template(conversation, tokenize=False, add_generation_prompt=add_generation_prompt)
        assert tokenizer.apply_chat_template(conversation, add_generation_prompt=add_generation_prompt) == want


def test_export_loads_in_transformers(ours, reference, prompts, tmp_path_factory):
    model, tokenizer = ours
    hf_model, ref = reference
    out = tmp_path_factory.mktemp("smollm2_hf")
    special = {"bos": tokenizer.bos_id, "eos": tokenizer.eos_id, "pad": tokenizer.pad_id}
    export_hf_llama(model, out, dtype="float32", special_ids=special)
    tokenizer.save(out)
    exported = transformers.LlamaForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    assert exported.config.eos_token_id == ref.eos_token_id
    ids = prompts[1]
    np.testing.assert_allclose(reference_logits(exported, ids), reference_logits(hf_model, ids), atol=1e-4, rtol=0)
    exported_tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    for text in TEXTS:
        assert exported_tokenizer.encode(text, add_special_tokens=False) == ref.encode(text, add_special_tokens=False)
    conversation = CONVERSATIONS[1]
    assert exported_tokenizer.apply_chat_template(
        conversation, tokenize=False, add_generation_prompt=True
    ) == ref.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
