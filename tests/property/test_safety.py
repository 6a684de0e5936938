# SPDX-License-Identifier: MIT
"""Clinical safety invariants, engine agreement and determinism, over generated patients.

Budgets come from ``PHT_RULES_HYPOTHESIS_PROFILE`` (see ``conftest.py``); the metamorphic
relations, the differential checks and the broken variants have files of their own.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import pht_rules
from pht_rules import Assessment, Evaluator, PatientState, PatientStateError, PhtRulesError
from pht_rules.evaluation.assessment import NO_RULE_MATCHED
from pht_rules.testing import (
    INVARIANTS,
    check_invariants,
    default_states,
    kit_settings,
    patient_states,
)
from pht_rules.testing.metamorphic import RelationContext, forgettings

# The whole domain (red flags frequent), the clear-screen pathway (everything downstream), and
# both seeking the rules' thresholds.
STATES = st.one_of(default_states(), patient_states(unknown_weight=0.0, clear_screen=True))

_EV = Evaluator()
_REF = Evaluator(engine="interpreter")


@kit_settings(1.0)
@given(STATES)
def test_every_invariant_holds(state: PatientState) -> None:
    """No generated patient gets advice that breaks a clinical safety invariant."""
    assessment = _EV.evaluate(state)
    assert check_invariants(state, assessment) == []


@kit_settings(1.0)
@given(STATES)
def test_engine_agrees_with_the_reference_interpreter(state: PatientState) -> None:
    """durable-rules and the independent interpreter give byte-identical assessments."""
    assert _EV.evaluate(state).to_json() == _REF.evaluate(state).to_json()


@kit_settings(0.5)
@given(STATES)
def test_every_decision_has_an_outcome(state: PatientState) -> None:
    """The shipped rules leave no patient without an outcome in any decision."""
    assessment = _EV.evaluate(state)
    assert [d.decision_id for d in assessment.decisions if d.outcome == NO_RULE_MATCHED] == []


@kit_settings(0.5)
@given(STATES)
def test_deterministic_and_json_round_trip(state: PatientState) -> None:
    """Evaluation is deterministic; the assessment and the state survive JSON unchanged."""
    first = _EV.evaluate(state).to_json()
    assert _EV.evaluate(json.loads(state.model_dump_json())).to_json() == first
    assert Assessment.from_json(first).to_json() == first
    assert PatientState.model_validate_json(state.model_dump_json()) == state


# How far each outcome lets the patient go: higher is more aggressive. Outcomes only: the
# phase-aware ranking of pht_rules.testing.aggression is tested in test_metamorphic.py.
AGGRESSION: dict[str, dict[str, int]] = {
    "running": {"restricted": 1, "graded-return": 2},
    "loading": {"start": 1, "continue": 1, "progress": 2},
    "escalation": {"review-later": 1, "consider-adjuncts": 1, "consider-surgical-opinion": 2},
}


@kit_settings(0.4)
@given(patient_states(unknown_weight=0.05, clear_screen=True))
def test_forgetting_an_answer_never_makes_advice_more_aggressive(state: PatientState) -> None:
    """Replacing any one known answer with 'unknown' never permits more running, loading or
    escalation (each answer is forgotten in turn, so rare combinations are still reached)."""
    before = _EV.evaluate(state)
    for variant in forgettings(state, RelationContext.for_rules()):
        after = _EV.evaluate(variant.state)
        for decision, rank in AGGRESSION.items():
            was = before.decision(decision).outcome
            now = after.decision(decision).outcome
            assert rank.get(now, 0) <= rank.get(was, 0), (decision, str(variant), was, now)


@kit_settings(0.5)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["age_years", "symptoms", "pain_at_rest", "x"]), inner, max_size=3
            )
        ),
        max_leaves=8,
    )
)
def test_arbitrary_input_only_raises_library_errors(data: Any) -> None:
    """Whatever the input, evaluate() returns an assessment or raises PatientStateError."""
    try:
        pht_rules.evaluate(data)
    except PatientStateError:
        pass
    except PhtRulesError as exc:  # pragma: no cover - would be a bug
        raise AssertionError(f"unexpected library error {exc!r}") from exc


def test_invariant_catalogue_is_documented() -> None:
    """Each invariant has an id, a description and cites only catalogue entries."""
    catalogue = pht_rules.load_rules().catalogue
    ids = [inv.id for inv in INVARIANTS]
    assert len(ids) == len(set(ids))
    for inv in INVARIANTS:
        assert inv.description and inv.title
        assert all(c in catalogue for c in inv.protects)
