# SPDX-License-Identifier: MIT
"""The assessment: what the rules suggest, why, and on whose authority.

Immutable, typed and JSON-serialisable. The same input gives byte-identical JSON. Everything here
is decision support for a clinician, never a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import TypeAdapter

from pht_rules.errors import UnknownIdError

__all__ = [
    "DISCLAIMER",
    "NO_RULE_MATCHED",
    "Assessment",
    "Citation",
    "DecisionResult",
    "Evidence",
    "GuidelineGap",
    "InformationNeed",
    "ParameterInForce",
    "RuleHit",
    "RuleSetInfo",
    "Value",
    "assessment_json_schema",
]

Value = bool | int | str | None

DISCLAIMER = (
    "Decision support for a clinician, not a diagnosis. Suggestions follow the cited guideline "
    "statements and evidence; where the guideline is silent the assessment says so, and unknown "
    "answers are listed as questions to ask, never read as 'no'."
)

NO_RULE_MATCHED = "no-rule-matched"
"""The outcome of a decision for which no rule fired (a gap in the rule set)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One input value that made a rule fire, and the test it passed (``None``: unknown)."""

    field: str
    value: Value
    test: str


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired, what it contributes, the inputs behind it and the entries it cites.

    ``selected`` is false for a rule that fired but was outranked under the decision's hit policy.
    """

    rule_id: str
    title: str
    outcome: str
    priority: int
    selected: bool
    advice: str
    details: dict[str, str | tuple[str, ...]]
    cites: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """The answer to one decision.

    ``outcome`` is the single outcome (for a ``collect`` decision, the highest-priority one);
    ``outcomes`` lists them all. ``provisional_on`` names unknown fields that could change it.
    """

    decision_id: str
    title: str
    question: str
    hit_policy: str
    outcome: str
    outcomes: tuple[str, ...]
    advice: tuple[str, ...]
    hits: tuple[RuleHit, ...]
    provisional_on: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InformationNeed:
    """A question to ask: an unknown field that the named decisions depend on."""

    field: str
    question: str
    decisions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GuidelineGap:
    """A decision the guideline does not cover for this patient: clinician judgement is needed.

    ``kind`` is ``outside-guideline`` when a rule says the article is silent, and ``rule-set-gap``
    when no rule of the rule set covers the patient at all.
    """

    decision_id: str
    kind: Literal["outside-guideline", "rule-set-gap"]
    message: str


@dataclass(frozen=True, slots=True)
class Citation:
    """A catalogue entry cited by a rule that fired (``rationale``: why an assumption is made)."""

    id: str
    kind: str
    text: str
    section: str | None
    reference: str | None
    rationale: str | None = None


@dataclass(frozen=True, slots=True)
class ParameterInForce:
    """A threshold as used for this assessment, its default and its provenance."""

    name: str
    value: int
    default: int
    unit: str
    provenance: str
    sources: tuple[str, ...]
    overridden: bool


@dataclass(frozen=True, slots=True)
class RuleSetInfo:
    """Which rule set produced the assessment."""

    name: str
    version: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the rules suggest for one patient state."""

    ruleset: RuleSetInfo
    decisions: tuple[DecisionResult, ...]
    needs_information: tuple[InformationNeed, ...]
    guideline_gaps: tuple[GuidelineGap, ...]
    citations: tuple[Citation, ...]
    parameters: tuple[ParameterInForce, ...]
    profile: str | None
    disclaimer: str

    def decision(self, decision_id: str) -> DecisionResult:
        """The result of ``decision_id`` (KeyError if the rule set has no such decision)."""
        for d in self.decisions:
            if d.decision_id == decision_id:
                return d
        raise UnknownIdError(decision_id)

    @property
    def outcomes(self) -> dict[str, str]:
        """Each decision's outcome, by decision id."""
        return {d.decision_id: d.outcome for d in self.decisions}

    def to_json(self, *, indent: int | None = None) -> str:
        """The assessment as JSON text; identical input gives identical text."""
        return _adapter().dump_json(self, indent=indent).decode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The assessment as JSON-compatible Python data."""
        data: dict[str, Any] = _adapter().dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, text: str | bytes) -> Assessment:
        """Read an assessment back from :meth:`to_json` output."""
        return _adapter().validate_json(text)


@cache
def _adapter() -> TypeAdapter[Assessment]:
    return TypeAdapter(Assessment)


def assessment_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Assessment` as serialised by :meth:`Assessment.to_json`."""
    return _adapter().json_schema(mode="serialization")
