# SPDX-License-Identifier: MIT
"""What a rule set is: frozen rules, decisions, parameters, conditions and the catalogue.

Nothing here knows about rule files or rule engines. The condition tree is in
:mod:`pht_rules.definitions.conditions`, the shared wording of values and placeholders in
:mod:`pht_rules.definitions.text`.
"""

from pht_rules.definitions.catalogue import Catalogue, CatalogueEntry, SourceSection
from pht_rules.definitions.conditions import Condition
from pht_rules.definitions.ruleset import (
    Decision,
    Parameter,
    Profile,
    ResolvedRuleSet,
    Rule,
    RuleSet,
)

__all__ = [
    "Catalogue",
    "CatalogueEntry",
    "Condition",
    "Decision",
    "Parameter",
    "Profile",
    "ResolvedRuleSet",
    "Rule",
    "RuleSet",
    "SourceSection",
]
