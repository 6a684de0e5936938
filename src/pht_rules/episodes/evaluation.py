# SPDX-License-Identifier: MIT
"""``evaluate_episode(episode) -> EpisodeAssessment``: every visit assessed with derived history,
the transitions between visits, and the plan from the last visit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from pht_rules.definitions import Profile, RuleSet
from pht_rules.episodes.derived import Derived, FlareUp, History
from pht_rules.episodes.history import PHASES, Course, derive
from pht_rules.episodes.model import Episode, EpisodeError, Visit, VisitProblem, parse_episode
from pht_rules.episodes.plan import Plan, build_plan
from pht_rules.episodes.thresholds import Settings, Threshold, settings
from pht_rules.errors import PatientStateError
from pht_rules.evaluation import Assessment, evaluate
from pht_rules.patient import PatientState

__all__ = [
    "DISCLAIMER",
    "ESCALATIONS",
    "Conflict",
    "EpisodeAssessment",
    "Step",
    "Transition",
    "TransitionKind",
    "VisitAssessment",
    "episode_assessment_json_schema",
    "evaluate_episode",
    "phase_index",
    "step",
]

TransitionKind = Literal[
    "start", "progress", "hold", "regress", "stop-running", "restart-running", "escalate"
]
ESCALATIONS = ("consider-adjuncts", "consider-surgical-opinion")
_LOADING_KIND: dict[str, TransitionKind] = {
    "start": "start",
    "progress": "progress",
    "continue": "hold",
    "regress": "regress",
}

DISCLAIMER = (
    "Decision support for a clinician, not a diagnosis. History shown as derived was worked out "
    "from the visits listed beside it; where a typed value disagrees, the conflict is shown and "
    "the rules were given 'unknown'."
)


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of course decided at a visit, and the rules behind it."""

    visit: str
    date: dt.date
    kind: TransitionKind
    from_phase: str | None
    to_phase: str | None
    reason: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VisitAssessment:
    """One visit: its derived history, the state the rules were given, their assessment, and
    the transitions and plan decided there."""

    index: int
    visit: str
    date: dt.date
    history: History
    evaluated_state: PatientState
    assessment: Assessment
    transitions: tuple[Transition, ...]
    plan: Plan
    notes: tuple[str, ...]
    running_done: str | None


@dataclass(frozen=True, slots=True)
class Conflict:
    """A derived value that contradicts the value typed at a visit."""

    visit: str
    derived: Derived


@dataclass(frozen=True, slots=True)
class EpisodeAssessment:
    """Everything :func:`evaluate_episode` found for one episode."""

    patient: str | None
    visits: tuple[VisitAssessment, ...]
    transitions: tuple[Transition, ...]
    plan: Plan
    flare_ups: tuple[FlareUp, ...]
    conflicts: tuple[Conflict, ...]
    thresholds: tuple[Threshold, ...]
    disclaimer: str

    def to_json(self, *, indent: int | None = None) -> str:
        """The assessment as JSON text; identical input gives identical text."""
        return _adapter().dump_json(self, indent=indent).decode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The assessment as JSON-compatible Python data."""
        data: dict[str, Any] = _adapter().dump_python(self, mode="json")
        return data


@cache
def _adapter() -> TypeAdapter[EpisodeAssessment]:
    return TypeAdapter(EpisodeAssessment)


def episode_assessment_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`EpisodeAssessment` as serialised by ``to_json``."""
    return _adapter().json_schema(mode="serialization")


@lru_cache(maxsize=8192)
def _assess(
    state: PatientState, rules: RuleSet, profile: tuple[tuple[str, int], ...]
) -> Assessment:
    return evaluate(state, dict(profile), rules=rules)


def _selected(assessment: Assessment, decision_id: str) -> tuple[str, ...]:
    return tuple(h.rule_id for h in assessment.decision(decision_id).hits if h.selected)


@dataclass(frozen=True, slots=True)
class Step:
    """The course after a visit, as :func:`step` leaves it for the next one."""

    course: Course
    plan: Plan | None = None


def step(previous: Step, visit: Visit, config: Settings) -> tuple[VisitAssessment, Step]:
    """Assess the next visit after ``previous``; a pure function of its arguments."""
    index = len(previous.course.names)
    name = visit.name(index)
    try:
        history, state, course = derive(previous.course, visit, config)
    except ValidationError as exc:
        problems = [
            VisitProblem(name, ".".join(str(p) for p in e["loc"]), e["msg"])
            for e in exc.errors(include_url=False)
        ]
        raise EpisodeError(problems) from None
    try:
        assessment = _assess(state, config.rules, config.profile.key() if config.profile else ())
    except PatientStateError as exc:  # pragma: no cover - derive validated the state
        raise EpisodeError(
            [VisitProblem(name, p.field_path, p.message) for p in exc.problems]
        ) from None
    outcomes = assessment.outcomes
    transitions: list[Transition] = []
    notes: list[str] = []
    prior = previous.plan
    phase = visit.state.loading.current_phase

    if prior is not None and prior.phase is not None and phase is not None and phase != prior.phase:
        notes.append(f"phase done ({phase}) differs from the phase planned ({prior.phase})")
    if previous.course.running_stopped is not None and visit.running_done in (
        "restricted",
        "unrestricted",
    ):
        notes.append("ran during the stop from running: the stop period starts again if needed")
    for conflict in history.conflicts:
        notes.append(
            f"{conflict.field}: typed {conflict.typed!r} but derived {conflict.value!r} "
            f"({conflict.basis}); the rules were given unknown"
        )

    loading = outcomes["loading"]
    loading_hit = next((h for h in assessment.decision("loading").hits if h.selected), None)
    target = loading_hit.details.get("phase") if loading_hit else None
    to_phase = target if isinstance(target, str) else phase
    kind = _LOADING_KIND.get(loading, "hold")
    reason = loading_hit.title if loading_hit else f"loading: {loading}"
    transitions.append(
        Transition(
            name, visit.date, kind, phase, to_phase, reason, _selected(assessment, "loading")
        )
    )

    # Running: the rules decide from this visit; the episode adds the stop period's gate.
    running = outcomes["running"]
    stopped = course.running_stopped
    stop_days = config.values["stop_running_days"]
    running_plan = running
    restart_on: date | None = None
    run_rules = _selected(assessment, "running")
    if running == "stop":
        if stopped is None:
            course = replace(course, running_stopped=index)
            stopped = index
            transitions.append(
                Transition(
                    name, visit.date, "stop-running", phase, to_phase, "irritable", run_rules
                )
            )
        running_plan = "stopped"
        restart_on = course.dates[stopped] + timedelta(days=stop_days)
    elif stopped is not None:
        since = (visit.date - course.dates[stopped]).days
        less_irritable = outcomes["irritability"] == "less-irritable"
        if running in ("restricted", "graded-return") and since >= stop_days and less_irritable:
            course = replace(course, running_stopped=None)
            transitions.append(
                Transition(
                    name,
                    visit.date,
                    "restart-running",
                    phase,
                    to_phase,
                    f"stopped {since} days (at least {stop_days}) and no longer irritable",
                    run_rules,
                )
            )
        else:
            running_plan = "stopped"
            restart_on = course.dates[stopped] + timedelta(days=stop_days)
            if running in ("restricted", "graded-return"):
                notes.append(
                    f"running stays stopped: {since} of {stop_days} days of the stop have passed"
                )

    escalation = outcomes["escalation"]
    before = dict(previous.course.last_outcomes).get("escalation")
    if escalation in ESCALATIONS and escalation != before:
        transitions.append(
            Transition(
                name,
                visit.date,
                "escalate",
                phase,
                to_phase,
                assessment.decision("escalation").outcome,
                _selected(assessment, "escalation"),
            )
        )
    course = replace(
        course,
        last_outcomes=tuple(sorted({**dict(course.last_outcomes), **outcomes}.items())),
    )
    plan = build_plan(
        assessment, config, visit.date, to_phase, running_plan, restart_on, loading_hit
    )
    result = VisitAssessment(
        index,
        name,
        visit.date,
        history,
        state,
        assessment,
        tuple(transitions),
        plan,
        tuple(notes),
        visit.running_done,
    )
    return result, Step(course, plan)


def evaluate_episode(
    episode: Episode | Mapping[str, Any] | str | bytes,
    profile: Profile | Mapping[str, int] | None = None,
    *,
    rules: RuleSet | None = None,
    today: date | None = None,
) -> EpisodeAssessment:
    """Assess every visit of ``episode`` with derived history, and plan from the last visit.

    ``episode`` may be an :class:`Episode`, a mapping or JSON text (validated first; see
    :func:`parse_episode`). Raises :class:`EpisodeError` naming the visit and field at fault,
    or :class:`~pht_rules.ProfileError` for a bad profile; nothing partial is returned.
    """
    model = parse_episode(episode, today=today)
    config = settings(rules, profile)
    current = Step(Course())
    results: list[VisitAssessment] = []
    for visit in model.all_visits:
        result, current = step(current, visit, config)
        results.append(result)
    last = results[-1]
    return EpisodeAssessment(
        model.patient,
        tuple(results),
        tuple(t for r in results for t in r.transitions),
        last.plan,
        tuple(r.history.flare_up for r in results if r.history.flare_up is not None),
        tuple(Conflict(r.visit, d) for r in results for d in r.history.conflicts),
        config.all_thresholds(),
        DISCLAIMER,
    )


def phase_index(phase: str | None) -> int | None:
    """The position of ``phase`` in the programme (0 = not started), or ``None`` if unknown."""
    return PHASES.index(phase) if phase in PHASES else None
