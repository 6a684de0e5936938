# SPDX-License-Identifier: MIT
"""History derived from the visits: what a single consultation has to be told, worked out instead.

:func:`derive` takes the course so far and the next visit and returns the derived history at that
visit, each value with the visits it came from, and the course after it. A value typed into the
visit's state is compared with the derived one: when they agree the typed value is used; when
they disagree the conflict is reported and the rules get *unknown*, so the decision asks rather
than believing either; when nothing can be derived the typed value is used and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pht_rules.episodes.derived import (
    TREND_MEASURE,
    Derived,
    FlareUp,
    History,
    Trend,
    TrendDirection,
    combine,
)
from pht_rules.episodes.model import Visit
from pht_rules.episodes.thresholds import ADHERENCE_PERCENT, TREND_PERCENT, TREND_POINTS, Settings
from pht_rules.patient import PatientState

__all__ = [
    "LOADING_PHASES",
    "PHASES",
    "Course",
    "derive",
]

PHASES = ("not-started", "isometric", "heavy-load", "plyometric")
LOADING_PHASES = PHASES[1:]


@dataclass(frozen=True, slots=True)
class Course:
    """What the derivations carry from one visit to the next (dates absolute, visits by index)."""

    names: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    phase: str | None = None
    phase_start: int | None = None  # index of the visit after which the phase began
    phase_offset_weeks: int | None = 0  # weeks in phase already at phase_start (typed baseline)
    adherent_days: int | None = 0
    adherent_from: int = 0  # first visit index the adherent count rests on
    adherent_anchor: str = ""
    phases_seen: frozenset[str] = frozenset()
    phases_known: bool = True
    baseline_activity: int | None = None
    baseline_duration: int | None = None
    run_start: int | None = None  # index after which continuous running began
    run_offset_weeks: int | None = 0
    running_stopped: int | None = None  # index of the visit at which running was stopped
    last_outcomes: tuple[tuple[str, str], ...] = field(default=())

    def weeks_between(self, start: int, end: int) -> int:
        """Whole weeks between two visits."""
        return (self.dates[end] - self.dates[start]).days // 7


def _get(state: PatientState, path: str) -> Any:
    target: Any = state
    for part in path.split("."):
        target = getattr(target, part)
    return target


def _span(names: tuple[str, ...], start: int, end: int) -> tuple[str, ...]:
    return names[start : end + 1]


def _trend(course: Course, state: PatientState, index: int) -> Trend:
    base, now = course.baseline_activity, state.symptoms.pain_during_activity_nrs
    visits = (course.names[0], course.names[index]) if index else (course.names[0],)
    provenance = f"{TREND_POINTS.provenance}: {TREND_POINTS.description}"
    rule = (
        f"improving: down {TREND_POINTS.value} points or {TREND_PERCENT.value}% from baseline; "
        f"worse: up {TREND_POINTS.value} points; otherwise static"
    )
    if index == 0:
        return Trend("unknown", TREND_MEASURE, base, now, "baseline visit", provenance, visits)
    if base is None or now is None:
        return Trend(
            "unknown",
            TREND_MEASURE,
            base,
            now,
            f"activity pain unknown ({rule})",
            provenance,
            visits,
        )
    change = now - base
    if -change >= TREND_POINTS.value or (base > 0 and -change * 100 >= TREND_PERCENT.value * base):
        direction: TrendDirection = "improving"
    elif change >= TREND_POINTS.value:
        direction = "worse"
    else:
        direction = "static"
    basis = f"activity pain {base} -> {now}/10 ({change:+d}); {rule}"
    return Trend(direction, TREND_MEASURE, base, now, basis, provenance, visits)


def derive(
    course: Course, visit: Visit, settings: Settings
) -> tuple[History, PatientState, Course]:
    """The derived history at ``visit`` (the next one after ``course``), the state the rules get
    (the visit's state with the derived values in force), and the course after it."""
    index = len(course.names)
    c = replace(course, names=(*course.names, visit.name(index)), dates=(*course.dates, visit.date))
    state = visit.state
    ld = state.loading
    names = c.names
    if index == 0:
        c = replace(
            c,
            baseline_activity=state.symptoms.pain_during_activity_nrs,
            baseline_duration=state.symptom_duration_weeks,
        )
    derived: list[Derived] = []

    # Phase and weeks in it. loading.current_phase is the phase done since the previous visit,
    # so a phase first reported at visit k began after visit k-1.
    phase = ld.current_phase
    if phase is None:
        c = replace(c, phase=None, phase_start=None, phases_known=False)
    elif index == 0:
        c = replace(
            c,
            phase=phase,
            phase_start=0,
            phase_offset_weeks=0 if phase == "not-started" else ld.weeks_in_phase,
            phases_seen=frozenset({phase}),
        )
    elif phase != c.phase or c.phase_start is None:
        c = replace(
            c,
            phase=phase,
            phase_start=index - 1,
            phase_offset_weeks=0,
            phases_seen=c.phases_seen | {phase},
        )
    if phase == "not-started":
        pass  # the patient model rejects weeks in phase for a programme not started
    elif index == 0:
        derived.append(
            combine("loading.weeks_in_phase", None, ld.weeks_in_phase, "baseline", names[:1])
        )
    else:
        weeks: int | None = None
        basis = "current phase unknown"
        visits = names[index:]
        if c.phase_start is not None and c.phase_offset_weeks is not None:
            weeks = c.weeks_between(c.phase_start, index) + c.phase_offset_weeks
            visits = _span(names, c.phase_start, index)
            basis = f"{phase} since {c.dates[c.phase_start]}"
            if c.phase_offset_weeks:
                basis += f" (plus {c.phase_offset_weeks} week(s) typed at baseline)"
        elif c.phase_start is not None:
            basis = "weeks in phase at baseline unknown"
        derived.append(
            combine("loading.weeks_in_phase", weeks, ld.weeks_in_phase, basis, visits, weeks=True)
        )

    # Adherent weeks: stretches between visits with enough of the prescribed sessions done.
    if index == 0:
        typed = ld.weeks_adherent_loading
        start_days = 0 if phase == "not-started" and typed in (None, 0) else None
        if typed is not None:
            start_days = typed * 7
        c = replace(c, adherent_days=start_days, adherent_from=0, adherent_anchor="baseline")
        value = None if start_days is None else start_days // 7
        derived.append(
            combine("loading.weeks_adherent_loading", value, typed, "baseline", names[:1])
        )
    else:
        days = (visit.date - c.dates[index - 1]).days
        done, prescribed = visit.sessions_completed, visit.sessions_prescribed
        if c.adherent_days is not None:
            if phase == "not-started":
                gained: int | None = 0
            elif phase is None or done is None or prescribed is None:
                gained = None
            elif prescribed > 0 and done * 100 >= ADHERENCE_PERCENT.value * prescribed:
                gained = days
            else:
                gained = 0
            c = replace(c, adherent_days=None if gained is None else c.adherent_days + gained)
        value = None if c.adherent_days is None else c.adherent_days // 7
        basis = (
            f"stretches since {c.dates[c.adherent_from]} with at least {ADHERENCE_PERCENT.value}% "
            "of prescribed sessions done"
        )
        if value is None:
            basis = "sessions done or prescribed unknown for a stretch"
        d = combine(
            "loading.weeks_adherent_loading",
            value,
            ld.weeks_adherent_loading,
            basis,
            _span(names, c.adherent_from, index),
            weeks=True,
        )
        derived.append(d)
        if value is None and d.typed is not None and isinstance(d.typed, int):
            # Re-anchor on the typed count so later stretches add to it.
            c = replace(c, adherent_days=d.typed * 7, adherent_from=index)

    # Programme completed. Not before plyometrics (the patient model ties completion to the last
    # phase); not with fewer adherent weeks than the phase gates' least time through phases 1 and
    # 2. Otherwise reaching plyometrics is not completing them, and the visits cannot tell when
    # the final phase is complete: unknown unless typed.
    if phase != "not-started" and phase is not None:
        adherent = next(d.value for d in derived if d.field == "loading.weeks_adherent_loading")
        least = settings.values["isometric_min_weeks"] + settings.values["heavy_load_min_weeks"]
        completed: bool | None = None
        if phase != "plyometric":
            completed, basis = False, f"the current phase is {phase}, not the last"
        elif isinstance(adherent, int) and adherent < least:
            completed = False
            basis = (
                f"{adherent} adherent week(s), fewer than the {least} the phase gates need "
                "to get through phases 1 and 2"
            )
        else:
            basis = "plyometrics reached: completion cannot be derived from the visits"
        derived.append(
            combine("loading.programme_completed", completed, ld.programme_completed, basis, names)
        )

    trend = _trend(c, state, index)
    improving = None if trend.direction == "unknown" else trend.direction == "improving"
    derived.append(
        combine(
            "loading.symptoms_improving",
            improving,
            ld.symptoms_improving,
            trend.basis,
            trend.visits,
        )
    )

    # Symptom duration: the baseline's plus the time since.
    elapsed = (visit.date - c.dates[0]).days // 7
    duration = None if c.baseline_duration is None or index == 0 else c.baseline_duration + elapsed
    derived.append(
        combine(
            "symptom_duration_weeks",
            duration,
            state.symptom_duration_weeks,
            "baseline duration plus weeks since baseline" if index else "baseline",
            (names[0], names[index]) if index else names[:1],
            weeks=True,
        )
    )

    # Continuous running since flat running began.
    ran = visit.running_done
    if index > 0 and ran is not None:
        if ran == "none":
            c = replace(c, run_start=None, run_offset_weeks=0)
        elif c.run_start is None:
            c = replace(c, run_start=index - 1, run_offset_weeks=0)
        flat: int | None = 0
        if c.run_start is not None and c.run_offset_weeks is not None:
            flat = c.weeks_between(c.run_start, index) + c.run_offset_weeks
        derived.append(
            combine(
                "training.weeks_continuous_flat_running",
                flat,
                state.training.weeks_continuous_flat_running,
                "weeks of continuous running since flat running began (running done per visit)",
                _span(names, c.run_start if c.run_start is not None else index, index),
                weeks=True,
            )
        )
    elif index == 0:
        typed_flat = state.training.weeks_continuous_flat_running
        c = replace(c, run_start=0 if typed_flat else None, run_offset_weeks=typed_flat)
    else:
        c = replace(c, run_start=None)

    stopped = c.running_stopped
    if stopped is not None and ran in ("restricted", "unrestricted"):
        stopped = None  # ran during the stop: the stop did not happen
        c = replace(c, running_stopped=None)
    days_stopped = None if stopped is None else (visit.date - c.dates[stopped]).days

    adequate_weeks = settings.values["adequate_trial_weeks"]
    weeks_d = next(d for d in derived if d.field == "loading.weeks_adherent_loading")
    completed_d = next((d for d in derived if d.field == "loading.programme_completed"), None)
    adequate: bool | None
    weeks_used = weeks_d.used
    done_used = completed_d.used if completed_d else (False if phase == "not-started" else None)
    if (isinstance(weeks_used, int) and weeks_used >= adequate_weeks) or done_used is True:
        adequate = True
    elif isinstance(weeks_used, int) and done_used is False:
        adequate = False
    else:
        adequate = None
    adequate_d = Derived(
        "episode.adequate_trial",
        adequate,
        None,
        adequate,
        f"at least {adequate_weeks} adherent weeks, or all three phases completed",
        weeks_d.visits,
        False,
    )

    flare = None
    if index > 0 and phase in LOADING_PHASES:
        ceiling = settings.values["exercise_pain_ceiling"]
        reasons = []
        if ld.exercise_pain_nrs is not None and ld.exercise_pain_nrs > ceiling:
            reasons.append(f"exercise pain {ld.exercise_pain_nrs}/10 above the ceiling {ceiling}")
        if ld.pain_settled_next_day is False:
            reasons.append("exercise pain not settled by the next day")
        if reasons:
            flare = FlareUp(names[index], visit.date, tuple(reasons))

    history = History(
        tuple(derived),
        flare,
        trend,
        None if stopped is None else c.dates[stopped],
        days_stopped,
        adequate_d,
    )
    return history, _with_values(state, derived), c


def _with_values(state: PatientState, derived: list[Derived]) -> PatientState:
    data = state.model_dump()
    for d in derived:
        target = data
        *parents, leaf = d.field.split(".")
        for part in parents:
            target = target[part]
        target[leaf] = d.used
    # model_construct is not used: the result is validated like any input.
    return PatientState.model_validate(data)
