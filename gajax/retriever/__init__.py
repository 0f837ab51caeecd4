"""The dual-encoder retriever: BERT towers, masked InfoNCE training, evaluation and embedding."""
