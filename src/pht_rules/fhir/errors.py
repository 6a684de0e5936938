# SPDX-License-Identifier: MIT
"""Errors of the FHIR mapping: each problem names the ``linkId`` (or element) at fault."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pht_rules.errors import PhtRulesError

__all__ = ["FhirInputError", "FhirProblem"]


@dataclass(frozen=True, slots=True)
class FhirProblem:
    """One problem in a FHIR input.

    ``link_id`` is the questionnaire item at fault (``None`` when the problem is not about one
    item); ``expression`` is a FHIRPath to the element, for an ``OperationOutcome``; ``code`` is
    the FHIR issue type (``invalid``, ``structure``, ``required``, ``value``, ``invariant``...).
    """

    message: str
    link_id: str | None = None
    expression: str | None = None
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"linkId '{self.link_id}'" if self.link_id else (self.expression or "<resource>")
        return f"{where}: {self.message}"


class FhirInputError(PhtRulesError, ValueError):
    """A FHIR resource cannot be read as patient-state input; ``problems`` lists every problem."""

    def __init__(self, problems: Sequence[FhirProblem]) -> None:
        self.problems: tuple[FhirProblem, ...] = tuple(problems)
        n = len(self.problems)
        detail = "; ".join(str(p) for p in self.problems)
        super().__init__(f"invalid FHIR input ({n} problem{'s' if n != 1 else ''}): {detail}")

    @property
    def link_ids(self) -> tuple[str, ...]:
        """The linkIds named by the problems, in order (problems without one are skipped)."""
        return tuple(p.link_id for p in self.problems if p.link_id)
