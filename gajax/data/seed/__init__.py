"""The seed guideline library (``guidelines.jsonl``) and training inputs (``inputs.jsonl``), built by
``build_seed``."""
