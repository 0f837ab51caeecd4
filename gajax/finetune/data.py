"""Turning guided-generation records into training arrays for SFT and DPO.

Rendering rule (both trainers): the prompt is the chat template with the generation prompt, encoded without
adding special tokens (the template already holds any BOS, so no stray BOS appears before the response); the response
is encoded as plain text and followed by exactly one EOS. Loss falls on response tokens and that EOS only.

Truncation rule: a prompt longer than ``max_prompt_length`` keeps its last tokens (the turn marker that ends it
survives); then a response that does not fit ``max_length`` is cut at the end and loses its EOS. Every truncation is
counted in :class:`EncodeStats`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from gajax.records import RecordError


class ChatTokenizer(Protocol):
    eos_id: int
    pad_id: int

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]: ...

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str: ...

    def apply_chat_template(self, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str: ...


@dataclasses.dataclass
class EncodeStats:
    """Counts of what encoding changed, reported at the end of a run."""

    examples: int = 0
    prompts_truncated: int = 0
    responses_truncated: int = 0


@dataclasses.dataclass(frozen=True)
class Example:
    """One rendered example: ``tokens`` and a 0/1 ``response_mask`` of the same length."""

    tokens: np.ndarray
    response_mask: np.ndarray


def _messages(prompt: str, system: str | None) -> list[dict[str, str]]:
    return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]


def encode_prompt(tokenizer: ChatTokenizer, prompt: str, system: str | None, max_prompt_length: int,
                  stats: EncodeStats) -> list[int]:
    """Template-rendered prompt ids, left-truncated to ``max_prompt_length``."""
    ids = tokenizer.encode(tokenizer.apply_chat_template(_messages(prompt, system), add_generation_prompt=True))
    if len(ids) > max_prompt_length:
        stats.prompts_truncated += 1
        ids = ids[-max_prompt_length:]
    return ids


def encode_completion(tokenizer: ChatTokenizer, response: str) -> list[int]:
    """Response ids followed by exactly one EOS (an EOS already spelled out in the text is not doubled)."""
    eos_text = tokenizer.decode([tokenizer.eos_id], skip_special_tokens=False)
    text = response.rstrip()
    if eos_text and text.endswith(eos_text):
        text = text[: -len(eos_text)].rstrip()
    return [*tokenizer.encode(text), tokenizer.eos_id]


def render(prompt_ids: list[int], completion_ids: list[int], max_length: int, stats: EncodeStats) -> Example:
    """Join prompt and completion, cutting the completion's end to fit ``max_length``."""
    room = max_length - len(prompt_ids)
    if room < 1:
        raise ValueError(f"prompt of {len(prompt_ids)} tokens leaves no room in max_length {max_length}")
    if len(completion_ids) > room:
        stats.responses_truncated += 1
        completion_ids = completion_ids[:room]
    tokens = np.asarray(prompt_ids + completion_ids, np.int32)
    mask = np.concatenate([np.zeros(len(prompt_ids), np.int32), np.ones(len(completion_ids), np.int32)])
    stats.examples += 1
    return Example(tokens, mask)


def _field(record: dict[str, Any], name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"{where}: record has no {name!r} text")
    return value


def encode_records(
    records: Iterable[dict[str, Any]],
    tokenizer: ChatTokenizer,
    completions: tuple[str, ...],
    *,
    max_length: int,
    max_prompt_length: int,
    system: str | None = None,
    source: str = "records",
) -> tuple[list[tuple[Example, ...]], EncodeStats]:
    """Render each record's ``prompt`` with each of its ``completions`` fields (one :class:`Example` per field)."""
    stats = EncodeStats()
    out = []
    for i, record in enumerate(records, start=1):
        where = f"{source}:{i}"
        prompt_ids = encode_prompt(tokenizer, _field(record, "prompt", where), system, max_prompt_length, stats)
        if len(prompt_ids) >= max_length:
            raise RecordError(
                f"{where}: the prompt has {len(prompt_ids)} tokens after truncation to data.max_prompt_length="
                f"{max_prompt_length}, leaving no room for a response in sequences of {max_length - 1} tokens "
                f"(train.seq_len); set data.max_prompt_length below train.seq_len"
            )
        out.append(tuple(
            render(prompt_ids, encode_completion(tokenizer, _field(record, name, where)), max_length, stats)
            for name in completions
        ))
    return out, stats


def encode_sft_records(
    records: Iterable[dict[str, Any]], tokenizer: ChatTokenizer, **options: Any
) -> tuple[list[Example], EncodeStats]:
    """Encode ``{prompt, response}`` records (e.g. ``guided.jsonl``) for SFT; options as :func:`encode_records`."""
    encoded, stats = encode_records(records, tokenizer, ("response",), **options)
    return [example for (example,) in encoded], stats


@dataclasses.dataclass(frozen=True)
class PreferencePair:
    chosen: Example
    rejected: Example


def encode_dpo_records(
    records: Iterable[dict[str, Any]], tokenizer: ChatTokenizer, **options: Any
) -> tuple[list[PreferencePair], EncodeStats]:
    """Encode ``{prompt, chosen, rejected}`` records (TRL's columns) for DPO; options as :func:`encode_records`."""
    encoded, stats = encode_records(records, tokenizer, ("chosen", "rejected"), **options)
    return [PreferencePair(*pair) for pair in encoded], stats


def pack(sequences: Sequence[Example], seq_len: int) -> dict[str, np.ndarray]:
    """Greedy packing of next-token examples into rows of ``seq_len``.

    Returns ``inputs``, ``targets``, ``loss_mask``, ``segment_ids`` (0 = padding) and ``positions`` (restarting
    at 0 in every segment), each ``(rows, seq_len)``.
    """
    rows: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
    fill: list[int] = []
    for seq in sequences:
        inputs, targets, mask = seq.tokens[:-1], seq.tokens[1:], seq.response_mask[1:]
        n = len(inputs)
        if n > seq_len:
            raise ValueError(f"example of {n + 1} tokens is longer than seq_len + 1 = {seq_len + 1}")
        for r, used in enumerate(fill):
            if used + n <= seq_len:
                rows[r].append((inputs, targets, mask))
                fill[r] += n
                break
        else:
            rows.append([(inputs, targets, mask)])
            fill.append(n)
    out = {k: np.zeros((len(rows), seq_len), np.int32) for k in ("inputs", "targets", "loss_mask", "segment_ids",
                                                                  "positions")}
    for r, parts in enumerate(rows):
        at = 0
        for seg, (inputs, targets, mask) in enumerate(parts, start=1):
            n = len(inputs)
            out["inputs"][r, at : at + n] = inputs
            out["targets"][r, at : at + n] = targets
            out["loss_mask"][r, at : at + n] = mask
            out["segment_ids"][r, at : at + n] = seg
            out["positions"][r, at : at + n] = np.arange(n)
            at += n
    return out


def pack_rows(sequences: Sequence[Example], seq_len: int) -> dict[str, np.ndarray]:
    """One example per row (no packing), right-padded; same keys as :func:`pack`."""
    out = {k: np.zeros((len(sequences), seq_len), np.int32) for k in ("inputs", "targets", "loss_mask",
                                                                       "segment_ids", "positions")}
    for r, seq in enumerate(sequences):
        n = len(seq.tokens) - 1
        if n > seq_len:
            raise ValueError(f"example of {n + 1} tokens is longer than seq_len + 1 = {seq_len + 1}")
        out["inputs"][r, :n] = seq.tokens[:-1]
        out["targets"][r, :n] = seq.tokens[1:]
        out["loss_mask"][r, :n] = seq.response_mask[1:]
        out["segment_ids"][r, :n] = 1
        out["positions"][r, :n] = np.arange(n)
    return out


def epoch_batches(num_rows: int, batch_size: int, seed: int, epoch: int, start: int = 0) -> Iterator[np.ndarray]:
    """Row indices of each full batch of one epoch, in a seeded order; ``start`` skips batches already done."""
    order = np.random.default_rng([seed, epoch]).permutation(num_rows)
    for b in range(start, num_rows // batch_size):
        yield order[b * batch_size : (b + 1) * batch_size]
