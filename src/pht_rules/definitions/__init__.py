# SPDX-License-Identifier: MIT
"""What a rule set is: frozen rules, decisions, parameters, conditions and the catalogue.

Nothing here knows about rule files or rule engines.
"""

from pht_rules.definitions.catalogue import (
    Catalogue,
    CatalogueEntry,
    EntryKind,
    SourceSection,
    normalise,
)
from pht_rules.definitions.conditions import (
    NEGATED,
    OPERATORS,
    ORDERING_OPERATORS,
    SET_OPERATORS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
    Operand,
    Operator,
    ParamRef,
    Truth,
    compare,
    describe,
    fields_read,
    leaves,
    resolve,
)
from pht_rules.definitions.ruleset import (
    Decision,
    DetailValue,
    HitPolicy,
    Parameter,
    Profile,
    Provenance,
    ResolvedRuleSet,
    Rule,
    RuleSet,
)
from pht_rules.definitions.text import PLACEHOLDER, placeholders

__all__ = [
    "NEGATED",
    "OPERATORS",
    "ORDERING_OPERATORS",
    "PLACEHOLDER",
    "SET_OPERATORS",
    "AllOf",
    "AnyOf",
    "Catalogue",
    "CatalogueEntry",
    "Compare",
    "Condition",
    "Decision",
    "DetailValue",
    "EntryKind",
    "HitPolicy",
    "IsUnknown",
    "Not",
    "Operand",
    "Operator",
    "ParamRef",
    "Parameter",
    "Profile",
    "Provenance",
    "ResolvedRuleSet",
    "Rule",
    "RuleSet",
    "SourceSection",
    "Truth",
    "compare",
    "describe",
    "fields_read",
    "leaves",
    "normalise",
    "placeholders",
    "resolve",
]
