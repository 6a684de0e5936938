# SPDX-License-Identifier: MIT
"""The one-call API: ``evaluate(state, profile=None)`` with the bundled rules, compiled once."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pht_rules.definitions.ruleset import Profile, RuleSet
from pht_rules.evaluation.assessment import Assessment
from pht_rules.evaluation.evaluator import Evaluator
from pht_rules.loading import bundled_ruleset
from pht_rules.patient.model import PatientState

__all__ = ["evaluate", "patient_state_json_schema"]

_lock = threading.Lock()


@lru_cache(maxsize=16)
def _evaluator(
    ruleset: RuleSet, overrides: tuple[tuple[str, int], ...], name: str | None
) -> Evaluator:
    return Evaluator(ruleset, profile=Profile(dict(overrides), name=name))


def evaluate(
    state: PatientState | Mapping[str, Any] | str | bytes,
    profile: Profile | Mapping[str, int] | None = None,
    *,
    rules: RuleSet | None = None,
) -> Assessment:
    """Assess ``state`` with the bundled rules (or ``rules``) under an optional ``profile``.

    ``state`` may be a :class:`PatientState`, a mapping, or JSON text; it is validated first and
    :class:`~pht_rules.errors.PatientStateError` names every invalid field. The compiled rules are
    cached per rule set and profile (at most 16), so repeated calls are cheap; for full control of
    the engine's lifetime use :class:`~pht_rules.Evaluator` directly.
    """
    ruleset = rules if rules is not None else bundled_ruleset()
    if isinstance(profile, Profile):
        key, name = profile.key(), profile.name
    else:
        key, name = tuple(sorted((profile or {}).items())), None
    ruleset.parameter_values(dict(key))  # validate before compiling anything
    with _lock:
        evaluator = _evaluator(ruleset, key, name)
    return evaluator.evaluate(state)


def patient_state_json_schema() -> dict[str, Any]:
    """The JSON Schema of the input (:class:`PatientState`)."""
    return PatientState.model_json_schema()
