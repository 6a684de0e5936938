# SPDX-License-Identifier: MIT
"""The diff report: each decision's status, the regions where the answers differ, and both answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pht_rules.audit.diff.structural import Change

__all__ = ["Answer", "DecisionDiff", "DecisionStatus", "DiffKind", "DiffRegion", "DiffReport"]


# --------------------------------------------------------------------------------------------
# Behavioural diff: data


@dataclass(frozen=True, slots=True)
class Answer:
    """One side's answer to one decision for one patient."""

    outcomes: tuple[str, ...]
    rules: tuple[str, ...]
    advice: tuple[str, ...]
    details: tuple[str, ...] = ()
    error: str | None = None

    def __str__(self) -> str:
        if self.error is not None:
            return f"error: {self.error}"
        return f"{', '.join(self.outcomes)} ({', '.join(self.rules) or 'no rule'})"


DiffKind = Literal["outcome", "advice", "rules", "error"]


@dataclass(frozen=True, slots=True)
class DiffRegion:
    """The part of the input domain where one decision gets the same pair of different answers.

    The region is described as conditions on abstract variables: every condition in ``where``
    holds, and so does one of the alternatives in ``any_of`` (empty when ``where`` says it all).
    A condition names a variable and the values it takes there; a variable not named takes any
    value. ``states`` counts the abstract states in the region.
    """

    decision_id: str
    kind: DiffKind
    where: tuple[tuple[str, str], ...]
    any_of: tuple[tuple[tuple[str, str], ...], ...]
    states: int
    example: Mapping[str, Any]
    a: Answer
    b: Answer


DecisionStatus = Literal["identical", "same", "different", "only-in-a", "only-in-b"]


@dataclass(frozen=True, slots=True)
class DecisionDiff:
    """How one decision compares: its joint domain and the regions where the answers differ."""

    decision_id: str
    status: DecisionStatus
    variables: tuple[str, ...] = ()
    states: int = 0
    evaluated: int = 0
    impossible: int = 0
    differing: int = 0
    regions: tuple[DiffRegion, ...] = ()


@dataclass(frozen=True, slots=True)
class DiffReport:
    """The structural and (unless skipped) behavioural differences from side A to side B."""

    a: str
    b: str
    structural: tuple[Change, ...]
    decisions: tuple[DecisionDiff, ...] | None
    seconds: float
    a_fingerprint: str = ""
    b_fingerprint: str = ""

    @property
    def regions(self) -> tuple[DiffRegion, ...]:
        """Every region of behavioural difference, decision by decision."""
        return tuple(r for d in self.decisions or () for r in d.regions)

    @property
    def behaviour_differs(self) -> bool:
        """True when some patient gets different advice from the two sides."""
        return any(
            d.status in ("different", "only-in-a", "only-in-b") for d in self.decisions or ()
        )

    @property
    def states(self) -> int:
        """Joint abstract states in all decisions' domains."""
        return sum(d.states for d in self.decisions or ())
