# SPDX-License-Identifier: MIT
"""The finite abstraction of the patient state that a rule set induces.

Rules compare each numeric field with a few constants, so the whole integer range of a field falls
into a handful of *regions* inside which every rule gives the same answer. Each yes/no or enum
field takes all its values; and every field may also be *unknown* (``None``). Enumerating one
state per combination of regions and values is therefore exact: a property of the rules that holds
for every abstract state holds for every patient.

Decisions are abstracted one at a time over the fields their rules read. A decision that reads
another decision's outcome sees that outcome as one more variable, ranging over the outcomes the
other decision can actually reach, each with a concrete witness - exact as long as the decisions
involved read disjoint input fields (checked; otherwise the dependency's inputs are enumerated
jointly).

Some combinations are not valid patients (the model rejects contradictory answers). For those,
each numeric region is tried at both of its ends before the combination is set aside as
impossible, so a valid patient inside the regions is always found if one exists.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pht_rules.definitions.conditions import Compare, leaves, resolve
from pht_rules.definitions.ruleset import Decision, RuleSet
from pht_rules.errors import PatientStateError, PhtRulesError
from pht_rules.evaluation.assessment import NO_RULE_MATCHED, Assessment
from pht_rules.patient.fields import UNDETERMINED, FieldSpec, Scalar
from pht_rules.patient.model import PatientState, parse_state

__all__ = [
    "Abstraction",
    "DecisionDomain",
    "Evaluate",
    "Region",
    "Sample",
    "Value",
    "concretise",
    "cut_points",
    "input_fields_of",
    "regions",
    "snapshot_of",
    "state_from_snapshot",
    "thresholds",
]


@dataclass(frozen=True, slots=True)
class Region:
    """A run of integers ``low..high`` inside which every rule answers the same."""

    low: int
    high: int

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}..{self.high}"


Value = Scalar | Region | None
"""An abstract value: a yes/no or enum value, a numeric region, or ``None`` (unknown)."""


def _split_points(op: str, key: object) -> Iterator[int]:
    """Values ``s`` at which a comparison's answer may change between ``s - 1`` and ``s``."""
    keys = key if isinstance(key, tuple) else (key,)
    for k in keys:
        if isinstance(k, bool) or not isinstance(k, int):
            continue
        if op in ("at_least", "below"):
            yield k
        elif op in ("at_most", "above"):
            yield k + 1
        else:  # is, is_not, one_of, none_of: the point is a region of its own
            yield k
            yield k + 1


def regions(spec: FieldSpec, cuts: Iterable[int]) -> tuple[Region, ...]:
    """The regions of an integer field, given the split points its tests induce."""
    lo = spec.minimum if spec.minimum is not None else 0
    hi = spec.maximum if spec.maximum is not None else lo
    points = sorted({c for c in cuts if lo < c <= hi})
    bounds = [lo, *points, hi + 1]
    return tuple(Region(a, b - 1) for a, b in itertools.pairwise(bounds))


def cut_points(ruleset: RuleSet, params: Mapping[str, int]) -> dict[str, set[int]]:
    """For every integer field, the split points its comparisons induce under ``params``."""
    out: dict[str, set[int]] = {}
    for rule in ruleset.rules:
        for leaf in leaves(resolve(rule.when, params)):
            if isinstance(leaf, Compare) and ruleset.fields[leaf.field].kind == "int":
                out.setdefault(leaf.field, set()).update(_split_points(leaf.op, leaf.value))
    return out


def thresholds(ruleset: RuleSet, params: Mapping[str, int]) -> dict[str, tuple[int, ...]]:
    """For each integer field the rules test, the values at and just below each split point."""
    out: dict[str, tuple[int, ...]] = {}
    for path, cuts in cut_points(ruleset, params).items():
        spec = ruleset.fields[path]
        lo = spec.minimum if spec.minimum is not None else 0
        hi = spec.maximum if spec.maximum is not None else lo
        out[path] = tuple(sorted({v for c in cuts for v in (c - 1, c) if lo <= v <= hi}))
    return out


def input_fields_of(decision: Decision) -> tuple[str, ...]:
    """The patient-state fields a decision's rules read directly."""
    return tuple(
        dict.fromkeys(f for r in decision.rules for f in r.fields if not f.startswith("decision."))
    )


def state_from_snapshot(snapshot: Mapping[str, Scalar]) -> dict[str, Any]:
    """The nested patient-state mapping for a flat snapshot of field paths."""
    data: dict[str, Any] = {}
    for path, value in snapshot.items():
        node = data
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


Evaluate = Callable[[PatientState], Assessment]


@dataclass(frozen=True, slots=True)
class Sample:
    """One abstract state of a decision's domain, made concrete.

    ``assessment`` is ``None`` when evaluation failed; ``error`` then says why.
    """

    values: Mapping[str, Value]
    state: PatientState
    assessment: Assessment | None
    error: PhtRulesError | None = None


@dataclass(frozen=True, slots=True)
class DecisionDomain:
    """The abstract input space of one decision: its variables and their abstract values."""

    decision: Decision
    variables: tuple[str, ...]
    values: tuple[tuple[Value, ...], ...]

    @property
    def size(self) -> int:
        """How many abstract states the domain holds."""
        n = 1
        for vs in self.values:
            n *= len(vs)
        return n


class Abstraction:
    """Per-decision abstract domains of a rule set under given parameter values.

    ``evaluate`` assesses a concrete patient (the caller's evaluator: the reference interpreter
    for verification), so dependency outcomes and witnesses follow the semantics being checked.
    """

    def __init__(
        self,
        ruleset: RuleSet,
        params: Mapping[str, int],
        evaluate: Evaluate,
        extra_cuts: Mapping[str, Iterable[int]] | None = None,
    ) -> None:
        self.ruleset = ruleset
        self.params = params
        self._evaluate = evaluate
        self.cuts = cut_points(ruleset, params)
        for path, extra in (extra_cuts or {}).items():
            self.cuts.setdefault(path, set()).update(extra)
        self._domains: dict[str, DecisionDomain] = {}
        self._closure: dict[str, tuple[str, ...]] = {}
        self._reach: dict[str, dict[str | None, dict[str, Scalar]]] = {}
        self.impossible: dict[str, int] = {}

    def field_values(self, path: str) -> tuple[Value, ...]:
        """The abstract values of one input field: unknown first, then every class."""
        spec = self.ruleset.fields[path]
        if spec.kind == "bool":
            return (None, False, True)
        if spec.kind == "enum":
            return (None, *spec.values)
        return (None, *regions(spec, self.cuts.get(path, ())))

    def input_closure(self, decision_id: str) -> tuple[str, ...]:
        """Every input field a decision depends on, directly or through other decisions."""
        if decision_id not in self._closure:
            d = self.ruleset.decision(decision_id)
            fields = list(input_fields_of(d))
            for dep in d.depends_on:
                fields.extend(self.input_closure(dep))
            self._closure[decision_id] = tuple(dict.fromkeys(fields))
        return self._closure[decision_id]

    def domain(self, decision_id: str) -> DecisionDomain:
        """The abstract domain of ``decision_id``."""
        if decision_id not in self._domains:
            d = self.ruleset.decision(decision_id)
            used = set(input_fields_of(d))
            dep_vars: list[str] = []
            inputs = list(input_fields_of(d))
            for dep in d.depends_on:
                closure = self.input_closure(dep)
                if used.isdisjoint(closure):
                    dep_vars.append(f"decision.{dep}")
                else:  # shared inputs: enumerate the dependency's inputs jointly (exact)
                    inputs.extend(f for f in closure if f not in inputs)
                used.update(closure)
            values: list[tuple[Value, ...]] = [
                tuple(self.reachable(v.split(".", 1)[1])) for v in dep_vars
            ]
            values += [self.field_values(p) for p in inputs]
            self._domains[decision_id] = DecisionDomain(
                d, (*dep_vars, *inputs), tuple(tuple(v) for v in values)
            )
        return self._domains[decision_id]

    def reachable(self, decision_id: str) -> dict[str | None, dict[str, Scalar]]:
        """Each outcome ``decision_id`` can reach (``None``: undetermined), with a witness
        snapshot of input values that reaches it."""
        if decision_id not in self._reach:
            found: dict[str | None, dict[str, Scalar]] = {}
            for sample in self.samples(decision_id):
                if sample.assessment is None:
                    continue
                outcome = sample.assessment.decision(decision_id).outcome
                key = None if outcome in (UNDETERMINED, NO_RULE_MATCHED) else outcome
                if key not in found:
                    found[key] = snapshot_of(sample.state)
            self._reach[decision_id] = found
        return self._reach[decision_id]

    def samples(self, decision_id: str) -> Iterator[Sample]:
        """Every abstract state of the decision's domain as a valid patient and its assessment.

        Combinations that no valid patient can take are counted in ``impossible``.
        """
        dom = self.domain(decision_id)
        skipped = 0
        for combo in itertools.product(*dom.values):
            values = dict(zip(dom.variables, combo, strict=True))
            state = self._concretise(values)
            if state is None:
                skipped += 1
                continue
            try:
                yield Sample(values, state, self._evaluate(state))
            except PhtRulesError as exc:
                yield Sample(values, state, None, exc)
        self.impossible[decision_id] = skipped

    def _concretise(self, values: Mapping[str, Value]) -> PatientState | None:
        fixed: dict[str, Scalar] = {}
        ranged: list[tuple[str, Region]] = []
        for var, value in values.items():
            if var.startswith("decision."):
                outcome = value if isinstance(value, str) else None
                fixed.update(self._reach[var.split(".", 1)[1]][outcome])
            elif isinstance(value, Region):
                ranged.append((var, value))
            elif value is not None:
                fixed[var] = value
        return concretise(fixed, ranged)


def concretise(
    fixed: Mapping[str, Scalar], ranged: Sequence[tuple[str, Region]]
) -> PatientState | None:
    """A valid patient with the ``fixed`` values and each ranged field inside its region, trying
    both ends of every region; ``None`` when no such patient exists."""
    ends = [(r.low, r.high) if r.low != r.high else (r.low,) for _, r in ranged]
    for choice in itertools.product(*ends):
        snap = {**fixed, **{path: v for (path, _), v in zip(ranged, choice, strict=True)}}
        try:
            return parse_state(state_from_snapshot(snap))
        except PatientStateError:
            continue
    return None


def snapshot_of(state: PatientState) -> dict[str, Scalar]:
    """The flat snapshot (known values by field path) of a patient state."""
    out: dict[str, Scalar] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, Mapping):
                walk(value, f"{prefix}{key}.")
            elif value is not None:
                out[f"{prefix}{key}"] = value

    walk(state.model_dump(), "")
    return out
