# SPDX-License-Identifier: MIT
"""The staged programme as a state machine, and its properties checked over visit sequences.

A patient who follows the plan comes back two weeks later in one of a few abstract ways
(:data:`VISIT_KINDS`): improving, static, a flare-up, irritable again, or having done few of the
prescribed sessions. :func:`concrete_visit` turns a kind into a real :class:`Visit` given the plan
in force, and :func:`check_step` states the programme's safety properties for one step:

- phases are never skipped (neither the plan nor the phase done moves more than one phase);
- a flare-up steps back or holds, never progresses;
- escalation happens only after an adequate trial (derived);
- running restarts only after the stop period, once the presentation is less irritable.

:func:`verify_programme` checks every sequence of up to ``max_visits`` follow-ups exhaustively,
and from every state reached, that a patient who keeps improving reaches the final phase and full
activity (no dead end); a sample of sequences is re-evaluated from scratch to check that identical
histories give identical plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from pht_rules.episodes.evaluation import Step, VisitAssessment, phase_index, step
from pht_rules.episodes.history import Course
from pht_rules.episodes.model import Episode, RunningDone, Visit
from pht_rules.episodes.thresholds import Settings, settings
from pht_rules.patient import PatientState

__all__ = [
    "INTERVAL_DAYS",
    "START",
    "VISIT_KINDS",
    "ProgrammeReport",
    "VisitKind",
    "baseline_visit",
    "check_step",
    "concrete_visit",
    "next_visit",
    "state_key",
    "verify_programme",
]

VisitKind = Literal["improving", "static", "flare-up", "irritable", "non-adherent"]
VISIT_KINDS: tuple[VisitKind, ...] = (
    "improving",
    "static",
    "flare-up",
    "irritable",
    "non-adherent",
)
INTERVAL_DAYS = 14
START = date(2020, 1, 6)
_CLEAR = {
    "onset": "gradual",
    "pain_site": "ischial-tuberosity",
    "acute_event_pop_or_bruising": False,
    "neurological_symptoms": False,
    "cauda_equina_symptoms": False,
    "night_pain": False,
    "systemic_symptoms": False,
}
_TREATMENTS = {"injection": "not-tried", "shockwave": "not-tried"}
# Exercise pain and next-day settling per kind (the ceiling is 5/10 and the target 3/10 by default).
_EXERCISE = {
    "improving": (2, True),
    "static": (4, True),
    "flare-up": (6, False),
    "irritable": (3, True),
    "non-adherent": (2, True),
}


def _symptoms(kind: VisitKind, activity: int, ran: bool) -> dict[str, object]:
    if kind == "irritable":
        return {
            "pain_at_rest": True,
            "pain_at_rest_nrs": 2,
            "pain_on_walking": True,
            "pain_on_sitting": True,
            "pain_during_activity_nrs": activity,
        }
    quiet: dict[str, object] = {
        "pain_at_rest": False,
        "pain_at_rest_nrs": 0,
        "pain_on_walking": False,
        "pain_on_sitting": False,
        "pain_during_activity_nrs": activity,
    }
    if ran and activity > 0:
        return {**quiet, "pain_when_running": True, "minutes_into_run_before_pain": 40}
    return {**quiet, "pain_when_running": False}


def baseline_visit(*, activity: int = 6, duration_weeks: int = 8) -> Visit:
    """The first consultation every checked sequence starts from: a less irritable runner, not
    yet loading."""
    state = PatientState.model_validate(
        {
            "age_years": 35,
            "symptom_duration_weeks": duration_weeks,
            "presentation": _CLEAR,
            "symptoms": _symptoms("improving", activity, True),
            "loading": {
                "current_phase": "not-started",
                "weeks_adherent_loading": 0,
                "programme_completed": False,
            },
            "treatments": _TREATMENTS,
        }
    )
    return Visit(date=START, state=state)


_RUN_DONE: dict[str, RunningDone] = {
    "stopped": "none",
    "restricted": "restricted",
    "graded-return": "unrestricted",
}


@lru_cache(maxsize=65536)
def concrete_visit(
    kind: VisitKind, index: int, phase: str | None, running: str, last_activity: int
) -> Visit:
    """Follow-up ``index`` of kind ``kind`` for a patient who did ``phase`` as planned and ran as
    the plan said (``running``), with activity pain ``last_activity`` at the visit before."""
    done = phase if phase not in (None, "not-started") else "isometric"
    ran: RunningDone = _RUN_DONE.get(running, "none")
    step_by = {"improving": -1, "flare-up": 1, "irritable": 1}.get(kind, 0)
    activity = min(10, max(0, last_activity + step_by))
    pain, settled = _EXERCISE[kind]
    state = PatientState.model_validate(
        {
            "age_years": 35,
            "presentation": _CLEAR,
            "symptoms": _symptoms(kind, activity, ran != "none"),
            "loading": {
                "current_phase": done,
                "exercise_pain_nrs": pain,
                "pain_settled_next_day": settled,
            },
            "treatments": _TREATMENTS,
        }
    )
    return Visit(
        date=START + timedelta(days=INTERVAL_DAYS * index),
        state=state,
        sessions_prescribed=6,
        sessions_completed=2 if kind == "non-adherent" else 6,
        running_done=ran,
    )


def next_visit(kind: VisitKind, current: Step, last: Visit) -> Visit:
    """The next visit of ``kind`` after the course ``current`` (whose last visit was ``last``)."""
    plan = current.plan
    activity = last.state.symptoms.pain_during_activity_nrs or 0
    return concrete_visit(
        kind,
        len(current.course.names),
        plan.phase if plan else None,
        plan.running if plan else "restricted",
        activity,
    )


def check_step(before: Step, visit: Visit, result: VisitAssessment, config: Settings) -> list[str]:
    """The safety properties that one step of the programme must keep; returns the violations."""
    problems: list[str] = []
    prior = before.plan
    done = phase_index(visit.state.loading.current_phase)
    planned = phase_index(result.plan.phase)
    if prior is not None and done is not None:
        was = phase_index(prior.phase)
        if was is not None and abs(done - was) > 1:
            problems.append(f"{result.visit}: phase done skips from {prior.phase}")
    if done is not None and planned is not None:
        irritable = result.assessment.outcomes["irritability"] == "irritable"
        if planned > done + 1:
            problems.append(f"{result.visit}: plan skips a phase forward")
        elif planned < done - 1 and not (irritable and result.plan.phase == "isometric"):
            # Only an irritable presentation goes straight back to phase 1 (ASM-IRRITABLE-PHASE-ONE).
            problems.append(f"{result.visit}: plan steps back more than one phase")
    kinds = {t.kind for t in result.transitions}
    if result.history.flare_up is not None:
        if "progress" in kinds or "start" in kinds:
            problems.append(f"{result.visit}: progresses despite a flare-up")
        if done is not None and planned is not None and planned > max(done, 1):
            problems.append(f"{result.visit}: plan moves up despite a flare-up")
    if "escalate" in kinds and result.history.adequate_trial.value is not True:
        problems.append(f"{result.visit}: escalates before an adequate trial")
    if "restart-running" in kinds:
        stopped = before.course.running_stopped
        days = None if stopped is None else (visit.date - before.course.dates[stopped]).days
        if days is None or days < config.values["stop_running_days"]:
            problems.append(f"{result.visit}: running restarts before the stop period has passed")
        if result.assessment.outcomes["irritability"] != "less-irritable":
            problems.append(f"{result.visit}: running restarts while not less irritable")
    if result.plan.running == "stopped" or before.course.running_stopped is None:
        pass
    elif "restart-running" not in kinds:
        problems.append(f"{result.visit}: running resumes without a restart")
    return problems


def _caps(config: Settings) -> int:
    v = config.values
    weeks = max(
        v["adequate_trial_weeks"], v["heavy_load_min_weeks"], v["isometric_min_weeks"], 26, 2
    )
    return max(weeks * 7, v["stop_running_days"]) + 7


def state_key(current: Step, last: Visit, config: Settings) -> tuple[object, ...]:
    """What the future of a course depends on, with every time span capped beyond the largest
    threshold it is compared with (so that equal keys behave alike)."""
    c: Course = current.course
    cap = _caps(config)
    end = len(c.dates) - 1

    def days(index: int | None) -> int | None:
        return None if index is None else min(cap, (c.dates[end] - c.dates[index]).days)

    plan = current.plan
    return (
        c.phase,
        days(c.phase_start),
        c.phase_offset_weeks,
        None if c.adherent_days is None else min(cap, c.adherent_days),
        c.phases_seen,
        c.phases_known,
        c.baseline_activity,
        None
        if c.baseline_duration is None
        else min(cap, c.baseline_duration * 7 + (c.dates[end] - c.dates[0]).days),
        days(c.run_start),
        c.run_offset_weeks,
        days(c.running_stopped),
        c.last_outcomes,
        None if plan is None else (plan.phase, plan.running),
        last.state.symptoms.pain_during_activity_nrs,
    )


@dataclass
class ProgrammeReport:
    """What :func:`verify_programme` checked and found."""

    max_visits: int
    kinds: tuple[str, ...]
    sequences: int = 0
    steps: int = 0
    states: int = 0
    liveness_checked: int = 0
    determinism_checked: int = 0
    reached_final: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no property was violated."""
        return not self.violations

    def summary(self) -> str:
        """One paragraph with the counts."""
        status = "all properties hold" if self.ok else f"{len(self.violations)} violation(s)"
        return (
            f"programme verification: {self.sequences} visit sequences of 1-{self.max_visits} "
            f"follow-ups over {len(self.kinds)} visit kinds ({', '.join(self.kinds)}); "
            f"{self.steps} steps; {self.states} distinct states, each shown to reach the final "
            f"phase and full activity by improving; {self.determinism_checked} sequences "
            f"re-evaluated from scratch with identical plans; {status}"
        )


def _improve_until_final(
    current: Step,
    last: Visit,
    config: Settings,
    limit: int,
    known: dict[tuple[object, ...], bool],
) -> bool:
    """Whether improving visits from here reach the final phase and full activity within
    ``limit`` visits; every state passed on the way is recorded in ``known``."""
    path: list[tuple[object, ...]] = []
    reached = False
    for _ in range(limit + 1):
        key = state_key(current, last, config)
        if known.get(key):
            reached = True
            break
        path.append(key)
        plan = current.plan
        if plan is not None and plan.phase == "plyometric" and plan.full_activity:
            reached = True
            break
        visit = next_visit("improving", current, last)
        _, current = step(current, visit, config)
        last = visit
    for key in path:
        known[key] = reached
    return reached


def verify_programme(
    max_visits: int = 8,
    *,
    kinds: tuple[VisitKind, ...] = VISIT_KINDS,
    determinism_every: int = 97,
    merge_states: bool = True,
    config: Settings | None = None,
) -> ProgrammeReport:
    """Check the programme's properties over every sequence of 1..``max_visits`` follow-ups.

    A step is a pure function of the course so far and the visit, and :func:`state_key` holds
    everything the course's future depends on; with ``merge_states`` a state reached again with
    the same number of visits left is not walked again, its sequences are counted from the first
    walk (``merge_states=False`` walks every sequence; the tests check both agree).
    """
    cfg = config or settings()
    report = ProgrammeReport(max_visits, tuple(kinds))
    live: dict[tuple[object, ...], bool] = {}
    base = baseline_visit()
    _, start = step(Step(Course()), base, cfg)

    merged: dict[tuple[object, int], int] = {}

    def settle(key: tuple[object, ...], alive: bool, depth: int) -> None:
        report.liveness_checked += 1
        live[key] = alive
        if not alive:
            report.violations.append(f"dead end after {depth} follow-ups: {key}")

    def walk(current: Step, last: Visit, path: tuple[Visit, ...]) -> int:
        """Check every continuation of ``path``; returns how many sequences that was."""
        key = state_key(current, last, cfg)
        left = max_visits - len(path)
        if left == 0:
            # A leaf: follow improving visits until the final phase and full activity.
            if key not in live:
                alive = _improve_until_final(current, last, cfg, 24, live)
                if not alive or key not in live:
                    settle(key, alive, len(path))
            return 0
        if merge_states and (key, left) in merged:
            return merged[(key, left)]
        count = 0
        improving_key: tuple[object, ...] | None = None
        for kind in kinds:
            visit = next_visit(kind, current, last)
            result, after = step(current, visit, cfg)
            report.steps += 1
            count += 1
            report.violations.extend(check_step(current, visit, result, cfg))
            if report.steps % determinism_every == 0:
                _check_determinism(report, (*path, visit), result, cfg, base)
            count += walk(after, visit, (*path, visit))
            if kind == "improving":
                improving_key = state_key(after, visit, cfg)
        if key not in live:
            # Not a leaf: it is live when final already, or when its improving successor is.
            plan = current.plan
            final = plan is not None and plan.phase == "plyometric" and plan.full_activity
            if final or (improving_key is not None and live.get(improving_key, False)):
                settle(key, True, len(path))
            else:
                settle(key, _improve_until_final(current, last, cfg, 24, live), len(path))
        merged[(key, left)] = count
        return count

    report.sequences = walk(start, base, ())
    report.states = len(live)
    report.reached_final = sum(live.values())
    return report


def _check_determinism(
    report: ProgrammeReport,
    path: tuple[Visit, ...],
    result: VisitAssessment,
    cfg: Settings,
    base: Visit,
) -> None:
    from pht_rules.episodes.evaluation import evaluate_episode

    episode = Episode.model_validate(
        {"baseline": base, "visits": path}, context={"today": path[-1].date}
    )
    again = evaluate_episode(episode, cfg.profile, rules=cfg.rules, today=path[-1].date)
    report.determinism_checked += 1
    if again.plan != result.plan:
        report.violations.append(f"{result.visit}: the same history gave a different plan")
