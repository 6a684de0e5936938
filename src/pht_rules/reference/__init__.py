# SPDX-License-Identifier: MIT
"""``python -m pht_rules.reference``: regenerates ``docs/clinical-logic.md``, whose generated header names this command.

Only an alias: the generator is :mod:`pht_rules.audit.documents.clinical_logic`.
"""

__all__: list[str] = []
