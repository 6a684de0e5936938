# SPDX-License-Identifier: MIT
"""Plausibility: cross-field contradictions are rejected naming every field involved, and answers
that follow from others are derived and shown as derived."""

from __future__ import annotations

from typing import Any

import pytest

import pht_rules
from pht_rules import PatientStateError, RuleSet
from pht_rules.patient.plausibility import MIN_WEEKS_TO_COMPLETE, derivations
from tests.helpers import complete_patient


def _problems(state: dict[str, Any]) -> list[str]:
    with pytest.raises(PatientStateError) as info:
        pht_rules.evaluate(state)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            {"age_years": 5, "symptom_duration_weeks": 1040},
            "symptom_duration_weeks: is 1040 weeks (about 20 years), longer than the patient has "
            "lived (age_years 5)",
        ),
        (
            {
                "symptom_duration_weeks": 2,
                "loading": {"current_phase": "isometric", "weeks_in_phase": 104},
            },
            "loading.weeks_in_phase: is 104 weeks, longer than symptom_duration_weeks (2)",
        ),
        (
            {"symptom_duration_weeks": 2, "loading": {"weeks_adherent_loading": 3}},
            "loading.weeks_adherent_loading: is 3 weeks, longer than symptom_duration_weeks (2)",
        ),
        (
            {
                "loading": {
                    "current_phase": "plyometric",
                    "programme_completed": True,
                    "weeks_adherent_loading": 0,
                }
            },
            "loading.weeks_adherent_loading: is 0 but loading.programme_completed is true: "
            "completing the three phases takes at least 2 adherent weeks under any profile",
        ),
        (
            {"symptoms": {"pain_at_rest": False, "pain_at_rest_nrs": 9}},
            "symptoms.pain_at_rest_nrs: is 9 but symptoms.pain_at_rest is false",
        ),
    ],
    ids=[
        "duration-beyond-age",
        "phase-beyond-duration",
        "adherent-beyond-duration",
        "completed-too-fast",
        "score-while-no",
    ],
)
def test_contradictions_name_every_field(state: dict[str, Any], expected: str) -> None:
    """Each implausible state of the issue is one error naming all the fields involved."""
    assert _problems(state) == [expected]


def test_plausible_neighbours_are_accepted() -> None:
    """The edges of each check are accepted: a lifetime of symptoms, phase weeks equal to the
    duration, a programme completed in exactly the fastest time."""
    pht_rules.evaluate({"age_years": 5, "symptom_duration_weeks": 313})
    pht_rules.evaluate(
        {
            "symptom_duration_weeks": 4,
            "loading": {"current_phase": "isometric", "weeks_in_phase": 4},
        }
    )
    pht_rules.evaluate(
        {
            "loading": {
                "current_phase": "plyometric",
                "programme_completed": True,
                "weeks_adherent_loading": MIN_WEEKS_TO_COMPLETE,
            }
        }
    )


def test_the_fastest_completion_follows_the_parameter_ranges(ruleset: RuleSet) -> None:
    """MIN_WEEKS_TO_COMPLETE is the fastest path any profile allows: the smallest isometric and
    heavy-load minimums, plus one week of the last phase."""
    ranges = {p.name: p.minimum for p in ruleset.parameters}
    assert (
        ranges["isometric_min_weeks"] + ranges["heavy_load_min_weeks"] + 1 == MIN_WEEKS_TO_COMPLETE
    )


def test_rest_pain_score_means_pain_at_rest_shown_as_derived() -> None:
    """Rest pain 9/10 with pain_at_rest unknown: irritable, the question is not asked, and the
    evidence says the answer was derived from the score."""
    state = complete_patient(symptoms={"pain_at_rest": None, "pain_at_rest_nrs": 9})
    assessment = pht_rules.evaluate(state)
    assert assessment.decision("irritability").outcome == "irritable"
    assert "symptoms.pain_at_rest" not in {n.field for n in assessment.needs_information}
    evidence = [e for h in assessment.decision("irritability").hits for e in h.evidence]
    rest = [e for e in evidence if e.field == "symptoms.pain_at_rest"]
    assert rest and rest[0].value is True
    assert rest[0].test.endswith("derived: rest pain scored 9/10")
    # The same patient with the answer given is not marked as derived.
    given = pht_rules.evaluate(
        complete_patient(symptoms={"pain_at_rest": True, "pain_at_rest_nrs": 9})
    )
    assert all(
        "derived" not in e.test for h in given.decision("irritability").hits for e in h.evidence
    )


def test_derivations() -> None:
    """A positive rest score means rest pain; a zero score is never read as "no"; nothing is
    derived over an answer given."""
    state = pht_rules.parse_state({"symptoms": {"pain_at_rest_nrs": 2}})
    found = {d.field: (d.value, d.source) for d in derivations(state)}
    assert found == {"symptoms.pain_at_rest": (True, "symptoms.pain_at_rest_nrs")}
    assert derivations(pht_rules.parse_state({"symptoms": {"pain_at_rest_nrs": 0}})) == ()
    answered = pht_rules.parse_state({"symptoms": {"pain_at_rest": True, "pain_at_rest_nrs": 4}})
    assert derivations(answered) == ()
