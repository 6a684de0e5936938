# SPDX-License-Identifier: MIT
"""The clinical test cases in ``tests/cases``, run on both engines, and their coverage of the rules.

Every case is run through :class:`~pht_rules.audit.cases.CaseRunner` with the durable-rules engine and
with the reference interpreter; both must meet every expectation. The coverage tests are computed
from the case files and the loaded rule set: every rule must be expected to fire (and be selected)
in some case, and every outcome of every decision must be expected by some case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pht_rules
from pht_rules.audit.cases import CaseRunner, ClinicalCase, load_cases

CASE_DIR = Path(__file__).parent / "cases"
CASES: list[ClinicalCase] = load_cases(CASE_DIR)
RULES: pht_rules.RuleSet = pht_rules.load_rules()
MIN_CASES = 60


def case_id(case: ClinicalCase) -> str:
    """``<file stem>::<case id>``, e.g. ``running::irritable-stop``."""
    return f"{Path(case.source).stem}::{case.id}"


def _report(case: ClinicalCase, failures: tuple[str, ...]) -> str:
    return f"{case_id(case)} ({case.description}):\n  " + "\n  ".join(failures)


def _expected_pairs(case: ClinicalCase) -> set[tuple[str, str]]:
    expect = case.expect
    pairs = {(d, o) for d, o in (expect.get("outcomes") or {}).items()}
    for d, outcomes in (expect.get("outcome_sets") or {}).items():
        pairs.update((d, o) for o in outcomes)
    return pairs


@pytest.fixture(scope="module")
def durable_runner() -> Iterator[CaseRunner]:
    runner = CaseRunner(RULES, engine="durable")
    try:
        yield runner
    finally:
        runner.close()


@pytest.fixture(scope="module")
def interpreter_runner() -> Iterator[CaseRunner]:
    runner = CaseRunner(RULES, engine="interpreter")
    try:
        yield runner
    finally:
        runner.close()


# ------------------------------------------------------------------------------------------------
# The cases themselves


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_durable(durable_runner: CaseRunner, case: ClinicalCase) -> None:
    result = durable_runner.run(case)
    assert result.passed, _report(case, result.failures)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_interpreter(interpreter_runner: CaseRunner, case: ClinicalCase) -> None:
    result = interpreter_runner.run(case)
    assert result.passed, _report(case, result.failures)


# ------------------------------------------------------------------------------------------------
# The case files are well formed


def test_enough_cases_in_several_files() -> None:
    assert len(CASES) >= MIN_CASES
    files = {Path(c.source).stem for c in CASES}
    assert {d.id for d in RULES.decisions} <= files, "one case file per decision area"


def test_every_case_has_a_one_sentence_description() -> None:
    missing = [case_id(c) for c in CASES if not c.description]
    assert not missing, f"cases without a description: {missing}"
    multi = [case_id(c) for c in CASES if c.description.rstrip(".").count(". ") > 0]
    assert not multi, f"descriptions of more than one sentence: {multi}"


def test_expectations_name_real_rules_decisions_outcomes_and_fields() -> None:
    rule_ids = {r.id for r in RULES.rules}
    outcomes = {d.id: set(d.outcome_ids) for d in RULES.decisions}
    fields = set(RULES.fields)
    problems: list[str] = []
    for c in CASES:
        for key in ("fired", "not_fired"):
            problems += [
                f"{case_id(c)}: {key} {r!r}" for r in c.expect.get(key) or [] if r not in rule_ids
            ]
        for d, o in _expected_pairs(c):
            if o not in outcomes.get(d, set()):
                problems.append(f"{case_id(c)}: outcome {d}={o!r}")
        for d in c.expect.get("gaps") or []:
            if d not in outcomes:
                problems.append(f"{case_id(c)}: gap {d!r}")
        for path in c.expect.get("needs_information") or []:
            if path not in fields:
                problems.append(f"{case_id(c)}: needs_information {path!r}")
        both = set(c.expect.get("fired") or []) & set(c.expect.get("not_fired") or [])
        problems += [f"{case_id(c)}: {r!r} both fired and not_fired" for r in sorted(both)]
    assert not problems, "unknown names in case expectations:\n  " + "\n  ".join(problems)


def test_collect_decisions_are_checked_as_sets() -> None:
    collect = {d.id for d in RULES.decisions if d.hit_policy == "collect"}
    misplaced = [
        f"{case_id(c)}: {d}"
        for c in CASES
        for d in (c.expect.get("outcomes") or {})
        if d in collect
    ]
    assert not misplaced, f"collect decisions belong under outcome_sets: {misplaced}"


# ------------------------------------------------------------------------------------------------
# Coverage of the rule set by the cases


def test_every_rule_is_expected_to_fire() -> None:
    fired = {r for c in CASES for r in c.expect.get("fired") or []}
    missing = sorted(r.id for r in RULES.rules if r.id not in fired)
    assert not missing, f"rules no case expects to fire: {missing}"


def test_every_outcome_is_expected() -> None:
    expected = set().union(*(_expected_pairs(c) for c in CASES))
    missing = [
        (d.id, o) for d in RULES.decisions for o in d.outcome_ids if (d.id, o) not in expected
    ]
    assert not missing, f"(decision, outcome) pairs no case expects: {missing}"


def test_every_rule_is_selected_where_a_case_expects_it() -> None:
    """Each rule is the reported (selected) rule in at least one case that names it in ``fired``."""
    selected: set[str] = set()
    evaluators: dict[tuple[tuple[str, int], ...], pht_rules.Evaluator] = {}
    try:
        for c in CASES:
            key = tuple(sorted(c.profile.items()))
            if key not in evaluators:
                evaluators[key] = pht_rules.Evaluator(
                    RULES, profile=pht_rules.Profile(dict(c.profile)), engine="interpreter"
                )
            assessment = evaluators[key].evaluate(c.state)
            named = set(c.expect.get("fired") or [])
            selected.update(
                h.rule_id
                for d in assessment.decisions
                for h in d.hits
                if h.selected and h.rule_id in named
            )
    finally:
        for ev in evaluators.values():
            ev.close()
    missing = sorted(r.id for r in RULES.rules if r.id not in selected)
    assert not missing, f"rules never the selected rule of a case that expects them: {missing}"
