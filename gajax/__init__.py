"""gajax: Guide-Align (Luo et al., NAACL 2024) in JAX, from one CPU to a TPU pod."""

__version__ = "0.1.0"
