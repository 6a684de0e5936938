# SPDX-License-Identifier: MIT
"""Inputs valid under the published JSON Schema are accepted, except where two numbers contradict
each other (a comparison JSON Schema cannot state, named in the schema's description). Prints the
share of schema-valid inputs refused."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pht_rules import PatientStateError, parse_state, patient_state_json_schema
from pht_rules.testing import kit_settings

SCHEMA = patient_state_json_schema()
# The cross-field checks JSON Schema cannot state: comparisons between two numbers.
NUMERIC_COMPARISONS = {
    "symptom_duration_weeks",
    "loading.weeks_adherent_loading",
    "loading.weeks_in_phase",
}


def _from_schema(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of one (pydantic-generated) schema node, ignoring ``allOf`` constraints."""
    if "$ref" in node:
        return _from_schema(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    if "anyOf" in node:
        return st.one_of([_from_schema(n) for n in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(node["minimum"], node["maximum"])
    if kind == "object":
        props = node["properties"]
        return st.fixed_dictionaries({}, optional={k: _from_schema(v) for k, v in props.items()})
    raise AssertionError(f"unexpected schema node {node}")


def test_schema_states_the_cross_field_checks_it_can() -> None:
    """The schema carries if/then checks and names the numeric comparisons in its description."""
    symptoms, loading = SCHEMA["$defs"]["Symptoms"], SCHEMA["$defs"]["LoadingHistory"]
    assert len(symptoms["allOf"]) == 3 and len(loading["allOf"]) == 2
    for name in ("symptom_duration_weeks", "weeks_adherent_loading", "weeks_in_phase"):
        assert name in SCHEMA["description"]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert not validator.is_valid({"symptoms": {"pain_at_rest": False, "pain_at_rest_nrs": 4}})
    assert validator.is_valid({"symptoms": {"pain_at_rest": True, "pain_at_rest_nrs": 4}})


def test_schema_valid_inputs_are_accepted_but_for_numeric_contradictions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every refusal of a schema-valid input is a comparison between two numbers."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    counts: Counter[str] = Counter()
    other: list[str] = []

    @kit_settings(3.0)
    @given(_from_schema(SCHEMA))
    def run(doc: dict[str, Any]) -> None:
        if not validator.is_valid(doc):
            counts["schema-invalid"] += 1
            return
        counts["schema-valid"] += 1
        try:
            parse_state(json.dumps(doc))
        except PatientStateError as exc:
            counts["refused"] += 1
            other.extend(str(p) for p in exc.problems if p.field_path not in NUMERIC_COMPARISONS)

    run()
    share = counts["refused"] / max(counts["schema-valid"], 1)
    with capsys.disabled():
        print(
            f"\nschema-valid inputs: {counts['schema-valid']}, refused {counts['refused']} "
            f"({share:.1%}); generated but schema-invalid: {counts['schema-invalid']}"
        )
    assert counts["schema-valid"] > 100
    assert other == []
