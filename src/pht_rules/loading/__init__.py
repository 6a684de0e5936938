# SPDX-License-Identifier: MIT
"""The one reader of rule files: rule text -> validated :class:`~pht_rules.definitions.RuleSet`."""

from pht_rules.loading._loader import bundled_rules, bundled_ruleset, load_rules, rule_texts
from pht_rules.loading._sections import read_source_sections
from pht_rules.loading._yaml import CATALOGUE

__all__ = [
    "CATALOGUE",
    "bundled_rules",
    "bundled_ruleset",
    "load_rules",
    "read_source_sections",
    "rule_texts",
]
