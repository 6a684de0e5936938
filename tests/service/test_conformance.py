# SPDX-License-Identifier: MIT
"""FHIR R4 conformance of what the package emits: invariants, code systems, displays, units."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

import pht_rules
from pht_rules.fhir import (
    FhirInputError,
    assessment_to_request_group,
    build_code_systems,
    build_questionnaire,
    code_systems,
    observations_to_state,
    ruleset_code_systems,
    ruleset_to_library,
    ruleset_to_plan_definition,
    state_to_response,
    validate_resource,
)
from pht_rules.fhir.cli import main as fhir_main
from pht_rules.fhir.codes import DATA_ABSENT_REASON, UCUM
from pht_rules.fhir.invariants import INVARIANTS, check_invariants
from pht_rules.fhir.terminology import code_systems_bundle
from pht_rules.loading import load_rules
from pht_rules.service.cards import assessment_cards

from .conftest import EXAMPLES, FHIR_EXAMPLES, example_state


def _request_groups() -> Iterator[dict[str, Any]]:
    for path in EXAMPLES:
        assessment = pht_rules.evaluate(example_state(path))
        yield assessment_to_request_group(
            assessment, request_group_id=path.stem, subject=f"Patient/{path.stem}"
        )


def _emitted() -> list[dict[str, Any]]:
    resources = [
        *_request_groups(),
        ruleset_to_plan_definition(),
        ruleset_to_library(),
        build_questionnaire(),
        code_systems(),
        *build_code_systems(),
        *ruleset_code_systems(),
    ]
    resources += [state_to_response(example_state(p), response_id="r") for p in EXAMPLES]
    return resources


@pytest.mark.parametrize(
    "resource", _emitted(), ids=lambda r: f"{r['resourceType']}-{r.get('id', '')}"
)
def test_every_emitted_resource_is_valid_with_no_invariant_broken(resource: dict[str, Any]) -> None:
    """Structure (fhir.resources) and every R4 invariant (fhirpathpy) hold, warnings included."""
    validate_resource(resource, invariants=True)
    assert check_invariants(resource, warnings=True) == []


def test_the_invariant_check_catches_rqg_1_and_dom_3() -> None:
    """A leaf action without its resource breaks rqg-1; an unreferenced contained one dom-3."""
    group = next(_request_groups())
    leaf = group["action"][0]["action"][0] if "action" in group["action"][0] else group["action"][0]
    del leaf["resource"]
    with pytest.raises(FhirInputError) as info:
        validate_resource(group, invariants=True)
    assert "rqg-1" in str(info.value) and "dom-3" in str(info.value)


def test_the_invariant_check_catches_ext_1_and_que_2() -> None:
    """An extension with both a value and extensions, and a duplicate linkId, are caught."""
    q = build_questionnaire()
    q["item"][0]["extension"][0]["extension"] = [{"url": "x", "valueString": "y"}]
    q["item"][1]["linkId"] = q["item"][0]["linkId"]
    keys = {p.message.split("invariant ")[1].split(" ")[0] for p in check_invariants(q)}
    assert keys == {"ext-1", "que-2"}


def test_every_request_group_leaf_action_proposes_a_contained_request() -> None:
    """rqg-1: each leaf action has a resource, a contained CommunicationRequest with its text."""
    for group in _request_groups():
        contained = {c["id"]: c for c in group["contained"]}
        leaves = []
        todo = list(group["action"])
        while todo:
            action = todo.pop()
            if "action" in action:
                assert "resource" not in action
                todo += action["action"]
            else:
                leaves.append(action)
        assert leaves
        for leaf in leaves:
            target = contained[leaf["resource"]["reference"].removeprefix("#")]
            assert target["resourceType"] == "CommunicationRequest"
            assert target["status"] == "draft"
            assert target["payload"][0]["contentString"]


def test_plan_definition_uses_no_unknown_expression_language() -> None:
    """No Expression with a language outside R4's; the condition is a documented extension."""
    plan = ruleset_to_plan_definition()
    text = json.dumps(plan)
    assert "text/x-pht-rules" not in text and '"condition"' not in text
    rule = plan["action"][0]["action"][0]
    (ext,) = rule["extension"]
    assert ext["url"].endswith("/StructureDefinition/rule-condition")
    parts = {e["url"]: e for e in ext["extension"]}
    assert parts["rule"]["valueCode"] == rule["code"][0]["coding"][0]["code"]
    assert parts["description"]["valueString"]


def _codings(data: Any) -> Iterator[tuple[str, str]]:
    if isinstance(data, dict):
        if isinstance(data.get("system"), str) and isinstance(data.get("code"), str):
            yield data["system"], data["code"]
        for value in data.values():
            yield from _codings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _codings(value)


def test_every_project_code_used_is_defined_by_a_shipped_code_system() -> None:
    """Outcomes, rules, catalogue (RequestGroup, PlanDefinition, cards) are all defined."""
    defined = {
        (e["resource"]["url"], c["code"])
        for e in code_systems()["entry"]
        for c in e["resource"]["concept"]
    }
    used = set()
    for resource in [*_request_groups(), ruleset_to_plan_definition()]:
        used |= {(s, c) for s, c in _codings(resource) if s.startswith("https://pht-rules.example")}
    ruleset = load_rules()
    for path in EXAMPLES:
        cards = assessment_cards(
            pht_rules.evaluate(example_state(path)),
            ruleset=ruleset,
            service_id="pht-patient-view",
            input_key=path.stem,
        ).cards
        used |= {(s, c) for s, c in _codings(cards) if s.startswith("https://pht-rules.example")}
    systems = {s for s, _ in used}
    assert {s.rsplit("/", 1)[1] for s in systems} >= {"pht-outcomes", "pht-rules", "pht-catalogue"}
    assert used - defined == set()


def test_shipped_code_systems_are_the_generator_output(capsys: pytest.CaptureFixture[str]) -> None:
    """src/pht_rules/fhir/code-systems.json is what `python -m pht_rules.fhir code-systems` prints."""
    assert fhir_main(["code-systems"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (
        printed
        == code_systems()
        == code_systems_bundle(build_code_systems() + ruleset_code_systems())
    ), "regenerate: python -m pht_rules.fhir code-systems > src/pht_rules/fhir/code-systems.json"


def test_unknown_answer_display_is_the_hl7_display() -> None:
    """data-absent-reason#asked-unknown is displayed "Asked But Unknown", as HL7 defines it."""
    displays = {
        o["valueCoding"]["display"]
        for item in build_questionnaire()["item"]
        for o in item.get("answerOption", ())
        if o["valueCoding"]["system"] == DATA_ABSENT_REASON
    }
    assert displays == {"Asked But Unknown"}


def test_min_and_max_value_only_on_top_level_items() -> None:
    """R4's minValue/maxValue extensions have the context Questionnaire.item: no nested item."""
    q = build_questionnaire()
    ranged = [
        i
        for i in q["item"]
        if any(e["url"].endswith(("/minValue", "/maxValue")) for e in i.get("extension", ()))
    ]
    assert len(ranged) >= 10
    assert all("item" not in i for i in q["item"])


def _observation_bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FHIR_EXAMPLES / "observations-less-irritable-marathoner.json").read_text()
    )
    return data


def _with_quantity(code: str, value: float, unit: str) -> dict[str, Any]:
    bundle = _observation_bundle()
    for entry in bundle["entry"]:
        coding = entry["resource"]["code"]["coding"]
        if any(c["code"] == code for c in coding):
            entry["resource"]["valueQuantity"] = {"value": value, "system": UCUM, "code": unit}
    return bundle


@pytest.mark.parametrize(
    ("code", "value", "unit", "expected"),
    [
        ("30525-0", 432, "mo", 36),
        ("symptom_duration_weeks", 70, "d", 10),
        ("symptoms.minutes_into_run_before_pain", 2100, "s", 35),
        ("symptoms.minutes_into_run_before_pain", 0.5, "h", 30),
        ("training.weekly_volume_increase_percent", 0.2, "1", 20),
    ],
)
def test_observations_in_a_convertible_ucum_unit_are_converted(
    code: str, value: float, unit: str, expected: int
) -> None:
    """Any UCUM unit convertible to the question's unit is accepted (ucumvert)."""
    state = observations_to_state(_with_quantity(code, value, unit))
    fields = {
        "30525-0": state.age_years,
        "symptom_duration_weeks": state.symptom_duration_weeks,
        "symptoms.minutes_into_run_before_pain": state.symptoms.minutes_into_run_before_pain,
        "training.weekly_volume_increase_percent": state.training.weekly_volume_increase_percent,
    }
    assert fields[code] == expected


@pytest.mark.parametrize(
    ("code", "value", "unit", "words"),
    [
        ("30525-0", 36, "kg", "not a UCUM unit convertible"),
        ("symptom_duration_weeks", 10, "d", "whole number"),
        ("symptoms.pain_at_rest_nrs", 3, "%", "no conversion"),
        ("30525-0", 36, "not-a-unit", "not a UCUM unit convertible"),
    ],
)
def test_inconvertible_or_fractional_units_are_refused(
    code: str, value: float, unit: str, words: str
) -> None:
    """Another dimension, an unknown unit or a fraction of the unit: one clear error."""
    with pytest.raises(FhirInputError) as info:
        observations_to_state(_with_quantity(code, value, unit))
    assert words in str(info.value)


def test_every_invariant_compiles() -> None:
    """Each catalogued expression is valid FHIRPath for the engine (evaluated on a resource)."""
    resource = copy.deepcopy(build_questionnaire())
    for inv in INVARIANTS:
        inv_resource = (
            resource if not inv.resource_types else {"resourceType": inv.resource_types[0]}
        )
        check_invariants(inv_resource, warnings=True)
