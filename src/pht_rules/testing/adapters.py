# SPDX-License-Identifier: MIT
"""Point the kit at your own integration: a :class:`Wrapper` and the adapters around it.

A health app rarely passes a :class:`~pht_rules.PatientState` in and an
:class:`~pht_rules.Assessment` out. It has its own request type (a form, a JSON body) and its own
response (screens, banners, cards). A :class:`Wrapper` describes such an integration to the kit:

- ``call``: the app's function, from *its* input to *its* output;
- ``to_input``: how to make that input from a generated patient state (see the ``as_*`` adapters);
- ``from_output``: how to read the output back as what the patient is told, either an
  ``Assessment``, an :class:`~pht_rules.audit.invariants.Advice`, or a plain mapping from decision id to
  the outcome shown (see :func:`read_outcomes`); a decision left out was not shown;
- ``ruleset`` / ``profile``: the rules and thresholds the app means to follow (default: the bundled
  rules, default thresholds). The kit compares the app with them and reads thresholds from them.

Nothing here imports hypothesis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pht_rules.audit.invariants import Advice
from pht_rules.definitions.ruleset import RuleSet
from pht_rules.engine.interface import EngineName
from pht_rules.errors import ProfileError, UsageError, UsageTypeError
from pht_rules.evaluation.assessment import Assessment
from pht_rules.evaluation.evaluator import Evaluator
from pht_rules.patient.model import PatientState
from pht_rules.testing._rules import (
    ProfileLike,
    bundled,
    evaluator,
    overrides_of,
    params_of,
    rules_of,
)

__all__ = [
    "Output",
    "Wrapper",
    "as_answered_dict",
    "as_dict",
    "as_flat",
    "as_is",
    "as_json",
    "as_model",
    "from_assessment_json",
    "read_outcomes",
    "to_advice",
]

Output = Assessment | Advice | Mapping[str, Any]
"""What ``from_output`` may return."""


# ------------------------------------------------------------------------------------------------
# Input adapters: PatientState -> the app's input


def as_model(state: PatientState) -> PatientState:
    """The state itself (for an app that takes a :class:`~pht_rules.PatientState`)."""
    return state


def as_dict(state: PatientState) -> dict[str, Any]:
    """Every field as nested plain data, unknown answers as ``None``."""
    data: dict[str, Any] = state.model_dump(mode="json")
    return data


def as_answered_dict(state: PatientState) -> dict[str, Any]:
    """Only the answered questions, as nested plain data (unknown answers left out), the way a
    form that omits skipped questions would send them."""
    data: dict[str, Any] = state.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in data.items() if v != {}}


def as_json(state: PatientState) -> str:
    """The state as JSON text (unknown answers as ``null``)."""
    return state.model_dump_json()


def as_flat(state: PatientState) -> dict[str, Any]:
    """The answered questions as a flat mapping from dotted field path to value."""
    out: dict[str, Any] = {}
    for group, value in state.model_dump(mode="json").items():
        if isinstance(value, dict):
            out.update({f"{group}.{k}": v for k, v in value.items() if v is not None})
        elif value is not None:
            out[group] = value
    return out


# ------------------------------------------------------------------------------------------------
# Output adapters: the app's output -> Assessment | Advice | {decision: outcome}


def as_is(output: Any) -> Any:
    """The output itself: an ``Assessment``, an ``Advice`` or a ``{decision: outcome}`` mapping."""
    return output


def from_assessment_json(output: str | bytes | Mapping[str, Any]) -> Assessment:
    """An assessment from its JSON text (``Assessment.to_json``) or the parsed JSON object."""
    if isinstance(output, Mapping):
        import json

        return Assessment.from_json(json.dumps(output))
    return Assessment.from_json(output)


def read_outcomes(
    paths: Mapping[str, str],
    *,
    translate: Mapping[str, Mapping[Any, str | None]] | None = None,
) -> Callable[[Any], dict[str, str]]:
    """An output adapter for an app response made of nested mappings (such as parsed JSON).

    ``paths`` maps each decision id to the dotted key path where the response holds it, e.g.
    ``{"presentation": "triage.code", "running": "plan.running"}``. ``translate`` maps, per
    decision, the app's own values to the rules' outcomes (a value mapped to ``None``, or a missing
    or ``None`` entry in the response, means the decision was not shown). A value that is neither
    translated nor a string raises ``ValueError`` naming the decision and path.
    """
    table = {k: dict(v) for k, v in (translate or {}).items()}

    def read(output: Any) -> dict[str, str]:
        shown: dict[str, str] = {}
        for decision_id, path in paths.items():
            node: Any = output
            for part in path.split("."):
                node = node.get(part) if isinstance(node, Mapping) else None
            if decision_id in table and node in table[decision_id]:
                node = table[decision_id][node]
            if node is None:
                continue
            if not isinstance(node, str):
                raise UsageError(
                    f"{decision_id} at '{path}': expected an outcome name, got {node!r}; "
                    "add it to `translate`"
                )
            shown[decision_id] = node
        return shown

    return read


# ------------------------------------------------------------------------------------------------
# The wrapper


@dataclass(frozen=True)
class Wrapper:
    """An integration under test: ``call`` from the app's input to its output, with adapters.

    ``kind`` is ``"wrapper"`` for an app built on the rules, or ``"rules"`` when the target *is*
    a rule set (see :meth:`of_rules`). An app is judged on what it adds to its rules; a rule set
    on its own. ``expected`` (for a rule set) names the reviewed rules that a failing patient's
    case takes its expected outcomes from; by default the bundled rules (see :meth:`expectations`).
    """

    call: Callable[[Any], Any]
    to_input: Callable[[PatientState], Any] = as_model
    from_output: Callable[[Any], Any] = as_is
    ruleset: RuleSet | None = None
    profile: ProfileLike = None
    name: str | None = None
    kind: str = "wrapper"
    expected: RuleSet | None = None

    @classmethod
    def of_rules(
        cls,
        ruleset: RuleSet | None = None,
        profile: ProfileLike = None,
        *,
        engine: EngineName = "durable",
        expected: RuleSet | None = None,
    ) -> Wrapper:
        """The rule set itself as the target (default: the bundled rules); ``expected`` as for
        the class."""
        call = _RulesCall(ruleset, profile, engine)
        return cls(
            call,
            ruleset=ruleset,
            profile=profile,
            name=repr(call),
            kind="rules",
            expected=expected,
        )

    @classmethod
    def of(cls, target: Any) -> Wrapper:
        """``target`` as a wrapper: a ``Wrapper`` as is, an ``Evaluator`` as its rules, ``None``
        as the bundled rules, and any other callable as an app that takes a ``PatientState``."""
        if isinstance(target, Wrapper):
            return target
        if target is None:
            return cls.of_rules()
        if isinstance(target, Evaluator):
            changed = {k: v for k, v in target.params.items() if target.ruleset.defaults[k] != v}
            return cls(
                target.evaluate,
                ruleset=target.ruleset,
                profile=changed,
                name=f"rules {target.ruleset.name} {target.ruleset.version} ({target.engine_name})",
                kind="rules",
            )
        if callable(target):
            return cls(target, name=getattr(target, "__name__", None))
        raise UsageTypeError(
            f"expected a Wrapper, an Evaluator, a callable or None, got {type(target).__name__}"
        )

    @property
    def parameters(self) -> dict[str, int]:
        """The thresholds in force for the rules the app follows."""
        return params_of(self.ruleset, self.profile)

    @property
    def overrides(self) -> dict[str, int]:
        """The profile's overrides (empty for the defaults)."""
        return overrides_of(self.profile)

    def output(self, state: PatientState) -> Any:
        """The app's raw output for ``state``."""
        return self.call(self.to_input(state))

    def advise(self, state: PatientState) -> Advice:
        """What the app tells the patient ``state``, read through ``from_output``."""
        return to_advice(self.from_output(self.output(state)), self.parameters)

    __call__ = advise

    def reference(self, state: PatientState) -> Assessment:
        """What the rules the app follows say about ``state``."""
        return evaluator(self.ruleset, self.profile).evaluate(state)

    def expectations(self) -> Wrapper | None:
        """Where a failing patient's expected outcomes come from: an app's own rules; for a rule
        set, ``expected`` (default: the bundled rules) unless that is the rule set under test."""
        if self.kind != "rules":
            return self
        reviewed = self.expected if self.expected is not None else bundled()
        if reviewed.fingerprint == rules_of(self.ruleset).fingerprint:
            return None
        try:
            reviewed.parameter_values(self.overrides)
        except ProfileError:
            return None
        return Wrapper.of_rules(reviewed, self.profile)

    def __str__(self) -> str:
        return self.name or getattr(self.call, "__qualname__", None) or repr(self.call)


class _RulesCall:
    """Evaluates with the shared compiled evaluator of a rule set and profile."""

    def __init__(self, ruleset: RuleSet | None, profile: ProfileLike, engine: EngineName) -> None:
        self.ruleset, self.profile, self.engine = ruleset, profile, engine
        evaluator(ruleset, profile, engine)  # compile now: an invalid profile fails here

    def __call__(self, state: PatientState) -> Assessment:
        return evaluator(self.ruleset, self.profile, self.engine).evaluate(state)

    def __repr__(self) -> str:
        rules = evaluator(self.ruleset, self.profile, self.engine).ruleset
        changed = overrides_of(self.profile)
        shown = f", profile {changed}" if changed else ""
        return f"rules {rules.name} {rules.version} ({self.engine}{shown})"


def to_advice(output: Any, parameters: Mapping[str, int]) -> Advice:
    """Read an adapted output as :class:`~pht_rules.audit.invariants.Advice`."""
    if isinstance(output, Advice):
        return output
    if isinstance(output, Assessment):
        return Advice.from_assessment(output)
    if isinstance(output, Mapping):
        bad = {k: v for k, v in output.items() if not isinstance(k, str) or not isinstance(v, str)}
        if bad:
            raise UsageTypeError(
                f"from_output must map decision ids to outcome names; got {bad!r:.200}"
            )
        return Advice.from_outcomes(output, parameters)
    raise UsageTypeError(
        "from_output must return an Assessment, an Advice or a {decision: outcome} mapping, "
        f"got {type(output).__name__}"
    )
