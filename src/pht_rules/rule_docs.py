# SPDX-License-Identifier: MIT
"""``python -m pht_rules.rule_docs``: regenerates ``docs/rules.md``, whose header names this command.

A thin alias of :mod:`pht_rules.audit.documents.rule_reference`, which holds the generator.
"""

import sys

from pht_rules.audit.documents.rule_reference import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
