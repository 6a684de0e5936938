# SPDX-License-Identifier: MIT
# Over 400 lines: the RequestGroup, PlanDefinition and Library share the citation and condition mapping.
"""FHIR R4 output: ``Assessment -> RequestGroup``, and a rule set as ``PlanDefinition`` + ``Library``.

Every recommendation carries ``relatedArtifact`` citations to the guideline catalogue: the article
statement (its section), the published evidence (with its DOI or PubMed link where the catalogue
gives one) or the labelled assumption.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pht_rules.definitions.catalogue import CatalogueEntry
from pht_rules.definitions.conditions import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
    describe,
)
from pht_rules.definitions.ruleset import RuleSet
from pht_rules.definitions.text import fill_placeholders as _format
from pht_rules.evaluation.assessment import Assessment, Citation, DecisionResult, RuleHit
from pht_rules.fhir.codes import (
    BASE,
    FINGERPRINT_SYSTEM,
    ITEMS_SYSTEM,
    OUTCOMES_SYSTEM,
    RULES_SYSTEM,
    library_url,
    plan_definition_url,
)
from pht_rules.loading import bundled_ruleset, rule_texts

__all__ = [
    "RULE_CONDITION_URL",
    "Weight",
    "assessment_to_request_group",
    "citation_url",
    "clinical_weight",
    "condition_text",
    "related_artifact",
    "ruleset_to_library",
    "ruleset_to_plan_definition",
]

Weight = Literal["critical", "warning", "info"]

_CRITICAL = {"refer-emergency", "refer-urgent", "refer-medical-review"}
_WARNING = {
    ("presentation", "assess-before-loading"),
    ("running", "stop"),
    ("escalation", "consider-adjuncts"),
    ("escalation", "review-later"),
    ("escalation", "consider-surgical-opinion"),
}
_PRIORITY = {"refer-emergency": "stat"}
_DOI = re.compile(r"\bdoi:\s*(10\.\d{4,9}/\S+?)[.,;]?(?:\s|$)", re.IGNORECASE)
_PMID = re.compile(r"\bPMID\s*(\d{5,9})\b")
RULE_CONDITION_URL = f"{BASE}/StructureDefinition/rule-condition"
"""The extension that carries a ``PlanDefinition`` rule action's condition.

A rule's condition is evaluated by pht_rules over the patient state; it is no CQL or FHIRPath
expression, and R4's ``Expression.language`` admits only those (and FHIR queries), so the
condition is not an ``action.condition`` but this complex extension, with sub-extensions
``rule`` (``valueCode``: the rule id), ``description`` (``valueString``: the condition in words)
and ``library`` (``valueCanonical``: the ``Library`` holding the rule files).
"""


def _rule_condition(rule_id: str, description: str, rs: RuleSet) -> dict[str, Any]:
    return {
        "url": RULE_CONDITION_URL,
        "extension": [
            {"url": "rule", "valueCode": rule_id},
            {"url": "description", "valueString": description},
            {"url": "library", "valueCanonical": f"{library_url(rs.name)}|{rs.version}"},
        ],
    }


def clinical_weight(decision_id: str, outcome: str) -> Weight:
    """How much a decision outcome weighs for a clinician.

    A red flag that calls for referral is ``critical``; stopping running, escalation beyond the
    loading programme and further assessment before loading are ``warning``; the rest ``info``.
    """
    if decision_id == "presentation" and outcome in _CRITICAL:
        return "critical"
    if (decision_id, outcome) in _WARNING:
        return "warning"
    return "info"


def _result_weight(result: DecisionResult) -> Weight:
    weights = {clinical_weight(result.decision_id, o) for o in result.outcomes}
    if "critical" in weights:
        return "critical"
    return "warning" if "warning" in weights else "info"


def citation_url(reference: str | None) -> str | None:
    """A link for a literature reference: its DOI, else its PubMed record; ``None`` if neither."""
    if not reference:
        return None
    doi = _DOI.search(reference)
    if doi:
        return "https://doi.org/" + doi.group(1)
    pmid = _PMID.search(reference)
    if pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{pmid.group(1)}/"
    return None


def related_artifact(
    entry: Citation | CatalogueEntry,
    *,
    source_title: str | None = None,
    guideline_url: str | None = None,
) -> dict[str, Any]:
    """One catalogue entry as an R4 ``RelatedArtifact``.

    Article statements and evidence are ``citation``s, assumptions ``justification``s. ``url`` is
    the article's link (``guideline_url``, when the deployer gives one) for a statement, the DOI or
    PubMed link for evidence.
    """
    reference = entry.reference if isinstance(entry, Citation) else entry.citation
    artifact: dict[str, Any] = {
        "type": "justification" if entry.kind == "assumption" else "citation",
        "label": entry.id,
    }
    if entry.kind == "article":
        title = source_title or "Guideline source article"
        artifact["display"] = f"{title}, section '{entry.section}'" if entry.section else title
        artifact["citation"] = entry.text
        url = guideline_url
    elif entry.kind == "assumption":
        artifact["display"] = "pht_rules assumption (labelled as such; no confirmed source)"
        rationale = f" Rationale: {entry.rationale}" if entry.rationale else ""
        artifact["citation"] = entry.text + rationale
        url = None
    else:
        artifact["display"] = f"Published evidence ({entry.kind})"
        artifact["citation"] = f"{reference} {entry.text}" if reference else entry.text
        url = citation_url(reference)
    if url:
        artifact["url"] = url
    return artifact


def _ruleset_for(assessment: Assessment, ruleset: RuleSet | None) -> RuleSet | None:
    candidate = ruleset if ruleset is not None else bundled_ruleset()
    return candidate if candidate.fingerprint == assessment.ruleset.fingerprint else None


def _outcome_text(ruleset: RuleSet | None, decision_id: str, outcome: str) -> str:
    if ruleset is not None:
        try:
            return dict(ruleset.decision(decision_id).outcomes).get(outcome, outcome)
        except KeyError:
            pass
    return outcome


def _details_text(details: Mapping[str, str | tuple[str, ...]]) -> str:
    parts = []
    for key, value in details.items():
        shown = "; ".join(value) if isinstance(value, tuple) else value
        parts.append(f"{key.replace('_', ' ').capitalize()}: {shown}")
    return "\n".join(parts)


def _artifacts(
    ids: Iterable[str], by_id: Mapping[str, Citation], source_title: str | None, url: str | None
) -> list[dict[str, Any]]:
    return [
        related_artifact(by_id[c], source_title=source_title, guideline_url=url)
        for c in dict.fromkeys(ids)
        if c in by_id
    ]


class _Proposals:
    """The ``contained`` requests that leaf actions propose (rqg-1: a leaf action has a resource).

    Each suggestion or question is a draft ``CommunicationRequest`` (R4 has no ``intent`` on it) whose
    payload is the advice or the question: what the clinician is proposed to tell or ask.
    """

    def __init__(self, subject: str | None) -> None:
        self.subject = subject
        self.resources: list[dict[str, Any]] = []

    def reference(self, text: str) -> dict[str, str]:
        rid = f"proposal-{len(self.resources) + 1}"
        resource: dict[str, Any] = {
            "resourceType": "CommunicationRequest",
            "id": rid,
            "status": "draft",
        }
        if self.subject is not None:
            resource["subject"] = {"reference": self.subject}
        resource["payload"] = [{"contentString": text}]
        self.resources.append(resource)
        return {"reference": f"#{rid}"}


def _hit_action(
    hit: RuleHit,
    by_id: Mapping[str, Citation],
    title: str | None,
    url: str | None,
    proposals: _Proposals,
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "title": hit.title,
        "description": hit.advice,
        "code": [{"coding": [{"system": RULES_SYSTEM, "code": hit.rule_id, "display": hit.title}]}],
    }
    if hit.details:
        action["textEquivalent"] = _details_text(hit.details)
    docs = _artifacts(hit.cites, by_id, title, url)
    if docs:
        action["documentation"] = docs
    action["resource"] = proposals.reference(hit.advice or hit.title)
    return action


def assessment_to_request_group(
    assessment: Assessment,
    *,
    ruleset: RuleSet | None = None,
    request_group_id: str | None = None,
    subject: str | None = None,
    authored_on: str | None = None,
    based_on_response: str | None = None,
    guideline_url: str | None = None,
) -> dict[str, Any]:
    """The assessment as an R4 ``RequestGroup`` (intent ``proposal``).

    One action per decision: its outcome (coded in the outcomes system), the advice, a priority
    from the clinical weight, and one sub-action per rule that decided it, each with its
    ``relatedArtifact`` citations. A last action lists the questions still to ask. ``ruleset``
    (default: the bundled rules, when the fingerprint matches) supplies outcome texts and the
    article's title; ``based_on_response`` (e.g. ``QuestionnaireResponse/123``) becomes the reason.
    """
    rs = _ruleset_for(assessment, ruleset)
    source_title = rs.catalogue.source_title if rs is not None else None
    by_id = {c.id: c for c in assessment.citations}
    proposals = _Proposals(subject)
    actions: list[dict[str, Any]] = []
    for result in assessment.decisions:
        weight = _result_weight(result)
        texts = [_outcome_text(rs, result.decision_id, o) for o in result.outcomes]
        action: dict[str, Any] = {
            "title": result.title,
            "description": " ".join(texts),
            "priority": _PRIORITY.get(
                result.outcome, "urgent" if weight == "critical" else "routine"
            ),
            "code": [
                {
                    "coding": [
                        {
                            "system": OUTCOMES_SYSTEM,
                            "code": f"{result.decision_id}.{o}",
                            "display": t,
                        }
                        for o, t in zip(result.outcomes, texts, strict=True)
                    ]
                }
            ],
        }
        if result.advice:
            action["textEquivalent"] = " ".join(result.advice)
        selected = [h for h in result.hits if h.selected]
        docs = _artifacts(
            (c for h in selected for c in h.cites), by_id, source_title, guideline_url
        )
        if docs:
            action["documentation"] = docs
        if selected:
            action["action"] = [
                _hit_action(h, by_id, source_title, guideline_url, proposals) for h in selected
            ]
        else:
            action["resource"] = proposals.reference(
                action["textEquivalent"] if result.advice else action["description"]
            )
        actions.append(action)
    if assessment.needs_information:
        actions.append(
            {
                "title": "Questions to ask",
                "description": (
                    "Unknown answers that the decisions depend on; unknown is never read as 'no'."
                ),
                "priority": "routine",
                "action": [
                    {
                        "title": need.question,
                        "description": f"Needed for: {', '.join(need.decisions)}.",
                        "code": [{"coding": [{"system": ITEMS_SYSTEM, "code": need.field}]}],
                        "resource": proposals.reference(need.question),
                    }
                    for need in assessment.needs_information
                ],
            }
        )
    info = assessment.ruleset
    notes = [{"text": assessment.disclaimer}]
    notes += [
        {"text": f"Outside the guideline ({gap.decision_id}): {gap.message}"}
        for gap in assessment.guideline_gaps
    ]
    overridden = [p for p in assessment.parameters if p.overridden]
    profile = ""
    if assessment.profile or overridden:
        shown = ", ".join(f"{p.name}={p.value} {p.unit}" for p in overridden) or "no overrides"
        profile = f"; profile {assessment.profile or '(unnamed)'}: {shown}"
    notes.append(
        {"text": f"Rule set {info.name} {info.version} (fingerprint {info.fingerprint}){profile}."}
    )
    group: dict[str, Any] = {"resourceType": "RequestGroup"}
    if request_group_id is not None:
        group["id"] = request_group_id
    if proposals.resources:
        group["contained"] = proposals.resources
    group["instantiatesCanonical"] = [f"{plan_definition_url(info.name)}|{info.version}"]
    group["status"] = "active"
    group["intent"] = "proposal"
    if subject is not None:
        group["subject"] = {"reference": subject}
    if authored_on is not None:
        group["authoredOn"] = authored_on
    if based_on_response is not None:
        group["reasonReference"] = [{"reference": based_on_response}]
    group["note"] = notes
    group["action"] = actions
    return group


# --------------------------------------------------------------------------------------------
# Knowledge artifacts


def condition_text(cond: Condition) -> str:
    """A rule condition in words, e.g. ``symptoms.pain_at_rest is yes or symptoms...``."""
    if isinstance(cond, Compare):
        return f"{cond.field} {describe(cond)}"
    if isinstance(cond, IsUnknown):
        return f"{cond.field} {describe(cond)}"
    if isinstance(cond, Not):
        return f"not ({condition_text(cond.part)})"
    joiner = " and " if isinstance(cond, AllOf) else " or "
    assert isinstance(cond, AllOf | AnyOf)
    return joiner.join(
        f"({condition_text(p)})" if isinstance(p, AllOf | AnyOf) else condition_text(p)
        for p in cond.parts
    )


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _entries(ruleset: RuleSet, ids: Sequence[str]) -> list[CatalogueEntry]:
    found = (ruleset.catalogue.get(i) for i in dict.fromkeys(ids))
    return [e for e in found if e is not None]


def ruleset_to_plan_definition(
    ruleset: RuleSet | None = None, *, guideline_url: str | None = None
) -> dict[str, Any]:
    """The rule set's logic as an R4 ``PlanDefinition`` (type ``eca-rule``) for auditors.

    One action per decision (triggered by ``patient-view``), one sub-action per rule with its
    condition in words, its outcome, its advice (at the default thresholds) and its citations.
    The ``Library`` from :func:`ruleset_to_library` holds the exact rule files.
    """
    rs = ruleset if ruleset is not None else bundled_ruleset()
    title = rs.catalogue.source_title
    params = rs.defaults
    actions = []
    for decision in rs.decisions:
        outcomes = dict(decision.outcomes)
        rule_actions = []
        for rule in decision.rules:
            rule_actions.append(
                {
                    "title": rule.title,
                    "description": _format(rule.advice, params),
                    "code": [
                        {"coding": [{"system": RULES_SYSTEM, "code": rule.id}]},
                        {
                            "coding": [
                                {
                                    "system": OUTCOMES_SYSTEM,
                                    "code": f"{decision.id}.{rule.outcome}",
                                    "display": outcomes.get(rule.outcome, rule.outcome),
                                }
                            ]
                        },
                    ],
                    "documentation": [
                        related_artifact(e, source_title=title, guideline_url=guideline_url)
                        for e in _entries(rs, rule.cites)
                    ],
                    "extension": [_rule_condition(rule.id, condition_text(rule.when), rs)],
                    "textEquivalent": f"Priority {rule.priority} ({decision.hit_policy} hit policy).",
                }
            )
        actions.append(
            {
                "title": decision.title,
                "description": decision.question,
                "trigger": [{"type": "named-event", "name": "patient-view"}],
                "action": rule_actions,
            }
        )
    artifact: dict[str, Any] = {"type": "documentation", "display": rs.source or title}
    if guideline_url:
        artifact["url"] = guideline_url
    return {
        "resourceType": "PlanDefinition",
        "id": rs.name,
        "url": plan_definition_url(rs.name),
        "identifier": [{"system": FINGERPRINT_SYSTEM, "value": rs.fingerprint}],
        "version": rs.version,
        "name": _pascal(rs.name),
        "title": rs.title,
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                    "code": "eca-rule",
                    "display": "ECA Rule",
                }
            ]
        },
        "status": "active",
        "publisher": "pht_rules developers",
        "description": f"{rs.title}: the decisions and rules of pht_rules, with their citations.",
        "usage": "Decision support for a clinician, not a diagnosis.",
        "relatedArtifact": [artifact],
        "library": [f"{library_url(rs.name)}|{rs.version}"],
        "action": actions,
    }


def ruleset_to_library(ruleset: RuleSet | None = None) -> dict[str, Any]:
    """The rule set as an R4 ``Library`` for knowledge-artifact repositories and auditors.

    Holds the exact rule files (YAML attachments whose SHA-256 over all files is the rule set's
    fingerprint, given as the identifier), the thresholds with their provenance as parameters, and
    every catalogue entry (cited or, with the reason, not encoded) as a related artifact. Raises
    ``ValueError`` if the files on disk changed since ``ruleset`` was loaded.
    """
    rs = ruleset if ruleset is not None else bundled_ruleset()
    title = rs.catalogue.source_title
    content = []
    for name, text in rule_texts(rs).items():
        data = text.encode("utf-8")
        content.append(
            {
                "contentType": "application/yaml",
                "title": name,
                "size": len(data),
                "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
                "data": base64.b64encode(data).decode("ascii"),
            }
        )
    artifacts = []
    for entry in rs.catalogue.entries:
        artifact = related_artifact(entry, source_title=title)
        if entry.not_encoded:
            artifact["citation"] += f" Not encoded: {entry.not_encoded}"
        artifacts.append(artifact)
    parameters = [
        {
            "name": p.name,
            "use": "in",
            "min": 0,
            "max": "1",
            "documentation": (
                f"{p.description} Default {p.value} {p.unit} (allowed {p.minimum}-{p.maximum}); "
                f"provenance: {p.provenance}; sources: {', '.join(p.sources) or 'none'}."
            ),
            "type": "integer",
        }
        for p in rs.parameters
    ]
    return {
        "resourceType": "Library",
        "id": rs.name,
        "url": library_url(rs.name),
        "identifier": [{"system": FINGERPRINT_SYSTEM, "value": rs.fingerprint}],
        "version": rs.version,
        "name": _pascal(rs.name),
        "title": rs.title,
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/library-type",
                    "code": "logic-library",
                    "display": "Logic Library",
                }
            ]
        },
        "publisher": "pht_rules developers",
        "description": (
            f"{rs.title}: the pht_rules rule files, thresholds and guideline catalogue "
            f"({len(rs.rules)} rules, {len(rs.catalogue.entries)} catalogue entries)."
        ),
        "usage": "Decision support for a clinician, not a diagnosis.",
        "relatedArtifact": artifacts,
        "parameter": parameters,
        "content": content,
    }
