# SPDX-License-Identifier: MIT
"""Patient state -> :class:`~pht_rules.evaluation.assessment.Assessment`: the evaluator, the
assessment model (:mod:`pht_rules.evaluation.assessment`) and the plain-text explanation.
"""

from pht_rules.evaluation._api import evaluate, patient_state_json_schema
from pht_rules.evaluation.assessment import Assessment, assessment_json_schema
from pht_rules.evaluation.evaluator import Evaluator
from pht_rules.evaluation.explanation import render_explanation

__all__ = [
    "Assessment",
    "Evaluator",
    "assessment_json_schema",
    "evaluate",
    "patient_state_json_schema",
    "render_explanation",
]
