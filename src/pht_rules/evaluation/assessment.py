# SPDX-License-Identifier: MIT
"""The assessment: what the rules suggest, why, and on whose authority.

Immutable, typed and JSON-serialisable. The same input gives byte-identical JSON. Everything here
is decision support for a clinician, never a diagnosis.
"""

from __future__ import annotations

import json
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
    """Everything the rules suggest for one patient state.

    ``engine`` names the engine that evaluated the rules (``durable``: durable-rules;
    ``interpreter``: the reference interpreter; ``compiled``: the conditions compiled to Python);
    all give identical advice.
    """

    ruleset: RuleSetInfo
    decisions: tuple[DecisionResult, ...]
    needs_information: tuple[InformationNeed, ...]
    guideline_gaps: tuple[GuidelineGap, ...]
    citations: tuple[Citation, ...]
    parameters: tuple[ParameterInForce, ...]
    profile: str | None
    disclaimer: str
    engine: Literal["durable", "interpreter", "compiled"]

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
        """The assessment as JSON text; identical input gives identical text.

        Built in one pass over the assessment (the schema is :func:`assessment_json_schema`).
        """
        if indent is None:
            # Assessments from an evaluator join pre-encoded fragments of their constant parts.
            fast = getattr(self, "json_text", None)
            if fast is not None:
                text: str = fast()
                return text
            return _compact(_json_data(self))
        # Indented text is for people (the CLI); pydantic's serializer indents in native code.
        return _adapter().dump_json(self, indent=indent).decode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The assessment as JSON-compatible Python data (a fresh copy the caller may change)."""
        data: dict[str, Any] = json.loads(_compact(_json_data(self)))
        return data

    @classmethod
    def from_json(cls, text: str | bytes) -> Assessment:
        """Read an assessment back from :meth:`to_json` output."""
        return _adapter().validate_json(text)


# The same text as pydantic's serializer of these dataclasses (a test compares the two), without
# building its intermediate data: compact separators, UTF-8 kept as is.
_compact = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, check_circular=False, separators=(",", ":")
).encode


def _hit_data(h: RuleHit) -> dict[str, Any]:
    return {
        "rule_id": h.rule_id,
        "title": h.title,
        "outcome": h.outcome,
        "priority": h.priority,
        "selected": h.selected,
        "advice": h.advice,
        "details": {k: list(v) if isinstance(v, tuple) else v for k, v in h.details.items()},
        "cites": list(h.cites),
        "evidence": [{"field": e.field, "value": e.value, "test": e.test} for e in h.evidence],
    }


def _decision_data(d: DecisionResult) -> dict[str, Any]:
    # Results built by the evaluator produce their data from precompiled rule templates.
    fast = getattr(d, "json_data", None)
    if fast is not None:
        data: dict[str, Any] = fast()
        return data
    return {
        "decision_id": d.decision_id,
        "title": d.title,
        "question": d.question,
        "hit_policy": d.hit_policy,
        "outcome": d.outcome,
        "outcomes": list(d.outcomes),
        "advice": list(d.advice),
        "hits": [_hit_data(h) for h in d.hits],
        "provisional_on": list(d.provisional_on),
    }


def _json_data(a: Assessment) -> dict[str, Any]:
    info = a.ruleset
    return {
        "ruleset": {"name": info.name, "version": info.version, "fingerprint": info.fingerprint},
        "decisions": [_decision_data(d) for d in a.decisions],
        "needs_information": [
            {"field": n.field, "question": n.question, "decisions": list(n.decisions)}
            for n in a.needs_information
        ],
        "guideline_gaps": [
            {"decision_id": g.decision_id, "kind": g.kind, "message": g.message}
            for g in a.guideline_gaps
        ],
        "citations": [
            {
                "id": c.id,
                "kind": c.kind,
                "text": c.text,
                "section": c.section,
                "reference": c.reference,
                "rationale": c.rationale,
            }
            for c in a.citations
        ],
        "parameters": [
            {
                "name": p.name,
                "value": p.value,
                "default": p.default,
                "unit": p.unit,
                "provenance": p.provenance,
                "sources": list(p.sources),
                "overridden": p.overridden,
            }
            for p in a.parameters
        ],
        "profile": a.profile,
        "disclaimer": a.disclaimer,
        "engine": a.engine,
    }


@cache
def _adapter() -> TypeAdapter[Assessment]:
    return TypeAdapter(Assessment)


def assessment_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Assessment` as serialised by :meth:`Assessment.to_json`."""
    return _adapter().json_schema(mode="serialization")
