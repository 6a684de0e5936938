# SPDX-License-Identifier: MIT
"""Errors raised by pht_rules.

Every error the library raises sits under one root::

    PhtRulesError
    ├── ProblemsError                        a list of problems, each a Problem record
    │   ├── RuleFileError (also ValueError)      a rule or catalogue file is unreadable or invalid
    │   │   └── CaseFileError                    a clinical case file is unreadable or invalid
    │   ├── ProfileError (also ValueError)       a parameter profile names an unknown parameter or a bad value
    │   ├── PatientStateError (also ValueError)  the input patient state is invalid (lists every problem)
    │   ├── InputProblems (also ValueError)      JSON text or a value cannot be read strictly (patient.strict_json)
    │   ├── FhirInputError (also ValueError)     a FHIR resource cannot be read as input (pht_rules.fhir)
    │   └── EpisodeError (also ValueError)       an episode of care is invalid (pht_rules.episodes)
    ├── EvaluationError                      a valid state could not be evaluated
    │   ├── RuleConflictError                two rules disagree where the decision's hit policy forbids it
    │   └── EngineUnavailableError           the engine asked for cannot run here (durable-rules missing)
    ├── UsageError (also ValueError)         an argument or setting is invalid
    │   └── UsageTypeError (also TypeError)  an argument has the wrong type
    ├── UnknownIdError (also KeyError)       no decision or rule has the id asked for
    ├── RecordError (also ValueError)        a population record cannot be read (pht_rules.population)
    ├── AuthError                            a service request is not authenticated (pht_rules.service)
    └── FetchError                           the client's FHIR server did not give the data (pht_rules.service)

The safety kit's finding, :class:`pht_rules.testing.reporting.SafetyViolation`, is a test failure
rather than an error: it derives from ``AssertionError`` alone, so pytest reports it as a failure
and no ``except PhtRulesError`` around a system under test can swallow it.

Each problem is a record (:class:`Problem`) with a stable ``code``, a ``path`` naming where it is,
a ``message`` saying what is wrong and, where a near miss is likely, a ``suggestion``. Every list
error formats its problems the same way and keeps them in ``problems``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

__all__ = [
    "CaseFileError",
    "EngineUnavailableError",
    "EvaluationError",
    "FieldProblem",
    "PatientStateError",
    "PhtRulesError",
    "Problem",
    "ProblemsError",
    "ProfileError",
    "RuleConflictError",
    "RuleFileError",
    "RuleProblem",
    "UnknownIdError",
    "UsageError",
    "UsageTypeError",
    "closest",
]


class PhtRulesError(Exception):
    """Root of every error that pht_rules raises on purpose."""


def closest(name: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice nearest to ``name`` for a "did you mean" hint, or ``None`` when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None


class Problem:
    """One problem as a record: ``code`` (stable), ``path`` (where), ``message``, ``suggestion``.

    ``str(problem)`` is ``"<where>: <message>"`` followed by ``(did you mean '<suggestion>'?)``
    when there is a suggestion. Subclasses are frozen dataclasses that say what ``path`` means.
    """

    __slots__ = ()
    code: str
    message: str
    suggestion: str | None

    @property
    def path(self) -> str:
        """Where the problem is (a file and line, a dotted field path, a FHIR linkId...)."""
        raise NotImplementedError

    def _where(self) -> str:
        return self.path

    def __str__(self) -> str:
        hint = f" (did you mean '{self.suggestion}'?)" if self.suggestion is not None else ""
        return f"{self._where()}: {self.message}{hint}"


_P = TypeVar("_P", bound=Problem)

_MAX_LISTED = 10


class ProblemsError(PhtRulesError, Generic[_P]):
    """An error that lists every problem found (``problems``), so one run reports all of them.

    The message is the problems joined by ``"; "``, after a ``summary`` (with the count when
    ``counted``) where the subclass gives one.
    """

    summary: ClassVar[str | None] = None
    counted: ClassVar[bool] = False

    def __init__(self, problems: Sequence[_P]) -> None:
        self.problems: tuple[_P, ...] = tuple(problems)
        # The first problems, then how many more: a message stays short whatever the input.
        detail = "; ".join(str(p) for p in self.problems[:_MAX_LISTED])
        if len(self.problems) > _MAX_LISTED:
            detail += f"; and {len(self.problems) - _MAX_LISTED} more"
        if self.summary is None:
            text = detail
        elif self.counted:
            n = len(self.problems)
            text = f"{self.summary} ({n} problem{'s' if n != 1 else ''}): {detail}"
        else:
            text = f"{self.summary}: {detail}"
        super().__init__(text)

    @property
    def codes(self) -> tuple[str, ...]:
        """The code of every problem, in the order found."""
        return tuple(p.code for p in self.problems)


@dataclass(frozen=True, slots=True)
class RuleProblem(Problem):
    """One problem found while loading rule data: where it is and what is wrong."""

    resource: str
    message: str
    line: int | None = None
    rule_id: str | None = None
    field_path: str | None = None
    suggestion: str | None = None
    code: str = "invalid"

    @property
    def path(self) -> str:
        """The resource (file) and, when known, the line: ``running.yaml:12``."""
        return self.resource if self.line is None else f"{self.resource}:{self.line}"

    def _where(self) -> str:
        where = self.resource
        if self.line is not None:
            where += f", line {self.line}"
        if self.rule_id is not None:
            where += f", rule '{self.rule_id}'"
        return where


class RuleFileError(ProblemsError[RuleProblem], ValueError):
    """Rule data cannot be loaded; ``problems`` lists every problem found, each with its place."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        super().__init__(problems)
        first = self.problems[0] if self.problems else None
        self.resource = first.resource if first else None
        self.rule_id = first.rule_id if first else None
        self.field_path = first.field_path if first else None
        self.line = first.line if first else None


class CaseFileError(RuleFileError):
    """A clinical case file cannot be read; its problems name the file and the case."""


@dataclass(frozen=True, slots=True)
class FieldProblem(Problem):
    """One invalid input field: its dotted path and why it was rejected."""

    field_path: str
    message: str
    suggestion: str | None = None
    code: str = "invalid"

    @property
    def path(self) -> str:
        """The dotted field path (``<root>`` for the state as a whole)."""
        return self.field_path or "<root>"


class PatientStateError(ProblemsError[FieldProblem], ValueError):
    """The patient state is invalid. ``problems`` names every offending field; nothing is evaluated."""

    summary = "invalid patient state"
    counted = True

    @property
    def field_paths(self) -> tuple[str, ...]:
        """The dotted paths of every offending field, in the order found."""
        return tuple(p.field_path for p in self.problems)


class ProfileError(ProblemsError[FieldProblem], ValueError):
    """A parameter profile is invalid; ``problems`` names each parameter and why."""

    summary = "invalid profile"


class UsageError(PhtRulesError, ValueError):
    """An argument or setting given to pht_rules is invalid; the message names it."""


class UsageTypeError(UsageError, TypeError):
    """An argument given to pht_rules has the wrong type; the message names it."""


class UnknownIdError(PhtRulesError, KeyError):
    """No decision or rule has the id asked for (a ``KeyError``, as for a mapping)."""


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
