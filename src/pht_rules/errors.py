# SPDX-License-Identifier: MIT
"""Errors raised by pht_rules.

Every public error sits under one root::

    PhtRulesError
    ├── RuleFileError (also ValueError)      a rule or catalogue file is unreadable or invalid
    ├── ProfileError (also ValueError)       a parameter profile names an unknown parameter or a bad value
    ├── PatientStateError (also ValueError)  the input patient state is invalid (lists every problem)
    └── EvaluationError                      a valid state could not be evaluated
        ├── RuleConflictError                two rules disagree where the decision's hit policy forbids it
        └── EngineUnavailableError           the engine asked for cannot run here (durable-rules missing)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PhtRulesError(Exception):
    """Root of every error that pht_rules raises on purpose."""


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One problem found while loading rule data: where it is and what is wrong."""

    resource: str
    message: str
    line: int | None = None
    rule_id: str | None = None
    field_path: str | None = None

    def __str__(self) -> str:
        where = self.resource
        if self.line is not None:
            where += f", line {self.line}"
        if self.rule_id is not None:
            where += f", rule '{self.rule_id}'"
        return f"{where}: {self.message}"


class RuleFileError(PhtRulesError, ValueError):
    """Rule data cannot be loaded; ``problems`` lists every problem found, each with its place."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems: tuple[RuleProblem, ...] = tuple(problems)
        first = self.problems[0] if self.problems else None
        self.resource = first.resource if first else None
        self.rule_id = first.rule_id if first else None
        self.field_path = first.field_path if first else None
        self.line = first.line if first else None
        text = "; ".join(str(p) for p in self.problems)
        super().__init__(text)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid input field: its dotted path and why it was rejected."""

    field_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.field_path or '<root>'}: {self.message}"


_MAX_LISTED = 10


def _listed(problems: Sequence[FieldProblem]) -> str:
    """The first problems, then how many more: a message stays short whatever the input."""
    shown = "; ".join(str(p) for p in problems[:_MAX_LISTED])
    more = len(problems) - _MAX_LISTED
    return shown + (f"; and {more} more" if more > 0 else "")


class PatientStateError(PhtRulesError, ValueError):
    """The patient state is invalid. ``problems`` names every offending field; nothing is evaluated."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        n = len(self.problems)
        detail = _listed(self.problems)
        super().__init__(f"invalid patient state ({n} problem{'s' if n != 1 else ''}): {detail}")

    @property
    def field_paths(self) -> tuple[str, ...]:
        """The dotted paths of every offending field, in the order found."""
        return tuple(p.field_path for p in self.problems)


class ProfileError(PhtRulesError, ValueError):
    """A parameter profile is invalid; ``problems`` names each parameter and why."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        super().__init__("invalid profile: " + _listed(self.problems))


class EvaluationError(PhtRulesError):
    """A valid patient state could not be evaluated; no partial assessment is returned."""


class EngineUnavailableError(EvaluationError):
    """The engine asked for cannot run on this Python (``engine="durable"`` where durable-rules
    does not import), or no engine has that name. ``engine="auto"`` never raises this."""


class RuleConflictError(EvaluationError):
    """Rules disagree on a decision whose hit policy forbids disagreement."""

    def __init__(self, decision_id: str, rule_ids: Sequence[str], outcomes: Sequence[str]) -> None:
        self.decision_id = decision_id
        self.rule_ids = tuple(rule_ids)
        self.outcomes = tuple(outcomes)
        pairs = ", ".join(f"{r} -> {o}" for r, o in zip(self.rule_ids, self.outcomes, strict=True))
        super().__init__(
            f"decision '{decision_id}': rules disagree where its hit policy forbids it ({pairs})"
        )
