# SPDX-License-Identifier: MIT
"""Test helpers: complete example patients to vary one answer at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pht_rules.testing.strategies import CLEAR_SCREEN

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CLEAR_PRESENTATION: dict[str, Any] = dict(CLEAR_SCREEN)


def complete_patient(**changes: Any) -> dict[str, Any]:
    """A fully answered, typical less-irritable patient; keyword groups are merged in."""
    base: dict[str, Any] = {
        "age_years": 35,
        "symptom_duration_weeks": 10,
        "presentation": dict(CLEAR_PRESENTATION),
        "symptoms": {
            "pain_at_rest": False,
            "pain_on_walking": False,
            "pain_on_sitting": False,
            "pain_when_running": True,
            "minutes_into_run_before_pain": 35,
            "pain_during_activity_nrs": 3,
        },
        "training": {
            "weekly_volume_increase_percent": 5,
            "speed_work_added": False,
            "hill_work_introduced": False,
            "weeks_continuous_flat_running": 0,
            "cross_training": True,
            "planned_recovery_weeks": True,
        },
        "loading": {
            "current_phase": "isometric",
            "weeks_in_phase": 0,
            "exercise_pain_nrs": 2,
            "pain_settled_next_day": True,
            "weeks_adherent_loading": 2,
            "programme_completed": False,
            "symptoms_improving": True,
        },
        "treatments": {"injection": "not-tried", "shockwave": "not-tried"},
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base
