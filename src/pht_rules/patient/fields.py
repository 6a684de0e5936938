# SPDX-License-Identifier: MIT
"""The fields a rule may read: every leaf of :class:`~pht_rules.patient.model.PatientState`, by dotted path.

Derived from the model itself, so a rule is checked against exactly what a patient state can hold.
Decision outcomes are fields too (``decision.<id>``), added by the rule set that defines them.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel

from pht_rules.errors import UsageTypeError
from pht_rules.patient.model import PatientState

__all__ = [
    "UNDETERMINED",
    "FieldKind",
    "FieldSpec",
    "Scalar",
    "Snapshot",
    "decision_field",
    "input_fields",
]

FieldKind = Literal["bool", "int", "enum"]
Scalar = bool | int | str

Snapshot = Mapping[str, Scalar]
"""Known field values by path; a path that is absent is unknown."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What one field holds: its kind, its allowed values or range, and the question that fills it."""

    path: str
    kind: FieldKind
    title: str
    question: str
    values: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    unit: str | None = None

    def admits(self, value: object) -> bool:
        """Whether ``value`` is a well-typed, in-range value of this field."""
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return False
            lo = self.minimum if self.minimum is not None else value
            hi = self.maximum if self.maximum is not None else value
            return lo <= value <= hi
        return isinstance(value, str) and value in self.values


def _leaf_kind(annotation: Any) -> tuple[FieldKind, tuple[str, ...]]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    inner = args[0] if len(args) == 1 else annotation
    if inner is bool:
        return "bool", ()
    if inner is int:
        return "int", ()
    if typing.get_origin(inner) is Literal:
        return "enum", tuple(str(v) for v in typing.get_args(inner))
    # Every leaf of the model is an optional bool, int or Literal; anything else is a model bug.
    raise UsageTypeError(f"unsupported field annotation {annotation!r}")  # pragma: no cover


def _walk(model: type[BaseModel], prefix: str) -> typing.Iterator[FieldSpec]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _walk(annotation, path + ".")
            continue
        kind, values = _leaf_kind(annotation)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        lo = hi = None
        for meta in info.metadata:
            lo = getattr(meta, "ge", lo)
            hi = getattr(meta, "le", hi)
        yield FieldSpec(
            path=path,
            kind=kind,
            title=info.title or name,
            question=str(extra.get("question", info.title or name)),
            values=values,
            minimum=lo,
            maximum=hi,
            unit=str(extra["unit"]) if "unit" in extra else None,
        )


@cache
def input_fields() -> tuple[FieldSpec, ...]:
    """Every leaf field of the patient state, in model order."""
    return tuple(_walk(PatientState, ""))


def decision_field(decision_id: str, outcomes: tuple[str, ...], title: str) -> FieldSpec:
    """The field through which later decisions read ``decision_id``'s outcome.

    ``undetermined`` is not among its values: an undetermined decision reads as *unknown*.
    """
    return FieldSpec(
        path=f"decision.{decision_id}",
        kind="enum",
        title=f"Outcome of '{title}'",
        question=f"Answer the questions of the '{decision_id}' decision",
        values=tuple(o for o in outcomes if o != UNDETERMINED),
    )


UNDETERMINED = "undetermined"
"""The outcome every decision may give when it lacks information; later decisions read it as unknown."""
