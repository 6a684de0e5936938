# SPDX-License-Identifier: MIT
"""Property-testing support: hypothesis strategies for patient states and clinical invariants.

Needs the ``testing`` extra (``pip install 'pht-rules[testing]'``), which brings hypothesis.
"""

from pht_rules.invariants import (
    INVARIANTS,
    Invariant,
    Violation,
    check_invariants,
)
from pht_rules.testing.strategies import patient_dicts, patient_states

__all__ = [
    "INVARIANTS",
    "Invariant",
    "Violation",
    "check_invariants",
    "patient_dicts",
    "patient_states",
]
