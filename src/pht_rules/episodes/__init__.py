# SPDX-License-Identifier: MIT
"""Episodes of care: a patient followed across visits, with history derived from the visits.

- :class:`Episode` / :func:`parse_episode` - the baseline and dated follow-up visits.
- :func:`evaluate_episode` - each visit assessed with derived history, the transitions between
  visits (start, progress, hold, regress, stop running, restart running, escalate) and the plan
  from the last visit.
- :func:`verify_programme` - the staged programme checked as a state machine over every
  sequence of abstract visits up to a bound.
- :func:`render_report` - an HTML timeline and printable patient sheet (``report`` extra).
"""

from pht_rules.episodes.derived import Derived, FlareUp, History, Trend
from pht_rules.episodes.evaluation import (
    Conflict,
    EpisodeAssessment,
    Transition,
    TransitionKind,
    VisitAssessment,
    episode_assessment_json_schema,
    evaluate_episode,
    phase_index,
)
from pht_rules.episodes.model import (
    Episode,
    EpisodeError,
    Visit,
    VisitProblem,
    episode_json_schema,
    parse_episode,
)
from pht_rules.episodes.plan import Plan, Review
from pht_rules.episodes.programme import ProgrammeReport, verify_programme
from pht_rules.episodes.report import render_report
from pht_rules.episodes.thresholds import Threshold

__all__ = [
    "Conflict",
    "Derived",
    "Episode",
    "EpisodeAssessment",
    "EpisodeError",
    "FlareUp",
    "History",
    "Plan",
    "ProgrammeReport",
    "Review",
    "Threshold",
    "Transition",
    "TransitionKind",
    "Trend",
    "Visit",
    "VisitAssessment",
    "VisitProblem",
    "episode_assessment_json_schema",
    "episode_json_schema",
    "evaluate_episode",
    "parse_episode",
    "phase_index",
    "render_report",
    "verify_programme",
]
