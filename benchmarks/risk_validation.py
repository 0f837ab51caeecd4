"""Risk identification and false alarms on gajax's own held-out validation prompts.

``benchmarks/data/risk_validation.jsonl`` (fields ``id``, ``prompt``, ``risky``, ``area``) holds 720 risky
prompts across the five Do-Not-Answer risk areas (written from the benchmark's public description of its areas
and harm types) and 327 benign prompts in the style of general assistant benchmarks (writing, roleplay, coding,
math, fermi, counterfactual, common sense, knowledge, generic advice), in four batches: the first (ids without a
prefix), ``v2-`` (plain short questions for every harm type, and benign questions on the same topics: health,
law, money, security, companies, famous people), ``v3-`` (subtle risky questions without red-flag words, e.g.
a quietly false premise or a request for non-public facts phrased as an ordinary question) and ``v4-`` (written
last, explicit, plain and subtle prompts in equal parts; it judged the final choice of seed data once). They were
written for gajax by hand and are neither training data nor benchmark prompts. Purpose: the seed data
(``gajax/data/seed/*_material.yaml``, ``tools/compose_seed.py``) is improved against THIS set, so the real
evaluation sets (``risk_identification.py``) stay measurement-only. Do not copy these prompts into the seed data
either, or this set stops measuring generalisation (prompts that nearly equal a seed input were removed, and a test
keeps it so). The output also breaks the rates down by batch.

Same retriever and metrics as ``risk_identification.py``: the share of risky prompts with a ``safety``
guideline among the top-k retrieved (risk identification) and the share of benign prompts with one (false
alarms), overall and per area, for the fine-tuned seed retriever and plain MiniLM (the ``peer`` column of the
results). ``--show-misses`` lists missed risky and flagged benign prompts with the titles retrieved for them.
``--seed-dir`` builds (or finds in the cache) the retriever from another copy of the seed data, to compare data
versions; ``--tuned-layers N`` one that also fine-tunes MiniLM's top N layers. Writes
``benchmarks/results/risk_validation.json``.

Usage: ``python benchmarks/risk_validation.py [--file F] [--top-k 3] [--show-misses] [--seed-dir DIR]
[--tuned-layers N]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
from pathlib import Path

import numpy as np
from risk_identification import RESULTS, TARGET_FALSE_ALARM, TARGET_RISK_IDENTIFICATION, percent, row

from gajax.records import read_jsonl
from gajax.retrieval import seed_encoder
from gajax.retriever.top_layers import TopLayerSettings
from gajax.seed import SeedConfig, ensure_seed_library, seed_query_fn

DEFAULT_FILE = Path(__file__).parent / "data" / "risk_validation.jsonl"


def _batch(record_id: str) -> str:
    """The batch a validation id belongs to: its ``vN-`` prefix, or ``v1`` for the first batch (no prefix)."""
    prefix = re.match(r"(v\d+)-", record_id)
    return prefix[1] if prefix else "v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="jsonl: id, prompt, risky, area")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--show-misses", action="store_true", help="list the prompts it gets wrong")
    parser.add_argument("--seed-dir", type=Path, help="folder with guidelines.jsonl and inputs.jsonl")
    parser.add_argument("--tuned-layers", type=int, default=SeedConfig().top_layers.count,
                        help="the seed retriever's top_layers.count (MiniLM top layers fine-tuned before the adapter)")
    parser.add_argument("--out", type=Path, default=RESULTS / "risk_validation.json")
    args = parser.parse_args()

    records = list(read_jsonl(args.file, {"id": str, "prompt": str, "risky": bool, "area": str}))
    from gajax.index import GuidelineIndex
    from gajax.library import Library, embed_texts

    seed = SeedConfig(top_layers=TopLayerSettings(count=args.tuned_layers))
    if args.seed_dir:
        seed = dataclasses.replace(
            seed, guidelines=str(args.seed_dir / "guidelines.jsonl"), inputs=str(args.seed_dir / "inputs.jsonl")
        )
    files = ensure_seed_library(seed)
    library = Library.load(files.library_dir)
    index = GuidelineIndex.load(library, files.library_dir)
    query_fn = seed_query_fn(files)
    is_safety = np.array([g.kind == "safety" for g in library.guidelines])
    prompts = [r["prompt"] for r in records]
    base = embed_texts(prompts, seed_encoder("minilm")[0], batch_size=256, progress=False)
    top = {name: index.search(q, args.top_k)[0] for name, q in (("tuned", query_fn(prompts)), ("base", base))}
    flagged = {name: is_safety[t].any(axis=1) for name, t in top.items()}

    risky = np.array([r["risky"] for r in records])
    area_of = np.array([r["area"] for r in records])
    print(f"Validation ({args.file.name}): a safety guideline in the top-{args.top_k}; "
          f"retriever {files.root.name}\n")
    print(f"{'set':<58} {'n':>4} {'fine-tuned':>10} {'MiniLM':>8}")
    rows = []
    sets = (("risky, all", risky, "risk_identification_rate", True),
            ("benign, all (false alarms)", ~risky, "false_alarm_rate", False))
    for label, mask, metric, higher in sets:
        tuned, plain = percent(flagged["tuned"][mask]), percent(flagged["base"][mask])
        rows.append(row(metric, f"validation, {label}", tuned, plain, higher))
        print(f"{label:<58} {int(mask.sum()):>4} {tuned:>9.1f}% {plain:>7.1f}%")
        for area in dict.fromkeys(area_of[mask]):
            sub = mask & (area_of == area)
            tuned, plain = percent(flagged["tuned"][sub]), percent(flagged["base"][sub])
            rows.append(row(metric, f"validation, {area}", tuned, plain, higher))
            print(f"  {area:<56} {int(sub.sum()):>4} {tuned:>9.1f}% {plain:>7.1f}%")
    batch_of = np.array([_batch(r["id"]) for r in records])
    print(f"\n{'batch':<58} {'n':>4} {'fine-tuned':>10} {'MiniLM':>8}")
    for batch in sorted(set(batch_of)):
        for label, mask, metric, higher in sets:
            sub = mask & (batch_of == batch)
            tuned, plain = percent(flagged["tuned"][sub]), percent(flagged["base"][sub])
            rows.append(row(metric, f"validation batch {batch}, {label}", tuned, plain, higher))
            print(f"{batch + ', ' + label:<58} {int(sub.sum()):>4} {tuned:>9.1f}% {plain:>7.1f}%")
    identified, false_alarm = percent(flagged["tuned"][risky]), percent(flagged["tuned"][~risky])
    print(f"\nbenchmark targets: risk identification >= {TARGET_RISK_IDENTIFICATION}% ({identified:.1f}%), "
          f"false alarms <= {TARGET_FALSE_ALARM}% ({false_alarm:.1f}%)")

    if args.show_misses:
        titles = [g.title for g in library.guidelines]
        wrong = np.flatnonzero(flagged["tuned"] != risky)
        print(f"\n{len(wrong)} wrong (missed risky, flagged benign):")
        for i in wrong:
            retrieved = "; ".join(f"{'S' if is_safety[j] else 'Q'} {titles[j]}" for j in top["tuned"][i])
            print(f"  [{records[i]['area']}] {records[i]['prompt']}\n      -> {retrieved}")

    machine = f"{platform.node()}: {os.cpu_count()} cores; retriever {files.root.name}"
    for r in rows:
        r["machine"] = machine
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
