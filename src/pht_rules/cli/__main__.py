# SPDX-License-Identifier: MIT
"""``python -m pht_rules.cli``: the same program as ``pht-rules``."""

import sys

from pht_rules.cli import main

sys.exit(main())
