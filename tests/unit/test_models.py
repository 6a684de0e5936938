# SPDX-License-Identifier: MIT
"""The patient-state model: strict types, ranges, unknowns and contradictions."""

from __future__ import annotations

import json

import pytest

from pht_rules import PatientState, PatientStateError, parse_state
from tests.helpers import complete_patient


def test_empty_state_is_all_unknown() -> None:
    """An empty object is valid and every answer in it is unknown (None)."""
    state = parse_state({})
    assert state.age_years is None
    assert state.symptoms.pain_at_rest is None
    assert state.loading.current_phase is None


def test_every_offending_field_is_listed() -> None:
    """One error names every invalid field with its path; nothing is returned."""
    bad = complete_patient(
        age_years=-1,
        symptoms={"pain_at_rest": "yes", "pain_during_activity_nrs": 11},
        loading={"current_phase": "phase-9"},
        extra_field=1,
    )
    with pytest.raises(PatientStateError) as info:
        parse_state(bad)
    paths = set(info.value.field_paths)
    assert paths == {
        "age_years",
        "symptoms.pain_at_rest",
        "symptoms.pain_during_activity_nrs",
        "loading.current_phase",
        "extra_field",
    }
    assert "unknown field" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_strict_types_reject_coercion() -> None:
    """Strings are not numbers, numbers are not booleans, and a fraction is not a whole number."""
    for bad in ({"age_years": "35"}, {"symptoms": {"pain_at_rest": 1}}, {"age_years": 35.5}):
        with pytest.raises(PatientStateError):
            parse_state(bad)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"symptoms": {"pain_at_rest": False, "pain_at_rest_nrs": 4}}, "symptoms.pain_at_rest_nrs"),
        ({"symptoms": {"pain_at_rest": True, "pain_at_rest_nrs": 0}}, "symptoms.pain_at_rest_nrs"),
        (
            {"symptoms": {"pain_when_running": False, "minutes_into_run_before_pain": 20}},
            "symptoms.minutes_into_run_before_pain",
        ),
        (
            {"loading": {"current_phase": "not-started", "weeks_in_phase": 2}},
            "loading.weeks_in_phase",
        ),
        (
            {"loading": {"current_phase": "heavy-load", "programme_completed": True}},
            "loading.programme_completed",
        ),
        (
            {"symptom_duration_weeks": 4, "loading": {"weeks_adherent_loading": 10}},
            "loading.weeks_adherent_loading",
        ),
    ],
)
def test_contradictions_are_rejected_with_their_field(
    changes: dict[str, object], path: str
) -> None:
    """Answers that contradict each other are an error naming the field at fault."""
    with pytest.raises(PatientStateError) as info:
        parse_state(complete_patient(**changes))
    assert path in info.value.field_paths


def test_several_contradictions_are_all_reported() -> None:
    """Every contradiction appears, each with its own path."""
    bad = complete_patient(
        symptoms={"pain_at_rest": False, "pain_at_rest_nrs": 3},
        loading={"current_phase": "not-started", "weeks_in_phase": 1, "exercise_pain_nrs": 2},
    )
    with pytest.raises(PatientStateError) as info:
        parse_state(bad)
    assert set(info.value.field_paths) >= {
        "symptoms.pain_at_rest_nrs",
        "loading.weeks_in_phase",
        "loading.exercise_pain_nrs",
    }


def test_json_text_and_mapping_give_the_same_state() -> None:
    """JSON text, a mapping and a model all parse to equal states."""
    data = complete_patient()
    from_text = parse_state(json.dumps(data))
    assert from_text == parse_state(data) == parse_state(from_text)


def test_invalid_json_is_a_state_error() -> None:
    """Malformed JSON is reported as invalid input, not a crash."""
    with pytest.raises(PatientStateError, match="not valid JSON"):
        parse_state("{not json")


def test_non_object_input_is_rejected() -> None:
    """A list is not a patient state."""
    with pytest.raises(PatientStateError, match="expected a JSON object"):
        parse_state([1, 2])  # type: ignore[arg-type]


def test_model_is_immutable() -> None:
    """States are frozen, so an assessment cannot drift from its input."""
    state = parse_state(complete_patient())
    with pytest.raises(ValueError):
        state.age_years = 50  # type: ignore[misc]


def test_json_round_trip() -> None:
    """A state survives JSON serialisation unchanged."""
    state = parse_state(complete_patient())
    assert PatientState.model_validate_json(state.model_dump_json()) == state


def test_schema_documents_units_and_questions() -> None:
    """The JSON Schema carries each field's unit, range and the question that fills it."""
    schema = PatientState.model_json_schema()
    nrs = schema["$defs"]["Symptoms"]["properties"]["pain_at_rest_nrs"]
    assert nrs["unit"] == "NRS 0-10"
    assert "question" in nrs
    assert "null: unknown" in nrs["description"]


def test_integral_floats_are_integers() -> None:
    """JSON has one number type and the schema says integer: 5.0 and 72e0 are 5 and 72, from
    JSON text and from Python values alike; booleans stay booleans."""
    text = '{"age_years": 72e0, "symptom_duration_weeks": 5.0}'
    for data in (text, text.encode(), {"age_years": 72.0, "symptom_duration_weeks": 5.0}):
        state = parse_state(data)
        assert (state.age_years, state.symptom_duration_weeks) == (72, 5)
        assert type(state.age_years) is int
    with pytest.raises(PatientStateError):
        parse_state({"symptoms": {"pain_at_rest": 1.0}})
