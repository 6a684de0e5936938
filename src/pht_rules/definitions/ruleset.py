# SPDX-License-Identifier: MIT
"""Rule definitions as frozen data: rules, decisions, parameters and the rule set that holds them.

Nothing here knows about a rule engine; :mod:`pht_rules.loading` builds these objects from rule
files, and the engines compile them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pht_rules.definitions.catalogue import Catalogue
from pht_rules.definitions.conditions import (
    Compare,
    Condition,
    ParamRef,
    fields_read,
    leaves,
    resolve,
)
from pht_rules.definitions.text import placeholder_names
from pht_rules.errors import FieldProblem, ProfileError, UnknownIdError, closest
from pht_rules.patient.fields import FieldSpec

__all__ = [
    "Decision",
    "DetailValue",
    "HitPolicy",
    "Parameter",
    "Profile",
    "Provenance",
    "ResolvedRuleSet",
    "Rule",
    "RuleSet",
]

HitPolicy = Literal["unique", "first", "collect"]
"""How a decision's matching rules combine (DMN hit policies).

- ``unique``: at most one outcome may match; two rules with different outcomes is an error.
- ``first``: the matching rule with the lowest priority number wins; a tie between different
  outcomes at that priority is an error.
- ``collect``: every matching rule contributes its outcome.
"""

Provenance = Literal["article", "literature", "assumption"]
DetailValue = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: when its condition is true, it contributes ``outcome`` to its decision."""

    id: str
    title: str
    decision: str
    priority: int
    when: Condition
    outcome: str
    advice: str
    cites: tuple[str, ...]
    details: tuple[tuple[str, DetailValue], ...] = ()
    resource: str = ""
    line: int | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """The field paths the condition reads."""
        return fields_read(self.when)


@dataclass(frozen=True, slots=True)
class Decision:
    """A question the rule set answers, the outcomes it may give, and the rules that decide it."""

    id: str
    title: str
    question: str
    hit_policy: HitPolicy
    outcomes: tuple[tuple[str, str], ...]
    rules: tuple[Rule, ...]
    stage: int = 1
    depends_on: tuple[str, ...] = ()
    resource: str = ""
    gap_outcomes: tuple[str, ...] = ()
    """Outcomes meaning the guideline does not cover the patient (reported as guideline gaps)."""

    @property
    def outcome_ids(self) -> tuple[str, ...]:
        """The outcome names, in declared order."""
        return tuple(o for o, _ in self.outcomes)


@dataclass(frozen=True, slots=True)
class Parameter:
    """A named threshold, its default, the range a profile may set, and where the value comes from."""

    name: str
    value: int
    unit: str
    minimum: int
    maximum: int
    provenance: Provenance
    sources: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True)
class Profile:
    """Parameter overrides a caller applies on top of a rule set's defaults.

    Validated against the rule set when used: an unknown parameter or a value out of its range
    raises :class:`~pht_rules.errors.ProfileError`.
    """

    overrides: Mapping[str, int] = field(default_factory=dict)
    name: str | None = None

    def key(self) -> tuple[tuple[str, int], ...]:
        """A hashable, order-independent form of the overrides."""
        return tuple(sorted(self.overrides.items()))


@dataclass(frozen=True, slots=True, eq=False)
class RuleSet:
    """A loaded, validated rule set: decisions in report order, parameters, catalogue, fingerprint."""

    name: str
    version: str
    title: str
    source: str
    decisions: tuple[Decision, ...]
    parameters: tuple[Parameter, ...]
    constraints: tuple[tuple[str, str, str], ...]
    catalogue: Catalogue
    fields: Mapping[str, FieldSpec]
    fingerprint: str
    location: str

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule, decision by decision, in file order."""
        return tuple(r for d in self.decisions for r in d.rules)

    def decision(self, decision_id: str) -> Decision:
        """The decision with ``decision_id`` (KeyError if there is none)."""
        for d in self.decisions:
            if d.id == decision_id:
                return d
        raise UnknownIdError(decision_id)

    def rule(self, rule_id: str) -> Rule:
        """The rule with ``rule_id`` (KeyError if there is none)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise UnknownIdError(rule_id)

    def rules_citing(self) -> dict[str, tuple[str, ...]]:
        """For each catalogue entry (and any other cited id), the rules that cite it, in order."""
        out: dict[str, list[str]] = {e.id: [] for e in self.catalogue.entries}
        for r in self.rules:
            for cid in r.cites:
                out.setdefault(cid, []).append(r.id)
        return {k: tuple(v) for k, v in out.items()}

    def parameters_citing(self) -> dict[str, tuple[str, ...]]:
        """For each catalogue entry (and any other cited id), the parameters that cite it."""
        out: dict[str, list[str]] = {e.id: [] for e in self.catalogue.entries}
        for p in self.parameters:
            for cid in p.sources:
                out.setdefault(cid, []).append(p.name)
        return {k: tuple(v) for k, v in out.items()}

    def parameter_users(self) -> dict[str, tuple[str, ...]]:
        """For each parameter, the rules whose condition, advice or details use it."""
        out: dict[str, list[str]] = {p.name: [] for p in self.parameters}
        for r in self.rules:
            used = {
                leaf.value.name
                for leaf in leaves(r.when)
                if isinstance(leaf, Compare) and isinstance(leaf.value, ParamRef)
            }
            used.update(placeholder_names(r.advice))
            for _, value in r.details:
                for text in value if isinstance(value, tuple) else (value,):
                    used.update(placeholder_names(text))
            for name in sorted(used):
                out.setdefault(name, []).append(r.id)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def defaults(self) -> dict[str, int]:
        """Every parameter's default value."""
        return {p.name: p.value for p in self.parameters}

    def resolved(self, profile: Profile | Mapping[str, int] | None = None) -> ResolvedRuleSet:
        """This rule set under the parameter values of ``profile`` (validated), resolved once.

        The engines and the evaluator share the result, so parameters are looked up in one place.
        """
        params = self.parameter_values(profile)
        return ResolvedRuleSet(self, params, {r.id: resolve(r.when, params) for r in self.rules})

    def parameter_values(
        self, profile: Profile | Mapping[str, int] | None = None
    ) -> dict[str, int]:
        """The parameter values in force under ``profile``, validated against this rule set."""
        if profile is None:
            return self.defaults
        overrides = profile.overrides if isinstance(profile, Profile) else profile
        if not isinstance(overrides, Mapping):
            raise ProfileError([FieldProblem("", "a profile must map parameter names to values")])
        by_name = {p.name: p for p in self.parameters}
        problems: list[FieldProblem] = []
        for name, value in overrides.items():
            param = by_name.get(name) if isinstance(name, str) else None
            if param is None:
                hint = closest(str(name), by_name)
                problems.append(FieldProblem(str(name), "unknown parameter", suggestion=hint))
            elif isinstance(value, bool) or not isinstance(value, int):
                problems.append(FieldProblem(name, f"must be a whole number, got {value!r}"))
            elif not param.minimum <= value <= param.maximum:
                problems.append(
                    FieldProblem(
                        name,
                        f"{value} is outside the allowed range {param.minimum}..{param.maximum} "
                        f"{param.unit}",
                    )
                )
        if problems:
            raise ProfileError(problems)
        values = {**self.defaults, **overrides}
        for low, op, high in self.constraints:
            if not (values[low] < values[high] if op == "<" else values[low] <= values[high]):
                problems.append(
                    FieldProblem(
                        low if low in overrides else high,
                        f"{low} ({values[low]}) must be {op} {high} ({values[high]})",
                    )
                )
        if problems:
            raise ProfileError(problems)
        return values


@dataclass(frozen=True, slots=True, eq=False)
class ResolvedRuleSet:
    """A rule set under one set of parameter values: ``conditions`` maps each rule id to its
    condition with every parameter reference replaced by its value."""

    ruleset: RuleSet
    params: Mapping[str, int]
    conditions: Mapping[str, Condition]
