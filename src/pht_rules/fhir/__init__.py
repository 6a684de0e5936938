# SPDX-License-Identifier: MIT
"""FHIR R4 interoperability: intake ``Questionnaire``, input mapping, and FHIR output.

- :func:`questionnaire` - the shipped intake Questionnaire (items = patient-state fields).
- :func:`response_to_state` / :func:`state_to_response` - ``QuestionnaireResponse`` <->
  :class:`~pht_rules.PatientState`; :func:`observations_to_state` reads ``Observation`` resources.
- :func:`assessment_to_request_group` - an :class:`~pht_rules.Assessment` as a ``RequestGroup``.
- :func:`ruleset_to_plan_definition` / :func:`ruleset_to_library` - the rule set's metadata.
- :func:`bundle_to_episode` / :func:`plan_to_care_plan` - a Bundle of dated responses as an
  episode of care, and its plan as a ``CarePlan`` (:mod:`pht_rules.fhir.episode`).
- :func:`code_systems` / :func:`ruleset_code_systems` - every project ``CodeSystem``.
- :func:`validate_resource` - structural validation with ``fhir.resources``, and the R4 FHIRPath
  invariants with ``fhirpathpy`` (``service`` extra).

Resources are plain JSON-ready dicts; only :func:`validate_resource` needs ``fhir.resources``.
Codes used are explained in :mod:`pht_rules.fhir.codes`.
"""

from pht_rules.fhir.codes import (
    ANSWERS_SYSTEM,
    ITEMS_SYSTEM,
    OVERRIDE_REASONS_SYSTEM,
    QUESTIONNAIRE_URL,
    QUESTIONNAIRE_VERSION,
)
from pht_rules.fhir.episode import bundle_to_episode, episode_to_bundle, plan_to_care_plan
from pht_rules.fhir.errors import FhirInputError, FhirProblem
from pht_rules.fhir.output import (
    assessment_to_request_group,
    clinical_weight,
    ruleset_to_library,
    ruleset_to_plan_definition,
)
from pht_rules.fhir.questionnaire import build_code_systems, build_questionnaire, questionnaire
from pht_rules.fhir.response import (
    latest_response,
    observations_to_state,
    response_to_state,
    state_to_response,
)
from pht_rules.fhir.terminology import code_systems, ruleset_code_systems
from pht_rules.fhir.validation import operation_outcome, validate_resource

__all__ = [
    "ANSWERS_SYSTEM",
    "ITEMS_SYSTEM",
    "OVERRIDE_REASONS_SYSTEM",
    "QUESTIONNAIRE_URL",
    "QUESTIONNAIRE_VERSION",
    "FhirInputError",
    "FhirProblem",
    "assessment_to_request_group",
    "build_code_systems",
    "build_questionnaire",
    "bundle_to_episode",
    "clinical_weight",
    "code_systems",
    "episode_to_bundle",
    "latest_response",
    "observations_to_state",
    "operation_outcome",
    "plan_to_care_plan",
    "questionnaire",
    "response_to_state",
    "ruleset_code_systems",
    "ruleset_to_library",
    "ruleset_to_plan_definition",
    "state_to_response",
    "validate_resource",
]
