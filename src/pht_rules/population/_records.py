# SPDX-License-Identifier: MIT
"""Reading a population: files of patient records, streamed, and each record decoded to a state.

Reading and decoding are split on purpose: the reader only cuts a file into raw records (a line
of text, a CSV row, a Parquet row), cheaply and in order, and the worker that evaluates a record
decodes it. So decoding runs on every core, and a record that cannot be decoded is a rejected
record with its position, never the end of the run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from pht_rules.errors import PatientStateError, PhtRulesError
from pht_rules.patient import PatientState, parse_state

InputFormat = Literal["jsonl", "csv", "parquet", "fhir-ndjson", "records"]
"""``records``: Python mappings handed over directly (no file)."""

INPUT_FORMATS: tuple[InputFormat, ...] = ("jsonl", "csv", "parquet", "fhir-ndjson")

_GROUPS = frozenset(
    name
    for name, info in PatientState.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
)


class RecordError(PhtRulesError, ValueError):
    """One population record cannot be read as a patient state.

    ``problems`` holds ``(field, message)`` pairs: the library's field errors for an invalid state,
    the ``linkId`` for a FHIR answer at fault, or ``<record>`` when the record itself is unreadable.
    """

    def __init__(self, message: str, problems: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as cut from its source: where it is (1-based line, row or item) and its payload."""

    position: int
    payload: Any


@dataclass(frozen=True, slots=True)
class Malformed:
    """The payload of a record the reader could cut but not read (a CSV row of the wrong width)."""

    message: str


def detect_format(path: str | Path) -> InputFormat:
    """The input format implied by a file name (``.jsonl``/``.ndjson``, ``.csv``, ``.parquet``).

    ``.ndjson`` files are read as JSON Lines of patient states; name ``fhir-ndjson`` explicitly
    for a FHIR Bulk Data export of QuestionnaireResponses.
    """
    name = str(path).lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    raise RecordError(
        f"{path}: cannot tell the input format from the file name; give it explicitly "
        f"(one of {', '.join(INPUT_FORMATS)})",
        [("<file>", "unknown extension")],
    )


def read_raw(path: str | Path, fmt: InputFormat, *, batch_size: int = 1024) -> Iterator[RawRecord]:
    """Cut ``path`` into raw records, in order, holding at most one batch in memory.

    JSON Lines (patient states or FHIR resources): one record per non-blank line, positioned by
    its line number. CSV: one record per data row, positioned by its line number in the file (the
    header is line 1). Parquet: one record per row, positioned from 1.
    """
    if fmt in ("jsonl", "fhir-ndjson"):
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    yield RawRecord(number, line)
    elif fmt == "csv":
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                return
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    problem = f"has {len(row)} cells, the header {len(header)}"
                    yield RawRecord(reader.line_num, Malformed(f"CSV row {problem}"))
                else:
                    yield RawRecord(reader.line_num, dict(zip(header, row, strict=True)))
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        position = 0
        with pq.ParquetFile(path) as pf:
            for batch in pf.iter_batches(batch_size=batch_size):
                for row in batch.to_pylist():
                    position += 1
                    yield RawRecord(position, row)
    else:
        raise RecordError(f"unknown input format {fmt!r}", [("<file>", "unknown format")])


def count_records(path: str | Path, fmt: InputFormat) -> int | None:
    """How many records ``path`` holds, cheaply (Parquet metadata, or a count of lines)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as pf:
            return int(pf.metadata.num_rows)
    total = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            total += chunk.count(b"\n")
    return total - 1 if fmt == "csv" else total


def unflatten(record: Mapping[str, Any]) -> dict[str, Any]:
    """A flat mapping with dotted keys (``symptoms.pain_at_rest``) as the nested patient state.

    A group that is ``None`` (a null struct in Parquet) is dropped: all its answers are unknown.
    """
    out: dict[str, Any] = {}
    for key, value in record.items():
        if "." in key:
            group, _, leaf = key.partition(".")
            target = out.setdefault(group, {})
            if not isinstance(target, dict):
                raise RecordError(
                    f"column {key!r} clashes with column {group!r}",
                    [(key, f"clashes with column {group!r}")],
                )
            target[leaf] = value
        elif value is None and key in _GROUPS:
            continue
        else:
            out[key] = value
    return out


def _csv_value(text: str) -> Any:
    # CSV has no types: empty is unknown, true/false are answers, digits are numbers; enum
    # values are never all digits, so this reading is unambiguous for the patient model.
    if text == "":
        return None
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    return text


def _split_id(data: dict[str, Any], position: int) -> tuple[str, dict[str, Any]]:
    raw_id = data.pop("id", None)
    if "state" in data and isinstance(data["state"], Mapping) and len(data) == 1:
        data = dict(data["state"])
    if raw_id is None or raw_id == "":
        return str(position), data
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise RecordError(
            f"'id' must be a string or a whole number, got {type(raw_id).__name__}",
            [("id", "must be a string or a whole number")],
        )
    return str(raw_id), data


def decode(fmt: InputFormat, record: RawRecord) -> tuple[str, PatientState]:
    """The patient id and validated state of one raw record.

    The id is the record's ``id`` (a JSON key, CSV or Parquet column; for FHIR the response's
    ``subject.reference``, else its ``id``), or its position when it has none. Raises
    :class:`RecordError` carrying the library's field errors; nothing is returned partially.
    """
    payload = record.payload
    if isinstance(payload, Malformed):
        raise RecordError(payload.message, [("<record>", payload.message)])
    if fmt == "fhir-ndjson":
        return _decode_fhir(payload, record.position)
    if fmt in ("jsonl", "records"):
        if isinstance(payload, bytes | str):
            try:
                payload = json.loads(payload)
            except (ValueError, UnicodeDecodeError) as exc:
                raise RecordError(
                    f"not valid JSON: {exc}", [("<record>", "not valid JSON")]
                ) from None
        if not isinstance(payload, Mapping):
            raise RecordError(
                f"a patient record must be a JSON object, got {type(payload).__name__}",
                [("<record>", "not an object")],
            )
        data = dict(payload)
    elif fmt == "csv":
        data = unflatten({k: _csv_value(v) for k, v in payload.items()})
    else:
        data = unflatten(payload)
    patient_id, data = _split_id(data, record.position)
    try:
        return patient_id, parse_state(data)
    except PatientStateError as exc:
        raise RecordError(str(exc), [(p.field_path, p.message) for p in exc.problems]) from None


def _decode_fhir(payload: Any, position: int) -> tuple[str, PatientState]:
    from pht_rules.fhir import FhirInputError, response_to_state

    try:
        resource = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"not valid JSON: {exc}", [("<record>", "not valid JSON")]) from None
    if not isinstance(resource, Mapping):
        raise RecordError("a FHIR resource must be a JSON object", [("<record>", "not an object")])
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    patient_id = str(ref or resource.get("id") or position)
    try:
        return patient_id, response_to_state(resource)
    except FhirInputError as exc:
        raise RecordError(
            str(exc),
            [(p.link_id or p.expression or "<resource>", p.message) for p in exc.problems],
        ) from None


__all__ = [
    "INPUT_FORMATS",
    "InputFormat",
    "Malformed",
    "RawRecord",
    "RecordError",
    "count_records",
    "decode",
    "detect_format",
    "read_raw",
    "unflatten",
]
