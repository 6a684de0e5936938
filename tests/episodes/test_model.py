# SPDX-License-Identifier: MIT
"""The episode model: strict, immutable, and errors that name the visit and the field."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

import pht_rules
from pht_rules.episodes import Episode, EpisodeError, episode_json_schema, parse_episode

from .conftest import TODAY, episode, state, visit


def _error(data: object) -> EpisodeError:
    with pytest.raises(EpisodeError) as info:
        parse_episode(data, today=TODAY)  # type: ignore[arg-type]
    return info.value


def test_examples_parse(examples: dict[str, str]) -> None:
    """Every example episode is valid."""
    assert len(examples) == 4
    for text in examples.values():
        assert parse_episode(text, today=TODAY).visits


def test_error_is_in_the_library_error_tree() -> None:
    """An invalid episode raises a PhtRulesError that is also a ValueError."""
    err = _error({"visits": []})
    assert isinstance(err, pht_rules.PhtRulesError)
    assert isinstance(err, ValueError)
    assert err.field_paths == ("baseline",)


def test_visits_out_of_order_name_the_visit_and_date() -> None:
    """A visit dated before the one listed before it is an error on that visit's date."""
    data = episode(visit("2026-02-02", state("isometric")), visit("2026-01-26", state("isometric")))
    err = _error(data)
    assert err.field_paths == ("visits[1].date",)
    assert err.problems[0].visit == "visit 2 (2026-01-26)"
    assert "before the previous visit" in str(err)


def test_same_date_different_facts_name_each_field() -> None:
    """Two visits on one date that disagree are an error naming each differing field."""
    data = episode(
        visit("2026-02-02", state("isometric", exercise=2)),
        visit("2026-02-02", state("isometric", exercise=4), done=5),
    )
    err = _error(data)
    assert set(err.field_paths) == {
        "visits[1].sessions_completed",
        "visits[1].state.loading.exercise_pain_nrs",
    }


def test_same_date_same_facts_collapse() -> None:
    """A visit recorded twice with the same facts counts once."""
    v = visit("2026-02-02", state("isometric"))
    model = parse_episode(episode(v, dict(v, label="copy")), today=TODAY)
    assert len(model.visits) == 2
    assert len(model.all_visits) == 2  # baseline + one follow-up


def test_future_date_is_an_error() -> None:
    """A visit after 'today' is an error on its date."""
    data = episode(visit("2026-02-02", state("isometric")))
    with pytest.raises(EpisodeError) as info:
        parse_episode(data, today=date(2026, 1, 31))
    assert info.value.field_paths == ("visits[0].date",)
    assert "in the future" in str(info.value)


def test_baseline_cannot_report_time_before_it() -> None:
    """Sessions or running 'since the previous visit' make no sense at baseline."""
    data = episode()
    data["baseline"]["sessions_prescribed"] = 3
    assert _error(data).field_paths == ("baseline.sessions_prescribed",)


def test_treatment_given_but_not_tried() -> None:
    """A treatment listed as given while the state says not tried is a contradiction."""
    data = episode(visit("2026-02-02", state("isometric"), treatments_given=["injection"]))
    assert _error(data).field_paths == ("visits[0].state.treatments.injection",)


def test_patient_state_problems_carry_the_visit_path() -> None:
    """The patient model's own checks are reported at their place in the episode."""
    bad = state("isometric", activity=12)
    err = _error(episode(visit("2026-02-02", bad)))
    assert err.field_paths == ("visits[0].state.symptoms.pain_during_activity_nrs",)
    contradiction = state("not-started", weeks_in_phase=2)
    err = _error(episode(visit("2026-02-02", contradiction)))
    assert err.field_paths == ("visits[0].state.loading.weeks_in_phase",)


def test_strict_types_and_unknown_fields() -> None:
    """Numbers must be numbers and unknown keys are rejected."""
    data = episode(visit("2026-02-02", state("isometric"), done="6"))
    assert _error(data).field_paths == ("visits[0].sessions_completed",)
    data = episode(visit("2026-02-02", state("isometric"), mood="fine"))
    err = _error(data)
    assert err.field_paths == ("visits[0].mood",)
    assert "unknown field" in str(err)


def test_unknown_stays_unknown() -> None:
    """A visit that does not say how many sessions were done keeps them unknown."""
    model = parse_episode(
        episode(visit("2026-02-02", state("isometric"), done=None, of=None)), today=TODAY
    )
    assert model.visits[0].sessions_completed is None


def test_immutable() -> None:
    """Episodes are frozen."""
    model = parse_episode(episode(), today=TODAY)
    with pytest.raises(ValidationError):
        model.baseline.date = date(2026, 1, 1)  # type: ignore[misc]


def test_json_text_and_schema() -> None:
    """JSON text parses like a mapping; the schema describes visits and their fields."""
    data = episode(visit("2026-02-02", state("isometric")))
    assert parse_episode(json.dumps(data), today=TODAY) == parse_episode(data, today=TODAY)
    schema = episode_json_schema()
    assert {"baseline", "visits"} <= set(schema["properties"])
    visit_schema = schema["$defs"]["Visit"]["properties"]
    assert {"sessions_prescribed", "sessions_completed", "running_done"} <= set(visit_schema)
    assert Episode.model_json_schema() == schema


def test_not_an_object() -> None:
    """A JSON array is not an episode."""
    assert _error([1, 2]).field_paths == ("",)
