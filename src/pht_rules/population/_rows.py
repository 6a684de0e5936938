# SPDX-License-Identifier: MIT
"""One result row per patient: the compact, columnar view of an assessment.

:func:`assessment_row` is the one place where an assessment becomes a row, so a faster way of
getting the same facts (an outcomes-only evaluation) can replace it without touching readers,
workers or writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pht_rules.definitions import RuleSet
from pht_rules.evaluation import Assessment

if TYPE_CHECKING:
    import pyarrow as pa

ROW_COLUMNS = ("id", "outcomes", "fired", "open_questions", "gaps", "fingerprint", "engine")
"""The columns of a result row, in order; ``assessment`` follows when full assessments are kept."""


def assessment_row(
    patient_id: str, assessment: Assessment, *, engine: str, full: bool = False
) -> dict[str, Any]:
    """The result row of one patient.

    ``outcomes`` maps each decision to its outcome (for a ``collect`` decision, the first of its
    outcomes); ``fired`` lists every rule that fired, in decision order, outranked ones included;
    ``open_questions`` the unknown fields some decision depends on (questions to ask);
    ``gaps`` the decisions the guideline or the rule set does not cover for this patient.
    With ``full``, ``assessment`` holds the whole assessment as JSON text.
    """
    row: dict[str, Any] = {
        "id": patient_id,
        "outcomes": {d.decision_id: d.outcome for d in assessment.decisions},
        "fired": [h.rule_id for d in assessment.decisions for h in d.hits],
        "open_questions": [n.field for n in assessment.needs_information],
        "gaps": [{"decision": g.decision_id, "kind": g.kind} for g in assessment.guideline_gaps],
        "fingerprint": assessment.ruleset.fingerprint,
        "engine": engine,
    }
    if full:
        row["assessment"] = assessment.to_json()
    return row


def result_schema(decision_ids: Sequence[str], *, full: bool = False) -> pa.Schema:
    """The Arrow schema of result rows for a rule set with these decisions."""
    import pyarrow as pa

    fields = [
        pa.field("id", pa.string(), nullable=False),
        pa.field("outcomes", pa.struct([pa.field(d, pa.string()) for d in decision_ids])),
        pa.field("fired", pa.list_(pa.string())),
        pa.field("open_questions", pa.list_(pa.string())),
        pa.field(
            "gaps",
            pa.list_(pa.struct([pa.field("decision", pa.string()), pa.field("kind", pa.string())])),
        ),
        pa.field("fingerprint", pa.string()),
        pa.field("engine", pa.string()),
    ]
    if full:
        fields.append(pa.field("assessment", pa.string()))
    return pa.schema(fields)


def ruleset_schema(ruleset: RuleSet, *, full: bool = False) -> pa.Schema:
    """:func:`result_schema` for ``ruleset``'s decisions."""
    return result_schema([d.id for d in ruleset.decisions], full=full)


def error_row(
    source: str,
    position: int | None,
    message: str,
    problems: Sequence[tuple[str, str]],
    *,
    patient_id: str | None = None,
) -> dict[str, Any]:
    """The error-file entry of a rejected record: where it is, and every field error.

    ``position`` is the line (JSON Lines, CSV) or row (Parquet) number; Spark, which has no row
    numbers, gives the record's ``id`` instead.
    """
    return {
        "source": source,
        "position": position,
        "id": patient_id,
        "error": message,
        "problems": [{"field": f, "message": m} for f, m in problems],
    }


__all__ = [
    "ROW_COLUMNS",
    "assessment_row",
    "error_row",
    "result_schema",
    "ruleset_schema",
]
