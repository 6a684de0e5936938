# SPDX-License-Identifier: MIT
"""The one version of pht_rules (read by the package build and by the service)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
