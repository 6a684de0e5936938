# SPDX-License-Identifier: MIT
"""Decisions with their hit policy compiled: outcomes, open questions and gaps worked out eagerly,
explanations left to :mod:`pht_rules.evaluation._lazy`.

Per patient, a decision's outcome, advice, questions, gap and citations depend only on which of
its rules fired and which of its fields are unknown: that *plan* is built once per combination
(bounded), and only the fields that keep a rule undecided (``provisional_on``) and the questions
behind "is unknown" tests are worked out from the values, by generated code or the cached
interpreter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from pht_rules.definitions.ruleset import Decision
from pht_rules.errors import RuleConflictError
from pht_rules.evaluation._lazy import LazyDecisionResult
from pht_rules.evaluation._templates import CompiledRule, Explainer
from pht_rules.evaluation.assessment import (
    NO_RULE_MATCHED,
    DecisionResult,
    GuidelineGap,
    _compact,
)
from pht_rules.patient.fields import Scalar

__all__ = ["CompiledDecision", "Decided"]

# Hit-policy plans kept per decision (fired rules x unknown fields; far fewer occur in practice).
_PLAN_LIMIT = 4096
_HEAD = ("decision_id", "title", "question", "hit_policy")


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

    __slots__ = ("_decision", "_explainer", "_result", "_snapshot", "asks", "plan", "provisional")

    def __init__(
        self,
        decision: CompiledDecision,
        plan: _Plan,
        provisional: tuple[str, ...],
        asks: tuple[str, ...],
        snapshot: Mapping[str, Scalar],
        explainer: Explainer,
    ) -> None:
        self._decision = decision
        self.plan = plan
        self.provisional = provisional
        self.asks = asks  # unknown input fields to ask about
        self._snapshot = snapshot
        self._explainer = explainer
        self._result: DecisionResult | None = None

    @property
    def decision_id(self) -> str:
        return self._decision.head[0]

    @property
    def result(self) -> DecisionResult:
        result = self._result
        if result is None:
            plan = self.plan
            cd = self._decision
            result = self._result = LazyDecisionResult.pending(
                cd.head,
                plan.outcome,
                plan.outcomes,
                plan.advice,
                self.provisional,
                plan.matched,
                self._snapshot,
                self._explainer,
                cd.head_text,
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
        self.field = f"decision.{decision.id}"  # the field through which they read it
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
        self.head_text = "".join(
            f'"{k}":{_compact(v)},' for k, v in zip(_HEAD, self.head, strict=True)
        )
        self.head_text = "{" + self.head_text + '"outcome":'
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
        return Decided(self, plan, provisional, asks, snapshot, explainer)

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
