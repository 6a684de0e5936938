# SPDX-License-Identifier: MIT
"""Decisions as precompiled templates: hit policies, open questions and gaps worked out eagerly,
explanations (evidence, rule hits) built only when they are read.

Everything that does not depend on the patient is resolved once, when the evaluator is built:
advice and detail texts with the parameters in force, each rule's hit as JSON-ready data, the
readable form of every leaf test, and whether a rule can ask about an unknown field at all. Per
patient, a decision's outcome, advice, ``provisional_on``, questions, gap and citations are
computed from the rules that fired; its :class:`RuleHit` list (and the evidence inside it) is built
from the templates the first time it is read, or straight into JSON data by
:meth:`LazyDecisionResult.json_data` without building those objects at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pht_rules.definitions.conditions import Condition, IsUnknown, Truth, describe, leaves, resolve
from pht_rules.definitions.ruleset import Decision, Rule
from pht_rules.engine import Blocking, compile_blocking
from pht_rules.engine.interpreter import explain
from pht_rules.errors import RuleConflictError
from pht_rules.evaluation.assessment import (
    NO_RULE_MATCHED,
    DecisionResult,
    Evidence,
    GuidelineGap,
    RuleHit,
)
from pht_rules.patient.fields import Scalar

# Rule verdicts kept per evaluator (oldest evicted first), so that memory stays bounded.
RULE_CACHE_LIMIT = 16384
# Hit-policy plans kept per decision (fired rules x unknown fields; far fewer occur in practice).
_PLAN_LIMIT = 4096

_HITS = DecisionResult.__dict__["hits"]  # the slot behind DecisionResult.hits
_FIELDS = tuple(DecisionResult.__dataclass_fields__)


def _format(text: str, params: Mapping[str, int]) -> str:
    return text.format_map(params) if "{" in text else text


def _json_value(value: str | tuple[str, ...]) -> str | list[str]:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule with everything that does not depend on the patient resolved."""

    rule: Rule
    when: Condition  # parameters resolved
    index: int
    advice: str
    details: dict[str, str | tuple[str, ...]]
    fields: frozenset[str]
    field_list: tuple[str, ...]
    cites: dict[str, None]
    may_ask: bool  # has an "is unknown" test: a TRUE verdict may rest on an unknown field
    tests: dict[Condition, str]  # the readable form of each leaf test
    blocking: Blocking  # the unknown fields that keep the condition UNKNOWN, generated code
    hit_json: tuple[dict[str, Any], dict[str, Any]]  # the hit without evidence, by "selected"

    @staticmethod
    def build(rule: Rule, index: int, params: Mapping[str, int]) -> CompiledRule:
        when = resolve(rule.when, params)
        advice = _format(rule.advice, params)
        details = {
            k: (
                tuple(_format(x, params) for x in v) if isinstance(v, tuple) else _format(v, params)
            )
            for k, v in rule.details
        }
        found = tuple(leaves(when))

        def hit_json(selected: bool) -> dict[str, Any]:
            return {
                "rule_id": rule.id,
                "title": rule.title,
                "outcome": rule.outcome,
                "priority": rule.priority,
                "selected": selected,
                "advice": advice,
                "details": {k: _json_value(v) for k, v in details.items()},
                "cites": list(rule.cites),
            }

        return CompiledRule(
            rule=rule,
            when=when,
            index=index,
            advice=advice,
            details=details,
            fields=frozenset(rule.fields),
            field_list=rule.fields,
            cites=dict.fromkeys(rule.cites),
            may_ask=any(isinstance(leaf, IsUnknown) and leaf.expect for leaf in found),
            tests={leaf: describe(leaf) for leaf in found},
            blocking=compile_blocking(when),
            hit_json=(hit_json(False), hit_json(True)),
        )


class Explained:
    """A rule's verdict on some input values: its evidence, the fields blocking it, and the
    :class:`RuleHit` and JSON evidence shown for it (built on first use)."""

    __slots__ = ("asks", "blocking", "evidence", "evidence_json", "hits", "verdict")

    def __init__(
        self,
        verdict: Truth,
        evidence: tuple[Evidence, ...],
        blocking: tuple[str, ...],
        asks: tuple[str, ...],
    ) -> None:
        self.verdict = verdict
        self.evidence = evidence  # the tests behind a TRUE verdict
        self.blocking = blocking  # the unknown fields behind an UNKNOWN verdict
        self.asks = asks  # unknown input fields a TRUE verdict rests on ("is unknown" tests)
        self.hits: dict[bool, RuleHit] = {}  # by "selected"
        self.evidence_json: list[dict[str, Any]] | None = None


class Explainer:
    """Explains rules over snapshots, cached per rule and the values it reads (bounded)."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[Any, ...], Explained] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, cr: CompiledRule, snapshot: Mapping[str, Scalar]) -> Explained:
        # A rule's verdict depends only on the values it reads, which repeat far more often than
        # whole patients do.
        key = (cr.index, tuple(map(snapshot.get, cr.field_list)))
        done = self._cache.get(key)
        if done is None:
            verdict, found = explain(cr.when, snapshot)
            unique = tuple(dict.fromkeys(found))
            if verdict is Truth.TRUE:
                tests = cr.tests
                evidence = tuple(
                    Evidence(leaf.field, snapshot.get(leaf.field), tests[leaf]) for leaf in unique
                )
                asks = tuple(
                    leaf.field for leaf in unique if isinstance(leaf, IsUnknown) and leaf.expect
                )
                done = Explained(verdict, evidence, (), asks)
            elif verdict is Truth.UNKNOWN:
                blocking = tuple(dict.fromkeys(leaf.field for leaf in unique))
                done = Explained(verdict, (), blocking, ())
            else:
                done = Explained(verdict, (), (), ())
            cache = self._cache
            with self._lock:
                if len(cache) >= RULE_CACHE_LIMIT:
                    cache.popitem(last=False)
                cache[key] = done
        return done

    def __len__(self) -> int:
        return len(self._cache)


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


def _hit_json(cr: CompiledRule, selected: bool, explained: Explained) -> dict[str, Any]:
    evidence = explained.evidence_json
    if evidence is None:
        evidence = explained.evidence_json = [
            {"field": e.field, "value": e.value, "test": e.test} for e in explained.evidence
        ]
    return {**cr.hit_json[selected], "evidence": evidence}


class LazyDecisionResult(DecisionResult):
    """A :class:`DecisionResult` whose ``hits`` are built from the rule templates on first read.

    It equals, prints, pickles and serialises exactly like the plain result it stands for
    (pickling and copying give that plain result).
    """

    __slots__ = ("_pending",)

    _pending: tuple[tuple[tuple[CompiledRule, bool], ...], Mapping[str, Scalar], Explainer] | None

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
        object.__setattr__(self, "_pending", (matched, snapshot, explainer))
        return self

    @property
    def hits(self) -> tuple[RuleHit, ...]:
        try:
            hits: tuple[RuleHit, ...] = _HITS.__get__(self)
            return hits
        except AttributeError:
            pass
        assert self._pending is not None
        matched, snapshot, explainer = self._pending
        hits = tuple(_hit(cr, sel, explainer(cr, snapshot)) for cr, sel in matched)
        _HITS.__set__(self, hits)
        return hits

    def json_data(self) -> dict[str, Any]:
        """The result as JSON-ready data, without building the :class:`RuleHit` objects."""
        pending = self._pending
        if pending is None:  # built by replace(): plain fields only
            hits = [_plain_hit_json(h) for h in self.hits]
        else:
            matched, snapshot, explainer = pending
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


class _Plan(NamedTuple):
    """What a decision gives for one set of fired rules and one set of unknown fields; the
    value-dependent parts (questions behind "is unknown" tests, ``provisional_on``) are listed as
    the rules to explain."""

    outcome: str
    outcomes: tuple[str, ...]
    advice: tuple[str, ...]
    matched: tuple[tuple[CompiledRule, bool], ...]  # with "selected"
    fired: tuple[str, ...]
    cites: tuple[str, ...]
    gap: GuidelineGap | None
    ask_rules: tuple[CompiledRule, ...]  # selected rules with an "is unknown" test
    candidates: tuple[CompiledRule, ...]  # unfired rules that could still change the outcome


class Decided:
    """A decision's outcome with what the assessment needs from it; the
    :class:`DecisionResult` itself is built on first use."""

    __slots__ = ("_explainer", "_head", "_result", "_snapshot", "asks", "plan", "provisional")

    def __init__(
        self,
        head: tuple[str, str, str, str],
        plan: _Plan,
        provisional: tuple[str, ...],
        asks: tuple[str, ...],
        snapshot: Mapping[str, Scalar],
        explainer: Explainer,
    ) -> None:
        self._head = head
        self.plan = plan
        self.provisional = provisional
        self.asks = asks  # unknown input fields to ask about
        self._snapshot = snapshot
        self._explainer = explainer
        self._result: DecisionResult | None = None

    @property
    def decision_id(self) -> str:
        return self._head[0]

    @property
    def result(self) -> DecisionResult:
        result = self._result
        if result is None:
            plan = self.plan
            result = self._result = LazyDecisionResult.pending(
                self._head,
                plan.outcome,
                plan.outcomes,
                plan.advice,
                self.provisional,
                plan.matched,
                self._snapshot,
                self._explainer,
            )
        return result


class _Ranked(NamedTuple):
    """A rule as the hit policy sees it, in precedence order."""

    id: str
    priority: int
    outcome: str
    advice: str
    cites: dict[str, None]
    may_ask: bool
    rule: CompiledRule


class CompiledDecision:
    """One decision with its rules compiled; :meth:`decide` applies its hit policy."""

    def __init__(
        self, decision: Decision, rules: tuple[CompiledRule, ...], exported: bool, index: int
    ) -> None:
        self.decision = decision
        self.rules = rules
        self.exported = exported  # another decision reads this outcome
        self.index = index
        self.fields = tuple(dict.fromkeys(f for cr in rules for f in cr.field_list))
        self.field_set = frozenset(self.fields)
        self.rule_ids = frozenset(cr.rule.id for cr in rules)
        by_priority = sorted(rules, key=lambda cr: (cr.rule.priority, cr.index))
        self.ranked = tuple(
            _Ranked(
                cr.rule.id, cr.rule.priority, cr.rule.outcome, cr.advice, cr.cites, cr.may_ask, cr
            )
            for cr in by_priority
        )
        self._rank = {r.id: i for i, r in enumerate(self.ranked)}
        self._by_field: dict[str, tuple[int, ...]] = {
            f: tuple(i for i, r in enumerate(self.ranked) if f in r.rule.fields)
            for f in self.fields
        }
        self._first = decision.hit_policy == "first"
        self._collect = decision.hit_policy == "collect"
        self.gap_outcomes = frozenset(decision.gap_outcomes)
        self.head = (decision.id, decision.title, decision.question, decision.hit_policy)
        self._no_rule_gap = GuidelineGap(
            decision.id,
            "rule-set-gap",
            f"No rule covers this patient for '{decision.title}': outside the guideline, "
            "clinician judgement.",
        )
        self._plans: dict[tuple[frozenset[str], frozenset[str]], _Plan] = {}

    def decide(
        self,
        fired: set[str],
        snapshot: Mapping[str, Scalar],
        unknown: set[str],
        explainer: Explainer,
    ) -> Decided:
        """The result for the rules that ``fired``, over ``snapshot`` (its unknown fields in
        ``unknown``). Raises :class:`RuleConflictError` when single-outcome rules disagree."""
        mine = fired.intersection(self.rule_ids)
        open_fields = unknown.intersection(self.field_set)
        key = (frozenset(mine), frozenset(open_fields))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(mine, open_fields)
            if len(self._plans) < _PLAN_LIMIT:  # bounded; a plan missing is only built again
                self._plans[key] = plan
        asks: tuple[str, ...] = ()
        provisional: tuple[str, ...] = ()
        if plan.ask_rules:
            found: dict[str, None] = {}
            for cr in plan.ask_rules:
                found.update(dict.fromkeys(explainer(cr, snapshot).asks))
            asks = tuple(found)
        if plan.candidates:
            blocking: dict[str, None] = {}
            for cr in plan.candidates:
                blocking.update(dict.fromkeys(cr.blocking(snapshot)))
            provisional = tuple(blocking)
            asks = tuple(dict.fromkeys((*asks, *provisional)))
        if asks:
            asks = tuple([a for a in asks if not a.startswith("decision.")])
        return Decided(self.head, plan, provisional, asks, snapshot, explainer)

    def _plan(self, mine: set[str], open_fields: set[str]) -> _Plan:
        ranked = self.ranked
        rank = self._rank
        matched = [ranked[i] for i in sorted(rank[r] for r in mine)]
        top: int | None = None
        if matched:
            if self._first:
                top = matched[0].priority
                selected = [m for m in matched if m.priority == top]
            else:
                selected = matched
            outcomes = tuple(dict.fromkeys(m.outcome for m in selected))
            if not self._collect and len(outcomes) > 1:
                raise RuleConflictError(
                    self.decision.id, [m.id for m in selected], [m.outcome for m in selected]
                )
        else:
            selected = []
            outcomes = (NO_RULE_MATCHED,)
        outcome = outcomes[0]
        cites: dict[str, None] = {}
        for m in matched:
            cites.update(m.cites)
        candidates: set[int] = set()
        for f in open_fields:
            candidates.update(self._by_field[f])
        explain: list[CompiledRule] = []
        for i in sorted(candidates):
            r = ranked[i]
            if top is not None and r.priority > top:
                break  # only rules that could outrank (or tie with) the winner matter
            if r.id in mine or r.outcome in outcomes:
                continue
            explain.append(r.rule)
        advice = tuple(m.advice for m in selected)
        chosen = {m.id for m in selected}
        gap = None
        if outcome in self.gap_outcomes:
            gap = GuidelineGap(self.decision.id, "outside-guideline", " ".join(advice))
        elif not matched:
            gap = self._no_rule_gap
        return _Plan(
            outcome=outcome,
            outcomes=outcomes,
            advice=advice,
            matched=tuple((m.rule, m.id in chosen) for m in matched),
            fired=tuple(m.id for m in matched),
            cites=tuple(cites),
            gap=gap,
            ask_rules=tuple(m.rule for m in selected if m.may_ask),
            candidates=tuple(explain),
        )
