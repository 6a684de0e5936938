# SPDX-License-Identifier: MIT
"""``python -m pht_rules.rule_docs``: regenerates ``docs/rules.md``, whose generated header names this command.

Only an alias: the generator is :mod:`pht_rules.audit.documents.rule_reference`.
"""

__all__: list[str] = []
