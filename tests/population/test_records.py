# SPDX-License-Identifier: MIT
"""Reading populations: every input format, positions, ids, and field errors of bad records."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pht_rules
from pht_rules.fhir import state_to_response
from pht_rules.population import (
    RawRecord,
    RecordError,
    count_records,
    decode,
    detect_format,
    read_raw,
    state_schema,
    synthetic_cohort,
    unflatten,
)

STATE = {"age_years": 40, "symptoms": {"pain_at_rest": True, "pain_at_rest_nrs": 3}}


def test_jsonl_positions_are_line_numbers_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    """A JSON Lines record is positioned by its line, and blank lines are not records."""
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "a", **STATE}) + "\n\n" + json.dumps(STATE) + "\n")
    records = list(read_raw(path, "jsonl"))
    assert [r.position for r in records] == [1, 3]
    assert decode("jsonl", records[0])[0] == "a"
    assert decode("jsonl", records[1])[0] == "3"  # no id: the line number
    assert decode("jsonl", records[0])[1] == pht_rules.parse_state(STATE)


def test_invalid_state_carries_the_library_field_errors() -> None:
    """A bad record is a RecordError naming each field the patient model rejects."""
    bad = json.dumps({"id": "x", "age_years": 400, "symptoms": {"pain_at_rest": "yes"}})
    with pytest.raises(RecordError) as info:
        decode("jsonl", RawRecord(7, bad))
    fields = [f for f, _ in info.value.problems]
    assert fields == ["age_years", "symptoms.pain_at_rest"]
    assert isinstance(info.value, pht_rules.PhtRulesError)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("{not json", "not valid JSON"), ("[1, 2]", "not an object"), ('{"id": [1]}', "whole")],
)
def test_unreadable_records_are_rejected_with_a_reason(text: str, problem: str) -> None:
    """Text that is not a patient record is rejected, never evaluated."""
    with pytest.raises(RecordError) as info:
        decode("jsonl", RawRecord(1, text))
    assert problem in info.value.problems[0][1]


def test_csv_dotted_columns_are_typed_and_empty_is_unknown(tmp_path: Path) -> None:
    """CSV cells become booleans, numbers or text; an empty cell is an unknown answer."""
    path = tmp_path / "p.csv"
    path.write_text(
        "id,age_years,symptoms.pain_at_rest,symptoms.pain_at_rest_nrs,loading.current_phase\n"
        "p1,40,true,3,isometric\n"
        "p2,,FALSE,,\n"
        "p3,41\n"
    )
    records = list(read_raw(path, "csv"))
    assert [r.position for r in records] == [2, 3, 4]
    with pytest.raises(RecordError, match="2 cells, the header 5"):
        decode("csv", records[2])
    pid, state = decode("csv", records[0])
    assert pid == "p1" and state.age_years == 40 and state.symptoms.pain_at_rest is True
    assert state.loading.current_phase == "isometric"
    _, state2 = decode("csv", records[1])
    assert state2.age_years is None and state2.symptoms.pain_at_rest is False


def test_parquet_struct_columns_read_like_json(tmp_path: Path) -> None:
    """A Parquet cohort in the state schema decodes to the same states as its JSON records."""
    cohort = list(synthetic_cohort(50, seed=2))
    path = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(cohort, schema=state_schema()), path)
    assert count_records(path, "parquet") == 50
    decoded = [decode("parquet", r) for r in read_raw(path, "parquet", batch_size=7)]
    expected = [decode("jsonl", RawRecord(i, json.dumps(c))) for i, c in enumerate(cohort)]
    assert decoded == expected


def test_fhir_ndjson_reads_questionnaire_responses(tmp_path: Path) -> None:
    """FHIR Bulk Data NDJSON: the id is the subject, and a bad answer names its linkId."""
    response = state_to_response(STATE, subject="Patient/42")
    broken = json.loads(json.dumps(response))
    broken["item"][0]["answer"] = [{"valueString": "old"}]  # age_years must be an integer
    path = tmp_path / "QuestionnaireResponse.ndjson"
    path.write_text(json.dumps(response) + "\n" + json.dumps(broken) + "\n")
    first, second = read_raw(path, "fhir-ndjson")
    pid, state = decode("fhir-ndjson", first)
    assert pid == "Patient/42" and state == pht_rules.parse_state(STATE)
    with pytest.raises(RecordError) as info:
        decode("fhir-ndjson", second)
    assert [field for field, _ in info.value.problems] == ["age_years"]


def test_unflatten_and_format_detection() -> None:
    """Dotted keys nest; null groups are unknown; file names name their format."""
    assert unflatten({"a.b": 1, "a.c": None, "presentation": None, "x": 2}) == {
        "a": {"b": 1, "c": None},
        "x": 2,
    }
    assert [detect_format(n) for n in ("a.jsonl", "b.CSV", "c.parquet")] == [
        "jsonl",
        "csv",
        "parquet",
    ]
    with pytest.raises(RecordError, match="input format"):
        detect_format("cohort.xlsx")
