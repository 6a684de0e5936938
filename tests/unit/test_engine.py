# SPDX-License-Identifier: MIT
"""The engines: three-valued semantics compiled to durable-rules, and its safe use."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest

from pht_rules import EvaluationError, Evaluator, RuleSet
from pht_rules.definitions.conditions import AllOf, AnyOf, Compare, IsUnknown, Not, Truth
from pht_rules.engine._compiler import compile_condition
from pht_rules.engine._durable import DurableEngine
from pht_rules.engine.interface import InterpreterEngine, create_engine
from pht_rules.engine.interpreter import truth, undecided_fields, witness
from tests.helpers import EXAMPLES, complete_patient

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


def _fires(cond: Any, snapshot: dict[str, Any]) -> bool:
    """Run one compiled condition through a one-rule durable ruleset."""
    import json

    import durable_rules_engine as dre

    test = compile_condition(cond)
    handle = dre.create_ruleset(
        "probe", json.dumps({"r": {"all": [{"m": {"$and": [{"stage": 1}, test]}}]}})
    )
    try:
        fact = {k.replace(".", "__"): v for k, v in snapshot.items()}
        result = dre.assert_fact(handle, json.dumps({**fact, "stage": 1, "sid": "s", "id": "f"}))
        if result[0] != 0:
            return False
        started = dre.start_action_for_state(handle, result[1])
        return started is not None
    finally:
        dre.delete_ruleset(handle)


@pytest.mark.parametrize(
    "cond",
    [
        A,
        Not(A),
        Not(B),
        AllOf((A, B)),
        Not(AllOf((A, B))),
        Not(AnyOf((A, Not(B)))),
        Compare("presentation.onset", "one_of", ("sudden", "gradual")),
        Not(Compare("presentation.onset", "one_of", ("sudden",))),
        IsUnknown("age_years"),
        Not(IsUnknown("age_years")),
    ],
)
@pytest.mark.parametrize(
    "snapshot",
    [
        {},
        {"age_years": 17},
        {"age_years": 18, "symptoms.pain_at_rest": True},
        {"symptoms.pain_at_rest": False, "presentation.onset": "gradual"},
    ],
)
def test_compiled_condition_fires_exactly_when_true(cond: Any, snapshot: dict[str, Any]) -> None:
    """The durable form of a condition fires exactly when the interpreter says TRUE."""
    assert _fires(cond, snapshot) == (truth(cond, snapshot) is Truth.TRUE)


def test_engines_agree_on_examples(ruleset: RuleSet) -> None:
    """Both engines give identical assessments for every example patient."""
    with Evaluator(ruleset) as durable, Evaluator(ruleset, engine="interpreter") as reference:
        for path in sorted(EXAMPLES.glob("*.json")):
            text = path.read_text(encoding="utf-8")
            assert durable.evaluate(text).to_json() == reference.evaluate(text).to_json()


def test_no_threads_are_started(ruleset: RuleSet) -> None:
    """Building and using the engine starts no thread (no durable Host polling timers)."""
    before = set(threading.enumerate())
    with Evaluator(ruleset) as ev:
        ev.evaluate(complete_patient())
    assert set(threading.enumerate()) == before


def test_engine_rebuilds_after_a_failure(ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine error mid-evaluation is reported, and the next evaluation is correct."""
    import pht_rules.engine._durable as durable

    engine = DurableEngine(ruleset.resolved())
    reference = InterpreterEngine(ruleset.resolved())
    snapshot = {"symptoms.pain_at_rest": True}
    real = durable.dre.complete_and_start_action

    def broken(handle: int, offset: int) -> Any:
        raise durable.dre.error("simulated failure")

    monkeypatch.setattr(durable.dre, "complete_and_start_action", broken)
    with pytest.raises(EvaluationError, match="simulated failure"):
        engine.matches(1, snapshot)
    monkeypatch.setattr(durable.dre, "complete_and_start_action", real)
    for _ in range(3):
        assert list(engine.matches(1, snapshot)) == list(reference.matches(1, snapshot))
    engine.close()


def test_unknown_engine_name(ruleset: RuleSet) -> None:
    """Asking for an engine that does not exist is a clear error."""
    with pytest.raises(ValueError, match="unknown engine"):
        create_engine("drools", ruleset.resolved())  # type: ignore[arg-type]


def test_evaluators_can_be_created_and_closed_repeatedly(ruleset: RuleSet) -> None:
    """Creating and closing many evaluators neither crashes nor leaks threads."""
    before = threading.active_count()
    for _ in range(50):
        with Evaluator(ruleset) as ev:
            assert ev.evaluate(complete_patient()).decision("running").outcome == "restricted"
    gc.collect()
    assert threading.active_count() == before
