# SPDX-License-Identifier: MIT
"""Hypothesis strategies over the whole valid patient-state domain, unknowns included.

States are built to satisfy the model's cross-field rules by construction (no filtering), so
generation is fast and shrinking ends at small, readable patients.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from pht_rules.fields import FieldSpec, input_fields
from pht_rules.models import PatientState


def _leaf(spec: FieldSpec, unknown_weight: float) -> st.SearchStrategy[Any]:
    if spec.kind == "bool":
        known: st.SearchStrategy[Any] = st.booleans()
    elif spec.kind == "enum":
        known = st.sampled_from(spec.values)
    else:
        lo = spec.minimum if spec.minimum is not None else 0
        hi = spec.maximum if spec.maximum is not None else 1000
        known = st.integers(lo, hi)
    if unknown_weight <= 0:
        return known
    # None first, so that shrinking heads towards "unknown" - the smallest patient asks questions.
    return st.one_of(st.none(), known) if unknown_weight >= 0.5 else st.one_of(known, st.none())


def _make_consistent(data: dict[str, Any]) -> dict[str, Any]:
    """Adjust a raw draw so that it satisfies the model's contradiction rules."""
    sy, ld = data["symptoms"], data["loading"]
    if sy["pain_at_rest"] is False and sy["pain_at_rest_nrs"] not in (None, 0):
        sy["pain_at_rest_nrs"] = 0
    if sy["pain_at_rest"] is True and sy["pain_at_rest_nrs"] == 0:
        sy["pain_at_rest_nrs"] = 1
    if sy["pain_when_running"] is False:
        sy["minutes_into_run_before_pain"] = None
    if ld["current_phase"] == "not-started":
        ld["weeks_in_phase"] = ld["exercise_pain_nrs"] = ld["pain_settled_next_day"] = None
        if ld["programme_completed"] is True:
            ld["programme_completed"] = False
    if ld["programme_completed"] is True and ld["current_phase"] in ("isometric", "heavy-load"):
        ld["programme_completed"] = False
    duration, weeks = data["symptom_duration_weeks"], ld["weeks_adherent_loading"]
    if duration is not None and weeks is not None and weeks > duration:
        ld["weeks_adherent_loading"] = duration
    return data


CLEAR_SCREEN: dict[str, Any] = {
    "onset": "gradual",
    "pain_site": "ischial-tuberosity",
    "acute_event_pop_or_bruising": False,
    "neurological_symptoms": False,
    "cauda_equina_symptoms": False,
    "night_pain": False,
    "systemic_symptoms": False,
}
"""A presentation typical of PHT with every red flag answered "no"."""


def patient_dicts(
    *, unknown_weight: float = 0.3, clear_screen: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid patient states as plain JSON-like dicts (every field present; ``None`` = unknown).

    ``unknown_weight`` of 0 gives fully known states; 0.5 or more makes unknown the preferred
    (first) choice of every field. ``clear_screen`` fixes the presentation to
    :data:`CLEAR_SCREEN` and the age to an adult's, so that the whole pathway is exercised.
    """
    if not 0 <= unknown_weight <= 1:
        raise ValueError("unknown_weight must be between 0 and 1")
    groups: dict[str, dict[str, st.SearchStrategy[Any]]] = {}
    top: dict[str, st.SearchStrategy[Any]] = {}
    for spec in input_fields():
        head, _, tail = spec.path.partition(".")
        if tail:
            groups.setdefault(head, {})[tail] = _leaf(spec, unknown_weight)
        else:
            top[head] = _leaf(spec, unknown_weight)
    if clear_screen:
        groups["presentation"] = {k: st.just(v) for k, v in CLEAR_SCREEN.items()}
        top["age_years"] = st.integers(18, 90)
    shape = {**top, **{name: st.fixed_dictionaries(g) for name, g in groups.items()}}
    return st.fixed_dictionaries(shape).map(_make_consistent)


def patient_states(
    *, unknown_weight: float = 0.3, clear_screen: bool = False
) -> st.SearchStrategy[PatientState]:
    """Valid :class:`~pht_rules.models.PatientState` objects over the whole domain."""
    return patient_dicts(unknown_weight=unknown_weight, clear_screen=clear_screen).map(
        PatientState.model_validate
    )
