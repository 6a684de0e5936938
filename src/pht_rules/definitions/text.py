# SPDX-License-Identifier: MIT
"""The one text vocabulary of pht_rules: how values, conditions and placeholders read.

Explanations, generated documents, cards, audit and diff reports and the safety kit's reports all
show values through these functions, so a value reads the same wherever it appears.
"""

from __future__ import annotations

import re

__all__ = ["PLACEHOLDER", "placeholders"]

# A placeholder in advice or detail text: a parameter name in braces, ``{stop_running_days}``.
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    """The parameter names that ``text`` refers to as ``{name}``."""
    return set(PLACEHOLDER.findall(text))
