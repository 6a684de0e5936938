# SPDX-License-Identifier: MIT
"""The thresholds episodes use, each with its value, unit and provenance.

Rule-set parameters (exercise pain ceiling, stop-running days, adequate-trial weeks, phase gates)
come from the rule set in force, with the provenance its ``parameters.yaml`` gives. The few
thresholds only episodes need are declared here, with where they come from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pht_rules.definitions import Profile, RuleSet
from pht_rules.errors import UnknownIdError
from pht_rules.loading import bundled_ruleset

__all__ = [
    "ADHERENCE_PERCENT",
    "EPISODE_THRESHOLDS",
    "TREND_PERCENT",
    "TREND_POINTS",
    "USED_PARAMETERS",
    "WEEKS_TOLERANCE",
    "Settings",
    "Threshold",
    "settings",
]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A number an episode's derivations use, and where it comes from."""

    name: str
    value: int
    unit: str
    provenance: str
    sources: tuple[str, ...]
    description: str


ADHERENCE_PERCENT = Threshold(
    "adherence_percent",
    75,
    "%",
    "assumption",
    ("ASM-ADEQUATE-TRIAL",),
    "A stretch between visits counts as adherent loading when at least this share of the "
    "prescribed sessions was done (the adherence share of the adequate-trial assumption).",
)
TREND_POINTS = Threshold(
    "trend_points",
    2,
    "NRS points",
    "assumption",
    (),
    "Activity pain at least this many points below baseline is improving, at least this many "
    "above is worse (the evidence brief's monitoring-pain change of 2 points or 30%; an "
    "assumption, no PHT-specific minimal important change was verified).",
)
TREND_PERCENT = Threshold(
    "trend_percent",
    30,
    "%",
    "assumption",
    (),
    "Activity pain at least this share below baseline is also improving (the evidence brief's "
    "2 points or 30%; an assumption).",
)
WEEKS_TOLERANCE = Threshold(
    "weeks_tolerance",
    1,
    "weeks",
    "assumption",
    (),
    "A typed week count within this many weeks of the derived one agrees with it (visits "
    "rarely fall on whole weeks).",
)
EPISODE_THRESHOLDS = (ADHERENCE_PERCENT, TREND_POINTS, TREND_PERCENT, WEEKS_TOLERANCE)

# Rule-set parameters that episode derivations and plans read.
USED_PARAMETERS = (
    "exercise_pain_target",
    "exercise_pain_ceiling",
    "stop_running_days",
    "adequate_trial_weeks",
    "isometric_min_weeks",
    "heavy_load_min_weeks",
)


@dataclass(frozen=True, slots=True)
class Settings:
    """The rule set, the profile and every threshold in force for one episode evaluation."""

    rules: RuleSet
    profile: Profile | None
    values: Mapping[str, int]

    def threshold(self, name: str) -> Threshold:
        """A rule-set parameter in force as a :class:`Threshold`, with its provenance."""
        for p in self.rules.parameters:
            if p.name == name:
                return Threshold(
                    name, self.values[name], p.unit, p.provenance, p.sources, p.description
                )
        raise UnknownIdError(name)

    def all_thresholds(self) -> tuple[Threshold, ...]:
        """Every threshold this evaluation used: rule-set parameters, then episode ones."""
        return (*(self.threshold(n) for n in USED_PARAMETERS), *EPISODE_THRESHOLDS)


def settings(
    rules: RuleSet | None = None, profile: Profile | Mapping[str, int] | None = None
) -> Settings:
    """The settings for ``rules`` (default: the bundled rules) under ``profile``."""
    ruleset = rules if rules is not None else bundled_ruleset()
    prof = profile if isinstance(profile, Profile) or profile is None else Profile(dict(profile))
    return Settings(ruleset, prof, ruleset.parameter_values(prof))
