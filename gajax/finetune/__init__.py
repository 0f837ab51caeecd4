"""Labrador fine-tuning: SFT and DPO on guided responses."""
