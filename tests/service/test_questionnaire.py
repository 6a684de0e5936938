# SPDX-License-Identifier: MIT
"""The shipped intake Questionnaire: generated from the patient model, valid FHIR, complete."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

import pht_rules
from pht_rules.fhir import (
    ANSWERS_SYSTEM,
    ITEMS_SYSTEM,
    QUESTIONNAIRE_URL,
    build_code_systems,
    build_questionnaire,
    questionnaire,
    validate_resource,
)
from pht_rules.fhir.codes import UCUM_UNITS, UNKNOWN, YES_NO_SYSTEM
from pht_rules.fhir.questionnaire import ENABLE_WHEN
from pht_rules.patient.fields import input_fields


def _leaves(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        if item["type"] == "group":
            out.extend(_leaves(item["item"]))
        else:
            out.append(item)
    return out


def _extension(item: dict[str, Any], name: str) -> Any:
    for ext in item.get("extension", ()):
        if ext["url"].endswith(name):
            return ext.get("valueInteger", ext.get("valueCoding"))
    return None


def test_shipped_file_is_the_generator_output() -> None:
    """The package-data JSON equals what the generator makes from the model today."""
    assert questionnaire() == build_questionnaire(), (
        "src/pht_rules/fhir/questionnaire.json is out of date: bump QUESTIONNAIRE_VERSION in "
        "src/pht_rules/fhir/codes.py if an item changed, then run "
        "`python -m pht_rules.fhir questionnaire > src/pht_rules/fhir/questionnaire.json`"
    )


def test_questionnaire_is_valid_fhir() -> None:
    """fhir.resources accepts the Questionnaire and the project's CodeSystems."""
    validate_resource(questionnaire(), "Questionnaire")
    for code_system in build_code_systems():
        validate_resource(code_system, "CodeSystem")


def test_one_item_per_field_with_the_same_constraints() -> None:
    """Each patient-state leaf is one item: same linkId, type, range, unit and options."""
    q = questionnaire()
    assert q["url"] == QUESTIONNAIRE_URL
    leaves = {item["linkId"]: item for item in _leaves(q["item"])}
    specs = {f.path: f for f in input_fields()}
    assert list(leaves) == list(specs)
    for path, spec in specs.items():
        item = leaves[path]
        assert item["text"] == spec.question
        assert item["required"] is False and item["repeats"] is False
        assert {"system": ITEMS_SYSTEM, "code": path, "display": spec.title} in item["code"]
        if spec.kind == "int":
            assert item["type"] == "integer"
            assert _extension(item, "minValue") == spec.minimum
            assert _extension(item, "maxValue") == spec.maximum
            unit = _extension(item, "questionnaire-unit")
            assert unit["code"] == UCUM_UNITS[spec.unit][0]
            continue
        assert item["type"] == "choice"
        options = [o["valueCoding"] for o in item["answerOption"]]
        assert options[-1] == UNKNOWN, "every choice offers Don't know"
        if spec.kind == "bool":
            assert [(o["system"], o["code"]) for o in options[:-1]] == [
                (YES_NO_SYSTEM, "Y"),
                (YES_NO_SYSTEM, "N"),
            ]
        else:
            assert [o["code"] for o in options[:-1]] == list(spec.values)
            assert {o["system"] for o in options[:-1]} == {ANSWERS_SYSTEM}


def test_age_is_coded_with_loinc_too() -> None:
    """The one external question code: LOINC 30525-0 (Age)."""
    age = next(i for i in questionnaire()["item"] if i["linkId"] == "age_years")
    assert {"system": "http://loinc.org", "code": "30525-0", "display": "Age"} in age["code"]


def test_link_ids_are_unique() -> None:
    """Groups and questions never share a linkId."""
    ids: list[str] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            ids.append(item["linkId"])
            walk(item.get("item", []))

    walk(questionnaire()["item"])
    assert len(ids) == len(set(ids))


def test_code_systems_cover_every_code_used() -> None:
    """Every project code in the Questionnaire is defined by a shipped CodeSystem."""
    defined = {(cs["url"], c["code"]) for cs in build_code_systems() for c in cs["concept"]}
    used = set()
    for item in _leaves(questionnaire()["item"]):
        used |= {(c["system"], c["code"]) for c in item["code"]}
        used |= {
            (o["valueCoding"]["system"], o["valueCoding"]["code"])
            for o in item.get("answerOption", ())
        }
    ours = {(s, c) for s, c in used if s.startswith("https://pht-rules.example/")}
    assert ours <= defined


@pytest.mark.parametrize("link_id", sorted(ENABLE_WHEN))
def test_enable_when_mirrors_a_model_contradiction(link_id: str) -> None:
    """An item hidden by enableWhen is one the model rejects under the hiding answer."""
    controller, answer = ENABLE_WHEN[link_id]
    spec = {f.path: f for f in input_fields()}[link_id]
    value: Any = True if spec.kind == "bool" else (spec.maximum or 1)
    hiding: Any = False if answer.get("code") == "N" else answer["code"]
    data: dict[str, Any] = {}
    for path, v in ((controller, hiding), (link_id, value)):
        group, _, leaf = path.rpartition(".")
        data.setdefault(group, {})[leaf] = v
    with pytest.raises(pht_rules.PatientStateError) as info:
        pht_rules.parse_state(data)
    assert link_id in info.value.field_paths


def test_enable_when_references_real_answers() -> None:
    """Every enableWhen names an existing question and one of its answer options."""
    leaves = {i["linkId"]: i for i in _leaves(questionnaire()["item"])}
    for item in leaves.values():
        for cond in item.get("enableWhen", ()):
            target = leaves[cond["question"]]
            assert cond["answerCoding"] in [o["valueCoding"] for o in target["answerOption"]]


def test_importing_pht_rules_stays_light() -> None:
    """`import pht_rules` (and pht_rules.fhir) loads no web, database, JWT or FHIR-model library."""
    code = (
        "import sys, pht_rules, pht_rules.fhir, pht_rules.service\n"
        "heavy = {'fastapi', 'uvicorn', 'sqlalchemy', 'jwt', 'fhir', 'starlette', 'httpx'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout.replace("'", '"')) == []


def test_public_names_exist() -> None:
    """pht_rules.fhir and pht_rules.service export only real names (ruff keeps them sorted)."""
    import pht_rules.fhir
    import pht_rules.service

    for module in (pht_rules.fhir, pht_rules.service):
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert getattr(module, name) is not None
