# SPDX-License-Identifier: MIT
"""Checking a rule set: is it safe, traceable to its source, and what changed between two versions.

- :mod:`~pht_rules.audit.abstraction`: the finite abstraction of the input domain of a decision;
- :mod:`~pht_rules.audit.invariants`: the clinical safety invariants;
- :mod:`~pht_rules.audit.verify`: exact verification over the abstraction;
- :mod:`~pht_rules.audit.cases`: clinical case files;
- :mod:`~pht_rules.audit.traceability`: statements, citations, parameters and source drift;
- :mod:`~pht_rules.audit.diff`: structural and behavioural differences between two rule sets;
- :mod:`~pht_rules.audit.documents`: the generated clinical-logic and rule reference documents.

The submodules are imported on their own, so the safety kit does not pay for the report writers.
"""

__all__: list[str] = []
