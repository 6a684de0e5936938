# SPDX-License-Identifier: MIT
"""pht_rules: clinical decision support for proximal hamstring tendinopathy.

Declarative, cited guideline rules evaluated by durable-rules over a typed patient state. The
output suggests; a clinician decides.
"""

from pht_rules._version import __version__ as __version__
from pht_rules.definitions import Decision, Parameter, Profile, Rule, RuleSet
from pht_rules.episodes import (
    Episode,
    EpisodeAssessment,
    EpisodeError,
    evaluate_episode,
    parse_episode,
)
from pht_rules.errors import (
    EvaluationError,
    PatientStateError,
    PhtRulesError,
    ProfileError,
    RuleConflictError,
    RuleFileError,
)
from pht_rules.evaluation import Evaluator, evaluate, patient_state_json_schema
from pht_rules.evaluation.assessment import (
    Assessment,
    Citation,
    DecisionResult,
    Evidence,
    GuidelineGap,
    InformationNeed,
    ParameterInForce,
    RuleHit,
    RuleSetInfo,
    assessment_json_schema,
)
from pht_rules.loading import load_rules
from pht_rules.patient import PatientState, parse_state

__all__ = [
    "Assessment",
    "Citation",
    "Decision",
    "DecisionResult",
    "Episode",
    "EpisodeAssessment",
    "EpisodeError",
    "EvaluationError",
    "Evaluator",
    "Evidence",
    "GuidelineGap",
    "InformationNeed",
    "Parameter",
    "ParameterInForce",
    "PatientState",
    "PatientStateError",
    "PhtRulesError",
    "Profile",
    "ProfileError",
    "Rule",
    "RuleConflictError",
    "RuleFileError",
    "RuleHit",
    "RuleSet",
    "RuleSetInfo",
    "assessment_json_schema",
    "evaluate",
    "evaluate_episode",
    "load_rules",
    "parse_episode",
    "parse_state",
    "patient_state_json_schema",
]
