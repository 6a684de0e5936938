# SPDX-License-Identifier: MIT
"""The engines: three-valued semantics compiled to durable-rules, and its safe use."""

from __future__ import annotations

import json
from typing import Any

import pytest

import pht_rules
from pht_rules import EngineUnavailableError, Evaluator, RuleSet
from pht_rules.cli.commands import version_text
from pht_rules.definitions.conditions import AllOf, AnyOf, Compare, IsUnknown, Not, Truth
from pht_rules.engine import create_engine, durable_available, resolve_engine
from pht_rules.engine import interface as engine_module
from pht_rules.engine.interpreter import truth, undecided_fields, witness
from pht_rules.errors import UsageError
from pht_rules.evaluation.explanation import render_explanation
from tests.helpers import complete_patient

A = Compare("symptoms.pain_at_rest", "is", True)
B = Compare("age_years", "at_least", 18)


@pytest.mark.parametrize(
    ("cond", "snapshot", "expected"),
    [
        (A, {}, Truth.UNKNOWN),
        (Not(A), {}, Truth.UNKNOWN),
        (AllOf((A, B)), {"symptoms.pain_at_rest": False}, Truth.FALSE),
        (AllOf((A, B)), {"symptoms.pain_at_rest": True}, Truth.UNKNOWN),
        (AnyOf((A, B)), {"age_years": 20}, Truth.TRUE),
        (AnyOf((A, B)), {"age_years": 10}, Truth.UNKNOWN),
        (Not(AnyOf((A, B))), {"symptoms.pain_at_rest": False, "age_years": 10}, Truth.TRUE),
        (IsUnknown("age_years"), {}, Truth.TRUE),
        (IsUnknown("age_years", expect=False), {}, Truth.FALSE),
    ],
)
def test_kleene_truth(cond: Any, snapshot: dict[str, Any], expected: Truth) -> None:
    """Unknown inputs give UNKNOWN, never FALSE, except where a test asks about unknown-ness."""
    assert truth(cond, snapshot) is expected


def test_witness_and_undecided_fields() -> None:
    """Witnesses name the leaves that made a condition true; undecided fields those that block it."""
    cond = AnyOf((A, AllOf((B, Not(IsUnknown("symptoms.pain_on_walking"))))))
    snap = {"age_years": 40, "symptoms.pain_on_walking": False}
    assert witness(cond, snap) == (B, IsUnknown("symptoms.pain_on_walking"))
    assert witness(cond, {"age_years": 3}) == ()
    assert undecided_fields(AllOf((A, B)), {"age_years": 40}) == ("symptoms.pain_at_rest",)


def test_unknown_engine_name(ruleset: RuleSet) -> None:
    """Asking for an engine that does not exist is a clear library error."""
    with pytest.raises(UsageError, match="unknown engine 'drools'"):
        create_engine("drools", ruleset.resolved())  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="choose 'auto', 'durable' or 'interpreter'"):
        Evaluator(ruleset, engine="drools")  # type: ignore[arg-type]


def test_durable_without_durable_rules_is_a_clear_error(
    ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a Python where durable-rules does not import, ``durable`` is refused with the reason and
    ``auto`` runs the reference interpreter, named in the assessment and the trace."""
    monkeypatch.setattr(engine_module, "durable_import_error", lambda: "ImportError: simulated")
    with pytest.raises(EngineUnavailableError) as info:
        Evaluator(ruleset, engine="durable")
    assert "durable-rules does not import (ImportError: simulated)" in str(info.value)
    assert isinstance(info.value, pht_rules.PhtRulesError)
    with Evaluator(ruleset) as ev:
        assert ev.engine_name == "interpreter"
        assessment = ev.evaluate(complete_patient())
    assert assessment.engine == "interpreter"
    assert json.loads(assessment.to_json())["engine"] == "interpreter"
    assert "engine: reference interpreter" in render_explanation(assessment).splitlines()[0]
    assert version_text().endswith("engine: reference interpreter (durable-rules not importable)")


def test_auto_picks_durable_where_it_imports(ruleset: RuleSet) -> None:
    """``auto`` is durable-rules exactly where durable-rules imports; the assessment says which."""
    with Evaluator(ruleset) as ev:
        expected = "durable" if durable_available() else "interpreter"
        assert ev.engine_name == expected
        assert ev.evaluate(complete_patient()).engine == expected
    with Evaluator(ruleset, engine="interpreter") as ev:
        assert ev.evaluate(complete_patient()).engine == "interpreter"
    assert resolve_engine("auto") == expected
    assert ("engine: durable-rules 2.0.28" in version_text()) == durable_available()


def test_output_schema_names_the_engine() -> None:
    """The assessment's JSON Schema requires the engine and lists the three names."""
    schema = pht_rules.assessment_json_schema()
    assert "engine" in schema["required"]
    assert schema["properties"]["engine"]["enum"] == ["durable", "interpreter", "compiled"]
