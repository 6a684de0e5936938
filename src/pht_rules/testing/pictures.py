# SPDX-License-Identifier: MIT
"""Named clinical pictures as hypothesis strategies, built as constraints rather than filters.

Each picture fixes what defines it and draws everything else freely (unknowns included), then
repairs cross-field contradictions without touching the defining answers. Nothing is rejected, so
every draw is a valid patient of the picture, and shrinking heads for the smallest patient that
still has it.

=====================================  =========================================================
:func:`irritable_patients`             clear screen; pain at rest, on walking or on sitting
:func:`less_irritable_patients`        clear screen; none of those, and running pain late in the
                                       run (at or after ``less_irritable_onset_minutes``) or none
:func:`red_flag_patients`              at least one red flag (cauda equina, avulsion signs,
                                       systemic symptoms, night pain, neurological symptoms, or
                                       younger than ``adolescent_age_below``)
:func:`recalcitrant_patients`          clear screen; an adequate loading programme (at least
                                       ``adequate_trial_weeks`` adherent weeks, or completed)
                                       without meaningful improvement
:func:`inadequate_trial_patients`      clear screen; not improving, but fewer than
                                       ``adequate_trial_weeks`` adherent weeks and the programme
                                       not completed: not yet to be escalated
:func:`loading_phase_patients`         clear screen; in one given loading phase
=====================================  =========================================================

Thresholds are read from ``ruleset`` (default: the bundled rules) under ``profile``. The pictures
defined by answers that could be missing (less irritable, recalcitrant, inadequate trial) take
``unanswered``: the chance that each defining answer is left unknown instead. Such a patient is
"the picture, as far as is known", exactly where reading an unknown as the missing answer would
give advice the patient has not qualified for.
:data:`PICTURES` maps each picture's name to a zero-argument factory, for parametrised tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from pht_rules.definitions.ruleset import RuleSet
from pht_rules.errors import UsageError
from pht_rules.patient.model import LoadingPhase, PatientState
from pht_rules.testing._rules import ProfileLike, options
from pht_rules.testing.strategies import (
    CLEAR_SCREEN,
    Draw,
    _named_composite,
    _validate,
    adult_ages,
    check_weight,
    coin,
    draw_flat,
    make_consistent,
    maybe_unknown,
    nest,
    prepared,
)

__all__ = [
    "IRRITABILITY_FIELDS",
    "LOADING_PHASES",
    "PICTURES",
    "RED_FLAGS",
    "TRIAL_FIELDS",
    "inadequate_trial_patients",
    "irritable_patients",
    "less_irritable_patients",
    "loading_phase_patients",
    "recalcitrant_patients",
    "red_flag_patients",
]

IRRITABILITY_FIELDS = (
    "symptoms.pain_at_rest",
    "symptoms.pain_on_walking",
    "symptoms.pain_on_sitting",
)
"""The answers that make a presentation irritable (ART-IRR-1)."""

RED_FLAGS = (
    "presentation.cauda_equina_symptoms",
    "presentation.acute_event_pop_or_bruising",
    "presentation.onset",
    "presentation.systemic_symptoms",
    "presentation.night_pain",
    "presentation.neurological_symptoms",
    "age_years",
)
"""The red flags a :func:`red_flag_patients` patient may carry (one is always present)."""

TRIAL_FIELDS = (
    "loading.weeks_adherent_loading",
    "loading.programme_completed",
    "loading.symptoms_improving",
)
"""The answers that say whether a loading trial was adequate and failed."""

LOADING_PHASES: tuple[LoadingPhase, ...] = ("not-started", "isometric", "heavy-load", "plyometric")
"""Every value of ``loading.current_phase``."""


def _base(
    draw: Draw, opts: Mapping[str, Any], *, clear_screen: bool
) -> tuple[dict[str, Any], dict[str, int]]:
    """A flat draw of every field, with the picture's common options applied."""
    weight = opts.get("unknown_weight", 0.2)
    params, fields = prepared(opts, unknown_weight=weight, boundary_weight=0.5)
    return draw_flat(draw, fields, clear_screen=clear_screen, params=params), params


def _leave_unanswered(
    draw: Draw, flat: dict[str, Any], paths: tuple[str, ...], weight: float
) -> None:
    if weight > 0:
        for path in paths:
            if draw(coin(weight)):
                flat[path] = None


def _finish(flat: dict[str, Any]) -> PatientState:
    return PatientState.model_validate(make_consistent(nest(flat)))


def _irritable_body(draw: Draw, **opts: Any) -> PatientState:
    flat, _ = _base(draw, opts, clear_screen=True)
    # Which answers are "yes" is itself drawn (at least one); the others stay free.
    yes = draw(st.sets(st.sampled_from(IRRITABILITY_FIELDS), min_size=1))
    for path in yes:
        flat[path] = True
    return _finish(flat)


def _less_irritable_body(draw: Draw, **opts: Any) -> PatientState:
    flat, params = _base(draw, opts, clear_screen=True)
    for path in IRRITABILITY_FIELDS:
        flat[path] = False
    late = params["less_irritable_onset_minutes"]
    runs_painfully = draw(st.booleans())
    flat["symptoms.pain_when_running"] = runs_painfully
    if runs_painfully:
        flat["symptoms.minutes_into_run_before_pain"] = draw(
            st.one_of(st.sampled_from((late, late + 1)), st.integers(late, 600))
        )
    defining = (*IRRITABILITY_FIELDS, "symptoms.pain_when_running")
    _leave_unanswered(draw, flat, defining, opts.get("unanswered", 0.0))
    return _finish(flat)


def _red_flag_body(draw: Draw, **opts: Any) -> PatientState:
    flat, params = _base(draw, opts, clear_screen=False)
    # The rest of the screen is free, but often clear: a lone red flag is the telling case.
    for path, value in CLEAR_SCREEN.items():
        if draw(coin(0.6)):
            flat[f"presentation.{path}"] = value
    if draw(coin(0.6)):
        flat["age_years"] = draw(adult_ages(params))
    flag = draw(st.sampled_from(RED_FLAGS))
    if flag == "presentation.onset":
        flat[flag] = "sudden"
    elif flag == "age_years":
        below = params["adolescent_age_below"]
        flat[flag] = draw(st.one_of(st.just(below - 1), st.integers(0, below - 1)))
    else:
        flat[flag] = True
    return _finish(flat)


def _recalcitrant_body(draw: Draw, **opts: Any) -> PatientState:
    flat, params = _base(draw, opts, clear_screen=True)
    adequate = params["adequate_trial_weeks"]
    flat["loading.symptoms_improving"] = False
    if draw(st.booleans()):  # adequate by adherent weeks
        weeks = draw(st.one_of(st.just(adequate), st.integers(adequate, 520)))
        flat["loading.weeks_adherent_loading"] = weeks
        duration = flat["symptom_duration_weeks"]
        if duration is not None and duration < weeks:
            flat["symptom_duration_weeks"] = draw(
                maybe_unknown(st.integers(weeks, 1040), opts.get("unknown_weight", 0.2))
            )
    else:  # adequate by a completed programme, which ends in the last phase
        flat["loading.programme_completed"] = True
        flat["loading.current_phase"] = draw(
            maybe_unknown(st.just("plyometric"), opts.get("unknown_weight", 0.2))
        )
    _leave_unanswered(draw, flat, TRIAL_FIELDS, opts.get("unanswered", 0.0))
    return _finish(flat)


def _inadequate_trial_body(draw: Draw, **opts: Any) -> PatientState:
    flat, params = _base(draw, opts, clear_screen=True)
    adequate = params["adequate_trial_weeks"]
    flat["loading.symptoms_improving"] = False
    flat["loading.programme_completed"] = False
    weeks = draw(st.one_of(st.just(adequate - 1), st.integers(0, adequate - 1)))
    flat["loading.weeks_adherent_loading"] = weeks
    duration = flat["symptom_duration_weeks"]
    if duration is not None and duration < weeks:
        flat["symptom_duration_weeks"] = weeks
    _leave_unanswered(draw, flat, TRIAL_FIELDS, opts.get("unanswered", 0.0))
    return _finish(flat)


def _phase_body(draw: Draw, *, phase: str, **opts: Any) -> PatientState:
    flat, _ = _base(draw, opts, clear_screen=True)
    flat["loading.current_phase"] = phase
    return _finish(flat)


_irritable = _named_composite("irritable_patients", _irritable_body)
_less_irritable = _named_composite("less_irritable_patients", _less_irritable_body)
_red_flag = _named_composite("red_flag_patients", _red_flag_body)
_recalcitrant = _named_composite("recalcitrant_patients", _recalcitrant_body)
_phase = _named_composite("loading_phase_patients", _phase_body)
_inadequate_trial = _named_composite("inadequate_trial_patients", _inadequate_trial_body)


def _opts(
    unknown_weight: float,
    ruleset: RuleSet | None,
    profile: ProfileLike,
    unanswered: float | None = None,
) -> dict[str, Any]:
    _validate(unknown_weight, ruleset, profile)
    if unanswered is not None:
        check_weight("unanswered", unanswered)
    return options(
        unknown_weight=unknown_weight,
        unanswered=unanswered or None,
        ruleset=ruleset,
        profile=profile,
    )


def irritable_patients(
    *, unknown_weight: float = 0.2, ruleset: RuleSet | None = None, profile: ProfileLike = None
) -> st.SearchStrategy[PatientState]:
    """Clear-screen patients with pain at rest, on walking or on sitting (one or more)."""
    return _irritable(**_opts(unknown_weight, ruleset, profile))


def less_irritable_patients(
    *,
    unknown_weight: float = 0.2,
    unanswered: float = 0.0,
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
) -> st.SearchStrategy[PatientState]:
    """Clear-screen patients with no pain at rest, on walking or on sitting, whose running pain
    starts at or after ``less_irritable_onset_minutes`` (or who have none when running).

    With ``unanswered`` > 0, each of those answers is left unknown with that chance.
    """
    return _less_irritable(**_opts(unknown_weight, ruleset, profile, unanswered))


def red_flag_patients(
    *, unknown_weight: float = 0.2, ruleset: RuleSet | None = None, profile: ProfileLike = None
) -> st.SearchStrategy[PatientState]:
    """Patients with at least one red flag (see :data:`RED_FLAGS`). The rest of the screen is
    free, but each answer is clear ("no", gradual, at the sitting bone, adult) more often than
    not, so that lone red flags, the telling case for a rule that misses one, are common."""
    return _red_flag(**_opts(unknown_weight, ruleset, profile))


def recalcitrant_patients(
    *,
    unknown_weight: float = 0.2,
    unanswered: float = 0.0,
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
) -> st.SearchStrategy[PatientState]:
    """Clear-screen patients who have not improved after an adequate loading programme: at least
    ``adequate_trial_weeks`` of adherent loading, or the whole programme completed.

    With ``unanswered`` > 0, each of :data:`TRIAL_FIELDS` is left unknown with that chance.
    """
    return _recalcitrant(**_opts(unknown_weight, ruleset, profile, unanswered))


def inadequate_trial_patients(
    *,
    unknown_weight: float = 0.2,
    unanswered: float = 0.0,
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
) -> st.SearchStrategy[PatientState]:
    """Clear-screen patients who are not improving, with fewer than ``adequate_trial_weeks`` of
    adherent loading and the programme not completed: too early for any escalation.

    With ``unanswered`` > 0, each of :data:`TRIAL_FIELDS` is left unknown with that chance.
    """
    return _inadequate_trial(**_opts(unknown_weight, ruleset, profile, unanswered))


def loading_phase_patients(
    phase: LoadingPhase,
    *,
    unknown_weight: float = 0.2,
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
) -> st.SearchStrategy[PatientState]:
    """Clear-screen patients in loading phase ``phase`` (one of :data:`LOADING_PHASES`)."""
    if phase not in LOADING_PHASES:
        raise UsageError(f"phase must be one of {list(LOADING_PHASES)}, got {phase!r}")
    return _phase(phase=phase, **_opts(unknown_weight, ruleset, profile))


def _in_phase(phase: LoadingPhase) -> Callable[[], st.SearchStrategy[PatientState]]:
    def factory() -> st.SearchStrategy[PatientState]:
        return loading_phase_patients(phase)

    return factory


PICTURES: Mapping[str, Callable[[], st.SearchStrategy[PatientState]]] = {
    "irritable": irritable_patients,
    "less-irritable": less_irritable_patients,
    "red-flag": red_flag_patients,
    "recalcitrant": recalcitrant_patients,
    "inadequate-trial": inadequate_trial_patients,
    **{f"phase-{phase}": _in_phase(phase) for phase in LOADING_PHASES},
}
"""Every named picture (bundled rules, default options), by name."""
