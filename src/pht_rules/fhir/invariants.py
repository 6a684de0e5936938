# SPDX-License-Identifier: MIT
"""FHIRPath invariants of the R4 resources this package emits, evaluated with ``fhirpathpy``.

``fhir.resources`` checks structure and types but no invariant (``rqg-1``, ``que-1``, ``dom-3``...).
This module holds the R4 (4.0.1) invariants, with the specification's FHIRPath expressions, of
each resource type the package writes or reads (RequestGroup, PlanDefinition, Library,
Questionnaire, QuestionnaireResponse, CodeSystem, Bundle, and every DomainResource, Extension
and Reference in them), and evaluates them with the independent FHIRPath engine ``fhirpathpy``
over its R4 model. :func:`check_invariants` returns the violations; the test suite runs it on
every resource the package emits. Needs the ``service`` extra.

Two expressions are narrowed where the 4.0.1 text is looser or engine-specific, each noted on
the invariant: ``dom-3`` checks references only (not canonical/uri forms), and ``que-12``
applies from two ``enableWhen`` on, as its human text says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pht_rules.fhir.errors import FhirProblem

__all__ = ["INVARIANTS", "Invariant", "check_invariants"]


@dataclass(frozen=True, slots=True)
class Invariant:
    """An invariant: ``expression`` must hold on every node ``context`` selects."""

    key: str
    severity: str  # error | warning
    resource_types: tuple[str, ...]  # () = every resource
    context: str
    expression: str
    human: str


_ALL: tuple[str, ...] = ()
_NAMED = ("PlanDefinition", "Library", "Questionnaire", "CodeSystem")
_ITEMS = "Questionnaire.repeat(item)"

INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "dom-2",
        "error",
        _ALL,
        "%resource",
        "contained.contained.empty()",
        "If the resource is contained in another resource, it SHALL NOT contain nested Resources",
    ),
    Invariant(
        "dom-3",
        "error",
        _ALL,
        "%resource.contained",
        "('#' + id) in %resource.descendants().reference",
        "If the resource is contained in another resource, it SHALL be referred to from "
        "elsewhere in the resource (references only)",
    ),
    Invariant(
        "dom-4",
        "error",
        _ALL,
        "%resource",
        "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()",
        "If a resource is contained in another resource, it SHALL NOT have a meta.versionId or "
        "a meta.lastUpdated",
    ),
    Invariant(
        "dom-5",
        "error",
        _ALL,
        "%resource",
        "contained.meta.security.empty()",
        "If a resource is contained in another resource, it SHALL NOT have a security label",
    ),
    Invariant(
        "ext-1",
        "error",
        _ALL,
        "%resource.descendants().extension",
        "extension.exists() != value.exists()",
        "Must have either extensions or value[x], not both",
    ),
    Invariant(
        "ref-1",
        "error",
        _ALL,
        "%resource.descendants().where(reference.exists())",
        "reference.startsWith('#').not() or (reference.substring(1) in %resource.contained.id)",
        "SHALL have a contained resource if a local reference is provided",
    ),
    Invariant(
        "rqg-1",
        "error",
        ("RequestGroup",),
        "RequestGroup.repeat(action)",
        "resource.exists() != action.exists()",
        "Must have resource or action but not both",
    ),
    Invariant(
        "cnl-0",
        "warning",
        _NAMED,
        "%resource",
        "name.exists() implies name.matches('[A-Z]([A-Za-z0-9_]){0,254}')",
        "Name should be usable as an identifier for the module by machine processing "
        "applications such as code generation",
    ),
    Invariant(
        "que-1",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "(type='group' implies item.empty().not()) and (type='display' implies item.empty())",
        "Group items must have nested items, display items cannot have nested items",
    ),
    Invariant(
        "que-2",
        "error",
        ("Questionnaire",),
        "Questionnaire",
        "descendants().linkId.isDistinct()",
        "The link ids for groups and questions must be unique within the questionnaire",
    ),
    Invariant(
        "que-3",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "type!='display' or code.empty()",
        "Display items cannot have a 'code' asserted",
    ),
    Invariant(
        "que-4",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "answerOption.empty() or initial.empty()",
        "A question cannot have both answerOption and initial[x]",
    ),
    Invariant(
        "que-5",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "(type ='choice' or type = 'open-choice' or type.empty()) or "
        "(answerValueSet.empty() and answerOption.empty())",
        "Only 'choice' and 'open-choice' items can have answerValueSet",
    ),
    Invariant(
        "que-6",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "type!='display' or (required.empty() and repeats.empty())",
        "Required and repeat aren't permitted for display items",
    ),
    Invariant(
        "que-7",
        "error",
        ("Questionnaire",),
        f"{_ITEMS}.enableWhen",
        "operator = 'exists' implies (answer is Boolean)",
        "If the operator is 'exists', the value must be a boolean",
    ),
    Invariant(
        "que-8",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "(type!='group' and type!='display') or initial.empty()",
        "Initial values can't be specified for groups or display items",
    ),
    Invariant(
        "que-9",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "type!='display' or readOnly.empty()",
        'Read-only can\'t be specified for "display" items',
    ),
    Invariant(
        "que-10",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "(type in ('boolean' | 'decimal' | 'integer' | 'string' | 'text' | 'url' | "
        "'open-choice')) or maxLength.empty()",
        "Maximum length can only be declared for simple question types",
    ),
    Invariant(
        "que-11",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "answerOption.empty() or answerValueSet.empty()",
        "If one or more answerOption is present, answerValueSet cannot be present",
    ),
    Invariant(
        "que-12",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "enableWhen.count() > 1 implies enableBehavior.exists()",
        "If there are more than one enableWhen, enableBehavior must be specified",
    ),
    Invariant(
        "que-13",
        "error",
        ("Questionnaire",),
        _ITEMS,
        "repeats=true or initial.count() <= 1",
        "Can only have multiple initial values for repeating items",
    ),
    Invariant(
        "qrs-1",
        "error",
        ("QuestionnaireResponse",),
        "QuestionnaireResponse.repeat(item)",
        "(answer.exists() and item.exists()).not()",
        "Nested item can't be beneath both item and answer",
    ),
    Invariant(
        "csd-1",
        "error",
        ("CodeSystem",),
        "CodeSystem",
        "concept.code.combine($this.descendants().concept.code).isDistinct()",
        "Within a code system definition, all the codes SHALL be unique",
    ),
    Invariant(
        "bdl-1",
        "error",
        ("Bundle",),
        "Bundle",
        "total.empty() or (type = 'searchset') or (type = 'history')",
        "total only when a search or history",
    ),
    Invariant(
        "bdl-2",
        "error",
        ("Bundle",),
        "Bundle",
        "entry.search.empty() or (type = 'searchset')",
        "entry.search only when a search",
    ),
    Invariant(
        "bdl-5",
        "error",
        ("Bundle",),
        "Bundle.entry",
        "resource.exists() or request.exists() or response.exists()",
        "must be a resource unless there's a request or response",
    ),
    Invariant(
        "bdl-7",
        "error",
        ("Bundle",),
        "Bundle",
        "(type = 'history') or "
        "entry.where(fullUrl.exists()).select(fullUrl & resource.meta.versionId).isDistinct()",
        "FullUrl must be unique in a bundle, or else entries with the same fullUrl must have "
        "different meta.versionId (except in history bundles)",
    ),
    Invariant(
        "bdl-8",
        "error",
        ("Bundle",),
        "Bundle.entry",
        "fullUrl.contains('/_history/').not()",
        "fullUrl cannot be a version specific reference",
    ),
)
"""The R4 invariants checked (key, severity, where, FHIRPath, the specification's words)."""


@cache
def _engine() -> tuple[Any, Any]:
    # fhirpathpy comes with the service extra: python -m pip install 'pht-rules[service]'
    from fhirpathpy import compile as fhirpath_compile
    from fhirpathpy.models import models

    return fhirpath_compile, models["r4"]


@cache
def _compiled(invariant: Invariant) -> Any:
    fhirpath_compile, model = _engine()
    path = f"({invariant.context}).where(({invariant.expression}).not()).count()"
    return fhirpath_compile(path, model)


def check_invariants(resource: Mapping[str, Any], *, warnings: bool = False) -> list[FhirProblem]:
    """The invariants ``resource`` (JSON data) breaks: one problem per invariant, with a count.

    Only ``error`` invariants, unless ``warnings``. Contained resources are checked as well.
    """
    problems: list[FhirProblem] = []
    for res in [resource, *(c for c in resource.get("contained") or () if isinstance(c, Mapping))]:
        kind = str(res.get("resourceType"))
        for inv in INVARIANTS:
            if inv.resource_types and kind not in inv.resource_types:
                continue
            if inv.severity != "error" and not warnings:
                continue
            result = _compiled(inv)(dict(res), {"resource": res, "rootResource": resource})
            failed = int(result[0]) if result else 0
            if failed:
                where = f"{kind}/{res.get('id', '')}".rstrip("/")
                problems.append(
                    FhirProblem(
                        f"{where}: invariant {inv.key} fails on {failed} element(s): {inv.human}",
                        None,
                        inv.context.replace("%resource", kind),
                        "invariant",
                    )
                )
    return problems
