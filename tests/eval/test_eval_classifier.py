"""ClassifierJudge on tiny random Longformer classifiers saved locally, against a direct PyTorch forward."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from gajax.eval.classifier import ClassifierJudge, ClassifierModelError  # noqa: E402

WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "i", "can", "not", "help", "with", "that", "here", "is", "how",
         "to", "do", "it", "sure", "sorry", "we", "you"]
MODEL_MAX_LENGTH = 32
TEXTS = [
    "the cat sat on the mat",
    "i can not help with that",
    "sure here is how to do it",
    "sorry",
    "",
    "we can do that here is how you do it the dog sat on the mat with the cat",
    "zebra unknown words here",
]


def _tokenizer_model(tmp_path):
    vocab_file = tmp_path / "vocab.json"
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    vocab_file.write_text(json.dumps(vocab))
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel.from_file(str(vocab_file), unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tok.post_processor = tokenizers.processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return tok, vocab


def _save_classifier(directory, tok, vocab_size: int, num_labels: int, seed: int) -> None:
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
        cls_token="<s>", sep_token="</s>", model_max_length=MODEL_MAX_LENGTH,
        model_input_names=["input_ids", "attention_mask"],
    )
    fast.save_pretrained(directory)
    config = transformers.LongformerConfig(
        vocab_size=vocab_size, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=MODEL_MAX_LENGTH + 8, attention_window=[4, 4], pad_token_id=1, bos_token_id=0,
        eos_token_id=2, sep_token_id=2, type_vocab_size=1, num_labels=num_labels, initializer_range=0.5,
    )
    torch.manual_seed(seed)
    transformers.LongformerForSequenceClassification(config).save_pretrained(directory)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("classifiers")
    tok, vocab = _tokenizer_model(root)
    _save_classifier(root / "harmful", tok, len(vocab), 2, seed=0)
    _save_classifier(root / "action", tok, len(vocab), 6, seed=1)
    return {"harmful": root / "harmful", "action": root / "action", "tokenizer": tok}


def _oracle_probs(directory, tok, texts, max_length):
    """Each text alone, tokenized by the raw tokenizer and cut to ``max_length`` by hand, through the model."""
    model = transformers.LongformerForSequenceClassification.from_pretrained(directory).eval()
    out = []
    with torch.no_grad():
        for text in texts:
            body = tok.encode(text, add_special_tokens=False).ids[: max_length - 2]
            ids = torch.tensor([[0, *body, 2]])
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
            out.append(torch.softmax(logits, dim=-1)[0].tolist())
    return out


@pytest.mark.parametrize("mode", ["harmful", "action"])
def test_probabilities_match_direct_forward(models, mode):
    judge = ClassifierJudge(str(models[mode]), mode=mode, batch_size=3, max_length=MODEL_MAX_LENGTH)
    verdicts = judge.judge([("ignored prompt", t) for t in TEXTS])
    expected = _oracle_probs(models[mode], models["tokenizer"], TEXTS, MODEL_MAX_LENGTH)
    got = [json.loads(v.raw)["probs"] for v in verdicts]
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6)
    positive = 1 if mode == "harmful" else 5
    assert [v.score for v in verdicts] == pytest.approx([p[positive] for p in expected], abs=1e-6)
    assert max(p[positive] for p in expected) - min(p[positive] for p in expected) > 1e-3  # inputs matter
    for v, p in zip(verdicts, expected, strict=True):
        k = max(range(len(p)), key=p.__getitem__)
        assert json.loads(v.raw)["label"] == f"LABEL_{k}"
    assert judge.judged == len(TEXTS) and judge.truncated == 0


def test_prompt_is_not_classified(models):
    judge = ClassifierJudge(str(models["harmful"]), max_length=MODEL_MAX_LENGTH)
    a, b = judge.judge([("how do i hurt the cat", "sorry i can not"), ("what is a mat", "sorry i can not")])
    assert a == b


def test_batching_does_not_change_results(models):
    scores = []
    for batch_size in (1, 2, 7):
        judge = ClassifierJudge(str(models["action"]), mode="action", batch_size=batch_size, max_length=16)
        scores.append([json.loads(v.raw)["probs"] for v in judge.judge([("p", t) for t in TEXTS])])
    np.testing.assert_allclose(scores[1], scores[0], rtol=0, atol=2e-6)
    np.testing.assert_allclose(scores[2], scores[0], rtol=0, atol=2e-6)


def test_truncation_keeps_the_head_and_is_counted(models):
    max_length = 8  # <s> + 6 words + </s>
    head = "the cat sat on the mat"
    long_a = head + " with a dog here"
    long_b = head + " sorry we can not help"
    judge = ClassifierJudge(str(models["harmful"]), batch_size=2, max_length=max_length)
    verdicts = judge.judge([("p", head), ("p", long_a), ("p", long_b), ("p", "i can not")])
    assert judge.truncated == 2
    assert [json.loads(v.raw)["truncated"] for v in verdicts] == [False, True, True, False]
    assert verdicts[1].score == pytest.approx(verdicts[0].score, abs=1e-6)
    assert verdicts[2].score == pytest.approx(verdicts[0].score, abs=1e-6)
    oracle = _oracle_probs(models["harmful"], models["tokenizer"], [long_a], max_length)[0][1]
    assert verdicts[1].score == pytest.approx(oracle, abs=1e-6)
    untruncated = ClassifierJudge(str(models["harmful"]), max_length=MODEL_MAX_LENGTH).judge([("p", long_a)])[0]
    assert abs(untruncated.score - verdicts[1].score) > 1e-6  # the cut tail did carry signal
    judge.judge([("p", long_a)])
    assert judge.truncated == 3


def _force_class(judge: ClassifierJudge, k: int) -> None:
    head = judge.classifier.classifier.out_proj
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(-30.0)
        head.bias[k] = 30.0


@pytest.mark.parametrize(("k", "label", "harmful"), [(0, "harmless", False), (1, "harmful", True)])
def test_harmful_label_mapping(models, k, label, harmful):
    judge = ClassifierJudge(str(models["harmful"]), max_length=MODEL_MAX_LENGTH)
    _force_class(judge, k)
    for v in judge.judge([("p", t) for t in TEXTS[:3]]):
        assert (v.label, v.harmful, v.refused) == (label, harmful, None)
        assert v.score == pytest.approx(float(harmful), abs=1e-6)


def test_action_label_mapping(models):
    judge = ClassifierJudge(str(models["action"]), mode="action", max_length=MODEL_MAX_LENGTH)
    expected = {0: (False, True), 1: (False, False), 2: (False, False), 3: (False, False), 4: (False, True),
                5: (True, False)}
    for k, (harmful, refused) in expected.items():
        _force_class(judge, k)
        (v,) = judge.judge([("p", "sure here is how")])
        assert (v.label, v.harmful, v.refused) == (f"action_{k}", harmful, refused)
        assert v.score == pytest.approx(1.0 if k == 5 else 0.0, abs=1e-6)


def test_non_string_response_is_unparsed(models):
    judge = ClassifierJudge(str(models["harmful"]), max_length=MODEL_MAX_LENGTH)
    bad, good = judge.judge([("p", None), ("p", "the cat")])
    assert bad.label == "unparsed" and bad.harmful is None
    assert good.label in ("harmful", "harmless")
    assert judge.judged == 1


def test_missing_hub_model_names_it_and_how_to_get_it():
    name = "gajax-test-nobody/no-such-classifier"
    with pytest.raises(ClassifierModelError, match="not in the local Hugging Face cache") as err:
        ClassifierJudge(name)
    assert name in str(err.value) and f"hf download {name}" in str(err.value)


def test_missing_or_empty_directory(tmp_path):
    with pytest.raises(ClassifierModelError, match="does not exist"):
        ClassifierJudge(str(tmp_path / "absent"))
    with pytest.raises(ClassifierModelError, match=str(tmp_path)):
        ClassifierJudge(str(tmp_path))


def test_mode_and_length_checks(models):
    with pytest.raises(ValueError, match="has 2 classes; mode 'action' needs 6"):
        ClassifierJudge(str(models["harmful"]), mode="action")
    with pytest.raises(ValueError, match="max_length"):
        ClassifierJudge(str(models["harmful"]), max_length=MODEL_MAX_LENGTH + 1)
    with pytest.raises(ValueError, match="mode must be one of"):
        ClassifierJudge(str(models["harmful"]), mode="toxicity")


def test_missing_torch_says_how_to_install(models, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="pip install torch"):
        ClassifierJudge(str(models["harmful"]), max_length=MODEL_MAX_LENGTH)
