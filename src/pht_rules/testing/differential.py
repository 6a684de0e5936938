# SPDX-License-Identifier: MIT
"""Differential checks: two implementations of the same rules must give the same assessments.

The durable-rules engine and the reference interpreter of the rule data are written
independently; wherever they disagree, one of them is wrong. Two ways to compare them:

- :func:`engine_differences` for one patient (use it in a property test over generated states);
- :func:`exhaustive_differential` over the exact finite domain of the rule set
  (:class:`~pht_rules.audit.abstraction.Abstraction`): one patient per combination of the regions and values
  each decision's rules distinguish, so agreement there is agreement for every patient.

Both accept any pair of evaluation functions, so the same checks compare, say, a new engine with
the reference, or a service's answers with the library's. Nothing here imports hypothesis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pht_rules.audit.abstraction import Abstraction
from pht_rules.definitions.ruleset import RuleSet
from pht_rules.engine.interface import EngineName
from pht_rules.errors import PhtRulesError
from pht_rules.evaluation.assessment import Assessment
from pht_rules.patient.model import PatientState
from pht_rules.testing._rules import ProfileLike, evaluator, params_of, rules_of

__all__ = [
    "ENGINES",
    "AssessFn",
    "DifferentialReport",
    "Mismatch",
    "assessment_differences",
    "engine_differences",
    "exhaustive_differential",
]

ENGINES: tuple[EngineName, EngineName] = ("durable", "interpreter")
"""The two engines compared: the durable-rules engine and the reference interpreter."""

AssessFn = Callable[[PatientState], Assessment]


def assessment_differences(first: Assessment, second: Assessment) -> list[str]:
    """Where two assessments differ, one line per difference (empty: they are identical)."""
    if first.to_json() == second.to_json():
        return []
    out: list[str] = []
    by_id = {d.decision_id: d for d in second.decisions}
    for d in first.decisions:
        e = by_id.get(d.decision_id)
        if e is None:
            out.append(f"decision '{d.decision_id}' only in the first")
            continue
        if d.outcomes != e.outcomes:
            out.append(f"{d.decision_id}: outcomes {list(d.outcomes)} vs {list(e.outcomes)}")
        hits_d = [(h.rule_id, h.selected) for h in d.hits]
        hits_e = [(h.rule_id, h.selected) for h in e.hits]
        if hits_d != hits_e:
            out.append(f"{d.decision_id}: rules {hits_d} vs {hits_e}")
        elif d != e:
            out.append(
                f"{d.decision_id}: same rules, different details (evidence, advice, questions)"
            )
    for e in second.decisions:
        if e.decision_id not in {d.decision_id for d in first.decisions}:
            out.append(f"decision '{e.decision_id}' only in the second")
    for name in ("needs_information", "guideline_gaps", "citations", "parameters", "ruleset"):
        if getattr(first, name) != getattr(second, name):
            out.append(f"{name} differ")
    return out or ["the JSON differs"]


def engine_differences(
    state: PatientState,
    *,
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
) -> list[str]:
    """How the durable-rules engine and the reference interpreter differ on ``state`` under
    ``ruleset`` (default: bundled) and ``profile``; empty when they agree.

    An error counts as an answer: both must raise the same kind of error with the same message.
    """
    outcome: list[Assessment | PhtRulesError] = []
    for engine in ENGINES:
        ev = evaluator(ruleset, profile, engine)
        try:
            outcome.append(ev.evaluate(state))
        except PhtRulesError as exc:
            outcome.append(exc)
    return _compare(outcome[0], outcome[1])


def _compare(got: Assessment | PhtRulesError, want: Assessment | PhtRulesError) -> list[str]:
    if isinstance(got, Assessment) and isinstance(want, Assessment):
        return assessment_differences(got, want)
    if isinstance(got, PhtRulesError) and type(got) is type(want) and str(got) == str(want):
        return []
    return [f"one raised, or they raised differently: {got!r:.200} vs {want!r:.200}"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A patient on which the two implementations disagree (found in ``decision_id``'s domain)."""

    decision_id: str
    state: PatientState
    differences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DifferentialReport:
    """What :func:`exhaustive_differential` compared and found."""

    ruleset: str
    parameters: dict[str, int]
    states_checked: int
    by_decision: dict[str, int]
    mismatches: tuple[Mismatch, ...]
    mismatch_count: int
    seconds: float

    @property
    def ok(self) -> bool:
        """True when the two agreed on every state."""
        return self.mismatch_count == 0


def exhaustive_differential(
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
    *,
    candidate: AssessFn | None = None,
    reference: AssessFn | None = None,
    decisions: Sequence[str] | None = None,
    keep: int = 10,
) -> DifferentialReport:
    """Compare ``candidate`` (default: the durable-rules engine) with ``reference`` (default: the
    reference interpreter) on every state of the rule set's exact finite domain.

    Each decision's abstract domain (or only those of ``decisions``) is enumerated as valid
    patients; duplicates across decisions are compared once. At most ``keep`` mismatches are kept
    as examples; all are counted. Unknown decision ids raise ``KeyError`` at once.
    """
    rules = rules_of(ruleset)
    params = params_of(ruleset, profile)
    chosen = [rules.decision(d) for d in decisions] if decisions is not None else rules.decisions
    ref = reference or evaluator(ruleset, profile, "interpreter").evaluate
    cand = candidate or evaluator(ruleset, profile, "durable").evaluate
    started = time.perf_counter()
    abstraction = Abstraction(rules, params, ref)
    seen: set[str] = set()
    by_decision: dict[str, int] = {}
    kept: list[Mismatch] = []
    count = 0
    for decision in chosen:
        checked = 0
        for sample in abstraction.samples(decision.id):
            key = sample.state.model_dump_json()
            if key in seen:
                continue
            seen.add(key)
            checked += 1
            want: Assessment | PhtRulesError = (
                sample.assessment if sample.assessment is not None else _error(sample.error)
            )
            try:
                got: Assessment | PhtRulesError = cand(sample.state)
            except PhtRulesError as exc:
                got = exc
            differences = _compare(got, want)
            if differences:
                count += 1
                if len(kept) < keep:
                    kept.append(Mismatch(decision.id, sample.state, tuple(differences)))
        by_decision[decision.id] = checked
    return DifferentialReport(
        ruleset=f"{rules.name} {rules.version}",
        parameters=params,
        states_checked=len(seen),
        by_decision=by_decision,
        mismatches=tuple(kept),
        mismatch_count=count,
        seconds=time.perf_counter() - started,
    )


def _error(error: PhtRulesError | None) -> PhtRulesError:
    if error is None:  # pragma: no cover - a sample has an assessment or an error
        raise AssertionError("sample without assessment or error")
    return error
