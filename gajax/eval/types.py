"""The records that evaluation modules pass between them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


@dataclasses.dataclass(frozen=True)
class EvalPrompt:
    """One benchmark prompt. ``group``: the breakdown it is reported under (a Do-Not-Answer risk area, a Vicuna
    category, an HHH subset, an XSTest type); ``should_refuse``: True for prompts a responsible model declines
    (Do-Not-Answer, XSTest's unsafe contrasts), False for benign ones (Vicuna, XSTest's safe prompts), None when
    the benchmark does not say (HHH)."""

    id: str
    prompt: str
    group: str = ""
    should_refuse: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Judgement:
    """One judge's reading of one response.

    ``label``: the judge's class (``refusal`` / ``partial_refusal`` / ``compliance`` for the refusal detector,
    ``harmful`` / ``harmless`` for a classifier, ``action_0`` .. ``action_5`` for the action rubric, ``unparsed``
    when the judge's answer could not be read); ``harmful``: the harmfulness verdict (None when unparsed);
    ``refused``: whether the response declines the request (None when the judge cannot tell); ``score``: a
    probability of harm where the judge gives one; ``raw``: the judge's own text; ``attempts``: judge calls made.
    """

    label: str
    harmful: bool | None
    refused: bool | None = None
    score: float | None = None
    raw: str = ""
    attempts: int = 1

    @property
    def parsed(self) -> bool:
        return self.label != "unparsed"


@runtime_checkable
class ResponseJudge(Protocol):
    """Judges single responses. ``name`` keys its output files and report columns; ``judge`` returns one
    :class:`Judgement` per ``(prompt, response)`` pair, in order, and never raises for one bad response (an
    unreadable verdict is a Judgement with label ``unparsed``)."""

    name: str

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Judgement]: ...
