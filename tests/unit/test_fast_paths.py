# SPDX-License-Identifier: MIT
"""The fast paths give exactly what the reference gives: the compiled engine and the outcomes-only
mode, checked over the audit's exhaustive abstract domain and on hand-picked conditions."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

from pht_rules import Assessment, DecisionResult, Evaluator, RuleSet
from pht_rules.audit.abstraction import Abstraction, snapshot_of
from pht_rules.definitions.conditions import AllOf, AnyOf, Compare, IsUnknown, Not, Truth, resolve
from pht_rules.engine.compiled import CompiledEngine, compile_blocking, compile_stage
from pht_rules.engine.interpreter import truth, undecided_fields
from pht_rules.evaluation.assessment import _adapter
from pht_rules.evaluation.outcomes import Outcomes
from pht_rules.patient.fields import UNDETERMINED
from pht_rules.patient.model import PatientState
from tests.conftest import requires_durable
from tests.helpers import EXAMPLES, complete_patient

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


@pytest.mark.parametrize("cond", CONDITIONS, ids=str)
def test_compiled_blocking_fields_are_the_interpreters(cond: Any) -> None:
    blocking = compile_blocking(cond)
    for snapshot in SNAPSHOTS:
        assert blocking(snapshot) == undecided_fields(cond, snapshot), snapshot


def test_compiled_stage_keeps_rule_order() -> None:
    match = compile_stage([("b", B), ("a", AnyOf((A, B))), ("c", Not(A))])
    assert match({"age_years": 30, "symptoms.pain_at_rest": False}) == ["b", "a", "c"]


def test_compiled_rejects_an_unresolved_parameter() -> None:
    from pht_rules.definitions.conditions import ParamRef

    with pytest.raises(TypeError, match="unresolved"):
        compile_stage([("r", Compare("age_years", "at_least", ParamRef("x")))])


def test_compiled_engine_refuses_after_close(ruleset: RuleSet) -> None:
    from pht_rules import EvaluationError

    engine = CompiledEngine(ruleset.resolved())
    assert engine.matches(1, {"symptoms.pain_at_rest": True})
    engine.close()
    with pytest.raises(EvaluationError, match="closed"):
        engine.matches(1, {})


def _domain_states(
    ruleset: RuleSet, reference: Evaluator
) -> Iterator[tuple[str, PatientState, Assessment | None]]:
    abstraction = Abstraction(ruleset, reference.params, reference.evaluate)
    for d in ruleset.decisions:
        for sample in abstraction.samples(d.id):
            yield d.id, sample.state, sample.assessment


def test_fast_paths_equal_the_reference_on_the_exhaustive_domain(
    ruleset: RuleSet, interpreter: Evaluator, evaluator: Evaluator
) -> None:
    """Over every abstract state of every decision (the domain ``verify`` checks), the compiled
    engine's assessment is byte-identical to the reference interpreter's, and the outcomes-only
    result of every engine equals what the full assessment says."""
    checked = 0
    conditions = {
        d.id: [(r.id, resolve(r.when, interpreter.params)) for r in d.rules]
        for d in ruleset.decisions
    }
    blocking = {rid: compile_blocking(c) for conds in conditions.values() for rid, c in conds}
    with Evaluator(ruleset, engine="compiled") as compiled:
        for decision_id, state, reference in _domain_states(ruleset, interpreter):
            assert reference is not None  # the shipped rules never conflict
            # The same assessment but for the engine each names.
            text = compiled.evaluate(state).to_json()
            assert text.endswith('"engine":"compiled"}')
            text = text.removesuffix('"engine":"compiled"}') + '"engine":"interpreter"}'
            assert text == reference.to_json()
            if checked % 25 == 0:  # the one-pass JSON against pydantic's serializer
                assert text == _adapter().dump_json(reference).decode("utf-8")
            expected = Outcomes.of(reference)
            assert compiled.evaluate(state, detail="outcomes") == expected
            assert evaluator.evaluate(state, detail="outcomes") == expected
            # The generated "what keeps this rule undecided" code against the interpreter's.
            snapshot: dict[str, Any] = snapshot_of(state)
            for d in reference.decisions:
                if d.outcome not in (UNDETERMINED, "no-rule-matched"):
                    snapshot[f"decision.{d.decision_id}"] = d.outcome
            for rid, cond in conditions[decision_id]:
                assert blocking[rid](snapshot) == undecided_fields(cond, snapshot), rid
            checked += 1
    assert checked > 30_000  # the whole domain, not a sample of it


def _patients() -> list[Any]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.json"))]
    return [
        *texts,
        complete_patient(),
        complete_patient(loading={"current_phase": None}),
        complete_patient(symptoms={"pain_at_rest": True}),
        complete_patient(training={"weekly_volume_increase_percent": 40, "cross_training": None}),
        {},
    ]


@pytest.mark.parametrize("indent", [None, 0, 2, 4])
def test_json_is_the_same_text_as_the_pydantic_serializer(
    evaluator: Evaluator, indent: int | None
) -> None:
    """The one-pass JSON is byte for byte what pydantic's serializer of the dataclasses gives,
    whether or not the lazy rule hits have been read, and reads back to an equal assessment."""
    for patient in _patients():
        a = evaluator.evaluate(patient)
        fresh = a.to_json(indent=indent)
        assert a.decisions[0].hits is not None  # now built
        expected = _adapter().dump_json(a, indent=indent).decode("utf-8")
        assert fresh == expected == a.to_json(indent=indent)
        assert a.to_dict() == _adapter().dump_python(a, mode="json")
        assert Assessment.from_json(fresh) == a


def test_lazy_results_behave_like_plain_ones(evaluator: Evaluator) -> None:
    """Equality, hashing errors, repr, pickling, copying and ``dataclasses.replace`` of an
    evaluated result are those of a plain :class:`DecisionResult`."""
    a = evaluator.evaluate(complete_patient(symptoms={"pain_at_rest": True}))
    result = a.decision("irritability")
    plain = DecisionResult(*(getattr(result, f.name) for f in dataclasses.fields(result)))
    assert result == plain and plain == result
    assert repr(result) == repr(plain)
    for clone in (pickle.loads(pickle.dumps(result)), copy.copy(result), copy.deepcopy(result)):
        assert type(clone) is DecisionResult and clone == plain
    assert pickle.loads(pickle.dumps(a)) == a
    changed = dataclasses.replace(result, outcome="changed")
    assert changed.outcome == "changed" and changed.hits == plain.hits
    assert changed != plain
    other = evaluator.evaluate(complete_patient()).decision("irritability")
    assert result != other and other != plain


def test_lazy_assessments_behave_like_plain_ones(evaluator: Evaluator) -> None:
    """An assessment whose parts are not built yet gives the same outcomes, equality, repr,
    pickle and ``dataclasses.replace`` as a plain :class:`Assessment` of the same values."""
    patient = complete_patient(loading={"current_phase": None})
    lazy = evaluator.evaluate(patient)
    outcomes = evaluator.evaluate(patient).outcomes  # read before anything is built
    assert outcomes == {d.decision_id: d.outcome for d in lazy.decisions}
    plain = Assessment(*(getattr(lazy, f.name) for f in dataclasses.fields(lazy)))
    assert lazy == plain and plain == lazy and repr(lazy) == repr(plain)
    clone = pickle.loads(pickle.dumps(evaluator.evaluate(patient)))
    assert type(clone) is Assessment and clone == plain
    changed = dataclasses.replace(lazy, profile="other")
    assert changed.profile == "other" and changed.decisions == plain.decisions
    assert changed != plain


def test_outcomes_only_is_small_typed_and_picklable(evaluator: Evaluator) -> None:
    patient = complete_patient(loading={"current_phase": None})
    out = evaluator.evaluate(patient, detail="outcomes")
    full = evaluator.evaluate(patient)
    assert isinstance(out, Outcomes)
    assert out.outcomes["irritability"] == "less-irritable"
    assert out.outcomes["loading"] == "undetermined"
    assert "loading.current_phase" in out.needs_information
    assert out.fired == tuple(h.rule_id for d in full.decisions for h in d.hits) != ()
    assert pickle.loads(pickle.dumps(out)) == out
    assert json.loads(json.dumps(out._asdict()))["outcomes"] == full.outcomes


def test_unknown_detail_is_refused(evaluator: Evaluator) -> None:
    with pytest.raises(ValueError, match="detail"):
        evaluator.evaluate({}, detail="everything")  # type: ignore[call-overload]


@requires_durable
def test_durable_fact_text_is_the_encoded_fact(evaluator: Evaluator) -> None:
    """The durable engine writes each stage's fact from pre-encoded pieces; the text is exactly
    what encoding the fact as a dict gives (so the engine sees the same facts as before)."""
    engine: Any = evaluator._engine
    snapshots = [*SNAPSHOTS, {"decision.presentation": "consistent", "age_years": 30}]
    for patient in _patients():
        state = evaluator.evaluate(patient)
        snapshot = snapshot_of(_model(patient))
        snapshot.update({f"decision.{d.decision_id}": d.outcome for d in state.decisions})
        snapshots.append(snapshot)
    for snapshot in snapshots:
        for stage in (1, 2):
            keys = engine._stage_keys[stage]
            fact = {k: v for p, k in keys if (v := snapshot.get(p)) is not None}
            fact.update(stage=stage, sid="pht", id="snapshot")
            assert engine._fact(stage, snapshot) == engine._encode(fact)


def _model(patient: Any) -> PatientState:
    from pht_rules import parse_state

    return parse_state(patient)
