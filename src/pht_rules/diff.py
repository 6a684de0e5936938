# SPDX-License-Identifier: MIT
"""What changed between two rule sets, in the files and in the advice (``pht-rules diff``).

A *side* is a rule set with the parameters in force (its defaults, or a profile), so the same code
compares two rule directories, or one rule set under its defaults and under a profile.

The structural diff lists decisions, rules, parameters and catalogue entries added, removed or
changed (field by field: priority, condition, outcome, advice, details, citations ...), and the
effective thresholds: for each numeric field, the comparisons the rules make with it once
parameters are resolved.

The behavioural diff is exact. It uses the abstraction of :mod:`pht_rules.domain` over the *joint*
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
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pht_rules.assessment import NO_RULE_MATCHED
from pht_rules.audit import parameter_users
from pht_rules.conditions import Compare, describe, leaves, resolve
from pht_rules.domain import (
    Region,
    concretise,
    cut_points,
    input_fields_of,
    regions,
    snapshot_of,
)
from pht_rules.errors import PhtRulesError, RuleConflictError
from pht_rules.evaluator import Evaluator
from pht_rules.fields import UNDETERMINED, Scalar
from pht_rules.models import PatientState
from pht_rules.reference import render_condition
from pht_rules.ruleset import Decision, Profile, Rule, RuleSet

__all__ = [
    "Answer",
    "Change",
    "DecisionDiff",
    "DiffRegion",
    "DiffReport",
    "Side",
    "behavioural_diff",
    "diff",
    "diff_json",
    "effective_thresholds",
    "render_diff",
    "structural_diff",
]


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: a rule set, an optional profile, and a label for reports."""

    label: str
    ruleset: RuleSet
    profile: Profile | None = None

    def params(self) -> dict[str, int]:
        """The parameter values in force (validated; ProfileError if the profile is invalid)."""
        return self.ruleset.parameter_values(self.profile)


# --------------------------------------------------------------------------------------------
# Structural diff

ChangeKind = Literal["added", "removed", "changed"]
Subject = Literal["ruleset", "decision", "rule", "parameter", "threshold", "catalogue"]


@dataclass(frozen=True, slots=True)
class Change:
    """One structural change; ``rules`` names the rules a parameter or threshold change affects."""

    kind: ChangeKind
    subject: Subject
    id: str
    field: str = ""
    before: str | None = None
    after: str | None = None
    rules: tuple[str, ...] = ()

    def __str__(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        head = f"{mark} {self.subject} {self.id}"
        if self.kind == "added":
            body = f": {self.after}" if self.after else ""
        elif self.kind == "removed":
            body = f": {self.before}" if self.before else ""
        else:
            body = f" {self.field}: {self.before} -> {self.after}"
        affected = f"  [affects {', '.join(self.rules)}]" if self.rules else ""
        return head + body + affected


def _rule_fields(rule: Rule) -> dict[str, str]:
    details = "; ".join(
        f"{k}={' / '.join(v) if isinstance(v, tuple) else v}" for k, v in rule.details
    )
    return {
        "decision": rule.decision,
        "title": rule.title,
        "priority": str(rule.priority),
        "when": render_condition(rule.when, {}, code=False),
        "outcome": rule.outcome,
        "advice": rule.advice,
        "details": details,
        "cites": ", ".join(rule.cites),
    }


def _decision_fields(d: Decision) -> dict[str, str]:
    return {
        "title": d.title,
        "question": d.question,
        "hit_policy": d.hit_policy,
        "outcomes": ", ".join(d.outcome_ids),
        "gaps": ", ".join(d.gap_outcomes),
        "reads": ", ".join(d.depends_on),
    }


def _changed(
    subject: Subject, ident: str, before: Mapping[str, str], after: Mapping[str, str]
) -> Iterator[Change]:
    for key in before:
        if before[key] != after.get(key):
            yield Change("changed", subject, ident, key, before[key], after.get(key))


def _cites_delta(before: Sequence[str], after: Sequence[str]) -> str:
    added = [c for c in after if c not in before]
    removed = [c for c in before if c not in after]
    parts = [f"+{c}" for c in added] + [f"-{c}" for c in removed]
    return ", ".join(parts) if parts else "reordered"


def effective_thresholds(
    ruleset: RuleSet, params: Mapping[str, int]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """For each numeric field, each comparison made with it (``at least 30``) and the rules making
    it, with parameters resolved to ``params``."""
    out: dict[str, dict[str, list[str]]] = {}
    for r in ruleset.rules:
        for leaf in leaves(resolve(r.when, params)):
            if isinstance(leaf, Compare) and ruleset.fields[leaf.field].kind == "int":
                rules = out.setdefault(leaf.field, {}).setdefault(describe(leaf), [])
                if r.id not in rules:
                    rules.append(r.id)
    return {f: {t: tuple(rs) for t, rs in sorted(v.items())} for f, v in sorted(out.items())}


def structural_diff(a: Side, b: Side) -> tuple[Change, ...]:
    """Every structural change from ``a`` to ``b``, in a stable order: rule set, decisions, rules,
    parameters, effective thresholds, catalogue."""
    ra, rb = a.ruleset, b.ruleset
    out: list[Change] = []
    for key in ("name", "version", "title", "source"):
        old, new = str(getattr(ra, key)), str(getattr(rb, key))
        if old != new:
            out.append(Change("changed", "ruleset", ra.name, key, old, new))

    da = {d.id: d for d in ra.decisions}
    db = {d.id: d for d in rb.decisions}
    for did in [*da, *(d for d in db if d not in da)]:
        if did not in db:
            out.append(Change("removed", "decision", did, before=da[did].title))
        elif did not in da:
            out.append(Change("added", "decision", did, after=db[did].title))
        else:
            out.extend(
                _changed("decision", did, _decision_fields(da[did]), _decision_fields(db[did]))
            )
            # Order matters (collect order, ties); additions and removals are listed as rules.
            shared = {r.id for r in da[did].rules} & {r.id for r in db[did].rules}
            order_a = [r.id for r in da[did].rules if r.id in shared]
            order_b = [r.id for r in db[did].rules if r.id in shared]
            if order_a != order_b:
                out.append(
                    Change(
                        "changed",
                        "decision",
                        did,
                        "rule order",
                        ", ".join(order_a),
                        ", ".join(order_b),
                    )
                )

    rules_a = {r.id: r for r in ra.rules}
    rules_b = {r.id: r for r in rb.rules}
    for rid in [*rules_a, *(r for r in rules_b if r not in rules_a)]:
        if rid not in rules_b:
            r = rules_a[rid]
            out.append(Change("removed", "rule", rid, before=f"{r.title} -> {r.outcome}"))
        elif rid not in rules_a:
            r = rules_b[rid]
            out.append(Change("added", "rule", rid, after=f"{r.title} -> {r.outcome}"))
        else:
            fields_a, fields_b = _rule_fields(rules_a[rid]), _rule_fields(rules_b[rid])
            for change in _changed("rule", rid, fields_a, fields_b):
                if change.field == "cites":
                    delta = _cites_delta(rules_a[rid].cites, rules_b[rid].cites)
                    change = Change(
                        "changed", "rule", rid, "cites", change.before, f"{change.after} ({delta})"
                    )
                out.append(change)

    pa = {p.name: p for p in ra.parameters}
    pb = {p.name: p for p in rb.parameters}
    users_a, users_b = parameter_users(ra), parameter_users(rb)
    va, vb = a.params(), b.params()
    profiled = a.profile is not None or b.profile is not None
    for name in [*pa, *(n for n in pb if n not in pa)]:
        affected = tuple(dict.fromkeys([*users_a.get(name, ()), *users_b.get(name, ())]))
        if name not in pb:
            out.append(
                Change("removed", "parameter", name, before=str(pa[name].value), rules=affected)
            )
            continue
        if name not in pa:
            out.append(
                Change("added", "parameter", name, after=str(pb[name].value), rules=affected)
            )
            continue
        x, y = pa[name], pb[name]
        for key, before, after in (
            ("default", f"{x.value} {x.unit}", f"{y.value} {y.unit}"),
            ("range", f"{x.minimum}..{x.maximum}", f"{y.minimum}..{y.maximum}"),
            ("provenance", x.provenance, y.provenance),
            ("sources", ", ".join(x.sources), ", ".join(y.sources)),
            ("description", x.description, y.description),
        ):
            if before != after:
                out.append(Change("changed", "parameter", name, key, before, after, affected))
        if profiled and va[name] != vb[name]:
            out.append(
                Change(
                    "changed",
                    "parameter",
                    name,
                    "value in force",
                    f"{va[name]} {x.unit}",
                    f"{vb[name]} {y.unit}",
                    affected,
                )
            )

    ta, tb = effective_thresholds(ra, va), effective_thresholds(rb, vb)
    for path in sorted(set(ta) | set(tb)):
        before_t, after_t = ta.get(path, {}), tb.get(path, {})
        if set(before_t) != set(after_t):
            moved = set(before_t) ^ set(after_t)
            affected = tuple(
                dict.fromkeys(
                    r for t in sorted(moved) for r in (*before_t.get(t, ()), *after_t.get(t, ()))
                )
            )
            out.append(
                Change(
                    "changed",
                    "threshold",
                    path,
                    "comparisons",
                    ", ".join(before_t) or "none",
                    ", ".join(after_t) or "none",
                    affected,
                )
            )

    ea = {e.id: e for e in ra.catalogue.entries}
    eb = {e.id: e for e in rb.catalogue.entries}
    for eid in [*ea, *(e for e in eb if e not in ea)]:
        if eid not in eb:
            out.append(Change("removed", "catalogue", eid, before=ea[eid].text))
        elif eid not in ea:
            out.append(Change("added", "catalogue", eid, after=eb[eid].text))
        else:
            x_e, y_e = ea[eid], eb[eid]
            fields_a = {
                k: str(getattr(x_e, k) or "")
                for k in ("kind", "text", "section", "citation", "rationale", "not_encoded")
            }
            fields_b = {k: str(getattr(y_e, k) or "") for k in fields_a}
            out.extend(_changed("catalogue", eid, fields_a, fields_b))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Behavioural diff: data


@dataclass(frozen=True, slots=True)
class Answer:
    """One side's answer to one decision for one patient."""

    outcomes: tuple[str, ...]
    rules: tuple[str, ...]
    advice: tuple[str, ...]
    details: tuple[str, ...] = ()
    error: str | None = None

    def __str__(self) -> str:
        if self.error is not None:
            return f"error: {self.error}"
        return f"{', '.join(self.outcomes)} ({', '.join(self.rules) or 'no rule'})"


DiffKind = Literal["outcome", "advice", "rules", "error"]


@dataclass(frozen=True, slots=True)
class DiffRegion:
    """The part of the input domain where one decision gets the same pair of different answers.

    The region is described as conditions on abstract variables: every condition in ``where``
    holds, and so does one of the alternatives in ``any_of`` (empty when ``where`` says it all).
    A condition names a variable and the values it takes there; a variable not named takes any
    value. ``states`` counts the abstract states in the region.
    """

    decision_id: str
    kind: DiffKind
    where: tuple[tuple[str, str], ...]
    any_of: tuple[tuple[tuple[str, str], ...], ...]
    states: int
    example: Mapping[str, Any]
    a: Answer
    b: Answer


DecisionStatus = Literal["identical", "same", "different", "only-in-a", "only-in-b"]


@dataclass(frozen=True, slots=True)
class DecisionDiff:
    """How one decision compares: its joint domain and the regions where the answers differ."""

    decision_id: str
    status: DecisionStatus
    variables: tuple[str, ...] = ()
    states: int = 0
    evaluated: int = 0
    impossible: int = 0
    differing: int = 0
    regions: tuple[DiffRegion, ...] = ()


@dataclass(frozen=True, slots=True)
class DiffReport:
    """The structural and (unless skipped) behavioural differences from side A to side B."""

    a: str
    b: str
    structural: tuple[Change, ...]
    decisions: tuple[DecisionDiff, ...] | None
    seconds: float
    a_fingerprint: str = ""
    b_fingerprint: str = ""

    @property
    def regions(self) -> tuple[DiffRegion, ...]:
        """Every region of behavioural difference, decision by decision."""
        return tuple(r for d in self.decisions or () for r in d.regions)

    @property
    def behaviour_differs(self) -> bool:
        """True when some patient gets different advice from the two sides."""
        return any(
            d.status in ("different", "only-in-a", "only-in-b") for d in self.decisions or ()
        )

    @property
    def states(self) -> int:
        """Joint abstract states in all decisions' domains."""
        return sum(d.states for d in self.decisions or ())


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
        return text.format_map(params) if "{" in text else text

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
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        a, b = (x if x is not None else "undetermined" for x in value)
        return a if a == b else f"{a} (A) / {b} (B)"
    return str(value)


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


def behavioural_diff(
    a: Side, b: Side, *, progress: Callable[[str], None] | None = None
) -> tuple[DecisionDiff, ...]:
    """Compare every decision of ``a`` and ``b`` over the joint abstraction (exact).

    ``progress``, if given, is called with each decision id once it is compared.
    """
    joint = _Joint(a, b)
    try:
        out = []
        for did in joint.order:
            out.append(joint.compare(did))
            if progress is not None:
                progress(did)
        return tuple(out)
    finally:
        joint.close()


def diff(
    a: Side,
    b: Side,
    *,
    behaviour: bool = True,
    progress: Callable[[str], None] | None = None,
) -> DiffReport:
    """The structural and (unless ``behaviour`` is false) behavioural diff from ``a`` to ``b``;
    ``progress`` as for :func:`behavioural_diff`."""
    started = time.perf_counter()
    structural = structural_diff(a, b)
    decisions = behavioural_diff(a, b, progress=progress) if behaviour else None
    return DiffReport(
        a=a.label,
        b=b.label,
        structural=structural,
        decisions=decisions,
        seconds=time.perf_counter() - started,
        a_fingerprint=a.ruleset.fingerprint,
        b_fingerprint=b.ruleset.fingerprint,
    )


# --------------------------------------------------------------------------------------------
# Rendering


def _answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "outcomes": list(answer.outcomes),
        "rules": list(answer.rules),
        "advice": list(answer.advice),
        "details": list(answer.details),
        "error": answer.error,
    }


def diff_json(report: DiffReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "a": {"label": report.a, "fingerprint": report.a_fingerprint},
        "b": {"label": report.b, "fingerprint": report.b_fingerprint},
        "seconds": round(report.seconds, 3),
        "structural": [
            {
                "kind": c.kind,
                "subject": c.subject,
                "id": c.id,
                "field": c.field,
                "before": c.before,
                "after": c.after,
                "rules": list(c.rules),
            }
            for c in report.structural
        ],
        "behaviour_differs": report.behaviour_differs if report.decisions is not None else None,
        "states": report.states,
        "decisions": None
        if report.decisions is None
        else [
            {
                "decision_id": d.decision_id,
                "status": d.status,
                "variables": list(d.variables),
                "states": d.states,
                "evaluated": d.evaluated,
                "impossible": d.impossible,
                "differing": d.differing,
                "regions": [
                    {
                        "kind": r.kind,
                        "where": {k: v for k, v in r.where},
                        "any_of": [{k: v for k, v in alt} for alt in r.any_of],
                        "states": r.states,
                        "example": r.example,
                        "a": _answer_json(r.a),
                        "b": _answer_json(r.b),
                    }
                    for r in d.regions
                ],
            }
            for d in report.decisions
        ],
    }


_STATUS_TEXT = {
    "identical": "identical (same rules after parameters, same inputs; not enumerated)",
    "same": "same answers everywhere",
    "different": "DIFFERENT",
    "only-in-a": "only in A",
    "only-in-b": "only in B",
}


def _indent(lines: Iterable[str], pad: str) -> list[str]:
    return [pad + line for line in lines]


def _condition(pair: tuple[str, str]) -> str:
    return f"{pair[0]} = {pair[1]}"


def _where_lines(region: DiffRegion) -> list[str]:
    conditions = [_condition(c) for c in region.where]
    if region.any_of:
        conditions.append("any of:")
    if not conditions:
        conditions = ["anywhere"]
    lines = [("  where " if n == 0 else "    and ") + c for n, c in enumerate(conditions)]
    for alternative in region.any_of:
        lines.append(
            "        - " + (" and ".join(_condition(c) for c in alternative) or "anywhere")
        )
    return lines


def render_diff(report: DiffReport) -> str:
    """The report as readable text: the structural changes, then each decision's status and each
    region of difference with what it covers, both answers and an example patient."""
    lines = [
        f"A: {report.a} (fingerprint {report.a_fingerprint})",
        f"B: {report.b} (fingerprint {report.b_fingerprint})",
        "",
        f"Structural diff: {len(report.structural)} change(s)",
    ]
    lines += [f"  {c}" for c in report.structural] or ["  none"]
    if report.decisions is None:
        lines += ["", "Behavioural diff: skipped (--structural-only)"]
        return "\n".join(lines) + "\n"
    different = [d for d in report.decisions if d.status != "identical" and d.status != "same"]
    evaluated = sum(d.evaluated for d in report.decisions)
    lines += [
        "",
        f"Behavioural diff: {len(different)} of {len(report.decisions)} decisions differ; "
        f"{report.states} joint abstract states, {evaluated} assessed on both sides "
        f"(the rest provably agree), {report.seconds:.1f} s",
    ]
    for d in report.decisions:
        extra = ""
        if d.status == "different":
            extra = f": {len(d.regions)} region(s), {d.differing} of {d.states} states"
        lines.append(f"  {d.decision_id:<18}{_STATUS_TEXT[d.status]}{extra}")
    for d in report.decisions:
        for n, r in enumerate(d.regions, start=1):
            lines += [
                "",
                f"{d.decision_id}, region {n} of {len(d.regions)} ({r.kind} differs; "
                f"{r.states} abstract state{'s' if r.states != 1 else ''}):",
            ]
            lines += _where_lines(r)
            lines.append(f"  A: {r.a}")
            lines.append(f"  B: {r.b}")
            if r.kind == "advice":
                for label, answer in (("A", r.a), ("B", r.b)):
                    lines += _indent((*answer.advice, *answer.details), f"     {label} says: ")
            lines.append(f"  example patient: {json.dumps(r.example, sort_keys=True)}")
    if any(r.kind == "error" for r in report.regions):
        lines += [
            "",
            "Note: where one side cannot assess a patient at all (an error above), the decisions "
            "that read the failing decision are compared only for patients both sides can assess.",
        ]
    if not different:
        lines += ["", "No patient gets different advice from A and B."]
    return "\n".join(lines) + "\n"
