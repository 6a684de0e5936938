# SPDX-License-Identifier: MIT
"""Reading rule text: YAML whose mappings remember their lines, and the problem list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import yaml

from pht_rules.definitions.ruleset import HitPolicy
from pht_rules.errors import RuleProblem, closest
from pht_rules.patient.fields import FieldSpec

__all__ = ["CATALOGUE", "MANIFEST", "PARAMETERS"]


class _LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line it starts on."""

    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember their line numbers."""


def _construct_line_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(cast(dict[str, Any], loader.construct_mapping(node, deep=True)))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_line_mapping)


def _line(obj: object) -> int | None:
    return obj.line if isinstance(obj, _LineDict) else None


class _Problems:
    """Collects problems so that one load reports all of them."""

    def __init__(self) -> None:
        self.items: list[RuleProblem] = []

    def add(
        self,
        resource: str,
        message: str,
        *,
        at: object = None,
        rule_id: str | None = None,
        field_path: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.items.append(
            RuleProblem(resource, message, _line(at), rule_id, field_path, suggestion)
        )


def _parse(name: str, text: str, problems: _Problems) -> Any:
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        column = f" (column {mark.column + 1})" if mark is not None else ""
        problems.items.append(RuleProblem(name, f"is not valid YAML: {what}{column}", line))
        return None


def _mapping(doc: Any, resource: str, problems: _Problems, what: str) -> Mapping[str, Any]:
    if not isinstance(doc, dict):
        problems.add(resource, f"{what} must be a mapping, got {type(doc).__name__}", at=doc)
        return {}
    return cast(Mapping[str, Any], doc)


def _check_keys(
    node: Mapping[str, Any],
    allowed: Iterable[str],
    required: Iterable[str],
    resource: str,
    problems: _Problems,
    *,
    rule_id: str | None = None,
    what: str = "",
) -> None:
    allowed = tuple(allowed)
    for key in node:
        if key not in allowed:
            problems.add(
                resource,
                f"unknown key '{key}'{what}",
                at=node,
                suggestion=closest(str(key), allowed),
                rule_id=rule_id,
            )
    for key in required:
        if key not in node:
            problems.add(resource, f"missing key '{key}'{what}", at=node, rule_id=rule_id)


def _text(value: Any) -> str:
    return " ".join(str(value).split())


MANIFEST, PARAMETERS, CATALOGUE = "ruleset.yaml", "parameters.yaml", "catalogue.yaml"


_HIT_POLICIES: tuple[HitPolicy, ...] = ("unique", "first", "collect")


_EVIDENCE_STATUS = ("literature", "secondary", "not-verified")


class _RuleContext:
    def __init__(
        self,
        resource: str,
        decision_id: str,
        base_fields: Mapping[str, FieldSpec],
        decision_fields: Mapping[str, FieldSpec],
        param_sources: Mapping[str, tuple[str, ...]],
        problems: _Problems,
    ) -> None:
        self.resource = resource
        self.decision_id = decision_id
        self.fields = {
            **base_fields,
            **{k: v for k, v in decision_fields.items() if k != f"decision.{decision_id}"},
        }
        self.params = set(param_sources)
        self.param_sources = param_sources
        self.used_params: dict[str, None] = {}  # parameters the current rule uses
        self.problems = problems
        self.rule_id: str | None = None

    def add(
        self,
        message: str,
        at: object,
        field_path: str | None = None,
        *,
        suggestion: str | None = None,
    ) -> None:
        self.problems.add(
            self.resource,
            message,
            at=at,
            rule_id=self.rule_id,
            field_path=field_path,
            suggestion=suggestion,
        )
