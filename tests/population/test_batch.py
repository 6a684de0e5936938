# SPDX-License-Identifier: MIT
"""Batch runs: in order, identical whatever the worker count, nothing lost, never half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pht_rules
from pht_rules.population import (
    RawRecord,
    RuleChoice,
    assessment_row,
    evaluate_records,
    partial_path,
    read_results,
    run_file,
    write_cohort,
)

BAD_LINES = {
    5: '{"id": "bad-range", "age_years": 400}',
    9: "{truncated",
    12: '{"id": "bad-contradiction", "symptoms": {"pain_at_rest": false, "pain_at_rest_nrs": 4}}',
}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 synthetic patients with three bad records put in at known lines."""
    path = tmp_path_factory.mktemp("cohort") / "cohort.jsonl"
    write_cohort(path, 297, seed=11)
    lines = path.read_text().splitlines()
    for number, text in sorted(BAD_LINES.items()):
        lines.insert(number - 1, text)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_rows_are_the_assessments_in_input_order(cohort: Path) -> None:
    """Each row is assessment_row() of evaluate() for that line's patient, in file order."""
    results = list(evaluate_records(_raw(cohort), "jsonl", chunk_size=16))
    assert [r.position for r in results] == list(range(1, 301))
    first_good = next(r for r in results if r.row is not None)
    record = json.loads(cohort.read_text().splitlines()[first_good.position - 1])
    patient_id = record.pop("id")
    assessment = pht_rules.evaluate(record)
    expected = assessment_row(patient_id, assessment, engine=assessment.engine)
    assert first_good.row == expected


def _raw(path: Path) -> list[RawRecord]:
    from pht_rules.population import read_raw

    return list(read_raw(path, "jsonl"))


def test_two_workers_give_the_same_rows_as_one(cohort: Path, tmp_path: Path) -> None:
    """Separate worker processes change neither the rows nor their order."""
    one = run_file(cohort, tmp_path / "one.jsonl", workers=1)
    two = run_file(cohort, tmp_path / "two.jsonl", workers=2)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert (one.read, one.written, one.rejected) == (two.read, two.written, two.rejected)
    assert (tmp_path / "one.jsonl.errors.jsonl").read_bytes() == (
        tmp_path / "two.jsonl.errors.jsonl"
    ).read_bytes()


def test_bad_records_go_to_the_error_file_and_counts_balance(cohort: Path, tmp_path: Path) -> None:
    """Rejected records are listed with line number and field errors; read = written + rejected."""
    summary = run_file(cohort, tmp_path / "out.jsonl", errors=tmp_path / "bad.jsonl")
    assert (summary.read, summary.written, summary.rejected) == (300, 297, 3)
    assert summary.balanced and "(ok)" in summary.describe()
    errors = [json.loads(line) for line in (tmp_path / "bad.jsonl").read_text().splitlines()]
    assert [e["position"] for e in errors] == sorted(BAD_LINES)
    assert errors[0]["problems"][0]["field"] == "age_years"
    assert errors[2]["problems"][0]["field"] == "symptoms.pain_at_rest_nrs"
    ids = [row["id"] for row in read_results(tmp_path / "out.jsonl")]
    assert len(ids) == 297 and "bad-range" not in ids


def test_parquet_output_holds_the_same_rows(cohort: Path, tmp_path: Path) -> None:
    """A Parquet result file reads back to exactly the JSON Lines rows."""
    run_file(cohort, tmp_path / "out.jsonl")
    run_file(cohort, tmp_path / "out.parquet")
    assert list(read_results(tmp_path / "out.parquet")) == list(
        read_results(tmp_path / "out.jsonl")
    )


def test_full_assessments_on_request(cohort: Path, tmp_path: Path) -> None:
    """With full=True every row carries its whole assessment, which reads back."""
    run_file(cohort, tmp_path / "full.parquet", full=True)
    row = next(iter(read_results(tmp_path / "full.parquet")))
    assessment = pht_rules.Assessment.from_json(row["assessment"])
    assert assessment.outcomes == row["outcomes"]


def test_interrupted_run_leaves_no_output_under_its_name(tmp_path: Path) -> None:
    """A run that fails part-way leaves only .partial files, so it is restarted, never trusted."""
    source = tmp_path / "c.jsonl"
    write_cohort(source, 20, seed=1)
    missing_rules = tmp_path / "no-such-rules"
    with pytest.raises(pht_rules.RuleFileError):
        run_file(source, tmp_path / "out.jsonl", rules=RuleChoice.of(missing_rules))
    assert not (tmp_path / "out.jsonl").exists()
    summary = run_file(source, tmp_path / "out.jsonl")
    assert summary.written == 20 and not partial_path(tmp_path / "out.jsonl").exists()


def test_interrupted_stream_commits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interruption while rows are being written (Ctrl-C mid-file) commits neither file."""
    source = tmp_path / "c.jsonl"
    write_cohort(source, 50, seed=1)
    records = _raw(source)

    def interrupted(*_: object, **__: object) -> object:
        yield from records[:30]
        raise KeyboardInterrupt

    monkeypatch.setattr("pht_rules.population._run.read_raw", interrupted)
    out = tmp_path / "out.parquet"
    with pytest.raises(KeyboardInterrupt):
        run_file(source, out)
    assert not out.exists() and not (tmp_path / "out.parquet.errors.jsonl").exists()
    assert partial_path(out).exists()


def test_undecodable_line_is_a_rejected_record(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 JSON reject that line only."""
    source = tmp_path / "c.jsonl"
    write_cohort(source, 5, seed=1)
    with source.open("ab") as fh:
        fh.write(b"\xff\xfe not utf-8\n")
    summary = run_file(source, tmp_path / "out.jsonl")
    assert (summary.read, summary.written, summary.rejected) == (6, 5, 1)


def test_profile_and_engine_choices_reach_the_workers(cohort: Path, tmp_path: Path) -> None:
    """The interpreter engine gives the default engine's rows, labelled with its own name."""
    run_file(cohort, tmp_path / "d.jsonl", workers=2)
    run_file(cohort, tmp_path / "i.jsonl", workers=2, rules=RuleChoice.of(engine="interpreter"))
    durable = list(read_results(tmp_path / "d.jsonl"))
    interpreted = list(read_results(tmp_path / "i.jsonl"))
    assert {r["engine"] for r in interpreted} == {"interpreter"}
    default_engine = durable[0]["engine"]
    assert [{**r, "engine": default_engine} for r in interpreted] == durable


def test_worker_count_must_be_positive() -> None:
    """Zero workers is refused at once."""
    with pytest.raises(ValueError, match="workers"):
        list(evaluate_records([], "jsonl", workers=0))
