# SPDX-License-Identifier: MIT
"""Shared fixtures: the bundled rule set, evaluators, and editable copies of the rule directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import pht_rules
from pht_rules.loading import bundled_rules


@pytest.fixture(scope="session")
def ruleset() -> pht_rules.RuleSet:
    return pht_rules.load_rules()


@pytest.fixture(scope="session")
def evaluator(ruleset: pht_rules.RuleSet) -> Iterator[pht_rules.Evaluator]:
    with pht_rules.Evaluator(ruleset) as ev:
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
