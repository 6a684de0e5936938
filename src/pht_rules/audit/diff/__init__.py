# SPDX-License-Identifier: MIT
"""What changed between two rule sets: the rules as written and what patients would be told."""

from pht_rules.audit.diff.behavioural import (
    Answer,
    Change,
    DecisionDiff,
    DiffRegion,
    DiffReport,
    Side,
    behavioural_diff,
    diff,
    diff_json,
    effective_thresholds,
    render_diff,
    structural_diff,
)

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
