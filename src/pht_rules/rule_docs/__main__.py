# SPDX-License-Identifier: MIT
"""``python -m pht_rules.rule_docs``: the generator of :mod:`pht_rules.audit.documents.rule_reference`."""

import sys

from pht_rules.audit.documents.rule_reference import main

sys.exit(main())
