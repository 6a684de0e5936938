# SPDX-License-Identifier: MIT
"""DataFrame in, DataFrame out: the per-executor side of the Spark integration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pht_rules.errors import EvaluationError
from pht_rules.evaluation import Evaluator
from pht_rules.population import (
    InputFormat,
    RawRecord,
    RecordError,
    RuleChoice,
    assessment_row,
    decode,
    result_schema,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

POSITION = "_position"
"""A column that keeps the input order through a run (monotonically increasing, not contiguous)."""

_DOT = "__dot__"
"""Stands for '.' in column names while on Spark, which reads a dot as a struct field access."""

# One compiled evaluator per rule choice per Python worker: Spark reuses its Python workers
# (spark.python.worker.reuse, on by default), so the rules are compiled once per executor worker.
_evaluators: dict[RuleChoice, Evaluator] = {}


def _evaluator(choice: RuleChoice) -> Evaluator:
    ev = _evaluators.get(choice)
    if ev is None:
        ev = _evaluators[choice] = choice.evaluator()
    return ev


def _arrow_schema(decision_ids: list[str], full: bool, keep_position: bool) -> pa.Schema:
    import pyarrow as pa

    base = result_schema(decision_ids, full=full)
    fields = [pa.field("id", pa.string(), nullable=True), *list(base)[1:]]
    fields.append(pa.field("error", pa.string()))
    if keep_position:
        fields.append(pa.field(POSITION, pa.int64()))
    return pa.schema(fields)


def spark_result_schema(
    choice: RuleChoice | None = None, *, full: bool = False, keep_position: bool = False
) -> StructType:
    """The Spark schema of the result DataFrame: the result row columns, then ``error``."""
    from pyspark.sql.pandas.types import from_arrow_schema

    decisions = [d.id for d in (choice or RuleChoice()).ruleset().decisions]
    return from_arrow_schema(_arrow_schema(decisions, full, keep_position))


def _best_id(payload: Any) -> str | None:
    """The id of a rejected record, when one can be read: Spark rows have no line numbers."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError:
            return None
    if not isinstance(payload, dict):
        return None
    subject = payload.get("subject")
    raw = subject.get("reference") if isinstance(subject, dict) else payload.get("id")
    return None if raw is None else str(raw)


def _evaluate_row(
    ev: Evaluator, choice: RuleChoice, fmt: InputFormat, payload: Any, full: bool
) -> dict[str, Any]:
    try:
        patient_id, state = decode(fmt, RawRecord(0, payload))
        assessment = ev.evaluate(state)
    except (RecordError, EvaluationError) as exc:
        return {"id": _best_id(payload), "error": str(exc)}
    row = assessment_row(patient_id, assessment, engine=assessment.engine, full=full)
    row["error"] = None
    return row


def _mapper(
    choice: RuleChoice,
    fmt: InputFormat,
    full: bool,
    schema: pa.Schema,
    id_column: str,
    state_column: str | None,
    text_column: str,
    input_columns: list[str],
) -> Any:
    keep_position = POSITION in schema.names
    dotted = any(_DOT in name for name in input_columns)

    def evaluate_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        ev = _evaluator(choice)
        for batch in batches:
            rows = []
            for record in batch.to_pylist():
                if dotted:
                    record = {k.replace(_DOT, "."): v for k, v in record.items()}
                position = record.pop(POSITION, None)
                if fmt != "parquet":
                    payload: Any = record[text_column]
                elif state_column is not None:
                    payload = {"id": record.get(id_column), **(record[state_column] or {})}
                else:
                    if id_column != "id":
                        record["id"] = record.pop(id_column, None)
                    payload = record
                row = _evaluate_row(ev, choice, fmt, payload, full)
                if keep_position:
                    row[POSITION] = position
                rows.append(row)
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return evaluate_batches


def _evaluate(
    df: DataFrame,
    fmt: InputFormat,
    rules: RuleChoice | None,
    full: bool,
    id_column: str,
    state_column: str | None,
    text_column: str,
) -> DataFrame:
    from pyspark.sql.pandas.types import from_arrow_schema

    choice = rules or RuleChoice()
    decisions = [d.id for d in choice.ruleset().decisions]
    schema = _arrow_schema(decisions, full, POSITION in df.columns)
    if any("." in c for c in df.columns):
        df = df.toDF(*[c.replace(".", _DOT) for c in df.columns])
    fn = _mapper(choice, fmt, full, schema, id_column, state_column, text_column, df.columns)
    return df.mapInArrow(fn, from_arrow_schema(schema))


def evaluate_dataframe(
    df: DataFrame,
    *,
    rules: RuleChoice | None = None,
    full: bool = False,
    id_column: str = "id",
    state_column: str | None = None,
) -> DataFrame:
    """Evaluate each row of ``df`` (one patient) and return one result row per input row.

    The patient state is the struct column ``state_column`` if given; otherwise the row itself:
    group struct columns (``presentation``, ``symptoms``...) and top-level answers, or dotted
    column names. ``id_column`` names the patient id. The result has the columns of
    :func:`pht_rules.population.assessment_row` and ``error``: ``null`` for an evaluated patient,
    else why the record was rejected (its other columns are then ``null``).
    """
    return _evaluate(df, "parquet", rules, full, id_column, state_column, "value")


def evaluate_text(
    df: DataFrame,
    *,
    input_format: InputFormat = "jsonl",
    rules: RuleChoice | None = None,
    full: bool = False,
    text_column: str = "value",
) -> DataFrame:
    """Like :func:`evaluate_dataframe` for text lines (``spark.read.text``): JSON Lines of patient
    records, or FHIR Bulk Data NDJSON of QuestionnaireResponses (``input_format="fhir-ndjson"``)."""
    return _evaluate(df, input_format, rules, full, "id", None, text_column)


__all__ = [
    "POSITION",
    "evaluate_dataframe",
    "evaluate_text",
    "spark_result_schema",
]
