# SPDX-License-Identifier: MIT
"""Evaluation: hit policies, evidence, questions to ask, gaps, profiles and determinism."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pht_rules
from pht_rules import (
    Assessment,
    Evaluator,
    PatientStateError,
    Profile,
    ProfileError,
    RuleConflictError,
    evaluate,
    load_rules,
)
from tests.conftest import requires_durable
from tests.helpers import EXAMPLES, complete_patient

Edit = Callable[[str, Callable[[Any], None]], Path]


def test_typical_less_irritable_patient(evaluator: Evaluator) -> None:
    """A typical less irritable runner may run within limits and starts heavier loading later."""
    a = evaluator.evaluate(complete_patient())
    assert a.outcomes == {
        "presentation": "consistent",
        "irritability": "less-irritable",
        "running": "restricted",
        "loading": "continue",
        "load-management": "no-cause-identified",
        "escalation": "not-indicated",
    }
    assert a.needs_information == ()
    assert a.guideline_gaps == ()


def test_evidence_names_the_inputs_that_made_a_rule_fire(evaluator: Evaluator) -> None:
    """Each fired rule shows the input values and tests that satisfied it."""
    a = evaluator.evaluate(complete_patient(symptoms={"pain_on_sitting": True}))
    hit = a.decision("irritability").hits[0]
    assert hit.rule_id == "irritability.irritable" and hit.selected
    assert [(e.field, e.value, e.test) for e in hit.evidence] == [
        ("symptoms.pain_on_sitting", True, "is yes")
    ]
    assert a.decision("running").outcome == "stop"
    assert "14 days" in a.decision("running").advice[0]


def test_first_hit_policy_reports_outranked_rules(evaluator: Evaluator) -> None:
    """Under 'first', lower-priority matches are listed but not selected."""
    a = evaluator.evaluate(
        complete_patient(
            symptoms={"pain_at_rest": True, "pain_at_rest_nrs": 3, "pain_on_walking": None}
        )
    )
    irr = a.decision("irritability")
    assert irr.outcome == "irritable"
    by_id = {h.rule_id: h.selected for h in irr.hits}
    assert by_id == {"irritability.irritable": True, "irritability.daily-activities-unknown": False}


def test_collect_policy_gathers_every_cause(evaluator: Evaluator) -> None:
    """Load management lists every cause present, most important first."""
    a = evaluator.evaluate(
        complete_patient(
            training={
                "weekly_volume_increase_percent": 50,
                "hill_work_introduced": True,
                "cross_training": False,
            }
        )
    )
    lm = a.decision("load-management")
    assert lm.outcomes == ("volume-spike", "hill-work", "add-cross-training")
    assert lm.outcome == "volume-spike"


def test_unknown_answers_become_questions(evaluator: Evaluator) -> None:
    """An unknown answer a decision needs is asked, and the decision says it is undetermined."""
    a = evaluator.evaluate(complete_patient(symptoms={"pain_on_walking": None}))
    assert a.decision("irritability").outcome == "undetermined"
    assert a.decision("running").outcome == "undetermined"
    needs = {n.field: n for n in a.needs_information}
    assert "symptoms.pain_on_walking" in needs
    assert needs["symptoms.pain_on_walking"].question == "Does ordinary walking hurt?"
    assert "irritability" in needs["symptoms.pain_on_walking"].decisions


def test_provisional_outcome_names_what_could_change_it(evaluator: Evaluator) -> None:
    """When a higher-priority rule is undecided for lack of an answer, the outcome is provisional."""
    a = evaluator.evaluate(complete_patient(loading={"weeks_in_phase": None}))
    loading = a.decision("loading")
    assert loading.outcome == "continue"
    assert loading.provisional_on == ("loading.weeks_in_phase",)
    assert "loading.weeks_in_phase" in {n.field for n in a.needs_information}


def test_outside_the_guideline_is_said(evaluator: Evaluator) -> None:
    """Pain early in a run is outside the article's advice and is reported as a gap."""
    a = evaluator.evaluate(complete_patient(symptoms={"minutes_into_run_before_pain": 29}))
    assert a.decision("running").outcome == "outside-guideline"
    gaps = {g.decision_id: g for g in a.guideline_gaps}
    assert set(gaps) == {"irritability", "running"}
    assert "clinician judgement" in gaps["running"].message.lower()


def test_boundary_thirty_minutes_is_less_irritable(evaluator: Evaluator) -> None:
    """Pain exactly 30 minutes into a run is the article's less irritable case."""
    a = evaluator.evaluate(complete_patient(symptoms={"minutes_into_run_before_pain": 30}))
    assert a.decision("irritability").outcome == "less-irritable"


def test_profile_overrides_change_advice_and_are_echoed() -> None:
    """A profile changes thresholds, is reflected in the advice and echoed in the output."""
    profile = Profile(
        {"stop_running_days": 21, "less_irritable_onset_minutes": 20}, name="clinic-a"
    )
    a = evaluate(complete_patient(symptoms={"minutes_into_run_before_pain": 25}), profile)
    assert a.decision("irritability").outcome == "less-irritable"
    assert a.profile == "clinic-a"
    overridden = {p.name: (p.value, p.default) for p in a.parameters if p.overridden}
    assert overridden == {"stop_running_days": (21, 14), "less_irritable_onset_minutes": (20, 30)}
    irritable = evaluate(complete_patient(symptoms={"pain_on_walking": True}), profile)
    assert "21 days" in irritable.decision("running").advice[0]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"stop_running_days": 60}, "outside the allowed range 10..21"),
        ({"stop_runing_days": 14}, "did you mean 'stop_running_days'"),
        ({"stop_running_days": "14"}, "whole number"),
        ({"exercise_pain_target": 5, "exercise_pain_ceiling": 4}, "must be <="),
    ],
)
def test_bad_profiles_are_rejected(overrides: dict[str, Any], message: str) -> None:
    """Profiles are validated against the rule set's parameters and their constraints."""
    with pytest.raises(ProfileError, match=message):
        evaluate(complete_patient(), overrides)


def test_bad_input_raises_and_returns_nothing(evaluator: Evaluator) -> None:
    """Invalid input raises PatientStateError; no partial assessment exists."""
    with pytest.raises(PatientStateError) as info:
        evaluator.evaluate({"age_years": 500, "symptoms": {"pain_at_rest": "no"}})
    assert set(info.value.field_paths) == {"age_years", "symptoms.pain_at_rest"}


def test_json_is_deterministic_and_round_trips(evaluator: Evaluator) -> None:
    """The same input gives byte-identical JSON, which reads back to an equal assessment."""
    for path in sorted(EXAMPLES.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        first = evaluator.evaluate(text).to_json()
        again = Evaluator().evaluate(text).to_json()
        assert first == again
        assert Assessment.from_json(first).to_json() == first


def test_citations_resolve_to_the_catalogue(evaluator: Evaluator, ruleset: Any) -> None:
    """Every id a fired rule cites is listed with its text and kind."""
    a = evaluator.evaluate(complete_patient())
    cited = {c for d in a.decisions for h in d.hits for c in h.cites}
    assert {c.id for c in a.citations} == cited
    for c in a.citations:
        entry = ruleset.catalogue.get(c.id)
        assert entry is not None and c.text == entry.text and c.kind == entry.kind


def test_red_flag_halts_the_pathway(evaluator: Evaluator) -> None:
    """A red flag gives a referral and withholds running, loading and escalation advice."""
    a = evaluator.evaluate(complete_patient(presentation={"night_pain": True}))
    assert a.decision("presentation").outcome == "refer-medical-review"
    for decision in ("running", "loading", "escalation"):
        assert a.decision(decision).outcome == "withheld"


def test_unique_policy_conflict_is_an_error(edit_rules: Edit) -> None:
    """Two rules that disagree under 'unique' raise RuleConflictError naming both."""

    def make_unique(doc: Any) -> None:
        doc["decision"]["hit_policy"] = "unique"

    rules = load_rules(edit_rules("irritability.yaml", make_unique))
    state = complete_patient(symptoms={"pain_at_rest": True, "pain_on_walking": None})
    with Evaluator(rules) as ev, pytest.raises(RuleConflictError) as info:
        ev.evaluate(state)
    assert info.value.decision_id == "irritability"
    assert set(info.value.rule_ids) == {
        "irritability.irritable",
        "irritability.daily-activities-unknown",
    }


def test_first_policy_tie_between_outcomes_is_an_error(edit_rules: Edit) -> None:
    """Two top-priority rules with different outcomes are a conflict, never a silent pick."""

    def tie(doc: Any) -> None:
        for rule in doc["rules"]:
            if rule["id"] == "irritability.daily-activities-unknown":
                rule["priority"] = 1

    rules = load_rules(edit_rules("irritability.yaml", tie))
    with Evaluator(rules, engine="interpreter") as ev, pytest.raises(RuleConflictError):
        ev.evaluate(complete_patient(symptoms={"pain_at_rest": True, "pain_on_sitting": None}))


def test_a_gap_in_a_users_rules_is_reported_not_guessed(edit_rules: Edit) -> None:
    """If no rule covers a patient, the decision says so and asks for clinician judgement."""

    def drop(doc: Any) -> None:
        doc["rules"] = [r for r in doc["rules"] if r["id"] != "running.less-irritable-restricted"]

    rules = load_rules(edit_rules("running.yaml", drop))
    with Evaluator(rules) as ev:
        a = ev.evaluate(complete_patient())
    assert a.decision("running").outcome == "no-rule-matched"
    assert [(g.decision_id, g.kind) for g in a.guideline_gaps] == [("running", "rule-set-gap")]


@pytest.mark.parametrize(
    "engine", [pytest.param("durable", marks=requires_durable), "interpreter", "auto"]
)
def test_closed_evaluator_refuses_to_run(engine: Any) -> None:
    """After close() the engine is released and evaluation fails cleanly, whatever the engine."""
    ev = Evaluator(engine=engine)
    ev.close()
    with pytest.raises(pht_rules.EvaluationError, match="closed"):
        ev.evaluate(complete_patient())


def test_rules_cite_the_sources_of_their_thresholds(ruleset: Any) -> None:
    """A rule that uses a parameter also cites that parameter's sources."""
    rule = ruleset.rule("loading.progress.to-heavy-load")
    assert "SEC-GOOM-MONITORING" in rule.cites  # source of exercise_pain_target
    assert "ASM-PHASE-GATES" in rule.cites  # source of isometric_min_weeks


def test_defaults_must_satisfy_parameter_constraints(edit_rules: Edit) -> None:
    """Shipped defaults that break a declared constraint fail the load, not a later profile."""

    def clash(doc: Any) -> None:
        for p in doc["parameters"]:
            if p["name"] == "volume_cap_percent":
                p["value"] = 30

    with pytest.raises(pht_rules.RuleFileError, match="volume_cap_percent < volume_spike_percent"):
        load_rules(edit_rules("parameters.yaml", clash))
