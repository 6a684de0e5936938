# SPDX-License-Identifier: MIT
"""The intake ``Questionnaire`` (FHIR R4), generated from the patient model's fields.

Each leaf field of :class:`~pht_rules.PatientState` is one top-level item whose ``linkId`` is the
field's dotted path, so an error about a field names the item to fix. Yes/no fields are ``choice``
items answered Yes, No or Asked But Unknown (HL7 ``data-absent-reason`` ``asked-unknown``, the
"don't know" answer); fixed-value fields are ``choice`` items with their values and Asked But
Unknown; numbers are ``integer`` items with the model's range (``minValue``/``maxValue``, allowed
on ``Questionnaire.item``) and unit (``questionnaire-unit``, UCUM). No item is required: an
unanswered item, or Asked But Unknown, is unknown.

The JSON shipped beside this module (``questionnaire.json``) is this generator's output; a test
keeps the two identical.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib.resources import files
from typing import Any

from pht_rules.errors import UsageError
from pht_rules.fhir.codes import (
    ANSWERS_SYSTEM,
    ITEMS_SYSTEM,
    LOINC,
    LOINC_AGE,
    NO,
    OVERRIDE_REASONS,
    OVERRIDE_REASONS_SYSTEM,
    QUESTIONNAIRE_ID,
    QUESTIONNAIRE_URL,
    QUESTIONNAIRE_VERSION,
    UCUM,
    UCUM_UNITS,
    UNKNOWN,
    YES,
)
from pht_rules.patient.fields import FieldSpec, input_fields

__all__ = [
    "ENABLE_WHEN",
    "answer_display",
    "build_code_systems",
    "build_questionnaire",
    "questionnaire",
]

_EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
_EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
_EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
_DATE = "2026-01-01"  # fixed, so the generated resource is reproducible

# Items shown only when another answer allows them. Each mirrors a contradiction the patient model
# rejects (models._contradictions); a test checks that every entry does.
ENABLE_WHEN: dict[str, tuple[str, dict[str, str]]] = {
    "symptoms.pain_at_rest_nrs": ("symptoms.pain_at_rest", NO),
    "symptoms.minutes_into_run_before_pain": ("symptoms.pain_when_running", NO),
    "loading.weeks_in_phase": ("loading.current_phase", {"code": "not-started"}),
    "loading.exercise_pain_nrs": ("loading.current_phase", {"code": "not-started"}),
    "loading.pain_settled_next_day": ("loading.current_phase", {"code": "not-started"}),
}
"""linkId -> (controlling linkId, the answer that disables it)."""


def answer_display(value: str) -> str:
    """The display of a fixed answer value: ``no-lasting-benefit`` -> ``No lasting benefit``."""
    text = value.replace("-", " ")
    return text[:1].upper() + text[1:]


def _answer_coding(value: str) -> dict[str, str]:
    return {"system": ANSWERS_SYSTEM, "code": value, "display": answer_display(value)}


def _item_codes(spec: FieldSpec) -> list[dict[str, str]]:
    codes = [{"system": ITEMS_SYSTEM, "code": spec.path, "display": spec.title}]
    if spec.path == "age_years":
        codes.append({"system": LOINC, "code": LOINC_AGE, "display": "Age"})
    return codes


def _item(spec: FieldSpec) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": spec.path, "code": _item_codes(spec), "text": spec.question}
    if spec.kind == "int":
        item["type"] = "integer"
        extensions: list[dict[str, Any]] = []
        if spec.minimum is not None:
            extensions.append({"url": _EXT_MIN, "valueInteger": spec.minimum})
        if spec.maximum is not None:
            extensions.append({"url": _EXT_MAX, "valueInteger": spec.maximum})
        if spec.unit is not None:
            if spec.unit not in UCUM_UNITS:
                raise UsageError(f"field {spec.path}: no UCUM code for unit {spec.unit!r}")
            code, display = UCUM_UNITS[spec.unit]
            extensions.append(
                {
                    "url": _EXT_UNIT,
                    "valueCoding": {"system": UCUM, "code": code, "display": display},
                }
            )
        item["extension"] = extensions
    else:
        item["type"] = "choice"
        options = [YES, NO] if spec.kind == "bool" else [_answer_coding(v) for v in spec.values]
        item["answerOption"] = [{"valueCoding": dict(c)} for c in [*options, UNKNOWN]]
    if spec.path in ENABLE_WHEN:
        question, answer = ENABLE_WHEN[spec.path]
        coding = answer if "system" in answer else _answer_coding(answer["code"])
        item["enableWhen"] = [{"question": question, "operator": "!=", "answerCoding": coding}]
    item["required"] = False
    item["repeats"] = False
    return item


def build_questionnaire() -> dict[str, Any]:
    """Generate the intake ``Questionnaire`` from the patient model (a new JSON-ready dict).

    The items are all at the top level: R4 allows the ``minValue``/``maxValue`` extensions on
    ``Questionnaire.item`` only (their context), not on a nested item.
    """
    items = [_item(spec) for spec in input_fields()]
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": QUESTIONNAIRE_URL,
        "version": QUESTIONNAIRE_VERSION,
        "name": "PhtIntake",
        "title": "Proximal hamstring tendinopathy: intake for pht_rules",
        "status": "active",
        "subjectType": ["Patient"],
        "date": _DATE,
        "publisher": "pht_rules developers",
        "description": (
            "Collects exactly the patient state that pht_rules evaluates. Each item's linkId is "
            "the patient-state field path. Every item is optional: an unanswered item, or the "
            "answer Asked But Unknown (don't know), means unknown, which the rules never read as 'no'."
        ),
        "purpose": "Input for decision support for a clinician; not a diagnosis.",
        "code": [
            {
                "system": ITEMS_SYSTEM,
                "code": "pht-intake",
                "display": "Proximal hamstring tendinopathy intake",
            }
        ],
        "item": items,
    }


@cache
def _shipped() -> dict[str, Any]:
    text = files("pht_rules.fhir").joinpath("questionnaire.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def questionnaire() -> dict[str, Any]:
    """The shipped intake ``Questionnaire`` (package data ``pht_rules/fhir/questionnaire.json``).

    Returns a fresh copy each call, so callers may change it.
    """
    return copy.deepcopy(_shipped())


def _code_system(
    cid: str, url: str, title: str, description: str, concepts: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "id": cid,
        "url": url,
        "version": QUESTIONNAIRE_VERSION,
        "name": "".join(p.capitalize() for p in cid.split("-")),
        "title": title,
        "status": "active",
        "date": _DATE,
        "publisher": "pht_rules developers",
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }


def build_code_systems() -> list[dict[str, Any]]:
    """The project's own ``CodeSystem`` resources for the questionnaire: items, answers, reasons."""
    items = [{"code": f.path, "display": f.title, "definition": f.question} for f in input_fields()]
    items.insert(
        0,
        {
            "code": "pht-intake",
            "display": "Proximal hamstring tendinopathy intake",
            "definition": "The pht_rules intake questionnaire as a whole.",
        },
    )
    values = dict.fromkeys(v for f in input_fields() for v in f.values)
    answers = [{"code": v, "display": answer_display(v)} for v in values]
    reasons = [{"code": c, "display": d} for c, d in OVERRIDE_REASONS]
    return [
        _code_system(
            "pht-items",
            ITEMS_SYSTEM,
            "pht_rules intake questions",
            "One code per patient-state field; the code is the field's dotted path.",
            items,
        ),
        _code_system(
            "pht-answers",
            ANSWERS_SYSTEM,
            "pht_rules fixed answers",
            "The values of the patient state's fixed-choice fields.",
            answers,
        ),
        _code_system(
            "pht-override-reasons",
            OVERRIDE_REASONS_SYSTEM,
            "Reasons for overriding a pht_rules card",
            "Offered as overrideReasons on every CDS Hooks card of the pht_rules service.",
            reasons,
        ),
    ]
