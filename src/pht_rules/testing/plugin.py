# SPDX-License-Identifier: MIT
"""The pytest plugin of the pht_rules testing kit (entry point ``pht_rules``).

Installed with the package, so it loads in every pytest run of a project that has pht-rules;
it is inert until used. At import it needs nothing beyond pytest (no hypothesis, no rules), and it
adds only:

- options ``--pht-rules-budget`` (``ci``, ``thorough`` or a number of examples per property;
  default: the ``PHT_RULES_HYPOTHESIS_PROFILE`` environment variable, else ``ci``) and
  ``--pht-rules-case-dir DIR`` (write each minimal failing patient as a case file there), and the
  ini key ``pht_rules_budget``;
- the marker ``pht_rules_safety`` (carried by every :class:`~pht_rules.testing.SafetySuite` test,
  so ``-m pht_rules_safety`` selects the kit);
- fixtures ``pht_rules_settings`` (hypothesis settings for the chosen budget, for your own
  property tests) and ``pht_rules_budget`` (examples per property);
- a report-header line naming the budget, shown only when one was chosen explicitly.

To use it without the entry point (for example with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``), pass
``-p pht_rules.testing.plugin``; to switch it off, ``-p no:pht_rules``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hypothesis import settings

__all__ = [
    "pht_rules_budget",
    "pht_rules_settings",
    "pytest_addoption",
    "pytest_configure",
    "pytest_report_header",
]

_MARKER = "pht_rules_safety"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the kit's options (they do nothing unless a kit test runs)."""
    group = parser.getgroup("pht-rules", "pht_rules property-testing kit")
    group.addoption(
        "--pht-rules-budget",
        dest="pht_rules_budget",
        default=None,
        metavar="BUDGET",
        help="examples per property for pht_rules safety tests: ci, thorough or a number "
        "(default: $PHT_RULES_HYPOTHESIS_PROFILE, else ci)",
    )
    group.addoption(
        "--pht-rules-case-dir",
        dest="pht_rules_case_dir",
        default=None,
        metavar="DIR",
        help="write each minimal failing patient of a pht_rules safety test as a case file in DIR",
    )
    parser.addini(
        "pht_rules_budget",
        help="default example budget of pht_rules safety tests (ci, thorough or a number)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the kit's marker; check a budget the user chose (only then is anything imported)."""
    config.addinivalue_line(
        "markers", f"{_MARKER}: a property-based safety test from pht_rules.testing"
    )
    chosen = _budget(config)
    if chosen is not None:
        from pht_rules.testing.budget import budget_examples

        try:
            budget_examples(chosen)
        except ValueError as exc:
            raise pytest.UsageError(f"--pht-rules-budget: {exc}") from None


def _budget(config: pytest.Config) -> str | None:
    chosen = config.getoption("pht_rules_budget", default=None) or config.getini("pht_rules_budget")
    return str(chosen) if chosen else None


def pytest_report_header(config: pytest.Config) -> str | None:
    """Name the budget when the user chose one (nothing otherwise)."""
    chosen = _budget(config)
    if chosen is None:
        return None
    from pht_rules.testing.budget import budget_examples

    return (
        f"pht_rules testing kit: budget {chosen} ({budget_examples(chosen)} examples per property)"
    )


@pytest.fixture
def pht_rules_budget(request: pytest.FixtureRequest) -> int:
    """Examples per property (at weight 1) for the chosen budget."""
    from pht_rules.testing.budget import budget_examples

    return budget_examples(_budget(request.config))


@pytest.fixture
def pht_rules_settings(request: pytest.FixtureRequest) -> settings:
    """Hypothesis settings for the chosen budget, for property tests of your own::

    def test_my_app_is_safe(pht_rules_settings):
        assert_invariants(MY_WRAPPER, settings=pht_rules_settings)
    """
    from pht_rules.testing.budget import kit_settings

    return kit_settings(budget=_budget(request.config))
