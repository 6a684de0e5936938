# SPDX-License-Identifier: MIT
"""``python -m pht_rules.reference``: the generator of :mod:`pht_rules.audit.documents.clinical_logic`."""

import sys

from pht_rules.audit.documents.clinical_logic import main

sys.exit(main())
