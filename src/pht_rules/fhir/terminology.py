# SPDX-License-Identifier: MIT
"""The rule set's own code systems: decision outcomes, rules and guideline catalogue entries.

The ``RequestGroup``, the ``PlanDefinition`` and the CDS Hooks cards code their outcomes
(``pht-outcomes``, code ``<decision id>.<outcome>``), their rules (``pht-rules``, code = rule id)
and the catalogue entries they cite (``pht-catalogue``, code = entry id, as in ``card.source.topic``).
Each is a complete R4 ``CodeSystem`` generated from a rule set and versioned with it; the bundled
rules' are shipped with the questionnaire's in ``pht_rules/fhir/code-systems.json``.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib.resources import files
from typing import Any

from pht_rules.definitions.ruleset import RuleSet
from pht_rules.fhir.codes import CATALOGUE_SYSTEM, OUTCOMES_SYSTEM, RULES_SYSTEM
from pht_rules.loading import load_rules

__all__ = ["code_systems", "code_systems_bundle", "ruleset_code_systems"]

_DISPLAY_LIMIT = 200


def _concept(code: str, display: str, definition: str | None = None) -> dict[str, str]:
    concept = {"code": code, "display": display[:_DISPLAY_LIMIT]}
    if definition:
        concept["definition"] = definition
    return concept


def _code_system(
    ruleset: RuleSet, cid: str, url: str, title: str, description: str, concepts: list[Any]
) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "id": cid,
        "url": url,
        "version": ruleset.version,
        "name": "".join(p.capitalize() for p in cid.split("-")),
        "title": title,
        "status": "active",
        "publisher": "pht_rules developers",
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }


def ruleset_code_systems(ruleset: RuleSet | None = None) -> list[dict[str, Any]]:
    """``pht-outcomes``, ``pht-rules`` and ``pht-catalogue`` for ``ruleset`` (default: bundled)."""
    rs = ruleset if ruleset is not None else load_rules()
    outcomes = [
        _concept(f"{d.id}.{code}", text, f"{d.title}: {text}")
        for d in rs.decisions
        for code, text in d.outcomes
    ]
    rules = [
        _concept(rule.id, rule.title, f"A rule of the decision '{d.title}'.")
        for d in rs.decisions
        for rule in d.rules
    ]
    catalogue = [_concept(e.id, e.text, f"{e.kind}: {e.text}") for e in rs.catalogue.entries]
    name = f"{rs.name} {rs.version}"
    return [
        _code_system(
            rs,
            "pht-outcomes",
            OUTCOMES_SYSTEM,
            "pht_rules decision outcomes",
            f"The outcomes of the decisions of rule set {name}; code = decision id.outcome.",
            outcomes,
        ),
        _code_system(
            rs,
            "pht-rules",
            RULES_SYSTEM,
            "pht_rules rules",
            f"The rules of rule set {name}; code = rule id.",
            rules,
        ),
        _code_system(
            rs,
            "pht-catalogue",
            CATALOGUE_SYSTEM,
            "pht_rules guideline catalogue",
            f"The guideline statements, evidence and assumptions cited by rule set {name}; "
            "code = catalogue id (ART- article statement, LIT- literature, ASM- assumption).",
            catalogue,
        ),
    ]


def code_systems_bundle(code_systems: list[dict[str, Any]]) -> dict[str, Any]:
    """The code systems as a ``collection`` Bundle (what ``python -m pht_rules.fhir code-systems`` prints)."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"{cs['url']}", "resource": cs} for cs in code_systems],
    }


@cache
def _shipped() -> dict[str, Any]:
    text = files("pht_rules.fhir").joinpath("code-systems.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def code_systems() -> dict[str, Any]:
    """The shipped Bundle of every project ``CodeSystem`` (questionnaire and bundled rules)."""
    return copy.deepcopy(_shipped())
