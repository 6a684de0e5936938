# SPDX-License-Identifier: MIT
"""Canonical URLs and code systems used by the FHIR mapping.

Codes from someone else's system are used only where the code certainly exists and means exactly
the thing coded:

- LOINC ``30525-0`` "Age" (general specification of age, no implied method) codes ``age_years``.
- HL7 v2 table 0136 (``Y``/``N``) codes yes/no answers, and HL7 ``data-absent-reason``
  ``asked-unknown`` ("Don't know") codes the explicit "unknown" answer: the same three codes as
  HL7's own *yesnodontknow* answer set.
- UCUM codes the units (``a``, ``wk``, ``min``, ``%`` and the annotation ``{score}``).

Everything else, each question and every answer of a choice question, is coded in the project's own
code systems below (``https://pht-rules.example/fhir/...``), whose codes are the patient-state field
paths and values themselves. No PHT-specific LOINC or SNOMED CT code exists for these questions, and
generic ones (such as LOINC's 0-10 pain score) would not tell the three different pain scores apart.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ANSWERS_SYSTEM",
    "BASE",
    "CATALOGUE_SYSTEM",
    "DATA_ABSENT_REASON",
    "FINGERPRINT_SYSTEM",
    "ITEMS_SYSTEM",
    "LOINC",
    "LOINC_AGE",
    "NO",
    "OUTCOMES_SYSTEM",
    "OVERRIDE_REASONS",
    "OVERRIDE_REASONS_SYSTEM",
    "QUESTIONNAIRE_ID",
    "QUESTIONNAIRE_URL",
    "QUESTIONNAIRE_VERSION",
    "RULES_SYSTEM",
    "UCUM",
    "UCUM_UNITS",
    "UNKNOWN",
    "YES",
    "YES_NO_SYSTEM",
    "library_url",
    "plan_definition_url",
]

BASE: Final = "https://pht-rules.example/fhir"
"""Root of every canonical URL the project mints (a reserved ``.example`` domain: identifiers only)."""

ITEMS_SYSTEM: Final = f"{BASE}/CodeSystem/pht-items"
"""The questions: code = the patient-state field path (also the item's ``linkId``)."""
ANSWERS_SYSTEM: Final = f"{BASE}/CodeSystem/pht-answers"
"""The answers of choice questions that are not yes/no: code = the patient-state value."""
OUTCOMES_SYSTEM: Final = f"{BASE}/CodeSystem/pht-outcomes"
"""Decision outcomes: code = ``<decision id>.<outcome>``."""
RULES_SYSTEM: Final = f"{BASE}/CodeSystem/pht-rules"
"""Rules: code = the rule id."""
CATALOGUE_SYSTEM: Final = f"{BASE}/CodeSystem/pht-catalogue"
"""Guideline catalogue entries: code = the catalogue id (``ART-RUN-2``, ``LIT-...``, ``ASM-...``)."""
OVERRIDE_REASONS_SYSTEM: Final = f"{BASE}/CodeSystem/pht-override-reasons"
"""Why a clinician overrode a CDS Hooks card."""
FINGERPRINT_SYSTEM: Final = f"{BASE}/NamingSystem/ruleset-fingerprint"
"""Identifier system for a rule set's content fingerprint."""

QUESTIONNAIRE_ID: Final = "pht-intake"
QUESTIONNAIRE_URL: Final = f"{BASE}/Questionnaire/{QUESTIONNAIRE_ID}"
QUESTIONNAIRE_VERSION: Final = "1.1.0"
"""1.1.0: items at the top level (no groups), "Asked But Unknown" display. Bump when an item changes (the shipped-file test fails until the JSON is regenerated)."""


def plan_definition_url(ruleset_name: str) -> str:
    """The canonical URL of a rule set's ``PlanDefinition``."""
    return f"{BASE}/PlanDefinition/{ruleset_name}"


def library_url(ruleset_name: str) -> str:
    """The canonical URL of a rule set's ``Library``."""
    return f"{BASE}/Library/{ruleset_name}"


LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
YES_NO_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v2-0136"
DATA_ABSENT_REASON: Final = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

LOINC_AGE: Final = "30525-0"
"""LOINC "Age": the only external code used for a question (``age_years``)."""

YES: Final = {"system": YES_NO_SYSTEM, "code": "Y", "display": "Yes"}
NO: Final = {"system": YES_NO_SYSTEM, "code": "N", "display": "No"}
UNKNOWN: Final = {
    "system": DATA_ABSENT_REASON,
    "code": "asked-unknown",
    "display": "Asked But Unknown",
}
"""The explicit "don't know" answer, with the display HL7's code system gives the code."""

UCUM_UNITS: Final[dict[str, tuple[str, str]]] = {
    # patient-model unit -> (UCUM code, display)
    "years": ("a", "year"),
    "weeks": ("wk", "week"),
    "min": ("min", "minute"),
    "%": ("%", "percent"),
    "NRS 0-10": ("{score}", "score (NRS 0-10)"),
}

OVERRIDE_REASONS: Final[tuple[tuple[str, str], ...]] = (
    ("clinical-judgement", "Clinical judgement differs from the suggestion"),
    ("answers-outdated", "The questionnaire answers are out of date or wrong"),
    ("already-addressed", "Already addressed in the care plan"),
    ("patient-preference", "The patient declined or prefers another option"),
    ("not-relevant", "Not relevant to this consultation"),
)
"""The reasons offered on every card (system :data:`OVERRIDE_REASONS_SYSTEM`)."""
