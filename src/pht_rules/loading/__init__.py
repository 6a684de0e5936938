# SPDX-License-Identifier: MIT
"""The one reader of rule files: rule text -> validated :class:`~pht_rules.definitions.RuleSet`."""

from pht_rules.loading._loader import (
    CATALOGUE,
    bundled_rules,
    load_rules,
)

__all__ = [
    "CATALOGUE",
    "bundled_rules",
    "load_rules",
]
