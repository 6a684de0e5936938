# SPDX-License-Identifier: MIT
"""Exact verification of a rule set over its whole input domain (``pht-rules verify``).

For every decision, every state of its finite abstraction (:mod:`pht_rules.audit.abstraction`) is made into a
valid patient and assessed by the reference interpreter. Checked for each state:

- completeness: the decision has an outcome (a gap is reported with an example patient);
- consistency: no two rules disagree where the hit policy forbids it;
- the clinical safety invariants (:mod:`pht_rules.audit.invariants`);
- optionally, that the compiled durable-rules engine gives the identical assessment.

Across the domain: rules that never fire (dead) and rules that fire but are always outranked
(shadowed). The abstraction is exact, so "no finding" means no patient can break these checks.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pht_rules.audit.abstraction import Abstraction, Region, Value
from pht_rules.audit.invariants import INVARIANTS, Invariant
from pht_rules.definitions.ruleset import Profile, RuleSet
from pht_rules.definitions.text import show_value
from pht_rules.errors import RuleConflictError
from pht_rules.evaluation.assessment import NO_RULE_MATCHED
from pht_rules.evaluation.evaluator import Evaluator

__all__ = [
    "DecisionCheck",
    "Finding",
    "FindingKind",
    "VerificationReport",
    "render_verification",
    "verification_json",
    "verify",
]

FindingKind = Literal[
    "gap", "conflict", "dead-rule", "shadowed-rule", "invariant", "engine-mismatch", "error"
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found, with the decision, the rules involved and an example patient."""

    kind: FindingKind
    decision_id: str
    message: str
    rule_ids: tuple[str, ...] = ()
    example: Mapping[str, Any] | None = None

    def __str__(self) -> str:
        rules = f" [{', '.join(self.rule_ids)}]" if self.rule_ids else ""
        return f"{self.kind} in '{self.decision_id}'{rules}: {self.message}"


@dataclass(frozen=True, slots=True)
class DecisionCheck:
    """The size of one decision's domain and what checking it found."""

    decision_id: str
    variables: tuple[str, ...]
    domain_size: int
    impossible: int
    checked: int
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Everything ``verify`` checked and found."""

    ruleset: str
    fingerprint: str
    parameters: Mapping[str, int]
    decisions: tuple[DecisionCheck, ...]
    seconds: float
    engine_cross_checked: bool
    invariants: tuple[str, ...] = field(default=())

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding, decision by decision."""
        return tuple(f for d in self.decisions for f in d.findings)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    @property
    def states_checked(self) -> int:
        """Abstract states checked in all (valid patients)."""
        return sum(d.checked for d in self.decisions)

    @property
    def domain_size(self) -> int:
        """Abstract states in all, valid or not."""
        return sum(d.domain_size for d in self.decisions)


def _describe(values: Mapping[str, Value]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Region) else v) for k, v in values.items()}


def verify(
    ruleset: RuleSet,
    profile: Profile | Mapping[str, int] | None = None,
    *,
    invariants: Sequence[Invariant] = INVARIANTS,
    cross_check_engine: bool = True,
) -> VerificationReport:
    """Check ``ruleset`` exhaustively over its abstract domain; see the module docstring."""
    started = time.perf_counter()
    reference = Evaluator(ruleset, profile=profile, engine="interpreter")
    compiled = Evaluator(ruleset, profile=profile) if cross_check_engine else None
    try:
        abstraction = Abstraction(ruleset, reference.params, reference.evaluate)
        checks: list[DecisionCheck] = []
        failed: set[str] = set()  # decisions whose evaluation raised for some patient
        for d in ruleset.decisions:
            upstream_failed = bool(_upstream(ruleset, d.id) & failed)
            check = _check_decision(abstraction, d.id, invariants, compiled, upstream_failed)
            if any(f.kind in ("conflict", "error") for f in check.findings):
                failed.add(d.id)
            checks.append(check)
    finally:
        reference.close()
        if compiled is not None:
            compiled.close()
    return VerificationReport(
        ruleset=f"{ruleset.name} {ruleset.version}",
        fingerprint=ruleset.fingerprint,
        parameters=dict(reference.params),
        decisions=tuple(checks),
        seconds=time.perf_counter() - started,
        engine_cross_checked=cross_check_engine,
        invariants=tuple(inv.id for inv in invariants),
    )


def _upstream(ruleset: RuleSet, decision_id: str) -> set[str]:
    """Every decision whose outcome ``decision_id`` reads, directly or indirectly."""
    out: set[str] = set()
    todo = list(ruleset.decision(decision_id).depends_on)
    while todo:
        dep = todo.pop()
        if dep not in out:
            out.add(dep)
            todo.extend(ruleset.decision(dep).depends_on)
    return out


def _check_decision(
    abstraction: Abstraction,
    decision_id: str,
    invariants: Sequence[Invariant],
    compiled: Evaluator | None,
    upstream_failed: bool = False,
) -> DecisionCheck:
    """Check one decision's domain. When a decision it depends on failed (a conflict), some of
    its states cannot be reached, so rules are not reported dead or shadowed on that account."""
    decision = abstraction.ruleset.decision(decision_id)
    domain = abstraction.domain(decision_id)
    fired: set[str] = set()
    selected: set[str] = set()
    findings: dict[tuple[Any, ...], Finding] = {}
    checked = 0

    def add(key: tuple[Any, ...], finding: Finding) -> None:
        findings.setdefault(key, finding)  # keep the first example of each distinct problem

    for sample in abstraction.samples(decision_id):
        checked += 1
        example = {"abstract": _describe(sample.values), "patient": _patient(sample.state)}
        if sample.assessment is None:
            err = sample.error
            if isinstance(err, RuleConflictError):
                if err.decision_id == decision_id:
                    fired.update(err.rule_ids)  # they did fire: the conflict is the finding
                    selected.update(err.rule_ids)
                    add(
                        ("conflict", err.rule_ids),
                        Finding(
                            "conflict",
                            decision_id,
                            f"rules give {', '.join(err.outcomes)} for the same patient under hit "
                            f"policy '{decision.hit_policy}'",
                            err.rule_ids,
                            example,
                        ),
                    )
            else:
                add(("error", str(err)), Finding("error", decision_id, str(err), (), example))
            continue
        result = sample.assessment.decision(decision_id)
        for hit in result.hits:
            fired.add(hit.rule_id)
            if hit.selected:
                selected.add(hit.rule_id)
        if result.outcome == NO_RULE_MATCHED:
            add(
                ("gap", tuple(sorted(k for k, v in sample.values.items() if v is None))),
                Finding("gap", decision_id, "no rule gives this patient an outcome", (), example),
            )
        for inv in invariants:
            for violation in inv.violations(sample.state, sample.assessment):
                add(
                    ("invariant", inv.id),
                    Finding("invariant", decision_id, str(violation), (), example),
                )
        if compiled is not None:
            other = compiled.evaluate(sample.state)
            if other.to_json() != sample.assessment.to_json():
                differing = [
                    d.decision_id
                    for d, e in zip(other.decisions, sample.assessment.decisions, strict=True)
                    if d != e
                ]
                add(
                    ("engine-mismatch", tuple(differing)),
                    Finding(
                        "engine-mismatch",
                        decision_id,
                        f"durable-rules and the reference interpreter differ on {differing}",
                        (),
                        example,
                    ),
                )
    for rule in () if upstream_failed else decision.rules:
        if rule.id not in fired:
            add(
                ("dead", rule.id),
                Finding("dead-rule", decision_id, "never fires for any patient", (rule.id,)),
            )
        elif decision.hit_policy == "first" and rule.id not in selected:
            add(
                ("shadowed", rule.id),
                Finding(
                    "shadowed-rule",
                    decision_id,
                    "fires only where a higher-priority rule already decides",
                    (rule.id,),
                ),
            )
    return DecisionCheck(
        decision_id=decision_id,
        variables=domain.variables,
        domain_size=domain.size,
        impossible=abstraction.impossible.get(decision_id, 0),
        checked=checked,
        findings=tuple(findings.values()),
    )


def _patient(state: Any) -> dict[str, Any]:
    data: dict[str, Any] = state.model_dump(exclude_none=True)
    return {k: v for k, v in data.items() if v != {}}


# --------------------------------------------------------------------------------------------
# Rendering a verification report


def _example_line(example: Mapping[str, Any] | None, key: str) -> str:
    if not example or key not in example:
        return ""
    value = example[key]
    if key == "abstract":
        return ", ".join(f"{k}={show_value(v)}" for k, v in value.items())
    return json.dumps(value, sort_keys=True)


def verification_json(report: VerificationReport) -> dict[str, Any]:
    """A verification report as JSON-ready data."""
    return {
        "ruleset": report.ruleset,
        "fingerprint": report.fingerprint,
        "ok": report.ok,
        "domain_size": report.domain_size,
        "states_checked": report.states_checked,
        "seconds": round(report.seconds, 3),
        "engine_cross_checked": report.engine_cross_checked,
        "invariants": list(report.invariants),
        "parameters": dict(report.parameters),
        "decisions": [
            {
                "decision_id": d.decision_id,
                "variables": list(d.variables),
                "domain_size": d.domain_size,
                "impossible": d.impossible,
                "checked": d.checked,
                "findings": len(d.findings),
            }
            for d in report.decisions
        ],
        "findings": [dataclasses.asdict(f) for f in report.findings],
    }


def render_verification(report: VerificationReport, *, profile: str | None = None) -> str:
    """A verification report as readable text: per-decision domain sizes, totals, the time taken,
    and each finding with its rules and an example patient."""
    lines = [
        f"pht-rules verify: {report.ruleset} (fingerprint {report.fingerprint}), "
        + (f"profile '{profile}'" if profile else "default parameters"),
        "",
        f"{'decision':<18}{'variables':>10}{'abstract states':>17}{'impossible':>12}"
        f"{'checked':>10}{'findings':>10}",
    ]
    for d in report.decisions:
        lines.append(
            f"{d.decision_id:<18}{len(d.variables):>10}{d.domain_size:>17}{d.impossible:>12}"
            f"{d.checked:>10}{len(d.findings):>10}"
        )
    impossible = sum(d.impossible for d in report.decisions)
    lines += [
        f"{'total':<18}{'':>10}{report.domain_size:>17}{impossible:>12}"
        f"{report.states_checked:>10}{len(report.findings):>10}",
        "",
        f"domain: {report.domain_size} abstract states ({report.states_checked} made into valid "
        "patients and assessed, "
        f"{impossible} combinations no valid patient can take), checked exhaustively in "
        f"{report.seconds:.1f} s",
        "engine cross-check: "
        + (
            "durable-rules agrees with the reference interpreter on every state"
            if report.engine_cross_checked
            and not any(f.kind == "engine-mismatch" for f in report.findings)
            else "durable-rules compared with the reference interpreter"
            if report.engine_cross_checked
            else "skipped (--no-engine-check)"
        ),
        f"invariants: {', '.join(report.invariants)}",
        "",
    ]
    if report.ok:
        lines.append(
            "result: OK - no gap, conflict, dead or shadowed rule, invariant violation or engine "
            "mismatch"
        )
        return "\n".join(lines) + "\n"
    lines.append(f"result: FAILED - {len(report.findings)} finding(s)")
    # The same problem found in several parts of the domain is shown once, with its first example.
    groups: dict[tuple[str, str, tuple[str, ...], str], list[Finding]] = {}
    for f in report.findings:
        groups.setdefault((f.kind, f.decision_id, f.rule_ids, f.message), []).append(f)
    for same in groups.values():
        first = same[0]
        more = (
            f" ({len(same)} distinct cases, the first shown; --format json lists all)"
            if len(same) > 1
            else ""
        )
        lines.append(f"  {first}{more}")
        abstract = _example_line(first.example, "abstract")
        if abstract:
            lines.append(f"      where:   {abstract}")
        patient = _example_line(first.example, "patient")
        if patient:
            lines.append(f"      patient: {patient}")
    return "\n".join(lines) + "\n"
