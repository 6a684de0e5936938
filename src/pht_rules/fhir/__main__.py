# SPDX-License-Identifier: MIT
"""``python -m pht_rules.fhir``: the same commands as ``pht-rules fhir`` (see :mod:`pht_rules.fhir.cli`)."""

from pht_rules.fhir.cli import main

raise SystemExit(main())
