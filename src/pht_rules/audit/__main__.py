# SPDX-License-Identifier: MIT
"""``python -m pht_rules.audit fingerprints ARTICLE``: the source-section fingerprints (a thin alias
of :func:`pht_rules.audit.drift.main`, named in the bundled catalogue file)."""

import sys

from pht_rules.audit.drift import main

sys.exit(main())
