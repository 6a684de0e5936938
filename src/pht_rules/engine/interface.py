# SPDX-License-Identifier: MIT
"""The engine interface: which rules of a stage are TRUE for a snapshot.

Two implementations: :class:`DurableEngine` (the durable-rules C engine, the default) and
:class:`InterpreterEngine` (the reference interpreter, used for verification and differential
checks). Everything above this interface - hit policies, evidence, the assessment - is shared, so
replacing durable-rules one day means writing one class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pht_rules.definitions.conditions import Condition, Truth
from pht_rules.definitions.ruleset import ResolvedRuleSet
from pht_rules.engine.interpreter import truth
from pht_rules.errors import EvaluationError, UsageError
from pht_rules.patient.fields import Snapshot

__all__ = ["EngineName", "InterpreterEngine", "RuleEngine", "create_engine"]

EngineName = Literal["durable", "interpreter"]


class RuleEngine(Protocol):
    """Finds the rules of one stage whose conditions are TRUE for a snapshot.

    Implementations must be safe to call from several threads at once and must return rule ids in
    rule-set order.
    """

    def matches(self, stage: int, snapshot: Snapshot) -> Sequence[str]:
        """Ids of the rules of ``stage`` whose condition is TRUE over ``snapshot``."""
        ...

    def close(self) -> None:
        """Release the engine's resources; later calls may fail."""
        ...


class InterpreterEngine:
    """The reference interpreter behind the engine interface: slow, simple and obviously right."""

    def __init__(self, resolved: ResolvedRuleSet) -> None:
        self._closed = False
        self._stages: dict[int, list[tuple[str, Condition]]] = {}
        for decision in resolved.ruleset.decisions:
            bucket = self._stages.setdefault(decision.stage, [])
            bucket.extend((r.id, resolved.conditions[r.id]) for r in decision.rules)

    def matches(self, stage: int, snapshot: Snapshot) -> Sequence[str]:
        if self._closed:
            raise EvaluationError("this engine has been closed")
        return [
            rid for rid, cond in self._stages.get(stage, ()) if truth(cond, snapshot) is Truth.TRUE
        ]

    def close(self) -> None:
        self._closed = True


def create_engine(name: EngineName, resolved: ResolvedRuleSet) -> RuleEngine:
    """Build the engine called ``name`` for a rule set under its resolved parameter values."""
    if name == "interpreter":
        return InterpreterEngine(resolved)
    if name == "durable":
        from pht_rules.engine._durable import DurableEngine

        return DurableEngine(resolved)
    raise UsageError(f"unknown engine {name!r}; choose 'durable' or 'interpreter'")
