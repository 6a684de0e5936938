# SPDX-License-Identifier: MIT
"""The plan from a visit: the phase and exercises with their dosage, the criteria to move on,
running, escalation, what pain is acceptable, when to call and when to review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pht_rules.episodes.thresholds import Settings
from pht_rules.evaluation import Assessment
from pht_rules.evaluation.assessment import RuleHit

__all__ = [
    "Plan",
    "Review",
    "build_plan",
]


@dataclass(frozen=True, slots=True)
class Review:
    """When to review, and why then (``weeks`` ``None``: clinician judgement)."""

    weeks: int | None
    on: date | None
    basis: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do until the next visit."""

    decided_on: date
    phase: str | None
    stage: str | None
    exercises: tuple[str, ...]
    dosage: str | None
    move_on_when: str | None
    loading: str
    loading_advice: tuple[str, ...]
    running: str
    running_advice: tuple[str, ...]
    running_restart_from: date | None
    escalation: str
    escalation_advice: tuple[str, ...]
    acceptable_pain: str
    call_if: tuple[str, ...]
    review: Review
    cites: tuple[str, ...]

    @property
    def full_activity(self) -> bool:
        """True when running is back with hills and speed (the programme's end point)."""
        return self.running == "graded-return"


def _text(hit: RuleHit | None, key: str) -> str | None:
    value = hit.details.get(key) if hit else None
    return value if isinstance(value, str) else None


def _review(
    assessment: Assessment, config: Settings, on: date, phase: str | None, restart: date | None
) -> Review:
    loading = assessment.outcomes["loading"]
    v = config.values
    weeks: int | None
    sources: tuple[str, ...]
    if loading == "regress":
        weeks, basis, sources = 1, "after a step back, review within a week", ("ASM-REGRESSION",)
    elif loading in ("start", "progress") and phase == "isometric":
        weeks = max(1, v["isometric_min_weeks"])
        basis, sources = "least time on isometrics before heavier loading", ("ASM-PHASE-GATES",)
    elif loading in ("start", "progress") and phase == "heavy-load":
        weeks = v["heavy_load_min_weeks"]
        basis, sources = "least time of stable heavy loading", ("ASM-PHASE-GATES",)
    elif loading in ("start", "progress", "continue"):
        weeks = 2
        basis = "outside the guideline: clinician judgement (2 weeks is an assumption)"
        sources = ()
    else:
        weeks, basis, sources = None, "outside the guideline: clinician judgement", ()
    review_on = on + timedelta(weeks=weeks) if weeks is not None else None
    if restart is not None and restart > on and (review_on is None or restart < review_on):
        review_on = restart
        weeks = max(1, (restart - on).days // 7)
        basis = "at the end of the stop from running"
        sources = ("ART-RUN-2",)
    return Review(weeks, review_on, basis, sources)


def _advice(assessment: Assessment, decision_id: str) -> tuple[str, ...]:
    return assessment.decision(decision_id).advice


def build_plan(
    assessment: Assessment,
    config: Settings,
    on: date,
    phase: str | None,
    running: str,
    restart_from: date | None,
    loading_hit: RuleHit | None,
) -> Plan:
    """The plan decided at a visit on ``on`` from its assessment."""
    v = config.values
    exercises = loading_hit.details.get("exercises") if loading_hit else None
    running_advice = _advice(assessment, "running")
    if running == "stopped" and assessment.outcomes["running"] != "stop":
        when = restart_from.isoformat() if restart_from else "the stop period has passed"
        running_advice = (
            f"Keep running stopped: the stop of {v['stop_running_days']} days ends on {when}; "
            "running restarts once it has passed and the presentation is no longer irritable.",
        )
    acceptable = (
        f"During the exercises, pain up to {v['exercise_pain_target']}/10 is acceptable if it "
        f"settles by the next morning; above {v['exercise_pain_ceiling']}/10 is too much."
    )
    call_if = (
        f"exercise pain goes above {v['exercise_pain_ceiling']}/10, or has not settled by the "
        "next morning, more than once",
        "pain at rest or at night that is new or getting worse",
        "numbness, pins and needles, weakness, or pain spreading below the knee",
        "numbness around the saddle area, new bladder or bowel problems, or symptoms in both "
        "legs: seek urgent medical help",
    )
    cites: dict[str, None] = {}
    for decision_id in ("loading", "running", "escalation"):
        for hit in assessment.decision(decision_id).hits:
            if hit.selected:
                cites.update(dict.fromkeys(hit.cites))
    cites.update(dict.fromkeys(("SEC-GOOM-MONITORING", "ART-EX-3", "SEC-SPINAL-RED-FLAGS")))
    return Plan(
        on,
        phase,
        _text(loading_hit, "stage"),
        tuple(exercises) if isinstance(exercises, tuple) else (),
        _text(loading_hit, "dosage"),
        _text(loading_hit, "move_on_when"),
        assessment.outcomes["loading"],
        _advice(assessment, "loading"),
        running,
        running_advice,
        restart_from,
        assessment.outcomes["escalation"],
        _advice(assessment, "escalation"),
        acceptable,
        call_if,
        _review(assessment, config, on, phase, restart_from),
        tuple(cites),
    )
