# SPDX-License-Identifier: MIT
"""Documents generated from a rule set alone: the clinical logic and the per-rule reference."""

from pht_rules.audit.documents.clinical_logic import render_clinical_logic
from pht_rules.audit.documents.rule_reference import render_rule_reference

__all__ = ["render_clinical_logic", "render_rule_reference"]
