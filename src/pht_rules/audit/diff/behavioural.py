# SPDX-License-Identifier: MIT
"""What changed in the advice between two sides: the exact behavioural diff (``pht-rules diff``).

Over 400 lines: the joint abstraction, its enumeration and the region cover are one algorithm,
and splitting it would only pass its state between modules.

The behavioural diff is exact. It uses the abstraction of :mod:`pht_rules.audit.abstraction` over the *joint*
split points of both sides, so inside every numeric region both rule sets answer uniformly. A
decision that reads another decision's outcome sees it as a *pair* (outcome under A, outcome under
B) ranging over the pairs that actually occur, each with a witness patient - exact because the
fields behind different variables are disjoint (otherwise they are enumerated jointly). Every
decision is then compared state by state, using the reference interpreter for both sides:

- a decision whose rules are identical after resolving parameters, and whose inputs are identical
  (every decision it reads is itself identical), is ``identical`` without enumeration;
- otherwise each abstract state is made a valid patient and assessed by both sides, except states
  that provably agree (the decision's own rules are identical and every decision it reads has the
  same outcome on both sides).

States that differ are grouped by the two answers and covered by *regions*: boxes of abstract
values (a set of values per variable) that hold only differing states and combinations no valid
patient can take. Each region comes with an example patient and both answers.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pht_rules.audit.abstraction import (
    Region,
    concretise,
    cut_points,
    input_fields_of,
    regions,
    snapshot_of,
)
from pht_rules.audit.diff.report import (
    Answer,
    DecisionDiff,
    DecisionStatus,
    DiffKind,
    DiffRegion,
    DiffReport,
)
from pht_rules.audit.diff.structural import Side, structural_diff
from pht_rules.definitions.conditions import resolve
from pht_rules.definitions.ruleset import Decision, RuleSet
from pht_rules.definitions.text import fill_placeholders, show_value
from pht_rules.errors import PhtRulesError, RuleConflictError
from pht_rules.evaluation.assessment import NO_RULE_MATCHED
from pht_rules.evaluation.evaluator import Evaluator
from pht_rules.patient.fields import UNDETERMINED, Scalar
from pht_rules.patient.model import PatientState

__all__ = ["Box", "Pair", "Value", "behavioural_diff", "diff"]


# --------------------------------------------------------------------------------------------
# Behavioural diff: the joint abstraction

Pair = tuple[str | None, str | None]
Value = Scalar | Region | Pair | None


def _norm(outcome: str) -> str | None:
    return None if outcome in (UNDETERMINED, NO_RULE_MATCHED) else outcome


def _signature(d: Decision | None, params: Mapping[str, int]) -> tuple[Any, ...] | None:
    """What determines a decision's answers given its inputs: rules with parameters resolved."""
    if d is None:
        return None

    def fmt(text: str) -> str:
        return fill_placeholders(text, params)

    return (
        d.hit_policy,
        d.gap_outcomes,
        tuple(
            (
                r.id,
                r.priority,
                resolve(r.when, params),
                r.outcome,
                fmt(r.advice),
                tuple(
                    (k, tuple(fmt(x) for x in v) if isinstance(v, tuple) else fmt(v))
                    for k, v in r.details
                ),
            )
            for r in d.rules
        ),
    )


def _find(ruleset: RuleSet, did: str) -> Decision | None:
    return next((d for d in ruleset.decisions if d.id == did), None)


class _Joint:
    """Both sides' decisions over the joint abstraction; see the module docstring."""

    def __init__(self, a: Side, b: Side) -> None:
        self.rulesets = (a.ruleset, b.ruleset)
        self.evaluators = (
            Evaluator(a.ruleset, profile=a.profile, engine="interpreter"),
            Evaluator(b.ruleset, profile=b.profile, engine="interpreter"),
        )
        self.cuts: dict[str, set[int]] = {}
        for rs, ev in zip(self.rulesets, self.evaluators, strict=True):
            for path, cuts in cut_points(rs, ev.params).items():
                self.cuts.setdefault(path, set()).update(cuts)
        self.order = tuple(dict.fromkeys(d.id for rs in self.rulesets for d in rs.decisions))
        self.read = {dep for rs in self.rulesets for d in rs.decisions for dep in d.depends_on}
        self._sig = {
            did: tuple(
                _signature(_find(rs, did), ev.params)
                for rs, ev in zip(self.rulesets, self.evaluators, strict=True)
            )
            for did in self.order
        }
        self._identical: dict[str, bool] = {}
        self._closure: dict[str, tuple[str, ...]] = {}
        self._pairs: dict[str, dict[Pair, dict[str, Scalar]]] = {}
        self.results: dict[str, DecisionDiff] = {}

    def close(self) -> None:
        for ev in self.evaluators:
            ev.close()

    def decisions(self, did: str) -> tuple[Decision | None, Decision | None]:
        return (_find(self.rulesets[0], did), _find(self.rulesets[1], did))

    def deps(self, did: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(dep for d in self.decisions(did) if d for dep in d.depends_on))

    def own_inputs(self, did: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for d in self.decisions(did) if d for f in input_fields_of(d)))

    def closure(self, did: str) -> tuple[str, ...]:
        if did not in self._closure:
            fields = list(self.own_inputs(did))
            for dep in self.deps(did):
                fields.extend(self.closure(dep))
            self._closure[did] = tuple(dict.fromkeys(fields))
        return self._closure[did]

    def identical(self, did: str) -> bool:
        """Whether the decision answers identically on both sides for every patient, known
        without enumeration: same resolved rules, and every decision it reads is identical."""
        if did not in self._identical:
            sa, sb = self._sig[did]
            self._identical[did] = (
                sa is not None and sa == sb and all(self.identical(d) for d in self.deps(did))
            )
        return self._identical[did]

    def field_values(self, path: str) -> tuple[Value, ...]:
        spec = self.rulesets[0].fields[path]
        if spec.kind == "bool":
            return (None, False, True)
        if spec.kind == "enum":
            return (None, *spec.values)
        return (None, *regions(spec, self.cuts.get(path, ())))

    def domain(self, did: str) -> tuple[tuple[str, ...], tuple[tuple[Value, ...], ...]]:
        used = set(self.own_inputs(did))
        inputs = list(self.own_inputs(did))
        pair_vars: list[str] = []
        for dep in self.deps(did):
            closure = self.closure(dep)
            both = all(d is not None for d in self.decisions(dep))
            if both and used.isdisjoint(closure):
                pair_vars.append(dep)
            else:  # shared inputs, or a decision only one side has: enumerate its inputs (exact)
                inputs.extend(f for f in closure if f not in inputs)
            used.update(closure)
        values: list[tuple[Value, ...]] = [tuple(self.pairs(dep)) for dep in pair_vars]
        values += [self.field_values(p) for p in inputs]
        return (*(f"decision.{d}" for d in pair_vars), *inputs), tuple(values)

    def pairs(self, did: str) -> dict[Pair, dict[str, Scalar]]:
        """The (A, B) outcome pairs the decision reaches, each with a witness snapshot."""
        if did not in self._pairs:
            self.compare(did)
        return self._pairs[did]

    # ----------------------------------------------------------------------------------------

    def _concretise(self, variables: Sequence[str], combo: Sequence[Value]) -> PatientState | None:
        fixed: dict[str, Scalar] = {}
        ranged: list[tuple[str, Region]] = []
        for var, value in zip(variables, combo, strict=True):
            if var.startswith("decision."):
                assert isinstance(value, tuple)
                fixed.update(self._pairs[var.split(".", 1)[1]][value])
            elif isinstance(value, Region):
                ranged.append((var, value))
            elif value is not None:
                assert not isinstance(value, tuple)
                fixed[var] = value
        return concretise(fixed, ranged)

    def _answer(self, side: int, state: PatientState, did: str) -> tuple[Answer, str | None]:
        try:
            result = self.evaluators[side].evaluate(state).decision(did)
        except RuleConflictError as exc:
            if exc.decision_id == did:
                pairs = ", ".join(
                    f"{r} -> {o}" for r, o in zip(exc.rule_ids, exc.outcomes, strict=True)
                )
                return Answer((), exc.rule_ids, (), error=f"conflict ({pairs})"), None
            return Answer((), (), (), error=str(exc)), None
        except PhtRulesError as exc:
            return Answer((), (), (), error=str(exc)), None
        selected = [h for h in result.hits if h.selected]
        details = tuple(
            f"{k}: {' / '.join(v) if isinstance(v, tuple) else v}"
            for h in selected
            for k, v in h.details.items()
        )
        answer = Answer(result.outcomes, tuple(h.rule_id for h in selected), result.advice, details)
        return answer, _norm(result.outcome)

    def compare(self, did: str) -> DecisionDiff:
        """Enumerate the decision's joint domain (or as little of it as exactness allows)."""
        if did in self.results:
            return self.results[did]
        da, db = self.decisions(did)
        if da is None or db is None:
            self._pairs[did] = {}
            result = DecisionDiff(did, "only-in-b" if da is None else "only-in-a")
            self.results[did] = result
            return result
        identical = self.identical(did)
        need_pairs = did in self.read
        if identical and not need_pairs:  # nothing to learn by enumerating it
            result = DecisionDiff(did, "identical")
            self.results[did] = result
            return result
        variables, values = self.domain(did)
        own_same = self._sig[did][0] == self._sig[did][1]
        pair_idx = [i for i, v in enumerate(variables) if v.startswith("decision.")]
        wanted = {_norm(o) for o in da.outcome_ids} | {None}
        pairs: dict[Pair, dict[str, Scalar]] = {}
        groups: dict[tuple[Answer, Answer], list[tuple[int, ...]]] = {}
        examples: dict[tuple[int, ...], PatientState] = {}
        impossible: set[tuple[int, ...]] = set()
        total = evaluated = 0
        for idx in itertools.product(*(range(len(v)) for v in values)):
            total += 1
            combo = tuple(values[i][k] for i, k in enumerate(idx))
            if own_same and all(_diag(combo[i]) for i in pair_idx):
                # Same rules, same inputs, same outcomes read: both sides agree here. Evaluate
                # one side only while reachable outcome pairs are still being collected.
                if need_pairs and not all((o, o) in pairs for o in wanted):
                    state = self._concretise(variables, combo)
                    if state is not None:
                        answer, outcome = self._answer(0, state, did)
                        if answer.error is None:
                            pairs.setdefault((outcome, outcome), snapshot_of(state))
                continue
            state = self._concretise(variables, combo)
            if state is None:
                impossible.add(idx)
                continue
            evaluated += 1
            ans_a, out_a = self._answer(0, state, did)
            ans_b, out_b = self._answer(1, state, did)
            if ans_a.error is None and ans_b.error is None:
                pairs.setdefault((out_a, out_b), snapshot_of(state))
            if ans_a != ans_b:
                groups.setdefault((ans_a, ans_b), []).append(idx)
                examples.setdefault(idx, state)
        self._pairs[did] = pairs
        regions_found: list[DiffRegion] = []
        for (ans_a, ans_b), states in groups.items():
            boxes = [
                _describe_box(variables, values, box) for box in _cover(states, impossible, values)
            ]
            common = tuple(c for c in boxes[0] if all(c in other for other in boxes[1:]))
            rest = tuple(tuple(c for c in box if c not in common) for box in boxes)
            regions_found.append(
                DiffRegion(
                    decision_id=did,
                    kind=_kind(ans_a, ans_b),
                    where=common,
                    any_of=rest if len(rest) > 1 else (),
                    states=len(states),
                    example=_patient(examples[states[0]]),
                    a=ans_a,
                    b=ans_b,
                )
            )
        differing = sum(len(s) for s in groups.values())
        status: DecisionStatus = "identical" if identical else "different" if differing else "same"
        result = DecisionDiff(
            did,
            status,
            variables,
            total,
            evaluated,
            len(impossible),
            differing,
            tuple(regions_found),
        )
        self.results[did] = result
        return result


def _diag(value: Value) -> bool:
    return not isinstance(value, tuple) or value[0] == value[1]


def _patient(state: PatientState) -> dict[str, Any]:
    data: dict[str, Any] = state.model_dump(exclude_none=True)
    return {k: v for k, v in data.items() if v != {}}


def _kind(a: Answer, b: Answer) -> DiffKind:
    if a.error is not None or b.error is not None:
        return "error"
    if a.outcomes != b.outcomes:
        return "outcome"
    if a.advice != b.advice or a.details != b.details:
        return "advice"
    return "rules"


Box = tuple[frozenset[int], ...]


def _box_states(box: Box) -> Iterator[tuple[int, ...]]:
    return itertools.product(*(sorted(s) for s in box))


def _cover(
    states: Sequence[tuple[int, ...]],
    dont_care: set[tuple[int, ...]],
    values: Sequence[Sequence[Value]],
) -> list[Box]:
    """Boxes whose union holds every state of ``states`` and nothing else but ``dont_care``.

    Each box grows greedily, variable by variable, from the first state not yet covered, then
    drops the values that only admit don't-care states, so that a description never names a
    value no patient in the region has. Deterministic.
    """
    group = set(states)
    allowed = group | dont_care
    uncovered = set(states)
    boxes: list[Box] = []
    for seed in states:
        if seed not in uncovered:
            continue
        box = [frozenset({k}) for k in seed]
        for i, options in enumerate(values):
            for k in range(len(options)):
                if k in box[i]:
                    continue
                trial = [*box[:i], frozenset({k}), *box[i + 1 :]]
                if all(s in allowed for s in itertools.product(*(sorted(x) for x in trial))):
                    box[i] = box[i] | {k}
        covered = [s for s in _box_states(tuple(box)) if s in group]
        for i, options in enumerate(values):
            if len(box[i]) < len(options):
                box[i] = frozenset(s[i] for s in covered)
        uncovered.difference_update(covered)
        boxes.append(tuple(box))
    return boxes


def _show(value: Value) -> str:
    if isinstance(value, tuple):
        a, b = (x if x is not None else "undetermined" for x in value)
        return a if a == b else f"{a} (A) / {b} (B)"
    return show_value(value)


def _describe_box(
    variables: Sequence[str], values: Sequence[Sequence[Value]], box: Box
) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for var, options, chosen in zip(variables, values, box, strict=True):
        if len(chosen) == len(options):
            continue
        picked = [options[k] for k in sorted(chosen)]
        shown = _merge_display(picked)
        out.append((var, " or ".join(shown)))
    return tuple(out)


def _merge_display(picked: Sequence[Value]) -> list[str]:
    """Readable values, adjacent numeric regions merged (``0..19`` and ``20..29`` -> ``0..29``)."""
    shown: list[str] = []
    run: Region | None = None
    for value in picked:
        if isinstance(value, Region):
            if run is not None and run.high + 1 == value.low:
                run = Region(run.low, value.high)
                continue
            if run is not None:
                shown.append(str(run))
            run = value
            continue
        if run is not None:
            shown.append(str(run))
            run = None
        shown.append(_show(value))
    if run is not None:
        shown.append(str(run))
    return shown


def behavioural_diff(a: Side, b: Side) -> tuple[DecisionDiff, ...]:
    """Compare every decision of ``a`` and ``b`` over the joint abstraction (exact)."""
    joint = _Joint(a, b)
    try:
        return tuple(joint.compare(did) for did in joint.order)
    finally:
        joint.close()


def diff(a: Side, b: Side, *, behaviour: bool = True) -> DiffReport:
    """The structural and (unless ``behaviour`` is false) behavioural diff from ``a`` to ``b``."""
    started = time.perf_counter()
    structural = structural_diff(a, b)
    decisions = behavioural_diff(a, b) if behaviour else None
    return DiffReport(
        a=a.label,
        b=b.label,
        structural=structural,
        decisions=decisions,
        seconds=time.perf_counter() - started,
        a_fingerprint=a.ruleset.fingerprint,
        b_fingerprint=b.ruleset.fingerprint,
    )
