# SPDX-License-Identifier: MIT
"""Differential checks: the durable-rules engine and the reference interpreter agree.

On generated patients (under generated profiles too), and exhaustively over the rule set's exact
finite domain (:class:`pht_rules.audit.abstraction.Abstraction`); and the check reports a disagreement when
there is one.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import pht_rules
from pht_rules import Assessment, PatientState, Profile
from pht_rules.testing import (
    assessment_differences,
    boundary_patient_states,
    default_states,
    engine_differences,
    exhaustive_differential,
    kit_settings,
    patient_states,
    profiles,
)

RULES = pht_rules.load_rules()


@kit_settings(1.0)
@given(st.one_of(default_states(), patient_states(unknown_weight=0.0, clear_screen=True)))
def test_engines_agree_on_generated_patients(state: PatientState) -> None:
    """durable-rules and the reference interpreter give identical assessments."""
    assert engine_differences(state) == []


@kit_settings(0.3)
@given(profiles(min_overrides=1), st.data())
def test_engines_agree_under_generated_profiles(profile: Profile, data: st.DataObject) -> None:
    """The engines agree whatever the thresholds, for patients at those thresholds."""
    state = data.draw(
        st.one_of(
            boundary_patient_states(profile=profile, unknown_weight=0.05, clear_screen=True),
            patient_states(profile=profile),
        )
    )
    assert engine_differences(state, profile=profile) == []


def test_engines_agree_on_the_whole_abstract_domain() -> None:
    """Exhaustively: one patient per combination of the regions and values the rules
    distinguish, every decision's domain, both engines, identical assessments."""
    report = exhaustive_differential()
    assert report.ok, [m.differences for m in report.mismatches]
    assert set(report.by_decision) == {d.id for d in RULES.decisions}
    assert all(n > 0 for n in report.by_decision.values())
    assert report.states_checked > 10_000  # 35,842 valid patients for pht-core 1.0.0


def test_the_differential_check_reports_a_disagreement() -> None:
    """A candidate that differs from the reference on some patients is caught, with examples."""
    engine = pht_rules.Evaluator(RULES)

    def wrong_on_night_pain(state: PatientState) -> Assessment:
        a = engine.evaluate(state)
        if state.presentation.night_pain:
            return engine.evaluate(state.model_copy(update={"age_years": 30}))
        return a

    report = exhaustive_differential(
        candidate=wrong_on_night_pain, decisions=["presentation"], keep=3
    )
    assert not report.ok
    assert report.mismatch_count >= 1
    assert len(report.mismatches) <= 3
    first = report.mismatches[0]
    assert first.state.presentation.night_pain is True
    assert first.differences
    assert set(report.by_decision) == {"presentation"}


def test_assessment_differences_name_what_differs() -> None:
    """Differences are reported per decision, in words."""
    a = pht_rules.evaluate({"symptoms": {"pain_at_rest": True}})
    b = pht_rules.evaluate({"symptoms": {"pain_at_rest": False, "pain_on_walking": True}})
    assert assessment_differences(a, a) == []
    diffs = assessment_differences(a, b)
    assert any(d.startswith("irritability: same rules, different details") for d in diffs)
