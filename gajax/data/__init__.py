"""gajax's package data: the category taxonomy, the seed guideline library and its training inputs, prompts.

``taxonomy.yaml`` names the 14 safety categories (8 safety scenarios, 6 instruction attacks) plus
``general_quality``. ``seed/guidelines.jsonl`` and ``seed/inputs.jsonl`` are composed by ``tools/compose_seed.py``
from their hand-written material, ``seed/guideline_material.yaml`` and ``seed/prompt_material.yaml`` (their
provenance).
"""
