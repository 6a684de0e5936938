# SPDX-License-Identifier: MIT
"""evaluate_episode on the example episodes: transitions, gates and the plan."""

from __future__ import annotations

import pytest

from pht_rules import ProfileError
from pht_rules.episodes import EpisodeAssessment, evaluate_episode

from .conftest import TODAY


def _changes(result: EpisodeAssessment) -> list[tuple[str, str]]:
    return [(t.date.isoformat(), t.kind) for t in result.transitions if t.kind != "hold"]


def test_smooth_course(examples: dict[str, str]) -> None:
    """Isometrics, heavy loading, plyometrics, then running with hills and speed."""
    result = evaluate_episode(examples["smooth-course"], today=TODAY)
    assert _changes(result) == [
        ("2026-03-02", "start"),
        ("2026-03-16", "progress"),
        ("2026-03-30", "progress"),
    ]
    assert result.plan.phase == "plyometric"
    assert result.plan.full_activity
    assert result.flare_ups == ()
    assert result.conflicts == ()


def test_flare_up_steps_back(examples: dict[str, str]) -> None:
    """A flare-up on heavy loading steps back to isometrics, then the patient progresses again."""
    result = evaluate_episode(examples["flare-up-and-regression"], today=TODAY)
    assert [f.visit for f in result.flare_ups] == ["flare-up"]
    flare = next(v for v in result.visits if v.visit == "flare-up")
    assert [t.kind for t in flare.transitions] == ["regress"]
    assert flare.plan.phase == "isometric"
    assert flare.plan.review.weeks == 1
    assert "ASM-REGRESSION" in flare.plan.review.sources
    assert result.plan.phase == "plyometric"


def test_recalcitrant_course_escalates_only_after_an_adequate_trial(
    examples: dict[str, str],
) -> None:
    """Escalation appears at the first visit with 12 derived adherent weeks, not before."""
    result = evaluate_episode(examples["recalcitrant-course"], today=TODAY)
    escalations = [t for t in result.transitions if t.kind == "escalate"]
    assert [t.visit for t in escalations] == ["adequate trial reached"]
    assert escalations[0].reason == "consider-adjuncts"
    for v in result.visits:
        adequate = v.history.adequate_trial.value
        escalated = v.assessment.outcomes["escalation"] == "consider-adjuncts"
        assert not escalated or adequate is True
    reached = next(v for v in result.visits if v.visit == "adequate trial reached")
    assert reached.history.get("loading.weeks_adherent_loading").value == 13
    assert reached.history.get("loading.symptoms_improving").value is False
    # The typed history that disagrees is shown, not believed.
    assert [c.visit for c in result.conflicts] == ["typed history disagrees"]
    assert result.plan.escalation == "consider-adjuncts"


def test_irritable_runner_restarts_only_after_the_stop_period(examples: dict[str, str]) -> None:
    """Less irritable after one week is not enough: running restarts once 14 days have passed."""
    result = evaluate_episode(examples["irritable-runner"], today=TODAY)
    kinds = [[t.kind for t in v.transitions] for v in result.visits]
    assert kinds[0] == ["start", "stop-running"]
    assert "restart-running" not in kinds[1]
    assert result.visits[1].plan.running == "stopped"
    assert result.visits[1].plan.running_restart_from.isoformat() == "2026-06-15"  # type: ignore[union-attr]
    assert "restart-running" in kinds[2]
    assert result.visits[2].plan.running == "restricted"
    assert result.plan.full_activity


def test_one_week_stop_then_less_irritable_would_restart_under_a_shorter_profile(
    examples: dict[str, str],
) -> None:
    """The stop period is the rule set's stop_running_days parameter, so a profile moves it."""
    result = evaluate_episode(examples["irritable-runner"], {"stop_running_days": 10}, today=TODAY)
    assert result.visits[1].plan.running_restart_from.isoformat() == "2026-06-11"  # type: ignore[union-attr]
    stop = next(t for t in result.thresholds if t.name == "stop_running_days")
    assert (stop.value, stop.provenance) == (10, "article")


def test_plan_has_exercises_dosage_criteria_and_review(examples: dict[str, str]) -> None:
    """The plan from the last visit says what to do, how much, when to move on and to review."""
    plan = evaluate_episode(examples["flare-up-and-regression"], today=TODAY).plan
    assert plan.exercises == ("Hopping", "Landing", "High-knee drive", "Heel flicks")
    assert plan.dosage and "48 hours apart" in plan.dosage
    assert plan.move_on_when and plan.move_on_when.startswith("Final phase")
    assert plan.review.on is not None
    assert "3/10" in plan.acceptable_pain
    assert any("urgent" in c for c in plan.call_if)


def test_identical_input_identical_json(examples: dict[str, str]) -> None:
    """The same episode gives byte-identical JSON."""
    text = examples["recalcitrant-course"]
    assert (
        evaluate_episode(text, today=TODAY).to_json()
        == evaluate_episode(text, today=TODAY).to_json()
    )


def test_bad_profile_is_a_profile_error(examples: dict[str, str]) -> None:
    """A profile value out of range is refused before anything is evaluated."""
    with pytest.raises(ProfileError):
        evaluate_episode(examples["smooth-course"], {"stop_running_days": 2}, today=TODAY)


def test_every_derived_value_cites_visits(examples: dict[str, str]) -> None:
    """No derived value comes from nowhere."""
    for text in examples.values():
        for v in evaluate_episode(text, today=TODAY).visits:
            for d in (*v.history.derived, v.history.adequate_trial):
                assert d.visits, (v.visit, d.field)
                assert v.visit in d.visits or d.field == "loading.symptoms_improving"
