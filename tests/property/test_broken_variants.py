# SPDX-License-Identifier: MIT
"""The kit can fail: deliberately broken rule sets are caught, and the minimal patient is a case.

Each test edits a copy of the bundled rules to break one safety property, then runs the public
assertions over it and checks that they fail on the invariant that protects that property, with
a minimal patient printed as a valid clinical case that the bundled rules pass and the broken
rules fail. The budget is three times a property's: a search that succeeds stops at the first
failure, so only a kit that misses the break pays for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import pht_rules
from pht_rules.audit.cases import CaseRunner, load_cases
from pht_rules.testing import (
    SafetyViolation,
    assert_invariants,
    default_states,
    inadequate_trial_patients,
    irritable_patients,
    kit_settings,
    less_irritable_patients,
    red_flag_patients,
)
from pht_rules.testing.reporting import case_yaml

EditRules = Callable[[str, Callable[[Any], None]], Path]


def _rule(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    rule: dict[str, Any] = next(r for r in doc["rules"] if r["id"] == rule_id)
    return rule


@pytest.fixture
def broken(edit_rules: EditRules) -> Callable[[str, Callable[[Any], None]], Any]:
    """Load a copy of the bundled rules with one file edited."""

    def make(name: str, change: Callable[[Any], None]) -> pht_rules.Evaluator:
        return pht_rules.Evaluator(pht_rules.load_rules(edit_rules(name, change)))

    return make


@pytest.fixture
def evaluators() -> Iterator[list[pht_rules.Evaluator]]:
    made: list[pht_rules.Evaluator] = []
    yield made
    for ev in made:
        ev.close()


def _check_case(err: SafetyViolation, broken: pht_rules.Evaluator, tmp_path: Path) -> None:
    """The printed case is valid; the bundled rules pass it and the broken ones fail it."""
    text = str(err)
    item = text[text.index("\n- id: ") + 1 :]
    assert yaml.safe_load(item) == [err.case]
    path = tmp_path / "found.yaml"
    path.write_text("cases:\n" + case_yaml(err.case), encoding="utf-8")
    (case,) = load_cases(path)
    good, bad = CaseRunner(), CaseRunner(broken.ruleset)
    try:
        assert good.run(case).passed, good.run(case).failures
        assert not bad.run(case).passed
    finally:
        good.close()
        bad.close()


def test_running_when_irritable_is_caught(
    broken: Callable[..., pht_rules.Evaluator], tmp_path: Path
) -> None:
    """Irritable patients advised restricted running break INV-IRRITABLE-NO-RUNNING."""

    def allow_running(doc: Any) -> None:
        _rule(doc, "running.irritable-stop")["outcome"] = "restricted"

    ev = broken("running.yaml", allow_running)
    with pytest.raises(SafetyViolation) as caught:
        assert_invariants(ev, irritable_patients(), settings=kit_settings(3.0))
    err = caught.value
    assert "INV-IRRITABLE-NO-RUNNING" in {v.invariant_id for v in err.violations}
    assert err.case["expect"]["outcomes"]["running"] == "stop"  # from the bundled rules
    # Minimal: the clear screen, one daily-activity pain, nothing else.
    assert err.case["state"]["symptoms"] in (
        {"pain_at_rest": True},
        {"pain_on_walking": True},
        {"pain_on_sitting": True},
    )
    assert set(err.case["state"]) == {"age_years", "presentation", "symptoms"}
    _check_case(err, ev, tmp_path)


def test_running_when_irritable_is_caught_without_a_picture(
    broken: Callable[..., pht_rules.Evaluator],
) -> None:
    """The default mix of patients finds the same break without being pointed at it."""

    def allow_running(doc: Any) -> None:
        _rule(doc, "running.irritable-stop")["outcome"] = "restricted"

    ev = broken("running.yaml", allow_running)
    with pytest.raises(SafetyViolation) as caught:
        assert_invariants(ev, default_states(ev), settings=kit_settings(3.0))
    assert "INV-IRRITABLE-NO-RUNNING" in {v.invariant_id for v in caught.value.violations}


def test_red_flag_that_no_longer_halts_is_caught(
    broken: Callable[..., pht_rules.Evaluator], tmp_path: Path
) -> None:
    """Night pain dropped from the red-flag screen breaks INV-RED-FLAG-HALTS."""

    def forget_night_pain(doc: Any) -> None:
        rule = _rule(doc, "presentation.red-flag.systemic")
        rule["when"] = {"field": "presentation.systemic_symptoms", "is": True}
        for name in ("presentation.consistent", "presentation.atypical-site"):
            parts = _rule(doc, name)["when"]["all"]
            _rule(doc, name)["when"]["all"] = [
                p for p in parts if p.get("field") != "presentation.night_pain"
            ]

    ev = broken("presentation.yaml", forget_night_pain)
    with pytest.raises(SafetyViolation) as caught:
        assert_invariants(ev, red_flag_patients(), settings=kit_settings(3.0))
    err = caught.value
    assert "INV-RED-FLAG-HALTS" in {v.invariant_id for v in err.violations}
    assert err.case["state"]["presentation"]["night_pain"] is True
    assert err.case["expect"]["outcomes"]["presentation"] == "refer-medical-review"
    _check_case(err, ev, tmp_path)


def test_unknown_read_as_no_is_caught(
    broken: Callable[..., pht_rules.Evaluator], tmp_path: Path
) -> None:
    """A less-irritable rule that accepts an unanswered 'pain at rest' breaks INV-UNKNOWN-NOT-NO."""

    def accept_unknown(doc: Any) -> None:
        parts = _rule(doc, "irritability.late-run-pain")["when"]["all"]
        parts[0] = {
            "any": [
                {"field": "symptoms.pain_at_rest", "is": False},
                {"field": "symptoms.pain_at_rest", "unknown": True},
            ]
        }
        asks = _rule(doc, "irritability.daily-activities-unknown")["when"]["any"]
        asks[:] = [p for p in asks if p["field"] != "symptoms.pain_at_rest"]

    ev = broken("irritability.yaml", accept_unknown)
    states = less_irritable_patients(unanswered=0.3)
    with pytest.raises(SafetyViolation) as caught:
        assert_invariants(ev, states, settings=kit_settings(3.0))
    err = caught.value
    assert "INV-UNKNOWN-NOT-NO" in {v.invariant_id for v in err.violations}
    assert "pain_at_rest" not in err.case["state"]["symptoms"]
    _check_case(err, ev, tmp_path)


def test_escalation_before_an_adequate_trial_is_caught(
    broken: Callable[..., pht_rules.Evaluator], tmp_path: Path
) -> None:
    """Adjuncts offered after a few weeks of loading break INV-NO-EARLY-ESCALATION."""

    def escalate_early(doc: Any) -> None:
        for rule_id in ("escalation.no-adequate-trial",):
            doc["rules"] = [r for r in doc["rules"] if r["id"] != rule_id]
        parts = _rule(doc, "escalation.adjuncts")["when"]["all"]
        parts[1] = {"field": "loading.weeks_adherent_loading", "at_least": 4}

    ev = broken("escalation.yaml", escalate_early)
    with pytest.raises(SafetyViolation) as caught:
        assert_invariants(ev, inadequate_trial_patients(), settings=kit_settings(3.0))
    err = caught.value
    assert "INV-NO-EARLY-ESCALATION" in {v.invariant_id for v in err.violations}
    _check_case(err, ev, tmp_path)
