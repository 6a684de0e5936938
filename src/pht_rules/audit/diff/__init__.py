# SPDX-License-Identifier: MIT
"""What changed between two rule sets: the rules as written and what patients would be told."""

from pht_rules.audit.diff.behavioural import behavioural_diff, diff
from pht_rules.audit.diff.render import diff_json, render_diff
from pht_rules.audit.diff.report import Answer, DecisionDiff, DiffRegion, DiffReport
from pht_rules.audit.diff.structural import Change, Side, effective_thresholds, structural_diff

__all__ = [
    "Answer",
    "Change",
    "DecisionDiff",
    "DiffRegion",
    "DiffReport",
    "Side",
    "behavioural_diff",
    "diff",
    "diff_json",
    "effective_thresholds",
    "render_diff",
    "structural_diff",
]
