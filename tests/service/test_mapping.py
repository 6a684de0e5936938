# SPDX-License-Identifier: MIT
"""QuestionnaireResponse / Observation <-> PatientState: round trips and errors naming linkIds."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import pht_rules
from pht_rules.fhir import (
    FhirInputError,
    latest_response,
    observations_to_state,
    response_to_state,
    state_to_response,
    validate_resource,
)
from pht_rules.fhir.cli import main as fhir_main
from pht_rules.fhir.codes import ITEMS_SYSTEM, UCUM, UNKNOWN

from .conftest import EXAMPLES, FHIR_EXAMPLES, example, example_state

MARATHONER = example("less-irritable-marathoner")


def _response(path: Path = MARATHONER, **kwargs: Any) -> dict[str, Any]:
    return state_to_response(example_state(path), response_id="qr-1", **kwargs)


def _find(response: dict[str, Any], link_id: str) -> dict[str, Any]:
    def walk(items: list[dict[str, Any]]) -> dict[str, Any] | None:
        for item in items:
            if item["linkId"] == link_id:
                return item
            found = walk(item.get("item", []))
            if found:
                return found
        return None

    found = walk(response["item"])
    assert found is not None, link_id
    return found


def _errors(response: Any, **kwargs: Any) -> FhirInputError:
    with pytest.raises(FhirInputError) as info:
        response_to_state(response, **kwargs)
    return info.value


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("explicit_unknown", [False, True])
def test_round_trip_each_example(path: Path, explicit_unknown: bool) -> None:
    """state -> QuestionnaireResponse (valid FHIR) -> the same state."""
    state = example_state(path)
    response = state_to_response(
        state,
        response_id="r",
        subject="Patient/1",
        authored="2026-03-02T09:30:00Z",
        explicit_unknown=explicit_unknown,
    )
    validate_resource(response, "QuestionnaireResponse")
    assert response_to_state(response) == state


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_shipped_fhir_examples_match_the_example_patients(path: Path) -> None:
    """examples/fhir/questionnaire-response-*.json are valid and read back to examples/*.json."""
    fhir = FHIR_EXAMPLES / f"questionnaire-response-{path.stem}.json"
    assert fhir.is_file(), (
        f"make it: python -m pht_rules.fhir to-response {path.relative_to(path.parents[1])} "
        f"--id qr-{path.stem} --subject Patient/example-{path.stem} "
        f"--authored 2026-03-02T09:30:00Z > {fhir.relative_to(path.parents[1])}"
    )
    data = json.loads(fhir.read_text())
    validate_resource(data, "QuestionnaireResponse")
    assert response_to_state(data) == example_state(path)


def test_dont_know_and_unanswered_are_unknown() -> None:
    """The Don't know answer and an item without answer both read as None."""
    response = _response()
    _find(response, "presentation.night_pain")["answer"] = [{"valueCoding": dict(UNKNOWN)}]
    _find(response, "loading.current_phase")["answer"] = [{"valueCoding": dict(UNKNOWN)}]
    _find(response, "age_years").pop("answer")
    state = response_to_state(response)
    assert state.presentation.night_pain is None
    assert state.loading.current_phase is None
    assert state.age_years is None


@pytest.mark.parametrize(
    ("link_id", "answer", "words"),
    [
        ("presentation.night_pain", {"valueBoolean": True}, "expected valueCoding"),
        (
            "presentation.onset",
            {"valueCoding": {"system": ITEMS_SYSTEM, "code": "x"}},
            "not an answer option",
        ),
        ("presentation.night_pain", {"valueCoding": {"code": "Y"}}, "not an answer option"),
        ("age_years", {"valueInteger": 200}, "less than or equal to 120"),
        ("age_years", {"valueDecimal": 41.0}, "expected valueInteger"),
        ("age_years", {"valueInteger": True}, "whole number"),
        ("age_years", {}, "exactly one value[x]"),
    ],
)
def test_a_bad_answer_names_its_link_id(link_id: str, answer: dict[str, Any], words: str) -> None:
    """Wrong type, unknown code or out of range: the problem names the item's linkId."""
    response = _response()
    _find(response, link_id)["answer"] = [answer]
    err = _errors(response)
    assert err.link_ids == (link_id,)
    assert words in str(err)
    assert f"linkId='{link_id}'" in (err.problems[0].expression or "")


def test_contradictions_name_the_item_to_fix() -> None:
    """A contradiction between answers names the dependent item's linkId."""
    response = _response()
    _find(response, "symptoms.pain_when_running")["answer"] = [
        {"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "N"}}
    ]
    err = _errors(response)
    assert err.link_ids == ("symptoms.minutes_into_run_before_pain",)
    assert "pain_when_running is false" in str(err)


def test_every_problem_is_reported_at_once() -> None:
    """Several faults: all are listed, each with its linkId."""
    response = _response()
    _find(response, "presentation.onset")["answer"] = [{"valueString": "sudden"}]
    _find(response, "loading.weeks_in_phase")["answer"] = [{"valueInteger": 1}, {"valueInteger": 2}]
    response["item"].append({"linkId": "notes", "answer": [{"valueString": "x"}]})
    err = _errors(response)
    assert set(err.link_ids) == {"presentation.onset", "loading.weeks_in_phase", "notes"}


def test_structure_problems() -> None:
    """Duplicates, answers on groups and nested items are refused with the linkId."""
    response = _response()
    response["item"].append(copy.deepcopy(_find(response, "age_years")))
    assert _errors(response).link_ids == ("age_years",)
    response = _response()
    response["item"].append({"linkId": "symptoms", "answer": [{"valueInteger": 1}]})
    assert _errors(response).link_ids == ("symptoms",)


def test_grouped_responses_to_version_1_0_0_still_read() -> None:
    """Questionnaire 1.0.0 grouped the items by model section; such responses read the same."""
    response = _response()
    grouped: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for item in response["item"]:
        group, _, _leaf = item["linkId"].rpartition(".")
        if not group:
            grouped.append(item)
            continue
        if group not in groups:
            groups[group] = {"linkId": group, "item": []}
            grouped.append(groups[group])
        groups[group]["item"].append(item)
    old = dict(response, item=grouped)
    old["questionnaire"] = old["questionnaire"].replace("|1.1.0", "|1.0.0")
    assert groups
    assert response_to_state(old) == response_to_state(response)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"status": "in-progress"}, "only a completed"),
        ({"questionnaire": "http://other.example/Questionnaire/x"}, "not https://"),
        ({"questionnaire": "https://pht-rules.example/fhir/Questionnaire/pht-intake|9"}, "version"),
        ({"questionnaire": None}, "questionnaire is missing"),
        ({"resourceType": "Observation"}, "expected a QuestionnaireResponse"),
    ],
)
def test_header_problems(change: dict[str, Any], words: str) -> None:
    """Status, questionnaire canonical and resource type are checked."""
    response = _response()
    for key, value in change.items():
        if value is None:
            response.pop(key)
        else:
            response[key] = value
    assert words in str(_errors(response))


def test_amended_and_unversioned_canonical_are_accepted() -> None:
    """'amended' counts as completed; a canonical without |version is the current version."""
    response = _response()
    response["status"] = "amended"
    response["questionnaire"] = "https://pht-rules.example/fhir/Questionnaire/pht-intake"
    assert response_to_state(response) == example_state(example("less-irritable-marathoner"))


def test_fhir_validation_names_the_link_id() -> None:
    """fhir.resources' structural errors point at the element and the item's linkId."""
    response = _response()
    _find(response, "age_years")["answer"] = [{"valueInteger": "forty"}]
    with pytest.raises(FhirInputError) as info:
        validate_resource(response, "QuestionnaireResponse")
    problem = info.value.problems[0]
    assert problem.link_id == "age_years"
    assert problem.expression == "QuestionnaireResponse.item[0].answer[0].valueInteger"


def test_latest_response_picks_the_latest_completed() -> None:
    """Among several responses: the latest completed one to this questionnaire."""
    old = _response(authored="2026-01-01T00:00:00Z")
    new = _response(authored="2026-02-01T00:00:00+01:00")
    draft = {**_response(authored="2026-03-01"), "status": "in-progress"}
    other = {**_response(authored="2026-04-01"), "questionnaire": "http://x.example/Q"}
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in (old, draft, new, other)]
        + [{"resource": {"resourceType": "OperationOutcome", "issue": []}}],
    }
    assert latest_response(bundle) is new
    assert latest_response({"resourceType": "Bundle", "type": "searchset"}) is None
    assert latest_response(draft) is None


def _observations() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FHIR_EXAMPLES / "observations-less-irritable-marathoner.json").read_text()
    )
    return data


def test_observation_bundle_gives_the_numeric_answers() -> None:
    """The shipped Observation bundle is valid and carries the marathoner's numbers."""
    bundle = _observations()
    validate_resource(bundle, "Bundle")
    state = observations_to_state(bundle)
    expected = example_state(example("less-irritable-marathoner"))
    assert state.age_years == expected.age_years == 36
    assert state.symptoms.minutes_into_run_before_pain == 35
    assert state.training.weekly_volume_increase_percent == 20
    assert state.presentation.onset is None


def test_observations_fill_what_the_response_leaves_unanswered() -> None:
    """Response + observations: the union; agreeing values are fine."""
    state = example_state(example("less-irritable-marathoner"))
    response = state_to_response(state.model_copy(update={"age_years": None}))
    assert response_to_state(response, observations=_observations()) == state


def test_an_observation_disagreeing_with_an_answer_is_an_error() -> None:
    """A disagreement names the linkId and the observation."""
    bundle = _observations()
    bundle["entry"][0]["resource"]["valueQuantity"]["value"] = 37
    err = _errors(_response(), observations=bundle)
    assert err.link_ids == ("age_years",)
    assert "Bundle.entry[0].resource" in str(err)


def test_observation_rules() -> None:
    """Units must convert; non-final results are ignored; the latest observation wins."""
    bundle = _observations()
    age = bundle["entry"][0]["resource"]
    age["valueQuantity"]["code"] = "kg"
    with pytest.raises(FhirInputError) as info:
        observations_to_state(bundle)
    assert info.value.link_ids == ("age_years",) and f"{UCUM}|a" in str(info.value)

    bundle = _observations()
    age = bundle["entry"][0]["resource"]
    later = copy.deepcopy(age)
    later["effectiveDateTime"] = "2026-04-01"
    later["valueQuantity"]["value"] = 37
    prelim = copy.deepcopy(later)
    prelim["status"] = "preliminary"
    prelim["effectiveDateTime"] = "2026-05-01"
    prelim["valueQuantity"]["value"] = 99
    bundle["entry"] += [{"resource": later}, {"resource": prelim}]
    assert observations_to_state(bundle).age_years == 37


def test_fhir_command_line_names_the_link_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m pht_rules.fhir to-state` prints each problem with its linkId; exit 1."""
    response = _response()
    _find(response, "age_years")["answer"] = [{"valueInteger": 500}]
    path = tmp_path / "qr.json"
    path.write_text(json.dumps(response))
    assert fhir_main(["to-state", str(path)]) == 1
    assert "linkId 'age_years'" in capsys.readouterr().err
    path.write_text(json.dumps(_response()))
    assert fhir_main(["to-state", str(path)]) == 0
    assert pht_rules.parse_state(capsys.readouterr().out) == example_state(
        example("less-irritable-marathoner")
    )
