# SPDX-License-Identifier: MIT
"""Spark: DataFrames of patients give exactly the rows of the local run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pht_rules.population import (
    RuleChoice,
    read_results,
    run_file,
    state_schema,
    synthetic_cohort,
    write_cohort,
)
from pht_rules.population.spark import (
    evaluate_dataframe,
    evaluate_text,
    run_spark_file,
    spark_result_schema,
)

pytestmark = pytest.mark.spark

N = 400


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark") / "cohort.parquet"
    write_cohort(path, N, seed=21)
    return path


@pytest.fixture(scope="module")
def local_rows(cohort: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("local") / "rows.jsonl"
    run_file(cohort, out, workers=1)
    return list(read_results(out))


def _rows(df: Any) -> list[dict[str, Any]]:
    rows = [r.asDict(recursive=True) for r in df.collect()]
    for row in rows:
        assert row.pop("error") is None
    return sorted(rows, key=lambda r: r["id"])


def test_group_struct_columns_give_the_local_rows(
    spark: Any, cohort: Path, local_rows: list[dict[str, Any]]
) -> None:
    """A DataFrame read from the Parquet cohort (one struct per group) matches run_file."""
    df = spark.read.parquet(str(cohort)).repartition(3)
    assert _rows(evaluate_dataframe(df)) == local_rows


def test_state_struct_column(spark: Any, tmp_path: Path, local_rows: list[dict[str, Any]]) -> None:
    """Patient states in one struct column, ids in another, give the same rows."""
    table = pa.Table.from_pylist(list(synthetic_cohort(N, seed=21)), schema=state_schema())
    nested = pa.table({"pid": table["id"], "state": table.drop(["id"]).to_struct_array()})
    pq.write_table(nested, tmp_path / "nested.parquet")
    df = spark.read.parquet(str(tmp_path / "nested.parquet"))
    result = evaluate_dataframe(df, id_column="pid", state_column="state")
    assert _rows(result) == local_rows


def test_dotted_columns(spark: Any, tmp_path: Path, local_rows: list[dict[str, Any]]) -> None:
    """Flat dotted columns (symptoms.pain_at_rest) read as the nested state."""
    table = pa.Table.from_pylist(list(synthetic_cohort(N, seed=21)), schema=state_schema())
    pq.write_table(table.flatten(), tmp_path / "flat.parquet")
    df = spark.read.parquet(str(tmp_path / "flat.parquet"))
    assert "symptoms.pain_at_rest" in df.columns
    assert _rows(evaluate_dataframe(df)) == local_rows


def test_bad_rows_carry_their_error(spark: Any) -> None:
    """An invalid record gives a row with its id and the field errors, nothing else."""
    lines = [json.dumps({"id": "ok", "age_years": 30}), json.dumps({"id": "bad", "age_years": 999})]
    df = spark.createDataFrame([(line,) for line in lines], "value string")
    rows = {r["id"]: r for r in evaluate_text(df).collect()}
    assert rows["ok"]["error"] is None and rows["ok"]["outcomes"] is not None
    assert "age_years" in rows["bad"]["error"] and rows["bad"]["outcomes"] is None


def test_result_schema_names_every_decision() -> None:
    """The result schema has one outcome column per decision of the rule set."""
    schema = spark_result_schema(RuleChoice())
    outcomes = schema["outcomes"].dataType
    assert [f.name for f in outcomes.fields][:2] == ["presentation", "irritability"]
    assert schema.fieldNames()[-1] == "error"


def test_run_spark_file_matches_run_file_in_order(
    spark: Any, cohort: Path, tmp_path: Path, local_rows: list[dict[str, Any]]
) -> None:
    """A whole Spark run writes the local rows in input order, with balanced counts."""
    summary = run_spark_file(cohort, tmp_path / "out.parquet", spark=spark)
    assert (summary.read, summary.written, summary.rejected) == (N, N, 0)
    assert list(read_results(tmp_path / "out.parquet")) == local_rows


def test_run_spark_file_on_json_lines_with_a_bad_record(spark: Any, tmp_path: Path) -> None:
    """JSON Lines on Spark: rejected records go to the error file and the counts balance."""
    source = tmp_path / "c.jsonl"
    write_cohort(source, 30, seed=2)
    with source.open("a") as fh:
        fh.write('{"id": "broken", "age_years": -5}\n')
    summary = run_spark_file(source, tmp_path / "out.parquet", spark=spark)
    assert (summary.read, summary.written, summary.rejected) == (31, 30, 1) and summary.balanced
    error = json.loads(summary.errors.read_text())
    assert error["id"] == "broken" and "age_years" in error["error"]
    run_file(source, tmp_path / "local.jsonl")
    assert list(read_results(tmp_path / "out.parquet")) == list(
        read_results(tmp_path / "local.jsonl")
    )
