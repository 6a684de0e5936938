# SPDX-License-Identifier: MIT
"""The fast paths give exactly what the reference gives: the compiled engine and the outcomes-only
mode, checked over the audit's exhaustive abstract domain and on hand-picked conditions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pht_rules import Evaluator, RuleSet
from pht_rules._compiled import CompiledEngine, compile_stage
from pht_rules.conditions import AllOf, AnyOf, Compare, IsUnknown, Not, Truth
from pht_rules.domain import Abstraction
from pht_rules.interpreter import truth
from pht_rules.models import PatientState

A = Compare("symptoms.pain_at_rest", "is", True)
B = Compare("age_years", "at_least", 18)
C = Compare("loading.current_phase", "one_of", ("isometric", "heavy-load"))
D = Compare("loading.exercise_pain_nrs", "none_of", (0, 1))
E = Compare("presentation.onset", "is_not", "sudden")
CONDITIONS = [
    A,
    Not(A),
    AllOf((A, B)),
    AnyOf((A, B)),
    Not(AnyOf((A, Not(B)))),
    Not(AllOf((C, D, E))),
    AnyOf((IsUnknown("age_years"), B)),
    Not(IsUnknown("age_years", expect=False)),
    AllOf(()),
    AnyOf(()),
    Not(AllOf(())),
    Compare("age_years", "below", 40),
    Not(Compare("age_years", "above", 40)),
    Compare("age_years", "at_most", 40),
]
SNAPSHOTS: list[dict[str, Any]] = [
    {},
    {"symptoms.pain_at_rest": True},
    {"symptoms.pain_at_rest": False, "age_years": 10},
    {"age_years": 40, "loading.current_phase": "isometric", "loading.exercise_pain_nrs": 3},
    {"age_years": 41, "presentation.onset": "sudden", "loading.exercise_pain_nrs": 1},
    {"age_years": 18, "loading.current_phase": "plyometric", "presentation.onset": "gradual"},
]


@pytest.mark.parametrize("cond", CONDITIONS, ids=str)
def test_compiled_condition_fires_exactly_when_true(cond: Any) -> None:
    """The generated test holds exactly when the interpreter says TRUE, unknowns included."""
    match = compile_stage([("r", cond)])
    for snapshot in SNAPSHOTS:
        assert (match(snapshot) == ["r"]) == (truth(cond, snapshot) is Truth.TRUE), snapshot


def test_compiled_stage_keeps_rule_order() -> None:
    match = compile_stage([("b", B), ("a", AnyOf((A, B))), ("c", Not(A))])
    assert match({"age_years": 30, "symptoms.pain_at_rest": False}) == ["b", "a", "c"]


def test_compiled_rejects_an_unresolved_parameter() -> None:
    from pht_rules.conditions import ParamRef

    with pytest.raises(TypeError, match="unresolved"):
        compile_stage([("r", Compare("age_years", "at_least", ParamRef("x")))])


def test_compiled_engine_refuses_after_close(ruleset: RuleSet) -> None:
    from pht_rules import EvaluationError

    engine = CompiledEngine(ruleset, ruleset.defaults)
    assert engine.matches(1, {"symptoms.pain_at_rest": True})
    engine.close()
    with pytest.raises(EvaluationError, match="closed"):
        engine.matches(1, {})


def _domain_states(ruleset: RuleSet, reference: Evaluator) -> Iterator[PatientState]:
    abstraction = Abstraction(ruleset, reference.params, reference.evaluate)
    for d in ruleset.decisions:
        for sample in abstraction.samples(d.id):
            yield sample.state


def test_fast_paths_equal_the_reference_on_the_exhaustive_domain(
    ruleset: RuleSet, interpreter: Evaluator
) -> None:
    """Over every abstract state of every decision (the domain ``verify`` checks), the compiled
    engine's assessment is byte-identical to the reference interpreter's."""
    checked = 0
    with Evaluator(ruleset, engine="compiled") as compiled:
        for state in _domain_states(ruleset, interpreter):
            reference = interpreter.evaluate(state)
            assert compiled.evaluate(state).to_json() == reference.to_json()
            checked += 1
    assert checked > 30_000  # the whole domain, not a sample of it
