# SPDX-License-Identifier: MIT
"""Derived history: every value cites its visits, and a contradicting typed value is reported."""

from __future__ import annotations

import pht_rules
from pht_rules.episodes import EpisodeAssessment, evaluate_episode

from .conftest import TODAY, episode, state, visit


def _run(*visits: dict[str, object], duration: int = 8) -> EpisodeAssessment:
    return evaluate_episode(episode(*visits, duration=duration), today=TODAY)


def test_weeks_in_phase_counts_from_the_visit_before_the_phase_began() -> None:
    """A phase first reported at a visit began after the previous one; its visits are cited."""
    result = _run(
        visit("2026-01-19", state("isometric")),
        visit("2026-02-02", state("heavy-load")),
        visit("2026-02-23", state("heavy-load")),
    )
    weeks = result.visits[3].history.get("loading.weeks_in_phase")
    assert weeks.value == 5  # heavy loading since 2026-01-19
    assert weeks.visits == ("visit 1 (2026-01-19)", "visit 2 (2026-02-02)", "visit 3 (2026-02-23)")
    assert result.visits[3].evaluated_state.loading.weeks_in_phase == 5


def test_adherent_weeks_count_only_stretches_with_enough_sessions() -> None:
    """A stretch with fewer than 75% of sessions done adds no adherent weeks."""
    result = _run(
        visit("2026-01-19", state("isometric"), done=6, of=6),
        visit("2026-02-02", state("isometric"), done=3, of=6),
        visit("2026-02-16", state("isometric"), done=5, of=6),
    )
    weeks = [v.history.get("loading.weeks_adherent_loading").value for v in result.visits]
    assert weeks == [0, 2, 2, 4]


def test_unknown_sessions_make_adherence_unknown() -> None:
    """Unknown sessions stay unknown: the adherent total is not guessed."""
    result = _run(visit("2026-01-19", state("isometric"), done=None, of=6))
    derived = result.visits[1].history.get("loading.weeks_adherent_loading")
    assert derived.value is None
    assert derived.used is None
    assert result.visits[1].history.adequate_trial.value is None


def test_typed_value_that_contradicts_is_reported_and_not_used() -> None:
    """A typed count far from the derived one is a conflict; the rules get unknown."""
    typed = state("isometric", weeks_adherent_loading=12)
    result = _run(visit("2026-01-19", typed))
    derived = result.visits[1].history.get("loading.weeks_adherent_loading")
    assert (derived.value, derived.typed, derived.used, derived.conflict) == (2, 12, None, True)
    assert [c.derived.field for c in result.conflicts] == ["loading.weeks_adherent_loading"]
    assert any("typed 12 but derived 2" in n for n in result.visits[1].notes)
    assert result.visits[1].assessment.outcomes["escalation"] == "undetermined"


def test_typed_value_within_a_week_agrees() -> None:
    """Week counts within one week of the derived value agree (visits rarely fall on whole weeks)."""
    result = _run(visit("2026-01-20", state("isometric", weeks_in_phase=1)))
    derived = result.visits[1].history.get("loading.weeks_in_phase")
    assert (derived.value, derived.used, derived.conflict) == (2, 1, False)


def test_programme_completed_typed_without_adherent_loading_is_not_believed() -> None:
    """'programme completed' typed with almost no adherent loading is a conflict, and no
    surgical opinion follows from it (the single-visit model would believe it)."""
    done = state("plyometric", activity=5, programme_completed=True, symptoms_improving=False)
    done["treatments"] = {"injection": "no-lasting-benefit", "shockwave": "helped"}
    result = _run(
        visit("2026-01-19", state("isometric"), done=0),
        visit("2026-02-02", state("heavy-load"), done=1),
        visit("2026-02-16", done, done=6),
        duration=40,
    )
    derived = result.visits[3].history.get("loading.programme_completed")
    assert (derived.value, derived.typed, derived.used, derived.conflict) == (
        False,
        True,
        None,
        True,
    )
    assert "fewer than the 3" in derived.basis
    assert result.visits[3].assessment.outcomes["escalation"] != "consider-surgical-opinion"
    single = pht_rules.evaluate(
        result.visits[3].evaluated_state.model_copy(update={"loading": done_loading(done)})
    )
    assert single.outcomes["escalation"] == "consider-surgical-opinion"


def done_loading(st: dict[str, object]) -> pht_rules.PatientState:
    """The typed loading history, as a single consultation would take it."""
    return pht_rules.PatientState.model_validate(
        {"loading": {**st["loading"], "weeks_adherent_loading": 0}}
    ).loading  # type: ignore[dict-item]


def test_trend_against_baseline_with_provenance() -> None:
    """Activity pain 2 points or 30% below baseline is improving; the threshold says where it is from."""
    result = _run(
        visit("2026-01-19", state("isometric", activity=4)),
        visit("2026-02-02", state("isometric", activity=3)),
        visit("2026-02-16", state("isometric", activity=8)),
    )
    directions = [v.history.trend.direction for v in result.visits]
    assert directions == ["unknown", "static", "improving", "worse"]
    trend = result.visits[2].history.trend
    assert trend.provenance.startswith("assumption")
    assert trend.visits == ("visit 0 (2026-01-05)", "visit 2 (2026-02-02)")
    assert result.visits[2].evaluated_state.loading.symptoms_improving is True
    assert result.visits[3].evaluated_state.loading.symptoms_improving is False


def test_flare_up_above_the_ceiling_or_not_settled() -> None:
    """Exercise pain above the ceiling, or not settled next day, is a flare-up with its reason."""
    result = _run(
        visit("2026-01-19", state("isometric", exercise=6)),
        visit("2026-02-02", state("isometric", exercise=2, settled=False)),
        visit("2026-02-16", state("isometric", exercise=5)),
    )
    assert [f.visit for f in result.flare_ups] == ["visit 1 (2026-01-19)", "visit 2 (2026-02-02)"]
    assert "above the ceiling 5" in result.flare_ups[0].reasons[0]
    assert result.flare_ups[1].reasons == ("exercise pain not settled by the next day",)


def test_symptom_duration_grows_with_the_episode() -> None:
    """Symptom duration is the baseline's plus the weeks since."""
    result = _run(visit("2026-03-02", state("isometric")), duration=10)
    assert result.visits[1].history.get("symptom_duration_weeks").value == 18


def test_time_since_running_stopped() -> None:
    """Once running stops, each visit shows since when and for how many days."""
    irritable = state("not-started", symptoms={"pain_at_rest": True, "pain_at_rest_nrs": 2})
    data = episode(visit("2026-01-12", state("isometric"), running_done="none"))
    data["baseline"]["state"]["symptoms"] = irritable["symptoms"]
    result = evaluate_episode(data, today=TODAY)
    assert [t.kind for t in result.visits[0].transitions] == ["start", "stop-running"]
    history = result.visits[1].history
    assert history.running_stopped_on.isoformat() == "2026-01-05"  # type: ignore[union-attr]
    assert history.days_since_running_stopped == 7


def test_running_during_the_stop_is_noted() -> None:
    """A patient who ran while running was stopped is noted, and the stop no longer counts."""
    data = episode(visit("2026-01-12", state("isometric"), running_done="restricted"))
    data["baseline"]["state"]["symptoms"].update({"pain_at_rest": True, "pain_at_rest_nrs": 2})
    result = evaluate_episode(data, today=TODAY)
    assert any("ran during the stop" in n for n in result.visits[1].notes)
    assert result.visits[1].history.running_stopped_on is None
