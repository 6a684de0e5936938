# SPDX-License-Identifier: MIT
# Over 400 lines: the evaluator's stages (hit policies, evidence, information needs, gaps) share its compiled state.
"""Patient state -> :class:`~pht_rules.evaluation.assessment.Assessment`.

An :class:`Evaluator` holds one rule set compiled for one profile. Decisions are evaluated stage by
stage (a decision that reads another decision's outcome runs after it); the engine says which rules
are TRUE, then each decision's hit policy is enforced here, the same way for every engine. The
reference interpreter supplies what the engine cannot: the evidence behind each rule that fired,
and the unknown answers that could still change a decision.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from pht_rules.definitions.conditions import Condition, IsUnknown, Truth, describe
from pht_rules.definitions.ruleset import Decision, Profile, Rule, RuleSet
from pht_rules.definitions.text import fill_placeholders as _format
from pht_rules.engine.interface import EngineName, RuleEngine, create_engine
from pht_rules.engine.interpreter import explain
from pht_rules.errors import RuleConflictError
from pht_rules.evaluation.assessment import (
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
from pht_rules.patient.fields import UNDETERMINED, Scalar, input_fields
from pht_rules.patient.model import PatientState, parse_state

__all__ = ["Evaluator"]

# Rule verdicts and decision results kept per evaluator (oldest evicted first), so that memory
# stays bounded (about 15 MB when both are full).
_RULE_CACHE_LIMIT = 16384
_DECISION_CACHE_LIMIT = 8192


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: Rule
    when: Condition  # parameters resolved
    index: int
    advice: str
    details: dict[str, str | tuple[str, ...]]
    fields: frozenset[str]
    field_list: tuple[str, ...]
    cites: dict[str, None]


class _Explained:
    """A rule's verdict on some input values: its evidence, the fields blocking it, and the
    :class:`RuleHit` shown for it (built on first use)."""

    __slots__ = ("asks", "blocking", "evidence", "hits", "verdict")

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


@dataclass(frozen=True, slots=True)
class _Decided:
    """A decision result with what the assessment needs from it, worked out once."""

    result: DecisionResult
    asks: tuple[str, ...]  # unknown input fields to ask about
    gap: GuidelineGap | None
    cites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _CompiledDecision:
    decision: Decision
    rules: tuple[_CompiledRule, ...]
    exported: bool  # another decision reads this outcome
    index: int
    fields: tuple[str, ...]  # every field its rules read
    rule_ids: frozenset[str]
    by_priority: tuple[_CompiledRule, ...]  # highest precedence first
    gap_outcomes: frozenset[str]


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
            from pht_rules.loading import load_rules

            ruleset = load_rules()
        self.ruleset = ruleset
        resolved = ruleset.resolved(profile)
        self.params = resolved.params
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
                        when=resolved.conditions[r.id],
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
                        field_list=fields,
                        cites=dict.fromkeys(r.cites),
                    )
                )
                index += 1
            decisions.append(
                _CompiledDecision(
                    decision=d,
                    rules=tuple(rules),
                    exported=f"decision.{d.id}" in read,
                    index=len(decisions),
                    fields=tuple(dict.fromkeys(f for r in d.rules for f in r.fields)),
                    rule_ids=frozenset(r.id for r in d.rules),
                    by_priority=tuple(sorted(rules, key=lambda cr: (cr.rule.priority, cr.index))),
                    gap_outcomes=frozenset(d.gap_outcomes),
                )
            )
        self._decisions = tuple(decisions)
        self._by_rule_id = {cr.rule.id: cr for cd in decisions for cr in cd.rules}
        self._stages = tuple(
            (stage, tuple(cd for cd in decisions if cd.decision.stage == stage))
            for stage in sorted({d.stage for d in ruleset.decisions})
        )
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
            self._citations[e.id] = Citation(
                e.id, e.kind, e.text, e.section, e.citation, e.rationale
            )
        self._citation_order = {e.id: i for i, e in enumerate(cat.entries)}
        self._rule_cache: OrderedDict[tuple[Any, ...], _Explained] = OrderedDict()
        self._decision_cache: OrderedDict[tuple[Any, ...], _Decided] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._engine: RuleEngine = create_engine(engine, resolved)

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
        decided: dict[str, _Decided] = {}
        for stage, stage_decisions in self._stages:
            fired = set(self._engine.matches(stage, snapshot))
            for cd in stage_decisions:
                done = self._decide(cd, fired, snapshot, unknown)
                decided[cd.decision.id] = done
                if cd.exported:
                    key = f"decision.{cd.decision.id}"
                    outcome = done.result.outcome
                    if outcome in (UNDETERMINED, NO_RULE_MATCHED):
                        unknown.add(key)
                    else:
                        snapshot[key] = outcome
        return self._assessment([decided[cd.decision.id] for cd in self._decisions])

    __call__ = evaluate

    def _decide(
        self,
        cd: _CompiledDecision,
        fired: set[str],
        snapshot: Mapping[str, Scalar],
        unknown: set[str],
    ) -> _Decided:
        # A decision's result is a function of which of its rules fired and of the values its
        # rules read (unknown included): built once per combination, oldest evicted first.
        key = (
            cd.index,
            frozenset(fired.intersection(cd.rule_ids)),
            tuple(map(snapshot.get, cd.fields)),
        )
        done = self._decision_cache.get(key)
        if done is None:
            done = self._build_decision(cd, fired, snapshot, unknown)
            cache = self._decision_cache
            with self._cache_lock:
                if len(cache) >= _DECISION_CACHE_LIMIT:
                    cache.popitem(last=False)
                cache[key] = done
        return done

    def _build_decision(
        self,
        cd: _CompiledDecision,
        fired: set[str],
        snapshot: Mapping[str, Scalar],
        unknown: set[str],
    ) -> _Decided:
        d = cd.decision
        matched = [cr for cr in cd.by_priority if cr.rule.id in fired]
        if d.hit_policy == "first" and matched:
            top: int | None = matched[0].rule.priority
            selected = [cr for cr in matched if cr.rule.priority == top]
        else:
            top = None
            selected = matched
        outcomes = tuple(dict.fromkeys(cr.rule.outcome for cr in selected))
        if d.hit_policy != "collect" and len(outcomes) > 1:
            raise RuleConflictError(
                d.id, [cr.rule.id for cr in selected], [cr.rule.outcome for cr in selected]
            )
        chosen = {cr.index for cr in selected}
        hits: list[RuleHit] = []
        asks: dict[str, None] = {}
        cites: dict[str, None] = {}
        for cr in matched:
            explained = self._explained(cr, snapshot)
            is_selected = cr.index in chosen
            hit = explained.hits.get(is_selected)
            if hit is None:
                hit = explained.hits[is_selected] = self._hit(cr, is_selected, explained)
            hits.append(hit)
            cites.update(cr.cites)
            if is_selected:
                asks.update(dict.fromkeys(explained.asks))
        provisional: dict[str, None] = {}
        if not unknown.isdisjoint(cd.fields):
            for cr in cd.by_priority:
                r = cr.rule
                if top is not None and r.priority > top:
                    break  # only rules that could outrank (or tie with) the winner matter
                if r.id in fired or r.outcome in outcomes or unknown.isdisjoint(cr.fields):
                    continue
                provisional.update(dict.fromkeys(self._explained(cr, snapshot).blocking))
        outcome = outcomes[0] if outcomes else NO_RULE_MATCHED
        advice = tuple(h.advice for h in hits if h.selected)
        result = DecisionResult(
            decision_id=d.id,
            title=d.title,
            question=d.question,
            hit_policy=d.hit_policy,
            outcome=outcome,
            outcomes=outcomes or (NO_RULE_MATCHED,),
            advice=advice,
            hits=tuple(hits),
            provisional_on=tuple(provisional),
        )
        asks.update(provisional)
        gap = None
        if outcome in cd.gap_outcomes:
            gap = GuidelineGap(d.id, "outside-guideline", " ".join(advice))
        elif outcome == NO_RULE_MATCHED:
            gap = GuidelineGap(
                d.id,
                "rule-set-gap",
                f"No rule covers this patient for '{d.title}': outside the guideline, "
                "clinician judgement.",
            )
        return _Decided(
            result=result,
            asks=tuple(a for a in asks if not a.startswith("decision.")),
            gap=gap,
            cites=tuple(cites),
        )

    def _explained(self, cr: _CompiledRule, snapshot: Mapping[str, Scalar]) -> _Explained:
        # A rule's verdict depends only on the values it reads, which repeat far more often than
        # whole patients do: cached per rule and values, oldest evicted first (bounded memory).
        key = (cr.index, tuple(map(snapshot.get, cr.field_list)))
        done = self._rule_cache.get(key)
        if done is None:
            verdict, leaves = explain(cr.when, snapshot)
            unique = tuple(dict.fromkeys(leaves))
            if verdict is Truth.TRUE:
                evidence = tuple(
                    Evidence(leaf.field, snapshot.get(leaf.field), describe(leaf))
                    for leaf in unique
                )
                asks = tuple(
                    leaf.field for leaf in unique if isinstance(leaf, IsUnknown) and leaf.expect
                )
                done = _Explained(verdict, evidence, (), asks)
            elif verdict is Truth.UNKNOWN:
                blocking = tuple(dict.fromkeys(leaf.field for leaf in unique))
                done = _Explained(verdict, (), blocking, ())
            else:
                done = _Explained(verdict, (), (), ())
            cache = self._rule_cache
            with self._cache_lock:
                if len(cache) >= _RULE_CACHE_LIMIT:
                    cache.popitem(last=False)
                cache[key] = done
        return done

    @staticmethod
    def _hit(cr: _CompiledRule, selected: bool, explained: _Explained) -> RuleHit:
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
            evidence=explained.evidence,
        )

    def _assessment(self, decided: list[_Decided]) -> Assessment:
        needs: dict[str, dict[str, None]] = {}
        cited: dict[str, None] = {}
        for done in decided:
            cited.update(dict.fromkeys(done.cites))
            for path in done.asks:
                needs.setdefault(path, {})[done.result.decision_id] = None
        fields = self.ruleset.fields
        need_items = tuple(
            InformationNeed(path, fields[path].question, tuple(decisions))
            for path, decisions in sorted(needs.items(), key=lambda kv: _field_rank(kv[0]))
        )
        order = self._citation_order
        citations = tuple(self._citations[c] for c in sorted(cited, key=order.__getitem__))
        return Assessment(
            ruleset=self._info,
            decisions=tuple(done.result for done in decided),
            needs_information=need_items,
            guideline_gaps=tuple(done.gap for done in decided if done.gap is not None),
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
