# SPDX-License-Identifier: MIT
"""``python -m pht_rules.service``: the CDS Hooks service (same options as ``pht-rules serve``)."""

from pht_rules.service.cli import serve

raise SystemExit(serve())
