# SPDX-License-Identifier: MIT
"""The staged programme as a state machine: generated visit sequences (hypothesis stateful
testing) and every sequence up to 8 follow-ups (exhaustive)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import pht_rules
from pht_rules.episodes import Episode, evaluate_episode, phase_index
from pht_rules.episodes.evaluation import Step, step
from pht_rules.episodes.history import Course
from pht_rules.episodes.model import Visit
from pht_rules.episodes.programme import (
    VISIT_KINDS,
    baseline_visit,
    check_step,
    next_visit,
    verify_programme,
)
from pht_rules.episodes.thresholds import settings as episode_settings

CONFIG = episode_settings()
COUNTS = {"runs": 0, "follow_ups": 0, "improvement_runs": 0, "replays": 0}


class Programme(RuleBasedStateMachine):
    """A patient who follows the plan and comes back in one of the abstract ways."""

    def __init__(self) -> None:
        super().__init__()
        self.visits: list[Visit] = []
        self.current = Step(Course())

    @initialize(activity=st.integers(2, 9), duration=st.integers(4, 40))
    def first_consultation(self, activity: int, duration: int) -> None:
        base = baseline_visit(activity=activity, duration_weeks=duration)
        _, self.current = step(Step(Course()), base, CONFIG)
        self.visits = [base]
        COUNTS["runs"] += 1

    @rule(kinds=st.lists(st.sampled_from(VISIT_KINDS), min_size=1, max_size=6))
    def follow_ups(self, kinds: list[Any]) -> None:
        for kind in kinds:
            self.follow_up(kind)

    def follow_up(self, kind: Any) -> None:
        before = self.current
        visit = next_visit(kind, before, self.visits[-1])
        result, self.current = step(before, visit, CONFIG)
        self.visits.append(visit)
        COUNTS["follow_ups"] += 1
        kinds = {t.kind for t in result.transitions}
        done = phase_index(visit.state.loading.current_phase)
        planned = phase_index(result.plan.phase)
        assert done is not None and planned is not None
        # Phases are never skipped going forward.
        assert planned <= done + 1
        # A flare-up steps back or holds, never progresses.
        if result.history.flare_up is not None:
            assert kinds & {"regress", "hold"}
            assert not kinds & {"progress", "start"}
            assert planned <= max(done, 1)
        # Escalation only after an adequate trial, as derived from the visits.
        if "escalate" in kinds:
            weeks = result.history.get("loading.weeks_adherent_loading").value
            assert result.history.adequate_trial.value is True
            assert isinstance(weeks, int) and weeks >= CONFIG.values["adequate_trial_weeks"]
        # Running restarts only after the stop period, once less irritable.
        if "restart-running" in kinds:
            stopped = before.course.running_stopped
            assert stopped is not None
            days = (visit.date - before.course.dates[stopped]).days
            assert days >= CONFIG.values["stop_running_days"]
            assert result.assessment.outcomes["irritability"] == "less-irritable"
        assert check_step(before, visit, result, CONFIG) == []

    @rule()
    def keeps_improving(self) -> None:
        """From here, a patient who keeps improving reaches the final phase and full activity."""
        current, last = self.current, self.visits[-1]
        COUNTS["improvement_runs"] += 1
        for _ in range(24):
            plan = current.plan
            if plan is not None and plan.phase == "plyometric" and plan.full_activity:
                return
            visit = next_visit("improving", current, last)
            _, current = step(current, visit, CONFIG)
            last = visit
        raise AssertionError("a patient who keeps improving did not reach full activity")

    @rule()
    def identical_history_identical_plan(self) -> None:
        """The whole history evaluated afresh gives the same plan as step by step."""
        episode = Episode.model_validate(
            {"baseline": self.visits[0], "visits": tuple(self.visits[1:])},
            context={"today": self.visits[-1].date},
        )
        again = evaluate_episode(episode, today=self.visits[-1].date)
        COUNTS["replays"] += 1
        assert again.plan == self.current.plan

    @invariant()
    def plan_known(self) -> None:
        if self.visits:
            assert self.current.plan is not None
            assert self.current.plan.phase in ("isometric", "heavy-load", "plyometric")


Programme.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=16,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestProgramme = Programme.TestCase


def test_exhaustive_up_to_eight_visits(capsys: pytest.CaptureFixture[str]) -> None:
    """Every sequence of 1-8 follow-ups over the five visit kinds keeps every property."""
    report = verify_programme(8)
    with capsys.disabled():
        print(report.summary())
    assert report.violations == []
    assert report.sequences == sum(5**k for k in range(1, 9)) == 488280
    assert report.reached_final == report.states > 0
    assert report.determinism_checked > 0


def test_state_merging_agrees_with_walking_every_sequence() -> None:
    """Merging states reached again changes only the work done, not what is checked."""
    merged = verify_programme(5)
    walked = verify_programme(5, merge_states=False)
    assert merged.sequences == walked.sequences == walked.steps == 3905
    assert merged.states == walked.states
    assert merged.violations == walked.violations == []
    assert merged.steps < walked.steps


def test_a_rule_set_that_progresses_through_a_flare_up_is_caught(
    edit_rules: Callable[[str, Callable[[Any], None]], Path],
) -> None:
    """The verification fails for a rule set whose isometric progression ignores exercise pain."""

    def careless(doc: Any) -> None:
        for rule_ in doc["rules"]:
            if rule_["id"] == "loading.progress.to-heavy-load":
                rule_["priority"] = 3
                rule_["when"]["all"] = [
                    c
                    for c in rule_["when"]["all"]
                    if "loading.exercise_pain_nrs" not in str(c)
                    and "loading.pain_settled_next_day" not in str(c)
                ]

    rules = pht_rules.load_rules(edit_rules("loading.yaml", careless))
    report = verify_programme(3, config=episode_settings(rules))
    assert not report.ok
    assert any("progresses despite a flare-up" in v for v in report.violations)
