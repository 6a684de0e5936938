# SPDX-License-Identifier: MIT
"""Example budgets: how many generated patients each property sees.

Two named budgets, as hypothesis settings profiles: ``ci`` (the default: a few hundred examples
per property, the kit's own tests in well under a minute on two cores) and ``thorough`` (ten
times as many, for a run on demand). Choose one with the environment variable
``PHT_RULES_HYPOTHESIS_PROFILE`` (``ci``, ``thorough`` or a whole number of examples), or, under
pytest, with ``--pht-rules-budget``.

A property's cost varies (a metamorphic relation evaluates dozens of variants per patient), so
each property asks for a *weight* of the budget: ``kit_settings(0.25)`` is a quarter of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from hypothesis import Phase, settings

from pht_rules.errors import UsageError

__all__ = ["BUDGETS", "PROFILE_ENV", "budget_examples", "kit_settings", "register_profiles"]

PROFILE_ENV = "PHT_RULES_HYPOTHESIS_PROFILE"
"""The environment variable that selects the budget."""

BUDGETS: Mapping[str, int] = {"ci": 300, "thorough": 3000}
"""Examples per property (at weight 1) of each named budget."""

_MIN_EXAMPLES = 10


def budget_examples(budget: str | int | None = None) -> int:
    """Examples per property (at weight 1) for ``budget``: a name of :data:`BUDGETS`, a whole
    number, or ``None`` for the environment variable (default ``ci``)."""
    chosen: str | int = budget if budget is not None else os.environ.get(PROFILE_ENV, "ci")
    if isinstance(chosen, str):
        text = chosen.strip()
        if text in BUDGETS:
            return BUDGETS[text]
        if not text.isdigit():
            raise UsageError(
                f"unknown example budget {chosen!r}: use {', '.join(BUDGETS)} or a whole number"
            )
        chosen = int(text)
    if isinstance(chosen, bool) or chosen < 1:
        raise UsageError(f"an example budget must be a positive whole number, got {chosen!r}")
    return chosen


def kit_settings(
    weight: float = 1.0, *, budget: str | int | None = None, **overrides: Any
) -> settings:
    """Hypothesis settings for a property that takes ``weight`` of the budget.

    The deadline is off: evaluators compile on first use and CI machines vary, so the time of a
    single example says nothing about the rules. Other hypothesis settings can be overridden.
    """
    if not weight > 0:
        raise UsageError(f"weight must be positive, got {weight!r}")
    base = budget_examples(budget)
    examples = max(min(_MIN_EXAMPLES, base), round(base * weight))
    # No "explain" phase: the failing patient is printed as a case, which says more, for less.
    phases = [p for p in Phase if p is not Phase.explain]
    options: dict[str, Any] = {"max_examples": examples, "deadline": None, "phases": phases}
    options.update(overrides)
    return settings(**options)


def register_profiles() -> None:
    """Register the budgets as hypothesis settings profiles ``pht-rules-ci`` and
    ``pht-rules-thorough`` (idempotent), for ``settings.load_profile``."""
    for name, examples in BUDGETS.items():
        settings.register_profile(f"pht-rules-{name}", max_examples=examples, deadline=None)
