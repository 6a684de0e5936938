# SPDX-License-Identifier: MIT
"""Cross-field plausibility of a patient state: contradictions, and answers that follow from others.

A patient state whose fields contradict one another is rejected, naming every field involved
(:func:`contradictions`, run by the model's validator): acting on it could give advice for a
patient who does not exist. Where one answer follows from another that was given (a rest-pain
score of 9/10 means there is pain at rest), the unknown answer is filled in and marked as derived
(:func:`derive`), so the assessment neither asks for it again nor hides where it came from.

Which checks JSON Schema can state (field A's value constrains field B's) are also in the input
schema as ``if``/``then``; comparisons between two numbers are named in the descriptions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pht_rules.errors import FieldProblem

if TYPE_CHECKING:
    from pht_rules.patient.model import PatientState

__all__ = [
    "DERIVED_FROM",
    "LOADING_SCHEMA_CHECKS",
    "MIN_WEEKS_TO_COMPLETE",
    "SYMPTOMS_SCHEMA_CHECKS",
    "WEEKS_PER_YEAR",
    "Derived",
    "contradictions",
    "derivations",
    "derive",
]

WEEKS_PER_YEAR = 52.18
"""Mean weeks in a year (365.25 / 7)."""

MIN_WEEKS_TO_COMPLETE = 2
"""Fewest adherent loading weeks that any profile lets a programme be completed in.

The fastest path the parameter ranges allow: ``isometric_min_weeks`` can be 0 and
``heavy_load_min_weeks`` is at least 1, and the last (plyometric) phase takes at least one week.
A test checks this against the shipped parameter ranges.
"""


def _when(field: str, value: object, then: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema ``if``/``then``: when ``field`` is given as ``value``, ``then`` holds."""
    return {
        "if": {"properties": {field: {"const": value}}, "required": [field]},
        "then": {"properties": then},
    }


_NULL: dict[str, Any] = {"type": "null"}

SYMPTOMS_SCHEMA_CHECKS: dict[str, Any] = {
    "allOf": [
        _when("pain_at_rest", False, {"pain_at_rest_nrs": {"enum": [0, None]}}),
        _when("pain_at_rest", True, {"pain_at_rest_nrs": {"not": {"const": 0}}}),
        _when("pain_when_running", False, {"minutes_into_run_before_pain": _NULL}),
    ]
}
"""The checks of :func:`contradictions` on ``symptoms`` that JSON Schema can state."""

LOADING_SCHEMA_CHECKS: dict[str, Any] = {
    "allOf": [
        _when(
            "current_phase",
            "not-started",
            {
                "weeks_in_phase": _NULL,
                "exercise_pain_nrs": _NULL,
                "pain_settled_next_day": _NULL,
                "programme_completed": {"not": {"const": True}},
            },
        ),
        _when(
            "programme_completed",
            True,
            {
                "current_phase": {"not": {"enum": ["isometric", "heavy-load"]}},
                "weeks_adherent_loading": {"anyOf": [_NULL, {"minimum": MIN_WEEKS_TO_COMPLETE}]},
            },
        ),
    ]
}
"""The checks of :func:`contradictions` on ``loading`` that JSON Schema can state."""


def contradictions(s: PatientState) -> Iterator[FieldProblem]:
    """Every cross-field contradiction in ``s``; each message names all the fields involved."""
    sy, ld = s.symptoms, s.loading
    if sy.pain_at_rest is False and sy.pain_at_rest_nrs not in (None, 0):
        yield FieldProblem(
            "symptoms.pain_at_rest_nrs",
            f"is {sy.pain_at_rest_nrs} but symptoms.pain_at_rest is false",
        )
    if sy.pain_at_rest is True and sy.pain_at_rest_nrs == 0:
        yield FieldProblem("symptoms.pain_at_rest_nrs", "is 0 but symptoms.pain_at_rest is true")
    if sy.pain_when_running is False and sy.minutes_into_run_before_pain is not None:
        yield FieldProblem(
            "symptoms.minutes_into_run_before_pain",
            "is given but symptoms.pain_when_running is false (no pain when running)",
        )
    if ld.current_phase == "not-started":
        for name in ("weeks_in_phase", "exercise_pain_nrs", "pain_settled_next_day"):
            if getattr(ld, name) is not None:
                yield FieldProblem(
                    f"loading.{name}", "is given but loading.current_phase is 'not-started'"
                )
        if ld.programme_completed is True:
            yield FieldProblem(
                "loading.programme_completed", "is true but loading.current_phase is 'not-started'"
            )
    if ld.programme_completed is True and ld.current_phase in ("isometric", "heavy-load"):
        yield FieldProblem(
            "loading.programme_completed",
            f"is true but loading.current_phase is '{ld.current_phase}' (not the last phase)",
        )
    age, duration = s.age_years, s.symptom_duration_weeks
    # Age is in completed years, so the patient may be almost a year older than age_years.
    if age is not None and duration is not None and duration > (age + 1) * WEEKS_PER_YEAR:
        yield FieldProblem(
            "symptom_duration_weeks",
            f"is {duration} weeks (about {duration / WEEKS_PER_YEAR:.0f} years), longer than the "
            f"patient has lived (age_years {age})",
        )
    weeks = ld.weeks_adherent_loading
    if duration is not None and weeks is not None and weeks > duration:
        yield FieldProblem(
            "loading.weeks_adherent_loading",
            f"is {weeks} weeks, longer than symptom_duration_weeks ({duration})",
        )
    in_phase = ld.weeks_in_phase
    if duration is not None and in_phase is not None and in_phase > duration:
        yield FieldProblem(
            "loading.weeks_in_phase",
            f"is {in_phase} weeks, longer than symptom_duration_weeks ({duration})",
        )
    if ld.programme_completed is True and weeks is not None and weeks < MIN_WEEKS_TO_COMPLETE:
        yield FieldProblem(
            "loading.weeks_adherent_loading",
            f"is {weeks} but loading.programme_completed is true: completing the three phases "
            f"takes at least {MIN_WEEKS_TO_COMPLETE} adherent weeks under any profile",
        )


@dataclass(frozen=True, slots=True)
class Derived:
    """An unknown answer filled in from another answer: its field, value, and why."""

    field: str
    value: bool
    source: str  # the field it follows from
    reason: str

    def __str__(self) -> str:
        return f"{self.field} = {str(self.value).lower()} (derived: {self.reason})"


DERIVED_FROM = {"symptoms.pain_at_rest": "symptoms.pain_at_rest_nrs"}
"""Each answer that :func:`derivations` can fill in, and the field it follows from."""


def derivations(s: PatientState) -> tuple[Derived, ...]:
    """The unknown answers of ``s`` that follow from answers given."""
    out: list[Derived] = []
    sy = s.symptoms
    nrs = sy.pain_at_rest_nrs
    # Only a positive score is read as an answer: a 0 is left for the clinician to confirm, so
    # that a score never turns an unknown into a "no".
    if sy.pain_at_rest is None and nrs is not None and nrs > 0:
        out.append(
            Derived(
                "symptoms.pain_at_rest",
                True,
                "symptoms.pain_at_rest_nrs",
                f"rest pain scored {nrs}/10",
            )
        )
    return tuple(out)


def derive(s: PatientState) -> tuple[PatientState, tuple[Derived, ...]]:
    """``s`` with every derivable unknown answer filled in, and what was derived."""
    found = derivations(s)
    if not found:
        return s, ()
    groups: dict[str, dict[str, Any]] = {}
    for d in found:
        group, name = d.field.split(".", 1)
        groups.setdefault(group, {})[name] = d.value
    update = {g: getattr(s, g).model_copy(update=values) for g, values in groups.items()}
    return s.model_copy(update=update), found
