# SPDX-License-Identifier: MIT
"""FHIR output: RequestGroup per assessment, and the rule set as PlanDefinition + Library."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest

import pht_rules
from pht_rules.fhir import (
    assessment_to_request_group,
    clinical_weight,
    ruleset_to_library,
    ruleset_to_plan_definition,
    validate_resource,
)
from pht_rules.fhir.codes import ITEMS_SYSTEM, OUTCOMES_SYSTEM, RULES_SYSTEM

from .conftest import EXAMPLES, example, example_state


@pytest.fixture(scope="module")
def ruleset() -> pht_rules.RuleSet:
    return pht_rules.load_rules()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_request_group_for_each_example(path: Path, ruleset: pht_rules.RuleSet) -> None:
    """Valid R4 RequestGroup; one action per decision, sub-actions for the deciding rules,
    each citing its catalogue entries; questions last when any are open."""
    assessment = pht_rules.evaluate(example_state(path), rules=ruleset)
    group = assessment_to_request_group(
        assessment,
        ruleset=ruleset,
        request_group_id="rg-1",
        subject="Patient/1",
        authored_on="2026-03-02T09:30:00Z",
        based_on_response="QuestionnaireResponse/qr-1",
        guideline_url="https://guideline.test.invalid/pht",
    )
    validate_resource(group, "RequestGroup")
    assert group["intent"] == "proposal"
    assert group["instantiatesCanonical"] == [
        f"https://pht-rules.example/fhir/PlanDefinition/{ruleset.name}|{ruleset.version}"
    ]
    assert group["note"][0]["text"] == assessment.disclaimer
    actions = group["action"]
    decisions = actions[: len(assessment.decisions)]
    for action, result in zip(decisions, assessment.decisions, strict=True):
        assert action["title"] == result.title
        codes = [c["code"] for c in action["code"][0]["coding"]]
        assert codes == [f"{result.decision_id}.{o}" for o in result.outcomes]
        assert {c["system"] for c in action["code"][0]["coding"]} == {OUTCOMES_SYSTEM}
        selected = [h for h in result.hits if h.selected]
        subs = action.get("action", [])
        assert [s["code"][0]["coding"][0]["code"] for s in subs] == [h.rule_id for h in selected]
        for sub, hit in zip(subs, selected, strict=True):
            assert sub["code"][0]["coding"][0]["system"] == RULES_SYSTEM
            assert [d["label"] for d in sub["documentation"]] == list(dict.fromkeys(hit.cites))
    if assessment.needs_information:
        questions = actions[-1]
        assert [a["code"][0]["coding"][0] for a in questions["action"]] == [
            {"system": ITEMS_SYSTEM, "code": n.field} for n in assessment.needs_information
        ]
    else:
        assert len(actions) == len(assessment.decisions)


def test_related_artifacts_link_their_sources(ruleset: pht_rules.RuleSet) -> None:
    """Article statements link the guideline URL; evidence its DOI; assumptions justify."""
    assessment = pht_rules.evaluate(
        example_state(example("suspected-avulsion")), rules=ruleset
    )  # avulsion
    group = assessment_to_request_group(
        assessment, ruleset=ruleset, guideline_url="https://guideline.test.invalid/pht"
    )
    docs: dict[str, dict[str, Any]] = {
        d["label"]: d for a in group["action"] for d in a.get("documentation", ())
    }
    assert docs["LIT-SUBBU-2015"]["url"] == "https://doi.org/10.1177/0363546514557938"
    assert docs["LIT-SUBBU-2015"]["type"] == "citation"
    assert docs["ART-PRES-3"]["url"] == "https://guideline.test.invalid/pht"
    assert "What are the possible causes?" in docs["ART-PRES-3"]["display"]
    assert docs["ASM-SCREEN-FIRST"]["type"] == "justification"
    assert "url" not in docs["ASM-SCREEN-FIRST"]
    red_flag = group["action"][0]
    assert red_flag["priority"] == "urgent"


def test_clinical_weight() -> None:
    """Red flags are critical; stopping running and escalation warn; the rest inform."""
    assert clinical_weight("presentation", "refer-emergency") == "critical"
    assert clinical_weight("presentation", "refer-medical-review") == "critical"
    assert clinical_weight("presentation", "assess-before-loading") == "warning"
    assert clinical_weight("running", "stop") == "warning"
    assert clinical_weight("escalation", "consider-adjuncts") == "warning"
    assert clinical_weight("escalation", "consider-surgical-opinion") == "warning"
    assert clinical_weight("running", "restricted") == "info"
    assert clinical_weight("loading", "progress") == "info"


def test_plan_definition(ruleset: pht_rules.RuleSet) -> None:
    """Valid R4 PlanDefinition: every decision, every rule once, with condition and citations."""
    plan = ruleset_to_plan_definition(ruleset)
    validate_resource(plan, "PlanDefinition")
    assert plan["version"] == ruleset.version
    assert plan["identifier"][0]["value"] == ruleset.fingerprint
    rules = [r for a in plan["action"] for r in a["action"]]
    assert [r["code"][0]["coding"][0]["code"] for r in rules] == [r.id for r in ruleset.rules]
    for action, rule in zip(rules, ruleset.rules, strict=True):
        assert [d["label"] for d in action["documentation"]] == list(rule.cites)
        assert action["extension"][0]["extension"][0] == {"url": "rule", "valueCode": rule.id}
        assert "{" not in action["description"], "advice shown at the default thresholds"


def test_library_holds_the_exact_rule_files(ruleset: pht_rules.RuleSet) -> None:
    """Valid R4 Library; its YAML attachments hash to the rule set's fingerprint."""
    library = ruleset_to_library(ruleset)
    validate_resource(library, "Library")
    digest = hashlib.sha256()
    for attachment in sorted(library["content"], key=lambda a: a["title"]):
        data = base64.b64decode(attachment["data"])
        assert base64.b64decode(attachment["hash"]) == hashlib.sha1(data).digest()
        assert attachment["size"] == len(data)
        digest.update(attachment["title"].encode() + b"\0" + data + b"\0")
    assert digest.hexdigest()[:16] == ruleset.fingerprint == library["identifier"][0]["value"]
    assert [p["name"] for p in library["parameter"]] == [p.name for p in ruleset.parameters]
    labels = [a["label"] for a in library["relatedArtifact"]]
    assert labels == [e.id for e in ruleset.catalogue.entries]


def test_library_refuses_files_changed_since_loading(rules_copy: Path) -> None:
    """A rule directory edited after loading cannot be exported as that rule set."""
    ruleset = pht_rules.load_rules(rules_copy)
    ruleset_to_library(ruleset)
    (rules_copy / "running.yaml").write_text(
        (rules_copy / "running.yaml").read_text() + "\n# edited\n"
    )
    with pytest.raises(ValueError, match="no longer match"):
        ruleset_to_library(ruleset)
