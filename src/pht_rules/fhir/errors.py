# SPDX-License-Identifier: MIT
"""Errors of the FHIR mapping: each problem names the ``linkId`` (or element) at fault."""

from __future__ import annotations

from dataclasses import dataclass

from pht_rules.errors import Problem, ProblemsError

__all__ = ["FhirInputError", "FhirProblem"]


@dataclass(frozen=True, slots=True)
class FhirProblem(Problem):
    """One problem in a FHIR input.

    ``link_id`` is the questionnaire item at fault (``None`` when the problem is not about one
    item); ``expression`` is a FHIRPath to the element, for an ``OperationOutcome``; ``code`` is
    the FHIR issue type (``invalid``, ``structure``, ``required``, ``value``, ``invariant``...).
    """

    message: str
    link_id: str | None = None
    expression: str | None = None
    code: str = "invalid"
    suggestion: str | None = None

    @property
    def path(self) -> str:
        """The linkId at fault, else the FHIRPath expression, else ``<resource>``."""
        return self.link_id or self.expression or "<resource>"

    def _where(self) -> str:
        return f"linkId '{self.link_id}'" if self.link_id else (self.expression or "<resource>")


class FhirInputError(ProblemsError[FhirProblem], ValueError):
    """A FHIR resource cannot be read as patient-state input; ``problems`` lists every problem."""

    summary = "invalid FHIR input"
    counted = True

    @property
    def link_ids(self) -> tuple[str, ...]:
        """The linkIds named by the problems, in order (problems without one are skipped)."""
        return tuple(p.link_id for p in self.problems if p.link_id)
