# SPDX-License-Identifier: MIT
"""Episodes in FHIR: a Bundle of dated responses becomes an Episode; the plan a valid CarePlan."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pht_rules.episodes import evaluate_episode, parse_episode
from pht_rules.fhir import FhirInputError, validate_resource
from pht_rules.fhir.episode import bundle_to_episode, episode_to_bundle, plan_to_care_plan

from .conftest import TODAY


def _bundle(examples: dict[str, str], name: str) -> dict[str, Any]:
    return episode_to_bundle(parse_episode(examples[name], today=TODAY), subject="Patient/ex")


@pytest.mark.parametrize(
    "name", ["smooth-course", "flare-up-and-regression", "recalcitrant-course", "irritable-runner"]
)
def test_bundle_round_trip(examples: dict[str, str], name: str) -> None:
    """Each example as a Bundle of QuestionnaireResponses reads back to the same visits."""
    bundle = _bundle(examples, name)
    validate_resource(bundle, "Bundle")
    back = bundle_to_episode(bundle, today=TODAY)
    original = parse_episode(examples[name], today=TODAY)
    assert [v.facts() for v in back.all_visits] == [v.facts() for v in original.all_visits]


def test_responses_are_ordered_by_authored(examples: dict[str, str]) -> None:
    """Entries in any order become visits in date order."""
    bundle = _bundle(examples, "smooth-course")
    bundle["entry"].reverse()
    back = bundle_to_episode(bundle, today=TODAY)
    assert back.baseline.date.isoformat() == "2026-03-02"
    assert [v.date.isoformat() for v in back.visits][-1] == "2026-05-04"


def test_missing_authored_names_the_entry(examples: dict[str, str]) -> None:
    """A response without a date cannot be placed in the episode."""
    bundle = _bundle(examples, "smooth-course")
    del bundle["entry"][2]["resource"]["authored"]
    with pytest.raises(FhirInputError) as info:
        bundle_to_episode(bundle, today=TODAY)
    assert [p.expression for p in info.value.problems] == ["Bundle.entry[2].resource.authored"]


def test_bad_answer_names_entry_and_link_id(examples: dict[str, str]) -> None:
    """A response the intake reader rejects names its entry and the linkId."""
    bundle = _bundle(examples, "smooth-course")
    resource = bundle["entry"][1]["resource"]
    resource["item"].append({"linkId": "no.such.item", "answer": [{"valueInteger": 1}]})
    with pytest.raises(FhirInputError) as info:
        bundle_to_episode(bundle, today=TODAY)
    assert info.value.link_ids == ("no.such.item",)
    assert info.value.problems[0].expression.startswith("Bundle.entry[1].resource")  # type: ignore[union-attr]


def test_no_responses() -> None:
    """A Bundle without responses is not an episode."""
    with pytest.raises(FhirInputError):
        bundle_to_episode({"resourceType": "Bundle", "type": "collection", "entry": []})


@pytest.mark.parametrize(
    "name", ["smooth-course", "flare-up-and-regression", "recalcitrant-course", "irritable-runner"]
)
def test_care_plan_is_valid_r4(examples: dict[str, str], name: str) -> None:
    """The plan exports as a CarePlan that validates, one activity per loading phase, each with a
    detail and no reference (cpl-3)."""
    result = evaluate_episode(examples[name], today=TODAY)
    care_plan = plan_to_care_plan(result, subject="Patient/ex")
    validate_resource(care_plan, "CarePlan")
    activities = care_plan["activity"]
    assert all("detail" in a and "reference" not in a for a in activities)
    phases = [a["detail"]["code"]["text"] for a in activities[:3]]
    assert phases == [
        "Loading phase 1 of 3: isometric",
        "Loading phase 2 of 3: heavy-load",
        "Loading phase 3 of 3: plyometric",
    ]
    statuses = [a["detail"]["status"] for a in activities[:3]]
    current = ["isometric", "heavy-load", "plyometric"].index(result.plan.phase or "isometric")
    assert statuses[current] == "in-progress"
    assert all(s == "completed" for s in statuses[:current])
    assert all(s == "not-started" for s in statuses[current + 1 :])


def test_care_plan_for_recalcitrant_course_lists_escalation(examples: dict[str, str]) -> None:
    """Adjuncts under consideration appear as their own activity."""
    result = evaluate_episode(examples["recalcitrant-course"], today=TODAY)
    codes = [a["detail"]["code"]["text"] for a in plan_to_care_plan(result)["activity"]]
    assert "Escalation: consider-adjuncts" in codes


def test_invalid_care_plan_is_caught() -> None:
    """The validation the export relies on rejects a CarePlan missing its status."""
    care_plan = {"resourceType": "CarePlan", "intent": "plan", "subject": {"display": "x"}}
    with pytest.raises(FhirInputError):
        validate_resource(copy.deepcopy(care_plan), "CarePlan")
