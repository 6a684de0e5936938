# SPDX-License-Identifier: MIT
"""The parameters of a rule directory: values, ranges, provenance and constraints."""

from __future__ import annotations

import re
from typing import Any, cast

from pht_rules.definitions.catalogue import Catalogue
from pht_rules.definitions.ruleset import Parameter
from pht_rules.loading._catalogue import _cites
from pht_rules.loading._yaml import (
    PARAMETERS,
    _check_keys,
    _mapping,
    _Problems,
    _text,
)

__all__: list[str] = []

_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


_PROVENANCES = ("article", "literature", "assumption")


_CONSTRAINT = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(<=|<)\s*([a-z][a-z0-9_]*)\s*$")


def _parameters(
    doc: Any, catalogue: Catalogue, problems: _Problems
) -> tuple[tuple[Parameter, ...], tuple[tuple[str, str, str], ...]]:
    node = _mapping(doc, PARAMETERS, problems, "the parameter file")
    _check_keys(node, ("parameters", "constraints"), ("parameters",), PARAMETERS, problems)
    items = node.get("parameters", [])
    out: list[Parameter] = []
    seen: set[str] = set()
    allowed = (
        "name",
        "value",
        "unit",
        "minimum",
        "maximum",
        "provenance",
        "sources",
        "description",
    )
    for item in items if isinstance(items, list) else []:
        item = _mapping(item, PARAMETERS, problems, "a parameter")
        _check_keys(item, allowed, allowed, PARAMETERS, problems)
        name = item.get("name")
        if not isinstance(name, str) or not _PARAM_NAME.match(name):
            problems.add(PARAMETERS, f"parameter name {name!r} must be snake_case", at=item)
            continue
        if name in seen:
            problems.add(PARAMETERS, f"duplicate parameter '{name}'", at=item)
            continue
        seen.add(name)
        nums = [item.get(k) for k in ("value", "minimum", "maximum")]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in nums):
            problems.add(
                PARAMETERS,
                f"parameter '{name}': value, minimum and maximum must be whole numbers",
                at=item,
            )
            continue
        value, lo, hi = cast(list[int], nums)
        if not lo <= value <= hi:
            problems.add(
                PARAMETERS,
                f"parameter '{name}': value {value} is outside its own range {lo}..{hi}",
                at=item,
            )
        provenance = item.get("provenance")
        if provenance not in _PROVENANCES:
            problems.add(
                PARAMETERS,
                f"parameter '{name}': provenance must be one of {', '.join(_PROVENANCES)}",
                at=item,
            )
            continue
        sources = _cites(item.get("sources"), catalogue, PARAMETERS, problems, item, None)
        out.append(
            Parameter(
                name=name,
                value=value,
                unit=str(item.get("unit", "")),
                minimum=lo,
                maximum=hi,
                provenance=provenance,
                sources=sources,
                description=_text(item.get("description", "")),
            )
        )
    constraints: list[tuple[str, str, str]] = []
    raw_constraints = node.get("constraints", [])
    for raw in raw_constraints if isinstance(raw_constraints, list) else [raw_constraints]:
        match = _CONSTRAINT.match(str(raw))
        if match is None or match.group(1) not in seen or match.group(3) not in seen:
            problems.add(
                PARAMETERS,
                f"constraint {raw!r} must read '<parameter> <= <parameter>' "
                "(or <) with known parameters",
                at=node,
            )
            continue
        low, op, high = match.group(1), match.group(2), match.group(3)
        constraints.append((low, op, high))
        defaults = {p.name: p.value for p in out}
        if low in defaults and high in defaults:
            a, b = defaults[low], defaults[high]
            if not (a < b if op == "<" else a <= b):
                problems.add(
                    PARAMETERS,
                    f"the defaults break the constraint '{low} {op} {high}' ({a} vs {b})",
                    at=node,
                )
    return tuple(out), tuple(constraints)
