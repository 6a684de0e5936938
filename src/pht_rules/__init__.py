# SPDX-License-Identifier: MIT
"""pht_rules: clinical decision support for proximal hamstring tendinopathy.

Declarative, cited guideline rules evaluated by durable-rules (or, where it does not install, the
reference interpreter, which gives identical answers) over a typed patient state. The
output suggests; a clinician decides.
"""

from pht_rules._api import evaluate, load_rules, patient_state_json_schema
from pht_rules.assessment import (
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
from pht_rules.errors import (
    EngineUnavailableError,
    EvaluationError,
    PatientStateError,
    PhtRulesError,
    ProfileError,
    RuleConflictError,
    RuleFileError,
)
from pht_rules.evaluator import Evaluator
from pht_rules.models import PatientState, parse_state
from pht_rules.ruleset import Decision, Parameter, Profile, Rule, RuleSet

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Citation",
    "Decision",
    "DecisionResult",
    "EngineUnavailableError",
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
    "load_rules",
    "parse_state",
    "patient_state_json_schema",
]
