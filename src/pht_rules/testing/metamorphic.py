# SPDX-License-Identifier: MIT
# Over 400 lines: the relations share one context and are read as one list.
"""Metamorphic relations: how advice must (not) change when the patient changes.

An invariant judges one assessment; a relation compares the advice for a patient with the advice
for a *variant* of that patient. Each :class:`Relation` knows how to make its variants from a
state (every single-answer change of its kind that gives a valid patient) and what must hold
between the two pieces of advice:

=================================  ==============================================================
``REL-WORSENING``                  worsening a symptom never permits more running or heavier
                                   loading
``REL-UNKNOWN``                    replacing a known answer with "unknown" never makes running,
                                   loading or escalation advice more aggressive
``REL-UNREAD-FIELDS``              changing a field a decision does not read (directly or
                                   through the decisions it depends on) never changes that
                                   decision
``REL-DETERMINISTIC``              the same patient, evaluated again (also after a JSON round
                                   trip), gets the same advice
=================================  ==============================================================

"More aggressive" is measured by :func:`aggression`. Relations work on anything that maps a
:class:`~pht_rules.PatientState` to an :class:`~pht_rules.Assessment` or an
:class:`~pht_rules.audit.invariants.Advice`: an :class:`~pht_rules.Evaluator`, ``pht_rules.evaluate``, or
a user's wrapper adapted with :mod:`pht_rules.testing.adapters`. Nothing here imports hypothesis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from pht_rules.audit.abstraction import input_fields_of, thresholds
from pht_rules.audit.invariants import Advice, Finding, Violation
from pht_rules.definitions.ruleset import RuleSet
from pht_rules.definitions.text import show_value
from pht_rules.errors import PatientStateError
from pht_rules.evaluation.assessment import Assessment
from pht_rules.patient.fields import FieldSpec, input_fields
from pht_rules.patient.model import PatientState, parse_state
from pht_rules.testing._rules import ProfileLike, params_of, rules_of

__all__ = [
    "AGGRESSION",
    "NO_ADVICE",
    "PHASE_RANK",
    "RELATIONS",
    "REL_DETERMINISTIC",
    "REL_UNKNOWN",
    "REL_UNREAD_FIELDS",
    "REL_WORSENING",
    "Compare",
    "Evaluate",
    "Relation",
    "RelationContext",
    "Variant",
    "Variants",
    "aggression",
    "check_relations",
    "forgettings",
    "repeats",
    "unread_changes",
    "with_values",
    "worsenings",
]

Evaluate = Callable[[PatientState], "Assessment | Advice"]
"""Anything that advises a patient: an evaluator, ``pht_rules.evaluate`` or an adapted wrapper."""

AGGRESSION: Mapping[str, Mapping[str, int]] = {
    "running": {"restricted": 1, "graded-return": 2},
    "loading": {"start": 1, "continue": 1, "progress": 2},
    "escalation": {"review-later": 1, "consider-adjuncts": 1, "consider-surgical-opinion": 2},
}
"""How far each outcome lets the patient go (higher: more aggressive; unlisted outcomes: 0)."""

NO_ADVICE = frozenset({"undetermined", "no-rule-matched"})
"""Outcomes that give no advice (the questions to ask instead, or a gap in the rules)."""

PHASE_RANK: Mapping[str, int] = {"isometric": 1, "heavy-load": 2, "plyometric": 3}
"""How heavy each loading phase is."""


def aggression(advice: Assessment | Advice) -> dict[str, int]:
    """How aggressive the advice is, per decision of :data:`AGGRESSION`.

    Running and escalation are ranked by outcome. Loading is ranked by the heaviest phase it
    recommends when the advice says which phases (an assessment does), and by outcome otherwise.
    """
    a = Advice.of(advice)
    out: dict[str, int] = {}
    for decision, ranks in AGGRESSION.items():
        outcome = a.outcome(decision)
        out[decision] = ranks.get(outcome, 0) if outcome is not None else 0
    phases = a.recommended_phases("loading")
    if phases is not None:
        out["loading"] = max((PHASE_RANK.get(p, 0) for p in phases), default=0)
    return out


@dataclass(frozen=True, slots=True)
class Variant:
    """A patient derived from another by one change (``field``: ``before`` -> ``after``)."""

    state: PatientState
    field: str | None
    before: object = None
    after: object = None
    note: str = ""

    def __str__(self) -> str:
        if self.field is None:
            return self.note or "the same patient"
        return f"{self.field}: {show_value(self.before)} -> {show_value(self.after)}"


@dataclass(frozen=True)
class RelationContext:
    """What relations need to know about the rules: which fields each decision reads, and the
    numbers worth trying (thresholds of ``ruleset`` under ``params``)."""

    ruleset: RuleSet
    params: Mapping[str, int]

    @classmethod
    def for_rules(
        cls, ruleset: RuleSet | None = None, profile: ProfileLike = None
    ) -> RelationContext:
        """The context of ``ruleset`` (default: the bundled rules) under ``profile``."""
        if ruleset is None and profile is None:
            return _bundled_context()
        return cls(rules_of(ruleset), params_of(ruleset, profile))

    @cached_property
    def boundary(self) -> dict[str, tuple[int, ...]]:
        """Values at and just below each threshold, per integer field."""
        return thresholds(self.ruleset, self.params)

    @cached_property
    def reads(self) -> dict[str, frozenset[str]]:
        """For each decision, every input field it reads, directly or through its dependencies."""
        out: dict[str, frozenset[str]] = {}

        def closure(decision_id: str) -> frozenset[str]:
            if decision_id not in out:
                d = self.ruleset.decision(decision_id)
                fields = set(input_fields_of(d))
                for dep in d.depends_on:
                    fields |= closure(dep)
                out[decision_id] = frozenset(fields)
            return out[decision_id]

        for d in self.ruleset.decisions:
            closure(d.id)
        return out


@cache
def _bundled_context() -> RelationContext:
    return RelationContext(rules_of(None), params_of(None, None))


Variants = Callable[[PatientState, RelationContext], Iterator[Variant]]
Compare = Callable[[Advice, Advice, Variant, RelationContext], Iterator[Finding]]


@dataclass(frozen=True, slots=True)
class Relation:
    """A metamorphic relation: an id, a description, the statements it protects, how to derive
    variants of a patient and what must hold between the advice for the two."""

    id: str
    title: str
    description: str
    protects: tuple[str, ...]
    make_variants: Variants
    compare: Compare

    def variants(
        self, state: PatientState, context: RelationContext | None = None
    ) -> list[Variant]:
        """Every variant of ``state`` this relation compares it with."""
        return list(self.make_variants(state, context or RelationContext.for_rules()))

    def check(
        self,
        evaluate: Evaluate,
        state: PatientState,
        *,
        context: RelationContext | None = None,
        variants: Iterable[Variant] | None = None,
    ) -> list[Violation]:
        """The violations of this relation between ``state`` and each of its variants (or the
        ``variants`` given), as advised by ``evaluate``."""
        return [v for _, found in self.each(evaluate, state, context, variants) for v in found]

    def each(
        self,
        evaluate: Evaluate,
        state: PatientState,
        context: RelationContext | None = None,
        variants: Iterable[Variant] | None = None,
    ) -> Iterator[tuple[Variant, list[Violation]]]:
        """Each variant with the violations it shows (often none), lazily: a caller may stop at
        the first variant that breaks the relation."""
        ctx = context or RelationContext.for_rules()
        before = Advice.of(evaluate(state))
        for variant in variants if variants is not None else self.make_variants(state, ctx):
            after = Advice.of(evaluate(variant.state))
            yield (
                variant,
                [
                    Violation(self.id, f"{variant}: {message}", decision_id, variant.state)
                    for decision_id, message in self.compare(before, after, variant, ctx)
                ],
            )


# ------------------------------------------------------------------------------------------------
# Making variants


def _flat(state: PatientState) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in _PATHS:
        group, _, name = path.partition(".")
        out[path] = getattr(getattr(state, group), name) if name else getattr(state, group)
    return out


_SPECS: dict[str, FieldSpec] = {f.path: f for f in input_fields()}
_PATHS = tuple(_SPECS)


def with_values(state: PatientState, changes: Mapping[str, object]) -> PatientState | None:
    """``state`` with some fields (by dotted path) set to new values, or ``None`` if the result
    is not a valid patient."""
    data: dict[str, Any] = state.model_dump()
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    try:
        return parse_state(data)
    except PatientStateError:
        return None


def _variant(state: PatientState, path: str, value: object, **extra: object) -> Variant | None:
    before = _flat(state)[path]
    changed = with_values(state, {path: value, **extra})
    return None if changed is None else Variant(changed, path, before, value)


_WORSE_FLAGS = (
    "symptoms.pain_at_rest",
    "symptoms.pain_on_walking",
    "symptoms.pain_on_sitting",
    "symptoms.pain_when_running",
    "presentation.cauda_equina_symptoms",
    "presentation.acute_event_pop_or_bruising",
    "presentation.systemic_symptoms",
    "presentation.night_pain",
    "presentation.neurological_symptoms",
)
_BETTER_FLAGS = (
    "symptoms.eases_with_warm_up",
    "loading.pain_settled_next_day",
    "loading.symptoms_improving",
)
_WORSE_UP = (
    "symptoms.pain_at_rest_nrs",
    "symptoms.pain_during_activity_nrs",
    "loading.exercise_pain_nrs",
)
_WORSE_DOWN = ("symptoms.minutes_into_run_before_pain",)


def _candidates(path: str, current: int, ctx: RelationContext, *, up: bool) -> list[int]:
    spec = _SPECS[path]
    lo = spec.minimum if spec.minimum is not None else 0
    hi = spec.maximum if spec.maximum is not None else current
    pool = {*ctx.boundary.get(path, ()), lo, hi, current + 1, current - 1}
    return sorted(v for v in pool if lo <= v <= hi and (v > current if up else v < current))


def worsenings(state: PatientState, context: RelationContext) -> Iterator[Variant]:
    """Every single-answer worsening of ``state`` that is a valid patient: a symptom or red flag
    appearing (from "no" or unknown), a good sign disappearing, onset turning sudden, a pain score
    rising or pain arriving earlier in a run (to each threshold, the next value and the extreme).
    """
    flat = _flat(state)
    for path in _WORSE_FLAGS:
        if flat[path] is not True:
            extra: dict[str, object] = {}
            if path == "symptoms.pain_at_rest" and flat["symptoms.pain_at_rest_nrs"] == 0:
                extra["symptoms.pain_at_rest_nrs"] = 1
            v = _variant(state, path, True, **extra)
            if v is not None:
                yield v
    for path in _BETTER_FLAGS:
        if flat[path] is not False:
            v = _variant(state, path, False)
            if v is not None:
                yield v
    if flat["presentation.onset"] != "sudden":
        v = _variant(state, "presentation.onset", "sudden")
        if v is not None:
            yield v
    for paths, up in ((_WORSE_UP, True), (_WORSE_DOWN, False)):
        for path in paths:
            current = flat[path]
            if current is None:
                continue
            for value in _candidates(path, current, context, up=up):
                v = _variant(state, path, value)
                if v is not None:
                    yield v


def forgettings(state: PatientState, context: RelationContext) -> Iterator[Variant]:
    """``state`` with each known answer in turn replaced by unknown."""
    for path, value in _flat(state).items():
        if value is not None:
            v = _variant(state, path, None)
            if v is not None:
                yield v


def _alternatives(path: str, current: object, ctx: RelationContext) -> list[object]:
    spec = _SPECS[path]
    if spec.kind == "bool":
        return [not current] if current is not None else [True, False]
    if spec.kind == "enum":
        return [v for v in spec.values if v != current]
    lo = spec.minimum if spec.minimum is not None else 0
    hi = spec.maximum if spec.maximum is not None else lo
    pool = [*ctx.boundary.get(path, ()), lo, hi]
    out: list[object] = []
    for v in pool:  # a threshold value and an extreme are enough to move an unread field
        if v != current and v not in out:
            out.append(v)
    return out[:1] + out[-1:] if len(out) > 1 else out


def unread_changes(state: PatientState, context: RelationContext) -> Iterator[Variant]:
    """``state`` with each field in turn made unknown or given other values (every other value of
    a yes/no or enum field; a threshold and an extreme of a number), where still valid."""
    for path, value in _flat(state).items():
        options: list[object] = [] if value is None else [None]
        options += _alternatives(path, value, context)
        for new in options:
            v = _variant(state, path, new)
            if v is not None:
                yield v


def repeats(state: PatientState, context: RelationContext) -> Iterator[Variant]:
    """The same patient twice: as is, and after a JSON round trip."""
    yield Variant(state, None, note="the same patient, evaluated again")
    yield Variant(
        PatientState.model_validate_json(state.model_dump_json()),
        None,
        note="the same patient after a JSON round trip",
    )


# ------------------------------------------------------------------------------------------------
# Comparing advice


def _not_more_aggressive(decisions: Sequence[str], *, only_if_advised: bool) -> Compare:
    def compare(
        before: Advice, after: Advice, variant: Variant, ctx: RelationContext
    ) -> Iterator[Finding]:
        was, now = aggression(before), aggression(after)
        for d in decisions:
            if only_if_advised and before.outcome(d) in NO_ADVICE:
                continue  # nothing was advised before, so nothing can be exceeded
            if now[d] > was[d]:
                yield (
                    d,
                    f"{d} became more aggressive: {_describe(before, d)} -> {_describe(after, d)}",
                )

    return compare


def _describe(advice: Advice, decision: str) -> str:
    outcome = advice.outcome(decision)
    phases = advice.recommended_phases(decision)
    text = repr(outcome) if outcome is not None else "not shown"
    if decision == "loading" and phases:
        text += f" {sorted(phases)}"
    return text


def _unread_unchanged(
    before: Advice, after: Advice, variant: Variant, ctx: RelationContext
) -> Iterator[Finding]:
    for decision_id, reads in ctx.reads.items():
        if variant.field in reads:
            continue
        old, new = before.decision(decision_id), after.decision(decision_id)
        if old is not None and new is not None:
            if old != new:
                yield (
                    decision_id,
                    f"'{decision_id}' does not read {variant.field}, yet changed "
                    f"({old.outcome!r} -> {new.outcome!r}{_hit_change(old, new)})",
                )
            continue
        if before.outcome(decision_id) != after.outcome(decision_id) or (
            before.recommended_phases(decision_id) != after.recommended_phases(decision_id)
        ):
            yield (
                decision_id,
                f"'{decision_id}' does not read {variant.field}, yet changed "
                f"({_describe(before, decision_id)} -> {_describe(after, decision_id)})",
            )


def _hit_change(old: Any, new: Any) -> str:
    a = [h.rule_id for h in old.hits]
    b = [h.rule_id for h in new.hits]
    return "" if a == b else f"; rules {a} -> {b}"


def _same_advice(
    before: Advice, after: Advice, variant: Variant, ctx: RelationContext
) -> Iterator[Finding]:
    if before.assessment is not None and after.assessment is not None:
        if before.assessment.to_json() != after.assessment.to_json():
            differing = [
                d.decision_id
                for d, e in zip(
                    before.assessment.decisions, after.assessment.decisions, strict=False
                )
                if d != e
            ]
            yield None, f"the assessment differs (decisions {differing or 'other fields'})"
        return
    if before != after:
        changed = sorted(
            d
            for d in set(before.outcomes) | set(after.outcomes)
            if before.outcome(d) != after.outcome(d)
        )
        yield None, f"the advice differs (decisions {changed or 'phases or parameters'})"


REL_WORSENING = Relation(
    "REL-WORSENING",
    "Worsening never permits more running or heavier loading",
    "A symptom or red flag appearing, a good sign going, a pain score rising or pain arriving "
    "earlier in a run never makes running more permissive or loading heavier than it was "
    "advised before the change (advice that was still undetermined has nothing to exceed).",
    ("ART-RUN-2", "ART-IRR-1", "ART-EX-3", "ASM-REGRESSION", "ASM-SCREEN-FIRST"),
    worsenings,
    _not_more_aggressive(("running", "loading"), only_if_advised=True),
)
REL_UNKNOWN = Relation(
    "REL-UNKNOWN",
    "Unknown never makes advice more aggressive",
    "Replacing any one known answer with unknown never permits more running, heavier loading "
    "or further escalation.",
    ("ASM-SCREEN-FIRST",),
    forgettings,
    _not_more_aggressive(("running", "loading", "escalation"), only_if_advised=False),
)
REL_UNREAD_FIELDS = Relation(
    "REL-UNREAD-FIELDS",
    "Fields a decision does not read never change it",
    "Changing an answer that a decision's rules do not read, directly or through the decisions "
    "they depend on, leaves that decision's result (outcome, rules, evidence, questions) as it was.",
    (),
    unread_changes,
    _unread_unchanged,
)
REL_DETERMINISTIC = Relation(
    "REL-DETERMINISTIC",
    "Evaluation is deterministic",
    "The same patient, evaluated again or after a JSON round trip, gets identical advice.",
    (),
    repeats,
    _same_advice,
)

RELATIONS: tuple[Relation, ...] = (REL_WORSENING, REL_UNKNOWN, REL_UNREAD_FIELDS, REL_DETERMINISTIC)
"""Every metamorphic relation of the kit."""


def check_relations(
    evaluate: Evaluate,
    state: PatientState,
    *,
    relations: Sequence[Relation] = RELATIONS,
    context: RelationContext | None = None,
) -> list[Violation]:
    """Every violation of every relation in ``relations`` around ``state`` (empty: all hold)."""
    ctx = context or RelationContext.for_rules()
    return [v for rel in relations for v in rel.check(evaluate, state, context=ctx)]
