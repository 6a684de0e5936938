# SPDX-License-Identifier: MIT
"""The invariant catalogue: documented, holding for the shipped rules under any profile, and
readable from outcomes alone (as an app shows them)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import pht_rules
from pht_rules import PatientState, Profile
from pht_rules.audit.invariants import Advice
from pht_rules.testing import (
    INVARIANTS,
    boundary_patient_states,
    check_invariants,
    inadequate_trial_patients,
    irritable_patients,
    kit_settings,
    less_irritable_patients,
    profiles,
    recalcitrant_patients,
    red_flag_patients,
)
from pht_rules.testing.strategies import CLEAR_SCREEN

RULES = pht_rules.load_rules()
PARAMS = RULES.defaults
CLEAR = CLEAR_SCREEN  # a typical presentation with a clear red-flag screen


def test_every_invariant_is_named_described_and_cites_the_catalogue() -> None:
    """Ids are unique and upper-case; each has a title, a description and real citations."""
    ids = [inv.id for inv in INVARIANTS]
    assert len(ids) == len(set(ids)) >= 8
    for inv in INVARIANTS:
        assert inv.id.startswith("INV-") and inv.id == inv.id.upper()
        assert inv.title and inv.description.endswith(".")
        assert all(c in RULES.catalogue for c in inv.protects), inv.id


@kit_settings(0.5)
@given(profiles(), st.data())
def test_invariants_hold_under_any_profile(profile: Profile, data: st.DataObject) -> None:
    """Thresholds move, the invariants (which read them from the assessment) still hold."""
    state = data.draw(
        st.one_of(
            boundary_patient_states(profile=profile, unknown_weight=0.05, clear_screen=True),
            boundary_patient_states(profile=profile),
            irritable_patients(profile=profile),
            less_irritable_patients(profile=profile, unanswered=0.2),
            red_flag_patients(profile=profile),
            recalcitrant_patients(profile=profile, unanswered=0.2),
            inadequate_trial_patients(profile=profile),
        )
    )
    assessment = pht_rules.evaluate(state, profile)
    assert check_invariants(state, assessment) == []


@kit_settings(0.3)
@given(red_flag_patients())
def test_outcomes_alone_are_enough_for_the_red_flag_invariant(state: PatientState) -> None:
    """An app that shows the rules' outcomes passes; one that hides the referral does not."""
    a = pht_rules.evaluate(state)
    shown = {d.decision_id: d.outcome for d in a.decisions}
    assert check_invariants(state, Advice.from_outcomes(shown, PARAMS)) == []
    hidden = {k: v for k, v in shown.items() if k != "presentation"}
    found = check_invariants(state, Advice.from_outcomes(hidden, PARAMS))
    assert [(v.invariant_id, v.decision_id) for v in found] == [
        ("INV-RED-FLAG-HALTS", "presentation")
    ]


def test_outcome_level_checks_of_each_invariant() -> None:
    """Each invariant that can be judged from outcomes flags the unsafe outcome it is about."""
    irritable = PatientState.model_validate(
        {
            "age_years": 40,
            "presentation": CLEAR,
            "symptoms": {"pain_on_walking": True},
            "loading": {"current_phase": "heavy-load", "exercise_pain_nrs": 7},
        }
    )
    shown = Advice.from_outcomes(
        {"presentation": "consistent", "running": "restricted", "loading": "continue"}, PARAMS
    )
    ids = {v.invariant_id for v in check_invariants(irritable, shown)}
    assert ids == {"INV-IRRITABLE-NO-RUNNING", "INV-UNKNOWN-NOT-NO", "INV-LOADING-RESPECTS-PAIN"}

    early = PatientState.model_validate(
        {"loading": {"weeks_adherent_loading": 3, "symptoms_improving": False}}
    )
    escalated = Advice.from_outcomes({"escalation": "consider-adjuncts"}, PARAMS)
    assert [v.invariant_id for v in check_invariants(early, escalated)] == [
        "INV-NO-EARLY-ESCALATION"
    ]

    skipping = Advice.from_outcomes({"loading": "progress"}, PARAMS)
    not_started = PatientState.model_validate({"loading": {"current_phase": "not-started"}})
    assert "INV-NO-PHASE-SKIP" in {v.invariant_id for v in check_invariants(not_started, skipping)}

    hills = Advice.from_outcomes({"running": "graded-return"}, PARAMS)
    too_soon = PatientState.model_validate(
        {
            "loading": {"current_phase": "heavy-load"},
            "training": {"weeks_continuous_flat_running": 0},
        }
    )
    assert "INV-HILLS-AFTER-PLYOMETRICS" in {
        v.invariant_id for v in check_invariants(too_soon, hills)
    }


def test_an_assessment_with_everything_is_checked_in_full() -> None:
    """From an assessment, the evidence and citation checks run too (and hold)."""
    state = PatientState.model_validate({"symptoms": {"pain_at_rest": True}})
    a = pht_rules.evaluate(state)
    advice = Advice.from_assessment(a)
    assert advice.assessment is a and advice.recommended_phases() == frozenset()
    assert all(inv.holds(state, a) for inv in INVARIANTS)
    assert check_invariants(state, a, invariants=INVARIANTS[:1]) == []
