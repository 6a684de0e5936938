# SPDX-License-Identifier: MIT
"""Example budgets of the property tests.

``PHT_RULES_HYPOTHESIS_PROFILE=ci`` (the default: a few hundred examples per property) or
``thorough`` (ten times as many), or a whole number of examples per property. Each test asks for
a share of the budget with ``kit_settings(weight)``; the budgets are also registered as hypothesis
profiles ``pht-rules-ci`` and ``pht-rules-thorough``.
"""

from __future__ import annotations

import pytest

from pht_rules.testing.budget import PROFILE_ENV, budget_examples, register_profiles

register_profiles()


def pytest_report_header(config: pytest.Config) -> str:
    return f"property budget: {budget_examples()} examples per property (${PROFILE_ENV})"
