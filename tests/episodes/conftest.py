# SPDX-License-Identifier: MIT
"""Episode fixtures: the example episodes and a small builder for visits."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "episodes"
TODAY = date(2026, 12, 1)
CLEAR = {
    "onset": "gradual",
    "pain_site": "ischial-tuberosity",
    "acute_event_pop_or_bruising": False,
    "neurological_symptoms": False,
    "cauda_equina_symptoms": False,
    "night_pain": False,
    "systemic_symptoms": False,
}
LESS_IRRITABLE = {
    "pain_at_rest": False,
    "pain_at_rest_nrs": 0,
    "pain_on_walking": False,
    "pain_on_sitting": False,
    "pain_when_running": True,
    "minutes_into_run_before_pain": 40,
}


def state(
    phase: str,
    *,
    activity: int | None = 5,
    exercise: int | None = 2,
    settled: bool | None = True,
    symptoms: dict[str, Any] | None = None,
    **loading: Any,
) -> dict[str, Any]:
    """A patient state with a clear screen, less irritable unless ``symptoms`` says otherwise."""
    ld: dict[str, Any] = {"current_phase": phase, **loading}
    if phase != "not-started":
        ld.update({"exercise_pain_nrs": exercise, "pain_settled_next_day": settled})
    return {
        "age_years": 35,
        "presentation": CLEAR,
        "symptoms": {**LESS_IRRITABLE, "pain_during_activity_nrs": activity, **(symptoms or {})},
        "loading": ld,
        "treatments": {"injection": "not-tried", "shockwave": "not-tried"},
    }


def episode(*visits: dict[str, Any], duration: int = 8) -> dict[str, Any]:
    """An episode starting 2026-01-05, not yet loading, followed by ``visits``."""
    base = state("not-started", weeks_adherent_loading=0, programme_completed=False)
    base["symptom_duration_weeks"] = duration
    return {"baseline": {"date": "2026-01-05", "state": base}, "visits": list(visits)}


def visit(
    day: str, st: dict[str, Any], done: int | None = 6, of: int | None = 6, **extra: Any
) -> dict[str, Any]:
    """A follow-up on ``day`` with sessions ``done`` of ``of`` prescribed."""
    return {
        "date": day,
        "state": st,
        "sessions_prescribed": of,
        "sessions_completed": done,
        "running_done": extra.pop("running_done", "restricted"),
        **extra,
    }


@pytest.fixture(scope="session")
def examples() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.json"))}


def load_example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data
