# SPDX-License-Identifier: MIT
"""Run the kit's checks against a target: one assertion per kind of property.

A *target* is what is tested: a :class:`~pht_rules.testing.adapters.Wrapper` around an app, an
:class:`~pht_rules.Evaluator` (a rule set under a profile), any callable from a
:class:`~pht_rules.PatientState` to an assessment or ``{decision: outcome}`` mapping, or ``None``
for the bundled rules.

- :func:`assert_invariants`: every clinical safety invariant holds for every generated patient.
- :func:`assert_relations`: every metamorphic relation holds around every generated patient.
- :func:`assert_conforms`: an app never gives more aggressive advice than the rules it wraps
  (``CONF-NOT-MORE-AGGRESSIVE``) and shows every referral they make (``CONF-REFERRAL-SHOWN``).
All of them, as a pytest test class in one line, are in :mod:`pht_rules.testing.suite`. Each
assertion raises :class:`~pht_rules.testing.reporting.SafetyViolation` for the minimal
failing patient, printed as a ready-to-paste clinical case. Nothing here needs pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pht_rules.audit.invariants import (
    INVARIANTS,
    RED_FLAG_OUTCOMES,
    Advice,
    Invariant,
    Violation,
    check_invariants,
)
from pht_rules.errors import PhtRulesError, UsageError
from pht_rules.patient.model import PatientState
from pht_rules.testing.adapters import Wrapper
from pht_rules.testing.budget import kit_settings
from pht_rules.testing.metamorphic import RELATIONS, Relation, RelationContext, aggression
from pht_rules.testing.pictures import (
    LOADING_PHASES,
    inadequate_trial_patients,
    irritable_patients,
    less_irritable_patients,
    loading_phase_patients,
    recalcitrant_patients,
    red_flag_patients,
)
from pht_rules.testing.reporting import SafetyViolation, violation_key
from pht_rules.testing.strategies import boundary_patient_states, patient_states

__all__ = [
    "PICTURE_NAMES",
    "Check",
    "assert_conforms",
    "assert_invariants",
    "assert_relations",
    "conformance_check",
    "default_states",
    "invariant_check",
    "picture_states",
    "relation_check",
    "run_property",
]

Check = Callable[[PatientState], list[Violation]]


def default_states(target: Any = None) -> st.SearchStrategy[PatientState]:
    """The mix of patients the kit uses when none is given, under the target's rules.

    The whole domain (unknowns and red flags frequent), the clear-screen pathway, both again
    seeking the rules' thresholds, and the clinical pictures (partly answered where that can
    matter), so that deep pathway states and lone red flags are common, not rare.
    """
    w = Wrapper.of(target)
    opts: dict[str, Any] = {"ruleset": w.ruleset, "profile": w.profile}
    return st.one_of(
        patient_states(unknown_weight=0.3, **opts),
        patient_states(unknown_weight=0.1, clear_screen=True, **opts),
        boundary_patient_states(unknown_weight=0.2, **opts),
        boundary_patient_states(unknown_weight=0.05, clear_screen=True, **opts),
        red_flag_patients(**opts),
        irritable_patients(**opts),
        less_irritable_patients(unanswered=0.2, **opts),
        recalcitrant_patients(unanswered=0.2, **opts),
        inadequate_trial_patients(unanswered=0.2, **opts),
    )


def picture_states(target: Any, picture: str) -> st.SearchStrategy[PatientState]:
    """The named clinical picture (see :data:`PICTURE_NAMES`) under the target's rules.

    Pictures defined by answers that could be missing are drawn both complete and with some of
    those answers unknown (``unanswered=0.3``), so that reading an unknown as the missing answer
    is caught too.
    """
    w = Wrapper.of(target)
    opts: dict[str, Any] = {"ruleset": w.ruleset, "profile": w.profile}
    if picture.startswith("phase-"):
        phase = picture.removeprefix("phase-")
        if phase in LOADING_PHASES:
            return loading_phase_patients(phase, **opts)
    complete = {
        "irritable": irritable_patients,
        "red-flag": red_flag_patients,
    }
    partial = {
        "less-irritable": less_irritable_patients,
        "recalcitrant": recalcitrant_patients,
        "inadequate-trial": inadequate_trial_patients,
    }
    if picture in complete:
        return complete[picture](**opts)
    if picture in partial:
        make = partial[picture]
        return st.one_of(make(**opts), make(unanswered=0.3, **opts))
    raise UsageError(f"unknown picture {picture!r}; choose from {list(PICTURE_NAMES)}")


PICTURE_NAMES: tuple[str, ...] = (
    "irritable",
    "less-irritable",
    "red-flag",
    "recalcitrant",
    "inadequate-trial",
    *(f"phase-{p}" for p in LOADING_PHASES),
)
"""The clinical pictures :class:`SafetySuite` checks the invariants on, one test each."""


def run_property(
    title: str,
    check: Check,
    target: Any = None,
    states: st.SearchStrategy[PatientState] | None = None,
    *,
    settings: settings | None = None,
) -> None:
    """Check ``check`` on generated patients; raise :class:`SafetyViolation` for the minimal
    patient it reports violations for."""
    __tracebackhide__ = True
    wrapper = Wrapper.of(target)
    source = states if states is not None else default_states(wrapper)
    chosen = settings if settings is not None else kit_settings()

    @chosen
    @given(state=source)
    def property_holds(state: PatientState) -> None:
        violations = check(state)
        if violations:
            raise _Found(state, violations)

    try:
        property_holds()
    except _Found as found:  # hypothesis raises the minimal example's error last
        error = SafetyViolation(title, wrapper, found.state, found.violations)
        for note in getattr(found, "__notes__", ()):
            if not note.startswith(_HYPOTHESIS_REPEATS):  # the case above says it better
                error.add_note(note)
        raise error from None


_HYPOTHESIS_REPEATS = ("Falsifying example", "Failing test case", "Explanation:")


class _Found(AssertionError):
    """Raised inside the property; becomes a SafetyViolation (with its case) once shrunk."""

    def __init__(self, state: PatientState, violations: list[Violation]) -> None:
        super().__init__(f"{len(violations)} violation(s): {violations[0]}")
        self.state = state
        self.violations = violations


def _advise(wrapper: Wrapper, state: PatientState) -> Advice | Violation:
    try:
        return wrapper.advise(state)
    except PhtRulesError as exc:
        return Violation("EVALUATION-ERROR", f"{type(exc).__name__}: {exc}")


def _own(found: list[Violation], inherited: list[Violation]) -> list[Violation]:
    """``found`` without the violations the rules themselves show (same id, decision, patient)."""
    if not found or not inherited:
        return found
    theirs = {violation_key(v) for v in inherited}
    return [v for v in found if violation_key(v) not in theirs]


def invariant_check(target: Any = None, invariants: Sequence[Invariant] = INVARIANTS) -> Check:
    """The invariant violations of the target's advice for one patient.

    For an app (``Wrapper.kind == "wrapper"``) only what the app adds counts: a violation the
    wrapped rules show for the same patient belongs to the rules (their own tests report it).
    """
    wrapper = Wrapper.of(target)

    def check(state: PatientState) -> list[Violation]:
        advice = _advise(wrapper, state)
        if isinstance(advice, Violation):
            return [advice]
        found = check_invariants(state, advice, invariants=invariants)
        if found and wrapper.kind == "wrapper":
            rules = wrapper.reference(state)
            found = _own(found, check_invariants(state, rules, invariants=invariants))
        return found

    return check


def relation_check(target: Any = None, relations: Sequence[Relation] = RELATIONS) -> Check:
    """The metamorphic-relation violations around one patient, as the target advises.

    For an app, as for :func:`invariant_check`, a violation the wrapped rules show for the same
    pair of patients is left out.
    """
    wrapper = Wrapper.of(target)
    context = RelationContext.for_rules(wrapper.ruleset, wrapper.profile)

    def check(state: PatientState) -> list[Violation]:
        # Stops at the first variant that breaks a relation: one is enough to fail (and to
        # shrink), and every variant costs an evaluation or two.
        for rel in relations:
            try:
                for variant, found in rel.each(wrapper.advise, state, context):
                    if found and wrapper.kind == "wrapper":
                        theirs = rel.check(
                            wrapper.reference, state, context=context, variants=[variant]
                        )
                        found = _own(found, theirs)
                    if found:
                        return found
            except PhtRulesError as exc:
                return [Violation("EVALUATION-ERROR", f"{rel.id}: {exc}")]
        return []

    return check


def conformance_check(target: Any) -> Check:
    """How an app's advice for one patient departs unsafely from the rules it wraps."""
    wrapper = Wrapper.of(target)

    def check(state: PatientState) -> list[Violation]:
        shown = _advise(wrapper, state)
        if isinstance(shown, Violation):
            return [shown]
        rules = Advice.from_assessment(wrapper.reference(state))
        if shown.phases is None:  # compare like with like: the app does not say which phases
            rules = Advice.from_outcomes(rules.outcomes, rules.parameters)
        out: list[Violation] = []
        was, now = aggression(rules), aggression(shown)
        for d, rank in now.items():
            if rank > was[d]:
                out.append(
                    Violation(
                        "CONF-NOT-MORE-AGGRESSIVE",
                        f"{d}: the app shows {_shown_text(shown.outcome(d))}, the rules say "
                        f"{rules.outcome(d)!r}",
                        d,
                    )
                )
        referral = rules.outcome("presentation")
        if referral in RED_FLAG_OUTCOMES and shown.outcome("presentation") != referral:
            out.append(
                Violation(
                    "CONF-REFERRAL-SHOWN",
                    f"the rules refer ({referral!r}); the app shows "
                    f"{_shown_text(shown.outcome('presentation'))}",
                    "presentation",
                )
            )
        return out

    return check


def _shown_text(outcome: str | None) -> str:
    return "nothing" if outcome is None else repr(outcome)


def assert_invariants(
    target: Any = None,
    states: st.SearchStrategy[PatientState] | None = None,
    *,
    invariants: Sequence[Invariant] = INVARIANTS,
    settings: settings | None = None,
) -> None:
    """Every invariant holds for the target's advice to every generated patient."""
    __tracebackhide__ = True
    run_property(
        "invariants", invariant_check(target, invariants), target, states, settings=settings
    )


def assert_relations(
    target: Any = None,
    states: st.SearchStrategy[PatientState] | None = None,
    *,
    relations: Sequence[Relation] = RELATIONS,
    settings: settings | None = None,
) -> None:
    """Every metamorphic relation holds around every generated patient."""
    __tracebackhide__ = True
    title = "relations " + ", ".join(r.id for r in relations)
    run_property(title, relation_check(target, relations), target, states, settings=settings)


def assert_conforms(
    target: Any,
    states: st.SearchStrategy[PatientState] | None = None,
    *,
    settings: settings | None = None,
) -> None:
    """An app never advises more aggressively than the rules it wraps, and shows their referrals."""
    __tracebackhide__ = True
    run_property("conformance", conformance_check(target), target, states, settings=settings)
