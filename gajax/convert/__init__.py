"""Weight conversion between gajax and other formats (HF safetensors, GGUF)."""
