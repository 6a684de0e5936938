# SPDX-License-Identifier: MIT
"""The public strategies: valid, efficient, option-checked, threshold-seeking and well shrunk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import pht_rules
from pht_rules import PatientState, Profile, ProfileError
from pht_rules.audit.invariants import RED_FLAG_OUTCOMES, red_flags
from pht_rules.testing import (
    PICTURES,
    boundary_patient_states,
    boundary_values,
    inadequate_trial_patients,
    irritable_patients,
    kit_settings,
    less_irritable_patients,
    loading_phase_patients,
    patient_dicts,
    patient_states,
    profiles,
    recalcitrant_patients,
    red_flag_patients,
)
from pht_rules.testing.strategies import CLEAR_SCREEN

RULES = pht_rules.load_rules()
EV = pht_rules.Evaluator(RULES)
FIXED = settings(max_examples=100, derandomize=True, database=None, deadline=None)


def _leaves(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


# ------------------------------------------------------------------------------------------------
# Options and reprs


def test_reprs_show_how_each_strategy_was_built() -> None:
    """Every public strategy's repr names it and the options it was given."""
    assert repr(patient_states(clear_screen=True)) == (
        "patient_states(clear_screen=True, unknown_weight=0.3)"
    )
    assert repr(boundary_patient_states(profile={"less_irritable_onset_minutes": 45})) == (
        "boundary_patient_states(boundary_weight=0.8, clear_screen=False, "
        "profile={'less_irritable_onset_minutes': 45}, unknown_weight=0.1)"
    )
    assert repr(profiles(min_overrides=1, max_overrides=3)) == (
        "profiles(min_overrides=1, max_overrides=3)"
    )
    assert repr(loading_phase_patients("heavy-load")) == (
        "loading_phase_patients(phase='heavy-load', unknown_weight=0.2)"
    )
    shown = repr(irritable_patients(ruleset=RULES))
    assert shown.startswith(f"irritable_patients(ruleset=<RuleSet pht-core {RULES.version}")


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: patient_states(unknown_weight=1.5), ValueError),
        (lambda: patient_dicts(unknown_weight=-0.1), ValueError),
        (lambda: patient_states(unknown_weight=True), ValueError),
        (lambda: boundary_patient_states(boundary_weight=0), ValueError),
        (lambda: boundary_patient_states(boundary_weight=2), ValueError),
        (lambda: patient_states(profile={"stop_running_days": 99}), ProfileError),
        (lambda: patient_states(ruleset="pht-core"), TypeError),  # type: ignore[arg-type]
        (lambda: profiles(min_overrides=3, max_overrides=2), ValueError),
        (lambda: profiles(min_overrides=99), ValueError),
        (lambda: profiles(min_overrides=-1), ValueError),
        (lambda: loading_phase_patients("phase-4"), ValueError),  # type: ignore[arg-type]
        (lambda: red_flag_patients(profile={"adolescent_age_below": 5}), ProfileError),
        (lambda: less_irritable_patients(unanswered=1.2), ValueError),
    ],
)
def test_impossible_options_are_rejected_at_once(
    make: Callable[[], object], error: type[Exception]
) -> None:
    """An impossible option raises when the strategy is built, not when it is first drawn."""
    with pytest.raises(error):
        make()


# ------------------------------------------------------------------------------------------------
# The whole domain


@kit_settings(0.5)
@given(patient_dicts(unknown_weight=0.3))
def test_dicts_are_valid_json_like_patients(data: dict[str, Any]) -> None:
    """Every drawn dict validates as it is (no filtering: the health checks would say so)."""
    state = PatientState.model_validate(data)
    assert state.model_dump() == data


@FIXED
@given(patient_states(unknown_weight=0.0))
def test_unknown_weight_zero_answers_everything(state: PatientState) -> None:
    """With unknown_weight=0 only answers that the model forbids together are left unknown."""
    unknown = {k for k, v in _leaves(state.model_dump()).items() if v is None}
    allowed = {"symptoms.minutes_into_run_before_pain"}  # no pain when running: no minutes
    if state.loading.current_phase == "not-started":
        allowed |= {"loading.weeks_in_phase", "loading.exercise_pain_nrs"}
        allowed |= {"loading.pain_settled_next_day"}
    assert unknown <= allowed


@FIXED
@given(patient_states(unknown_weight=1.0))
def test_unknown_weight_one_answers_nothing(state: PatientState) -> None:
    """With unknown_weight=1 every field is unknown."""
    assert state == PatientState()


def test_unknown_weight_is_a_probability() -> None:
    """About the requested share of fields is unknown (it used to be about half, whatever set)."""
    seen: list[dict[str, Any]] = []

    @FIXED
    @given(patient_dicts(unknown_weight=0.1))
    def collect(data: dict[str, Any]) -> None:
        seen.append(_leaves(data))

    collect()
    values = [v for d in seen for k, v in d.items() if k.startswith("presentation.")]
    share = sum(v is None for v in values) / len(values)
    assert 0.03 < share < 0.2


@FIXED
@given(patient_states(clear_screen=True, profile={"adolescent_age_below": 21}))
def test_clear_screen_follows_the_adolescent_threshold(state: PatientState) -> None:
    """A clear screen has no red flag, even when a profile raises the adolescent age."""
    assert red_flags(state, 21) == []
    assert state.model_dump()["presentation"] == CLEAR_SCREEN


def test_shrinks_to_a_readable_minimal_patient() -> None:
    """The smallest clear-screen patient allowed to run answers exactly what running needs."""
    minimal = find(
        patient_states(clear_screen=True),
        lambda s: EV.evaluate(s).decision("running").outcome == "restricted",
        settings=settings(max_examples=2000, database=None),
    )
    data = minimal.model_dump(exclude_none=True)
    assert {k: v for k, v in data.items() if v} == {
        "age_years": 18,
        "presentation": CLEAR_SCREEN,
        "symptoms": {
            "pain_at_rest": False,
            "pain_on_walking": False,
            "pain_on_sitting": False,
            "pain_when_running": False,
        },
    }


# ------------------------------------------------------------------------------------------------
# Boundaries


def test_boundary_values_come_from_the_rules_and_the_profile() -> None:
    """Each tested number's boundary values sit at and just below the rules' thresholds."""
    params = RULES.defaults
    values = boundary_values()
    onset = params["less_irritable_onset_minutes"]
    assert {onset - 1, onset} <= set(values["symptoms.minutes_into_run_before_pain"])
    assert {params["adolescent_age_below"] - 1, params["adolescent_age_below"]} <= set(
        values["age_years"]
    )
    assert values["symptoms.minutes_into_run_before_pain"][0] == 0  # the field's minimum too
    moved = boundary_values(profile={"less_irritable_onset_minutes": 45})
    assert {44, 45} <= set(moved["symptoms.minutes_into_run_before_pain"])
    assert onset not in moved["symptoms.minutes_into_run_before_pain"]
    assert "symptoms.pain_at_rest_nrs" not in values  # no rule compares it


def test_boundary_values_follow_a_changed_rule_file(
    edit_rules: Callable[[str, Callable[[Any], None]], Path],
) -> None:
    """Changing a threshold in the rule files moves the boundary the strategy seeks."""

    def change(doc: Any) -> None:
        for p in doc["parameters"]:
            if p["name"] == "adequate_trial_weeks":
                p["value"] = 20

    changed = pht_rules.load_rules(edit_rules("parameters.yaml", change))
    values = boundary_values(ruleset=changed)["loading.weeks_adherent_loading"]
    assert {19, 20} <= set(values)
    assert 12 not in values
    found = find(
        boundary_patient_states(ruleset=changed),
        lambda s: s.loading.weeks_adherent_loading == 19,
        settings=FIXED,
    )
    assert found.loading.weeks_adherent_loading == 19


def test_boundary_strategy_concentrates_on_the_thresholds() -> None:
    """Most known, rule-tested numbers the boundary strategy draws are boundary values."""
    edges = boundary_values(profile={"less_irritable_onset_minutes": 45})
    on_edge: list[bool] = []

    @FIXED
    @given(boundary_patient_states(profile={"less_irritable_onset_minutes": 45}))
    def collect(state: PatientState) -> None:
        flat = _leaves(state.model_dump())
        on_edge.extend(flat[p] in values for p, values in edges.items() if flat[p] is not None)

    collect()
    assert sum(on_edge) / len(on_edge) > 0.6
    found = find(
        boundary_patient_states(profile={"less_irritable_onset_minutes": 45}),
        lambda s: s.symptoms.minutes_into_run_before_pain == 44,
        settings=FIXED,
    )
    assert found.symptoms.minutes_into_run_before_pain == 44


# ------------------------------------------------------------------------------------------------
# Profiles


@kit_settings(0.5)
@given(profiles())
def test_profiles_are_valid(profile: Profile) -> None:
    """Every drawn profile is within every range and keeps every constraint."""
    values = RULES.parameter_values(profile)
    for low, op, high in RULES.constraints:
        assert values[low] < values[high] if op == "<" else values[low] <= values[high]


@FIXED
@given(profiles(min_overrides=2, max_overrides=4))
def test_profiles_override_as_many_parameters_as_asked(profile: Profile) -> None:
    """min_overrides and max_overrides bound the number of overridden parameters."""
    assert 2 <= len(profile.overrides) <= 4


def test_profiles_shrink_to_no_overrides() -> None:
    """The minimal profile is the defaults."""
    assert find(profiles(), lambda p: True).overrides == {}


@FIXED
@given(profiles(min_overrides=1), st.data())
def test_strategies_accept_generated_profiles(profile: Profile, data: st.DataObject) -> None:
    """Patients drawn under a generated profile are valid for it."""
    state = data.draw(boundary_patient_states(profile=profile, clear_screen=True))
    adolescent = RULES.parameter_values(profile)["adolescent_age_below"]
    assert state.age_years is not None and state.age_years >= adolescent


# ------------------------------------------------------------------------------------------------
# Clinical pictures: constraints hold by construction, and the rules agree with them


@kit_settings(0.3)
@given(irritable_patients())
def test_irritable_picture(state: PatientState) -> None:
    """Pain at rest, walking or sitting; the rules call it irritable and stop running."""
    sy = state.symptoms
    assert True in (sy.pain_at_rest, sy.pain_on_walking, sy.pain_on_sitting)
    a = EV.evaluate(state)
    assert a.decision("irritability").outcome == "irritable"
    assert a.decision("running").outcome == "stop"


@kit_settings(0.3)
@given(less_irritable_patients())
def test_less_irritable_picture(state: PatientState) -> None:
    """No daily-activity pain, late or no running pain; the rules call it less irritable."""
    sy = state.symptoms
    assert (sy.pain_at_rest, sy.pain_on_walking, sy.pain_on_sitting) == (False, False, False)
    a = EV.evaluate(state)
    assert a.decision("irritability").outcome == "less-irritable"
    assert a.decision("running").outcome in ("restricted", "graded-return")


@kit_settings(0.3)
@given(red_flag_patients())
def test_red_flag_picture(state: PatientState) -> None:
    """At least one red flag; the rules refer and withhold running advice."""
    assert red_flags(state, RULES.defaults["adolescent_age_below"])
    a = EV.evaluate(state)
    assert a.decision("presentation").outcome in RED_FLAG_OUTCOMES
    assert a.decision("running").outcome == "withheld"


@FIXED
@given(red_flag_patients(profile={"adolescent_age_below": 21}))
def test_red_flag_picture_follows_the_profile(state: PatientState) -> None:
    """Under a profile, the adolescent flag is drawn below the profile's age."""
    assert red_flags(state, 21)


@kit_settings(0.3)
@given(recalcitrant_patients())
def test_recalcitrant_picture(state: PatientState) -> None:
    """An adequate trial without improvement; the rules never say escalation is not indicated."""
    ld = state.loading
    adequate = RULES.defaults["adequate_trial_weeks"]
    assert ld.symptoms_improving is False
    assert ld.programme_completed is True or (
        ld.weeks_adherent_loading is not None and ld.weeks_adherent_loading >= adequate
    )
    outcome = EV.evaluate(state).decision("escalation").outcome
    assert outcome in ("consider-adjuncts", "review-later", "consider-surgical-opinion") or (
        outcome == "undetermined"
    )


@kit_settings(0.3)
@given(inadequate_trial_patients())
def test_inadequate_trial_picture(state: PatientState) -> None:
    """Not improving before an adequate trial; the rules never escalate."""
    ld = state.loading
    assert ld.symptoms_improving is False and ld.programme_completed is False
    assert ld.weeks_adherent_loading is not None
    assert ld.weeks_adherent_loading < RULES.defaults["adequate_trial_weeks"]
    assert EV.evaluate(state).decision("escalation").outcome == "not-indicated"


@FIXED
@given(less_irritable_patients(unanswered=0.5))
def test_unanswered_leaves_defining_answers_unknown(state: PatientState) -> None:
    """With unanswered > 0, defining answers may be unknown, but never contradict the picture."""
    sy = state.symptoms
    assert True not in (sy.pain_at_rest, sy.pain_on_walking, sy.pain_on_sitting)
    a = EV.evaluate(state)
    if None in (sy.pain_at_rest, sy.pain_on_walking, sy.pain_on_sitting):
        assert a.decision("irritability").outcome == "undetermined"


def test_unanswered_reaches_partly_answered_patients() -> None:
    """A partly answered less-irritable patient is found quickly."""
    found = find(
        less_irritable_patients(unanswered=0.3),
        lambda s: s.symptoms.pain_at_rest is None and s.symptoms.pain_on_walking is False,
        settings=FIXED,
    )
    assert found.symptoms.pain_at_rest is None


@pytest.mark.parametrize("phase", ["not-started", "isometric", "heavy-load", "plyometric"])
def test_loading_phase_pictures(phase: str) -> None:
    """Each phase picture is in its phase, and a patient who has not started is told to start."""

    @kit_settings(0.1)
    @given(loading_phase_patients(phase))  # type: ignore[arg-type]
    def check(state: PatientState) -> None:
        assert state.loading.current_phase == phase
        if phase == "not-started":
            assert EV.evaluate(state).decision("loading").outcome == "start"

    check()


def test_every_picture_is_named() -> None:
    """PICTURES names each picture once, and each builds."""
    assert sorted(PICTURES) == sorted(
        [
            "irritable",
            "less-irritable",
            "red-flag",
            "recalcitrant",
            "inadequate-trial",
            "phase-not-started",
            "phase-isometric",
            "phase-heavy-load",
            "phase-plyometric",
        ]
    )
    for make in PICTURES.values():
        assert repr(make())
