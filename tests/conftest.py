# SPDX-License-Identifier: MIT
"""Shared fixtures: the bundled rule set, evaluators, the one verification of the shipped rules'
whole domain, and editable copies of the rule directory; the ``--thorough`` selection.

By default the suite is quick: property tests run at :data:`QUICK_BUDGET` examples per property
(``$PHT_RULES_HYPOTHESIS_PROFILE`` overrides it) and tests marked ``thorough`` are deselected.
``--thorough`` (CI) runs those too, with property tests at the kit's ``ci`` budget.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import pht_rules
from pht_rules.audit.verify import VerificationReport, verify
from pht_rules.engine import durable_available
from pht_rules.loading import bundled_rules
from pht_rules.testing.budget import PROFILE_ENV

QUICK_BUDGET = "100"
"""Examples per property (at weight 1) in the default run; ``--thorough`` uses ``ci`` (300)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--thorough",
        action="store_true",
        help="also run the long checks (tests marked 'thorough': exhaustive checks of the whole "
        "domain, mechanism checks on the whole rule set) and property tests at the kit's ci "
        "budget instead of the quick one",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "thorough: a long check, run with --thorough (as CI does)")
    # Read by kit_settings() when the test modules are imported, which happens after this.
    os.environ.setdefault(PROFILE_ENV, "ci" if config.getoption("thorough") else QUICK_BUDGET)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("thorough"):
        return
    long = [item for item in items if item.get_closest_marker("thorough")]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if not item.get_closest_marker("thorough")]


def pytest_report_header(config: pytest.Config) -> str:
    if config.getoption("thorough"):
        return "thorough run: long checks included"
    return "quick run: tests marked 'thorough' deselected (run them with --thorough)"


requires_durable = pytest.mark.skipif(
    not durable_available(),
    reason="durable-rules does not import on this Python (it builds for 3.11 and 3.12 only); "
    "CI runs these tests on 3.11",
)
"""For tests of the durable-rules engine itself: elsewhere there is nothing to test."""


@pytest.fixture(scope="session")
def ruleset() -> pht_rules.RuleSet:
    return pht_rules.load_rules()


@pytest.fixture(scope="session")
def shipped_verification(ruleset: pht_rules.RuleSet) -> VerificationReport:
    """The one exhaustive pass over the shipped rules' abstract domain in a test session: every
    check of ``verify``, durable-rules cross-checked against the interpreter on every state where
    it imports. Shared by the verify, differential and CLI tests."""
    return verify(ruleset)


@pytest.fixture(scope="session")
def evaluator(ruleset: pht_rules.RuleSet) -> Iterator[pht_rules.Evaluator]:
    """The default evaluator (engine ``auto``: durable-rules where it imports)."""
    with pht_rules.Evaluator(ruleset) as ev:
        yield ev


@pytest.fixture(scope="session")
def durable(ruleset: pht_rules.RuleSet) -> Iterator[pht_rules.Evaluator]:
    """The durable-rules evaluator; tests asking for it are skipped where durable-rules is absent."""
    if not durable_available():
        pytest.skip("durable-rules does not import on this Python")
    with pht_rules.Evaluator(ruleset, engine="durable") as ev:
        yield ev


@pytest.fixture(scope="session")
def interpreter(ruleset: pht_rules.RuleSet) -> Iterator[pht_rules.Evaluator]:
    with pht_rules.Evaluator(ruleset, engine="interpreter") as ev:
        yield ev


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled rule directory."""
    target = tmp_path / "rules"
    target.mkdir()
    for entry in bundled_rules().iterdir():
        if entry.name.endswith(".yaml"):
            (target / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    return target


@pytest.fixture
def edit_rules(rules_copy: Path) -> Callable[[str, Callable[[Any], None]], Path]:
    """Load a YAML file of the rule copy, let the test change it, write it back."""

    def edit(name: str, change: Callable[[Any], None]) -> Path:
        path = rules_copy / name
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(doc)
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return rules_copy

    return edit
