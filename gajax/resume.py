"""Refusing to resume an output or a training run with other settings than those that made it.

Every resumable stage keeps what made its output: ``generate`` and ``guide`` in each record's ``settings``, the
trainers in their checkpoint metadata. Before continuing, the stage compares those with the settings of this run;
any difference is refused, naming each setting with its old and new value, unless the user passes ``resume=force``
(the differences are then logged and the run goes on). Settings a saved output does not record are not compared,
so outputs written before a setting was recorded still resume.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from gajax.config import flatten

log = logging.getLogger("gajax.resume")

ResumeMode = Literal["auto", "force"]


class ResumeMismatch(ValueError):
    """An output or checkpoint made with other settings than this run's."""


def setting_differences(saved: Mapping[str, Any], current: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(dotted name, saved value, current value)`` for every setting both record that differs (JSON-compared,
    so a tuple equals the list it was saved as)."""
    old = flatten(json.loads(json.dumps(saved)))
    new = flatten(json.loads(json.dumps(current)))
    return [(name, old[name], new[name]) for name in sorted(old.keys() & new.keys()) if old[name] != new[name]]


def check_resume(saved: Mapping[str, Any] | None, current: Mapping[str, Any], *, where: str, mode: ResumeMode) -> None:
    """Refuse to continue ``where`` (an output file or checkpoint directory) made with other settings.

    ``saved`` is None for a fresh output. With ``mode="force"`` the differences are logged instead of refused.
    """
    if mode not in ("auto", "force"):
        raise ValueError(f"resume must be 'auto' or 'force', got {mode!r}")
    if saved is None:
        return
    differences = setting_differences(saved, current)
    if not differences:
        return
    listed = "; ".join(f"{name}: {old!r} then, {new!r} now" for name, old, new in differences)
    if mode == "force":
        log.warning("%s: resuming with other settings (resume=force): %s", where, listed)
        return
    raise ResumeMismatch(
        f"{where} was made with other settings ({listed}); rerun with the same settings, write to a new output, "
        "or pass resume=force to continue it anyway"
    )
