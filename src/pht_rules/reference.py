# SPDX-License-Identifier: MIT
"""``python -m pht_rules.reference``: regenerates ``docs/clinical-logic.md``, whose header names this command.

A thin alias of :mod:`pht_rules.audit.documents.clinical_logic`, which holds the generator.
"""

import sys

from pht_rules.audit.documents.clinical_logic import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
