# SPDX-License-Identifier: MIT
"""``python -m pht_rules.audit fingerprints ARTICLE``: the source-section fingerprints (a thin alias
of :func:`pht_rules.audit.traceability.main`, named in the bundled catalogue file)."""

import sys

from pht_rules.audit.traceability import main

sys.exit(main())
