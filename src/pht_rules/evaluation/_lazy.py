# SPDX-License-Identifier: MIT
"""Results whose explanations are built when they are read.

A :class:`LazyDecisionResult` builds its :class:`RuleHit` list (and the evidence inside it) from
the rule templates the first time ``hits`` is read, or goes straight to JSON data in
:meth:`LazyDecisionResult.json_data` without building those objects at all. A
:class:`LazyAssessment` builds its decisions, questions, gaps and citations on first read. Both
equal, print, pickle and serialise exactly like the plain dataclasses they stand for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from pht_rules.evaluation._templates import CompiledRule, Explained, Explainer, _json_value
from pht_rules.evaluation.assessment import (
    Assessment,
    Citation,
    DecisionResult,
    GuidelineGap,
    InformationNeed,
    ParameterInForce,
    RuleHit,
    RuleSetInfo,
    _compact,
    _decision_data,
    _json_data,
)
from pht_rules.patient.fields import Scalar

__all__ = ["JsonTexts", "LazyAssessment", "LazyDecisionResult", "Parts"]

_HITS = DecisionResult.__dict__["hits"]  # the slot behind DecisionResult.hits
_FIELDS = tuple(DecisionResult.__dataclass_fields__)


def _hit(cr: CompiledRule, selected: bool, explained: Explained) -> RuleHit:
    hit = explained.hits.get(selected)
    if hit is None:
        r = cr.rule
        hit = explained.hits[selected] = RuleHit(
            rule_id=r.id,
            title=r.title,
            outcome=r.outcome,
            priority=r.priority,
            selected=selected,
            advice=cr.advice,
            details=cr.details,
            cites=r.cites,
            evidence=explained.evidence,
        )
    return hit


def _evidence_json(explained: Explained) -> list[dict[str, Any]]:
    evidence = explained.evidence_json
    if evidence is None:
        evidence = explained.evidence_json = [
            {"field": e.field, "value": e.value, "test": e.test} for e in explained.evidence
        ]
    return evidence


def _hit_json(cr: CompiledRule, selected: bool, explained: Explained) -> dict[str, Any]:
    return {**cr.hit_json[selected], "evidence": _evidence_json(explained)}


def _hit_text(cr: CompiledRule, selected: bool, explained: Explained) -> str:
    text = explained.evidence_text
    if text is None:
        text = explained.evidence_text = _compact(_evidence_json(explained))
    return cr.hit_text[selected] + text + "}"


class LazyDecisionResult(DecisionResult):
    """A :class:`DecisionResult` whose ``hits`` are built from the rule templates on first read.

    It equals, prints, pickles and serialises exactly like the plain result it stands for
    (pickling and copying give that plain result).
    """

    __slots__ = ("_pending",)

    _pending: (
        tuple[tuple[tuple[CompiledRule, bool], ...], Mapping[str, Scalar], Explainer, str] | None
    )

    def __init__(self, **fields: Any) -> None:  # what dataclasses.replace calls
        for name in _FIELDS:
            DecisionResult.__dict__[name].__set__(self, fields[name])
        object.__setattr__(self, "_pending", None)

    @classmethod
    def pending(
        cls,
        head: tuple[str, str, str, str],
        outcome: str,
        outcomes: tuple[str, ...],
        advice: tuple[str, ...],
        provisional_on: tuple[str, ...],
        matched: tuple[tuple[CompiledRule, bool], ...],
        snapshot: Mapping[str, Scalar],
        explainer: Explainer,
        head_text: str,
    ) -> LazyDecisionResult:
        self = object.__new__(cls)
        s = DecisionResult.__dict__
        s["decision_id"].__set__(self, head[0])
        s["title"].__set__(self, head[1])
        s["question"].__set__(self, head[2])
        s["hit_policy"].__set__(self, head[3])
        s["outcome"].__set__(self, outcome)
        s["outcomes"].__set__(self, outcomes)
        s["advice"].__set__(self, advice)
        s["provisional_on"].__set__(self, provisional_on)
        object.__setattr__(self, "_pending", (matched, snapshot, explainer, head_text))
        return self

    @property
    def hits(self) -> tuple[RuleHit, ...]:
        try:
            hits: tuple[RuleHit, ...] = _HITS.__get__(self)
            return hits
        except AttributeError:
            pass
        assert self._pending is not None
        matched, snapshot, explainer, _ = self._pending
        hits = tuple(_hit(cr, sel, explainer(cr, snapshot)) for cr, sel in matched)
        _HITS.__set__(self, hits)
        return hits

    def json_data(self) -> dict[str, Any]:
        """The result as JSON-ready data, without building the :class:`RuleHit` objects."""
        pending = self._pending
        if pending is None:  # built by replace(): plain fields only
            hits = [_plain_hit_json(h) for h in self.hits]
        else:
            matched, snapshot, explainer, _ = pending
            hits = [_hit_json(cr, sel, explainer(cr, snapshot)) for cr, sel in matched]
        return {
            "decision_id": self.decision_id,
            "title": self.title,
            "question": self.question,
            "hit_policy": self.hit_policy,
            "outcome": self.outcome,
            "outcomes": list(self.outcomes),
            "advice": list(self.advice),
            "hits": hits,
            "provisional_on": list(self.provisional_on),
        }

    def json_text(self) -> str:
        """The result as compact JSON text, from pre-encoded rule and decision fragments."""
        pending = self._pending
        if pending is None:
            return _compact(self.json_data())
        matched, snapshot, explainer, head_text = pending
        hits = ",".join([_hit_text(cr, sel, explainer(cr, snapshot)) for cr, sel in matched])
        return (
            f"{head_text}{_compact(self.outcome)},"
            f'"outcomes":{_compact(self.outcomes)},"advice":{_compact(self.advice)},'
            f'"hits":[{hits}],"provisional_on":{_compact(self.provisional_on)}}}'
        )

    def _plain(self) -> DecisionResult:
        return DecisionResult(*(getattr(self, name) for name in _FIELDS))

    def __reduce__(self) -> tuple[Callable[..., DecisionResult], tuple[Any, ...]]:
        return DecisionResult, tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecisionResult):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _FIELDS)

    __hash__ = DecisionResult.__hash__

    def __repr__(self) -> str:
        return repr(self._plain())


def _plain_hit_json(h: RuleHit) -> dict[str, Any]:
    return {
        "rule_id": h.rule_id,
        "title": h.title,
        "outcome": h.outcome,
        "priority": h.priority,
        "selected": h.selected,
        "advice": h.advice,
        "details": {k: _json_value(v) for k, v in h.details.items()},
        "cites": list(h.cites),
        "evidence": [{"field": e.field, "value": e.value, "test": e.test} for e in h.evidence],
    }


_A_FIELDS = tuple(Assessment.__dataclass_fields__)
_A_SLOTS = {name: Assessment.__dict__[name] for name in _A_FIELDS}
_A_LAZY = ("decisions", "needs_information", "guideline_gaps", "citations")


class JsonTexts(NamedTuple):
    """Pre-encoded JSON of the parts of an assessment that one evaluator always gives the same."""

    ruleset: str
    parameters: str
    disclaimer: str
    citations: dict[str, str]  # by citation id
    needs: dict[str, str]  # by field path: the entry up to its list of decisions


Parts = tuple[
    tuple[DecisionResult, ...],
    tuple[InformationNeed, ...],
    tuple[GuidelineGap, ...],
    tuple[Citation, ...],
]


class LazyAssessment(Assessment):
    """An :class:`Assessment` whose decisions, questions, gaps and citations are built on first
    read (all four at once, by ``build``); ``outcomes`` is read without building them."""

    __slots__ = ("_build", "_outcomes", "_texts")

    _build: Callable[[], Parts] | None
    _outcomes: Callable[[], dict[str, str]] | None
    _texts: JsonTexts | None

    def __init__(self, **fields: Any) -> None:  # what dataclasses.replace calls
        for name in _A_FIELDS:
            _A_SLOTS[name].__set__(self, fields[name])
        object.__setattr__(self, "_build", None)
        object.__setattr__(self, "_outcomes", None)
        object.__setattr__(self, "_texts", None)

    @classmethod
    def pending(
        cls,
        ruleset: RuleSetInfo,
        parameters: tuple[ParameterInForce, ...],
        profile: str | None,
        disclaimer: str,
        build: Callable[[], Parts],
        outcomes: Callable[[], dict[str, str]],
        texts: JsonTexts,
        engine: str,
    ) -> LazyAssessment:
        self = object.__new__(cls)
        _SET_RULESET(self, ruleset)
        _SET_ENGINE(self, engine)
        _SET_PARAMETERS(self, parameters)
        _SET_PROFILE(self, profile)
        _SET_DISCLAIMER(self, disclaimer)
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_outcomes", outcomes)
        object.__setattr__(self, "_texts", texts)
        return self

    def _parts(self) -> None:
        build = self._build
        if build is None:  # built already
            return
        for name, value in zip(_A_LAZY, build(), strict=True):
            _A_SLOTS[name].__set__(self, value)
        object.__setattr__(self, "_build", None)

    @property
    def decisions(self) -> tuple[DecisionResult, ...]:
        if self._build is not None:
            self._parts()
        value: tuple[DecisionResult, ...] = _A_SLOTS["decisions"].__get__(self)
        return value

    @property
    def needs_information(self) -> tuple[InformationNeed, ...]:
        if self._build is not None:
            self._parts()
        value: tuple[InformationNeed, ...] = _A_SLOTS["needs_information"].__get__(self)
        return value

    @property
    def guideline_gaps(self) -> tuple[GuidelineGap, ...]:
        if self._build is not None:
            self._parts()
        value: tuple[GuidelineGap, ...] = _A_SLOTS["guideline_gaps"].__get__(self)
        return value

    @property
    def citations(self) -> tuple[Citation, ...]:
        if self._build is not None:
            self._parts()
        value: tuple[Citation, ...] = _A_SLOTS["citations"].__get__(self)
        return value

    @property
    def outcomes(self) -> dict[str, str]:
        """Each decision's outcome, by decision id."""
        if self._build is not None and self._outcomes is not None:
            return self._outcomes()
        return {d.decision_id: d.outcome for d in self.decisions}

    def json_text(self) -> str:
        """The assessment as compact JSON text: the evaluator's pre-encoded fragments joined
        with the few parts that depend on the patient (the same text as the general path)."""
        t = self._texts
        if t is None:
            return _compact(_json_data(self))
        decisions = ",".join(
            [
                d.json_text() if isinstance(d, LazyDecisionResult) else _compact(_decision_data(d))
                for d in self.decisions
            ]
        )
        needs = ",".join(
            [t.needs[n.field] + _compact(n.decisions) + "}" for n in self.needs_information]
        )
        gaps = _compact(
            [
                {"decision_id": g.decision_id, "kind": g.kind, "message": g.message}
                for g in self.guideline_gaps
            ]
        )
        cites = ",".join([t.citations[c.id] for c in self.citations])
        return (
            f'{{"ruleset":{t.ruleset},"decisions":[{decisions}],'
            f'"needs_information":[{needs}],"guideline_gaps":{gaps},"citations":[{cites}],'
            f'"parameters":{t.parameters},"profile":{_compact(self.profile)},'
            f'"disclaimer":{t.disclaimer},"engine":{_compact(self.engine)}}}'
        )

    def _plain(self) -> Assessment:
        return Assessment(*(getattr(self, name) for name in _A_FIELDS))

    def __reduce__(self) -> tuple[Callable[..., Assessment], tuple[Any, ...]]:
        return Assessment, tuple(getattr(self, name) for name in _A_FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Assessment):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _A_FIELDS)

    __hash__ = Assessment.__hash__

    def __repr__(self) -> str:
        return repr(self._plain())


_SET_RULESET = _A_SLOTS["ruleset"].__set__
_SET_PARAMETERS = _A_SLOTS["parameters"].__set__
_SET_PROFILE = _A_SLOTS["profile"].__set__
_SET_DISCLAIMER = _A_SLOTS["disclaimer"].__set__
_SET_ENGINE = _A_SLOTS["engine"].__set__
