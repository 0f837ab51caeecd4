"""The seed guideline library (``guidelines.jsonl``) and training inputs (``inputs.jsonl``), composed by
``tools/compose_seed.py`` from the hand-written tables in ``guideline_material.yaml`` and ``prompt_material.yaml``."""
