# SPDX-License-Identifier: MIT
"""Failing patients as ready-to-paste clinical cases, and the error that carries them.

When a property fails, hypothesis shrinks the patient; :class:`SafetyViolation` then prints that
minimal patient as a case in the project's case-file format (``id``, ``description``, ``state``,
``expect``; see :mod:`pht_rules.audit.cases`), so it can be pasted under ``cases:`` in a case file and
run with ``pht-rules check`` from then on.

What the case expects depends on what was tested:

- an app built on the rules (``Wrapper.kind == "wrapper"``): the outcomes the rules give the
  patient, which the app must reproduce;
- a rule set itself (``kind == "rules"``): that the rules which gave the unsafe advice do not fire
  (``not_fired``); the right outcome is for a clinician to decide.

Nothing here imports hypothesis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pht_rules.audit.invariants import Violation
from pht_rules.errors import PhtRulesError
from pht_rules.evaluation.assessment import Assessment
from pht_rules.patient.model import PatientState

if TYPE_CHECKING:
    from pht_rules.testing.adapters import Wrapper

__all__ = [
    "SafetyViolation",
    "case_yaml",
    "failure_case",
    "state_data",
    "violation_key",
    "write_case_file",
]


def state_data(state: PatientState) -> dict[str, Any]:
    """The answered fields of ``state`` as nested plain data (unknowns and empty groups left out)."""
    data: dict[str, Any] = state.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in data.items() if v != {}}


def _outcome_expectations(assessment: Assessment, collect: set[str]) -> dict[str, Any]:
    outcomes = {
        d.decision_id: d.outcome for d in assessment.decisions if d.decision_id not in collect
    }
    sets = {
        d.decision_id: list(d.outcomes) for d in assessment.decisions if d.decision_id in collect
    }
    expect: dict[str, Any] = {"outcomes": outcomes}
    if sets:
        expect["outcome_sets"] = sets
    return expect


def _one_sentence(text: str) -> str:
    # One sentence, no quotes: case descriptions are printed as they are, one line each.
    plain = text.replace(". ", "; ").replace("'", "").replace('"', "")
    return " ".join(plain.split()).rstrip(".") + "."


def violation_key(v: Violation) -> tuple[str, str | None, str | None]:
    """What makes two violations "the same": id, decision and (for a relation) changed patient."""
    other = v.counterpart.model_dump_json() if v.counterpart is not None else None
    return v.invariant_id, v.decision_id, other


def _safe_for(
    source: Wrapper, state: PatientState, patient: PatientState, violations: Sequence[Violation]
) -> bool:
    """Whether ``source`` shows none of ``violations`` for the same patient (or pair)."""
    from pht_rules.audit.invariants import INVARIANTS, check_invariants
    from pht_rules.testing.metamorphic import RELATIONS, RelationContext

    ids = {v.invariant_id for v in violations}
    mine = {violation_key(v) for v in violations}
    invariants = [inv for inv in INVARIANTS if inv.id in ids]
    theirs: list[Violation] = []
    if invariants:
        theirs += check_invariants(patient, source.reference(patient), invariants=invariants)
    context = RelationContext.for_rules(source.ruleset, source.profile)
    for rel in RELATIONS:
        if rel.id in ids:
            theirs += rel.check(source.reference, state, context=context)
    keys = {violation_key(v) for v in theirs}
    return not (mine & keys) and not ({(k[0], k[1]) for k in mine} & {(k[0], k[1]) for k in keys})


def failure_case(
    wrapper: Wrapper,
    state: PatientState,
    violations: Sequence[Violation],
) -> dict[str, Any]:
    """The clinical case (as data) for the patient whose advice broke ``violations``.

    For a metamorphic relation the patient is the changed one (``Violation.counterpart``). The
    case expects the outcomes of the rules the target should follow (:meth:`Wrapper.expectations`)
    when those give this patient safe advice; otherwise, that the rules behind the unsafe advice do
    not fire for this patient.
    """
    first = violations[0]
    patient = first.counterpart if first.counterpart is not None else state
    data = state_data(patient)
    digest = hashlib.sha256(patient.model_dump_json().encode()).hexdigest()[:8]
    expect: dict[str, Any] = {}
    source = wrapper.expectations()
    if source is not None and (source is wrapper or _safe_for(source, state, patient, violations)):
        rules = source.reference(patient)
        collect = {d.decision_id for d in rules.decisions if d.hit_policy == "collect"}
        expect = _outcome_expectations(rules, collect)
    if not expect:
        offending = {v.decision_id for v in violations if v.decision_id is not None}
        try:
            advice = wrapper.output(patient)
        except PhtRulesError:
            advice = None
        if isinstance(advice, Assessment):
            fired = [
                h.rule_id
                for d in advice.decisions
                if d.decision_id in offending
                for h in d.hits
                if h.selected
            ]
            if fired:
                expect["not_fired"] = fired
    if not expect:  # nothing better is known: pin what the target says, for review
        own = wrapper.reference(patient)
        expect = _outcome_expectations(
            own, {d.decision_id for d in own.decisions if d.hit_policy == "collect"}
        )
    case: dict[str, Any] = {
        "id": f"{first.invariant_id.lower()}-{digest}",
        "description": _one_sentence(f"Found by pht_rules.testing in {wrapper}: {first}"),
    }
    if wrapper.overrides:
        case["profile"] = dict(wrapper.overrides)
    case["state"] = data
    case["expect"] = expect
    return case


def case_yaml(case: Mapping[str, Any]) -> str:
    """``case`` as a YAML list item, ready to paste under ``cases:`` in a case file."""
    text: str = yaml.safe_dump(
        [dict(case)], sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True
    )
    return text


def write_case_file(directory: str | Path, name: str, cases: Sequence[Mapping[str, Any]]) -> Path:
    """Write ``cases`` as a case file ``<directory>/<name>.yaml`` (created or replaced)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "cases"
    path = root / f"{safe}.yaml"
    text = "# Minimal failing patients found by pht_rules.testing.\ncases:\n"
    text += "".join(case_yaml(c) for c in cases)
    path.write_text(text, encoding="utf-8")
    return path


class SafetyViolation(AssertionError):
    """A generated patient got advice that breaks a safety invariant or metamorphic relation.

    ``state`` is the (minimal, once hypothesis has shrunk it) patient, ``violations`` what broke,
    and ``case`` the patient as a clinical case; ``str()`` shows all three, the case as YAML.
    """

    def __init__(
        self,
        check: str,
        wrapper: Wrapper,
        state: PatientState,
        violations: Sequence[Violation],
    ) -> None:
        self.check = check
        self.state = state
        self.violations = tuple(violations)
        self.case = failure_case(wrapper, state, violations)
        lines = [f"{check}: {len(self.violations)} violation(s) for {wrapper}"]
        lines += [f"  - {v}" for v in self.violations[:10]]
        if len(self.violations) > 10:
            lines.append(f"  ... and {len(self.violations) - 10} more")
        first = self.violations[0]
        if first.counterpart is not None:
            lines.append(f"Before the change ({first.message.split(': ')[0]}), the patient was:")
            lines.append(f"  {json.dumps(state_data(state))}")
        lines.append(
            "Minimal patient as a clinical case (paste under `cases:` in a case file; run it "
            "with `pht-rules check`):"
        )
        lines.append("")
        lines.append(case_yaml(self.case).rstrip())
        super().__init__("\n".join(lines))
