"""Evaluation: harmlessness, pairwise quality, over-refusal and risk identification, with reports.

- :mod:`gajax.eval.benchmarks`: loaders for Do-Not-Answer, the Vicuna benchmark, HHH alignment, XSTest-style
  over-refusal sets and any JSONL of prompts, each from a local file;
- :mod:`gajax.eval.refusal`: the offline refusal detector (no model) and its labelled set;
- :mod:`gajax.eval.types`: the prompt and judgement records and the one interface of response judges;
- :mod:`gajax.eval.classifier`: the ``transformers`` classifier judge (the Do-Not-Answer Longformer classifiers);
- :mod:`gajax.eval.judges`: the LLM judges (6-class action rubric, pairwise in both orders) and the judge factory;
- :mod:`gajax.eval.stats`: rates with Wilson intervals, paired bootstrap, win/tie/loss arithmetic;
- :mod:`gajax.eval.report`: ``results.json``, ``report.md`` and PNG plots;
- :mod:`gajax.eval.run`: ``gajax eval``.
"""
