# SPDX-License-Identifier: MIT
"""Patient state -> :class:`~pht_rules.assessment.Assessment`.

An :class:`Evaluator` holds one rule set compiled for one profile. Decisions are evaluated stage by
stage (a decision that reads another decision's outcome runs after it); the engine says which rules
are TRUE, then each decision's hit policy is enforced here, the same way for every engine. The
reference interpreter supplies what the engine cannot: the evidence behind each rule that fired,
and the unknown answers that could still change a decision.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from pht_rules.assessment import (
    DISCLAIMER,
    NO_RULE_MATCHED,
    Assessment,
    Citation,
    DecisionResult,
    Evidence,
    GuidelineGap,
    InformationNeed,
    ParameterInForce,
    RuleHit,
    RuleSetInfo,
)
from pht_rules.conditions import Condition, IsUnknown, Truth, describe, resolve
from pht_rules.engine import EngineName, RuleEngine, create_engine
from pht_rules.errors import RuleConflictError
from pht_rules.fields import UNDETERMINED, Scalar, input_fields
from pht_rules.interpreter import truth, undecided_fields, witness
from pht_rules.models import PatientState, parse_state
from pht_rules.ruleset import Decision, Profile, Rule, RuleSet

_ASKS = describe(IsUnknown("", expect=True))  # the evidence test of a satisfied "is unknown"
_CACHE_LIMIT = (
    50_000  # decision results kept per evaluator; cleared when full, so memory is bounded
)


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: Rule
    when: Condition  # parameters resolved
    index: int
    advice: str
    details: dict[str, str | tuple[str, ...]]
    fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class _CompiledDecision:
    decision: Decision
    rules: tuple[_CompiledRule, ...]
    exported: bool  # another decision reads this outcome
    index: int
    fields: tuple[str, ...]  # every field its rules read
    rule_ids: frozenset[str]


def _format(text: str, params: Mapping[str, int]) -> str:
    return text.format_map(params) if "{" in text else text


class Evaluator:
    """A rule set compiled for one parameter profile; evaluates patient states. Thread-safe.

    >>> from pht_rules import Evaluator
    >>> with Evaluator() as ev:
    ...     ev.evaluate({"symptoms": {"pain_at_rest": True}}).decision("irritability").outcome
    'irritable'
    """

    def __init__(
        self,
        ruleset: RuleSet | None = None,
        *,
        profile: Profile | Mapping[str, int] | None = None,
        engine: EngineName = "durable",
    ) -> None:
        if ruleset is None:
            from pht_rules._loader import load_rules

            ruleset = load_rules()
        self.ruleset = ruleset
        self.params = ruleset.parameter_values(profile)
        self.profile_name = profile.name if isinstance(profile, Profile) else None
        self.engine_name = engine
        self._paths = tuple(f.path for f in input_fields())
        self._get_inputs = attrgetter(*self._paths)
        read = {f for d in ruleset.decisions for r in d.rules for f in r.fields}
        decisions: list[_CompiledDecision] = []
        index = 0
        for d in ruleset.decisions:
            rules = []
            for r in d.rules:
                fields = r.fields
                rules.append(
                    _CompiledRule(
                        rule=r,
                        when=resolve(r.when, self.params),
                        index=index,
                        advice=_format(r.advice, self.params),
                        details={
                            k: (
                                tuple(_format(x, self.params) for x in v)
                                if isinstance(v, tuple)
                                else _format(v, self.params)
                            )
                            for k, v in r.details
                        },
                        fields=frozenset(fields),
                    )
                )
                index += 1
            decision_fields = tuple(dict.fromkeys(f for r in d.rules for f in r.fields))
            decisions.append(
                _CompiledDecision(
                    decision=d,
                    rules=tuple(rules),
                    exported=f"decision.{d.id}" in read,
                    index=len(decisions),
                    fields=decision_fields,
                    rule_ids=frozenset(r.id for r in d.rules),
                )
            )
        self._decisions = tuple(decisions)
        self._by_rule_id = {cr.rule.id: cr for cd in decisions for cr in cd.rules}
        self._stages = tuple(sorted({d.stage for d in ruleset.decisions}))
        self._gap_outcomes = {d.id: frozenset(d.gap_outcomes) for d in ruleset.decisions}
        self._info = RuleSetInfo(ruleset.name, ruleset.version, ruleset.fingerprint)
        defaults = ruleset.defaults
        self._parameters = tuple(
            ParameterInForce(
                name=p.name,
                value=self.params[p.name],
                default=defaults[p.name],
                unit=p.unit,
                provenance=p.provenance,
                sources=p.sources,
                overridden=self.params[p.name] != defaults[p.name],
            )
            for p in ruleset.parameters
        )
        cat = ruleset.catalogue
        self._citations: dict[str, Citation] = {}
        for e in cat.entries:
            self._citations[e.id] = Citation(e.id, e.kind, e.text, e.section, e.citation)
        self._citation_order = {e.id: i for i, e in enumerate(cat.entries)}
        self._decision_cache: dict[tuple[Any, ...], DecisionResult] = {}
        self._cache_lock = threading.Lock()
        self._engine: RuleEngine = create_engine(engine, ruleset, self.params)

    # ------------------------------------------------------------------------------------------

    def evaluate(self, state: PatientState | Mapping[str, Any] | str | bytes) -> Assessment:
        """Assess one patient state (a model, a mapping, or JSON text).

        Raises :class:`~pht_rules.errors.PatientStateError` for invalid input and
        :class:`~pht_rules.errors.EvaluationError` if the rules cannot be applied; never returns a
        partial assessment.
        """
        model = state if isinstance(state, PatientState) else parse_state(state)
        values = self._get_inputs(model)
        snapshot: dict[str, Scalar] = {}
        unknown: set[str] = set()
        for path, value in zip(self._paths, values, strict=True):
            if value is None:
                unknown.add(path)
            else:
                snapshot[path] = value
        results: dict[str, DecisionResult] = {}
        for stage in self._stages:
            fired = set(self._engine.matches(stage, snapshot))
            for cd in self._decisions:
                if cd.decision.stage != stage:
                    continue
                result = self._decide(cd, fired, snapshot, unknown)
                results[cd.decision.id] = result
                if cd.exported:
                    key = f"decision.{cd.decision.id}"
                    if result.outcome in (UNDETERMINED, NO_RULE_MATCHED):
                        unknown.add(key)
                    else:
                        snapshot[key] = result.outcome
        return self._assessment([results[cd.decision.id] for cd in self._decisions])

    __call__ = evaluate

    def _decide(
        self,
        cd: _CompiledDecision,
        fired: set[str],
        snapshot: Mapping[str, Scalar],
        unknown: set[str],
    ) -> DecisionResult:
        # The result is a function of which of its rules fired and of the values its rules read,
        # so it is built once per distinct combination (bounded cache).
        key = (
            cd.index,
            tuple(sorted(fired.intersection(cd.rule_ids))),
            tuple(map(snapshot.get, cd.fields)),
        )
        result = self._decision_cache.get(key)
        if result is None:
            result = self._build_decision(cd, fired, snapshot, unknown)
            with self._cache_lock:
                if len(self._decision_cache) >= _CACHE_LIMIT:
                    self._decision_cache.clear()
                self._decision_cache[key] = result
        return result

    def _build_decision(
        self,
        cd: _CompiledDecision,
        fired: set[str],
        snapshot: Mapping[str, Scalar],
        unknown: set[str],
    ) -> DecisionResult:
        d = cd.decision
        matched = [cr for cr in cd.rules if cr.rule.id in fired]
        if d.hit_policy == "first" and matched:
            top = min(cr.rule.priority for cr in matched)
            selected = [cr for cr in matched if cr.rule.priority == top]
        else:
            top = None
            selected = matched
        outcomes = tuple(dict.fromkeys(cr.rule.outcome for cr in selected))
        if d.hit_policy != "collect" and len(outcomes) > 1:
            raise RuleConflictError(
                d.id, [cr.rule.id for cr in selected], [cr.rule.outcome for cr in selected]
            )
        if d.hit_policy == "collect":
            ordered = sorted(selected, key=lambda cr: (cr.rule.priority, cr.index))
            outcomes = tuple(dict.fromkeys(cr.rule.outcome for cr in ordered))
        chosen = {cr.rule.id for cr in selected}
        hits = tuple(self._hit(cr, cr.rule.id in chosen, snapshot) for cr in matched)
        provisional: dict[str, None] = {}
        if unknown:
            for cr in cd.rules:
                if unknown.isdisjoint(cr.fields):
                    continue
                r = cr.rule
                if r.id in fired or r.outcome in outcomes:
                    continue
                if top is not None and r.priority > top:
                    continue
                if truth(cr.when, snapshot) is Truth.UNKNOWN:
                    provisional.update(dict.fromkeys(undecided_fields(cr.when, snapshot)))
        return DecisionResult(
            decision_id=d.id,
            title=d.title,
            question=d.question,
            hit_policy=d.hit_policy,
            outcome=outcomes[0] if outcomes else NO_RULE_MATCHED,
            outcomes=outcomes or (NO_RULE_MATCHED,),
            advice=tuple(h.advice for h in hits if h.selected),
            hits=hits,
            provisional_on=tuple(provisional),
        )

    def _hit(self, cr: _CompiledRule, selected: bool, snapshot: Mapping[str, Scalar]) -> RuleHit:
        evidence = tuple(
            Evidence(leaf.field, snapshot.get(leaf.field), describe(leaf))
            for leaf in dict.fromkeys(witness(cr.when, snapshot))
        )
        r = cr.rule
        return RuleHit(
            rule_id=r.id,
            title=r.title,
            outcome=r.outcome,
            priority=r.priority,
            selected=selected,
            advice=cr.advice,
            details=cr.details,
            cites=r.cites,
            evidence=evidence,
        )

    def _assessment(self, results: list[DecisionResult]) -> Assessment:
        gap_outcomes = self._gap_outcomes
        needs: dict[str, dict[str, None]] = {}
        gaps: list[GuidelineGap] = []
        cited: dict[str, None] = {}
        for res in results:
            for hit in res.hits:
                cited.update(dict.fromkeys(hit.cites))
                if hit.selected:
                    for ev in hit.evidence:
                        if ev.test == _ASKS:
                            needs.setdefault(ev.field, {})[res.decision_id] = None
            for path in res.provisional_on:
                needs.setdefault(path, {})[res.decision_id] = None
            if res.outcome in gap_outcomes[res.decision_id]:
                gaps.append(
                    GuidelineGap(res.decision_id, "outside-guideline", " ".join(res.advice))
                )
            elif res.outcome == NO_RULE_MATCHED:
                gaps.append(
                    GuidelineGap(
                        res.decision_id,
                        "rule-set-gap",
                        f"No rule covers this patient for '{res.title}': outside the guideline, "
                        "clinician judgement.",
                    )
                )
        fields = self.ruleset.fields
        need_items = tuple(
            InformationNeed(path, fields[path].question, tuple(decisions))
            for path, decisions in sorted(needs.items(), key=lambda kv: _field_rank(kv[0]))
            if not path.startswith("decision.")
        )
        order = self._citation_order
        citations = tuple(self._citations[c] for c in sorted(cited, key=order.__getitem__))
        return Assessment(
            ruleset=self._info,
            decisions=tuple(results),
            needs_information=need_items,
            guideline_gaps=tuple(gaps),
            citations=citations,
            parameters=self._parameters,
            profile=self.profile_name,
            disclaimer=DISCLAIMER,
        )

    # ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the compiled engine. The evaluator cannot be used afterwards."""
        self._engine.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_RANK = {f.path: i for i, f in enumerate(input_fields())}


def _field_rank(path: str) -> int:
    return _RANK.get(path, len(_RANK))
