"""gajax's package data: the category taxonomy, the seed guideline library and its training inputs, prompts.

``taxonomy.yaml`` names the 14 safety categories (8 safety scenarios, 6 instruction attacks) plus
``general_quality``. ``seed/guidelines.jsonl`` and ``seed/inputs.jsonl`` are written by
``seed/build_seed.py``, which holds all of their hand-written material and is their provenance.
"""
