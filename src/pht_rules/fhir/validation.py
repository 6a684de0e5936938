# SPDX-License-Identifier: MIT
"""Structural validation of FHIR resources with ``fhir.resources``, and ``OperationOutcome``.

``fhir.resources`` (8.x) ships models for R5, R4B and STU3 but no longer for R4 (4.0.1); the R4B
models are used, which are the same as R4's for every resource this package reads or writes
(Questionnaire, QuestionnaireResponse, Observation, Bundle, RequestGroup, PlanDefinition, Library,
CodeSystem, OperationOutcome). They check structure, cardinality and primitive types, not
terminology bindings or invariants; ``invariants=True`` adds the FHIRPath invariants. Needs the ``service`` extra.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from pht_rules.fhir._quick import quick_valid_response
from pht_rules.fhir.errors import FhirInputError, FhirProblem

__all__ = ["FHIR_MODELS", "operation_outcome", "validate_resource"]

FHIR_MODELS = "fhir.resources.R4B"
"""The model package used (see the module docstring for why R4B)."""


@cache
def _model(resource_type: str) -> type[BaseModel] | None:
    if not resource_type.isidentifier() or not resource_type[:1].isupper():
        return None
    try:
        module = importlib.import_module(f"{FHIR_MODELS}.{resource_type.lower()}")
    except ModuleNotFoundError:
        return None
    model = getattr(module, resource_type, None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _expression(resource_type: str, data: Any, loc: Sequence[int | str]) -> tuple[str, str | None]:
    """A FHIRPath for a pydantic error location, and the innermost item linkId on the way."""
    parts = [resource_type]
    link_id = None
    node = data
    for step in loc:
        if step == "root":
            continue
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
        else:
            parts.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(node, Mapping) and isinstance(node.get("linkId"), str):
            link_id = node["linkId"]
    return ".".join(parts), link_id


def validate_resource(
    resource: object, expected: str | None = None, *, invariants: bool = False
) -> None:
    """Check ``resource`` (JSON data) against the FHIR model of its ``resourceType``.

    ``expected`` names the type it must be; ``invariants`` also evaluates the R4 FHIRPath
    invariants (:mod:`pht_rules.fhir.invariants`, with ``fhirpathpy``) once the structure is valid. Raises :class:`~pht_rules.fhir.FhirInputError` naming
    each problem's element (and the questionnaire item's ``linkId`` where there is one).
    """
    if not isinstance(resource, Mapping):
        raise FhirInputError(
            [FhirProblem("a FHIR resource must be a JSON object", code="structure")]
        )
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or (expected is not None and kind != expected):
        wanted = expected or "a FHIR resource type"
        raise FhirInputError(
            [
                FhirProblem(
                    f"resourceType is {kind!r}, expected {wanted}",
                    None,
                    "resourceType",
                    "structure",
                )
            ]
        )
    if kind == "QuestionnaireResponse" and not invariants and quick_valid_response(resource):
        return  # the typical intake response, checked without building the models
    model = _model(kind)
    if model is None:
        raise FhirInputError(
            [FhirProblem(f"unknown resourceType {kind!r}", None, "resourceType", "not-supported")]
        )
    try:
        model.model_validate(dict(resource))
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            expr, link_id = _expression(kind, resource, err["loc"])
            message = err["msg"].split("\n")[0].strip()
            problems.append(FhirProblem(message, link_id, expr, "structure"))
        raise FhirInputError(problems) from None
    if invariants:
        from pht_rules.fhir.invariants import check_invariants

        broken = check_invariants(resource)
        if broken:
            raise FhirInputError(broken)


def operation_outcome(
    problems: Iterable[FhirProblem], *, severity: str = "error"
) -> dict[str, Any]:
    """An R4 ``OperationOutcome`` with one issue per problem (``diagnostics`` names the linkId)."""
    issues = []
    for p in problems:
        text = f"linkId '{p.link_id}': {p.message}" if p.link_id else p.message
        issue: dict[str, Any] = {"severity": severity, "code": p.code, "diagnostics": text}
        if p.expression:
            issue["expression"] = [p.expression]
        issues.append(issue)
    if not issues:
        issues.append({"severity": severity, "code": "unknown", "diagnostics": "unknown problem"})
    return {"resourceType": "OperationOutcome", "issue": issues}
