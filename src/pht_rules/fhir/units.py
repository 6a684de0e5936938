# SPDX-License-Identifier: MIT
"""UCUM unit conversion for Observations, with ``ucumvert`` (a UCUM parser on ``pint``)."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from pht_rules.fhir.codes import UCUM

__all__ = ["convert_ucum"]


@cache
def _ucum_registry() -> Any:
    from ucumvert import PintUcumRegistry

    return PintUcumRegistry()


def convert_ucum(value: float, code: str, expected: str) -> tuple[float | None, str]:
    """``value`` in UCUM unit ``code`` converted to ``expected``, or ``None`` and why not.

    Uses ``ucumvert`` (a UCUM parser on ``pint``; ``service`` extra). Annotation-only units such
    as ``{score}`` are not converted: a different unit is refused.
    """
    if expected.startswith("{") or code.startswith("{"):
        return None, f"unit {UCUM}|{code} is not {UCUM}|{expected} (no conversion for {{...}})"
    try:
        registry = _ucum_registry()
    except ImportError:
        return None, (
            f"unit {UCUM}|{code} is not {UCUM}|{expected}; converting units needs ucumvert "
            "(python -m pip install 'pht-rules[service]')"
        )
    from pint.errors import PintError
    from ucumvert import InvalidUcumError

    try:
        quantity = value * registry.from_ucum(code)
        result = float(quantity.to(registry.from_ucum(expected)).magnitude)
    except (InvalidUcumError, PintError, ValueError, TypeError):
        return None, f"unit {UCUM}|{code} is not a UCUM unit convertible to {UCUM}|{expected}"
    if not math.isfinite(result):
        return None, f"{value} {code} has no finite value in {expected}"
    return result, ""
