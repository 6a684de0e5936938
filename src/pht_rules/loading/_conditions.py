# SPDX-License-Identifier: MIT
"""Rule conditions: the condition tree, its leaves, operators and compared values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from pht_rules.definitions.conditions import (
    OPERATORS,
    ORDERING_OPERATORS,
    SET_OPERATORS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
    Operator,
    ParamRef,
)
from pht_rules.errors import closest
from pht_rules.loading._yaml import _LineDict, _RuleContext
from pht_rules.patient.fields import UNDETERMINED, FieldSpec

__all__: list[str] = []

_LEAF_KEYS = ("field", "unknown", *OPERATORS)


def _condition(raw: Any, ctx: _RuleContext, parent: object) -> Condition | None:
    if not isinstance(raw, dict) or len(raw) == 0:
        ctx.add("a condition must be a mapping with 'all', 'any', 'not' or 'field'", parent)
        return None
    at = raw if isinstance(raw, _LineDict) else parent
    groups = [k for k in ("all", "any", "not") if k in raw]
    if groups:
        if len(raw) != 1:
            ctx.add(
                f"'{groups[0]}' must stand alone in its condition; found also "
                f"{', '.join(repr(k) for k in raw if k != groups[0])}",
                at,
            )
            return None
        key = groups[0]
        if key == "not":
            part = _condition(raw["not"], ctx, at)
            return None if part is None else Not(part)
        items = raw[key]
        if not isinstance(items, list) or not items:
            ctx.add(f"'{key}' must be a non-empty list of conditions", at)
            return None
        parts = [_condition(item, ctx, at) for item in items]
        if any(p is None for p in parts):
            return None
        done = tuple(p for p in parts if p is not None)
        return AllOf(done) if key == "all" else AnyOf(done)
    return _leaf(raw, ctx, at)


def _leaf(raw: Mapping[str, Any], ctx: _RuleContext, at: object) -> Condition | None:
    for key in raw:
        if key not in _LEAF_KEYS:
            ctx.add(f"unknown operator '{key}'", at, suggestion=closest(str(key), _LEAF_KEYS))
            return None
    path = raw.get("field")
    if not isinstance(path, str):
        ctx.add("a test needs 'field' naming a patient-state field", at)
        return None
    spec = ctx.fields.get(path)
    if spec is None:
        if path == f"decision.{ctx.decision_id}":
            ctx.add(f"a decision cannot read its own outcome ('{path}')", at, path)
        elif path.startswith("decision."):
            ctx.add(
                f"unknown field '{path}' (no such decision, or a 'collect' decision, whose "
                "outcome cannot be read)",
                at,
                path,
            )
        else:
            ctx.add(f"unknown field '{path}'", at, path, suggestion=closest(path, ctx.fields))
        return None
    ops = [k for k in raw if k != "field"]
    if len(ops) != 1:
        ctx.add(
            f"a test on '{path}' needs exactly one operator, found "
            f"{', '.join(ops) if ops else 'none'}; combine tests with 'all'",
            at,
            path,
        )
        return None
    op = ops[0]
    value = raw[op]
    if op == "unknown":
        if not isinstance(value, bool):
            ctx.add(f"'unknown' on '{path}' takes true or false", at, path)
            return None
        return IsUnknown(path, value)
    return _compare(path, spec, cast(Operator, op), value, ctx, at)


def _compare(
    path: str, spec: FieldSpec, op: Operator, value: Any, ctx: _RuleContext, at: object
) -> Condition | None:
    if op in ORDERING_OPERATORS and spec.kind != "int":
        ctx.add(f"operator '{op}' needs a numeric field; '{path}' is {spec.kind}", at, path)
        return None
    if op in SET_OPERATORS:
        if not isinstance(value, list) or not value:
            ctx.add(f"'{op}' on '{path}' takes a non-empty list", at, path)
            return None
        checked = [_value(path, spec, v, ctx, at) for v in value]
        if any(v is None for v in checked):
            return None
        return Compare(path, op, tuple(v for v in checked if v is not None))
    if isinstance(value, dict):
        if set(value) != {"param"} or not isinstance(value["param"], str):
            ctx.add(f"value for '{path}' must be a constant or {{param: <name>}}", at, path)
            return None
        name = value["param"]
        if name not in ctx.params:
            ctx.add(f"unknown parameter '{name}'", at, path, suggestion=closest(name, ctx.params))
            return None
        if spec.kind != "int":
            ctx.add(f"parameters are numbers; '{path}' is {spec.kind}", at, path)
            return None
        ctx.used_params[name] = None
        return Compare(path, op, ParamRef(name))
    checked_value = _value(path, spec, value, ctx, at)
    return None if checked_value is None else Compare(path, op, checked_value)


def _value(
    path: str, spec: FieldSpec, value: Any, ctx: _RuleContext, at: object
) -> bool | int | str | None:
    if spec.kind == "bool" and not isinstance(value, bool):
        ctx.add(f"'{path}' is yes/no; compare it with true or false, not {value!r}", at, path)
        return None
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.add(f"'{path}' is a whole number; got {value!r}", at, path)
            return None
        if not spec.admits(value):
            ctx.add(
                f"{value} is outside the range of '{path}' ({spec.minimum}..{spec.maximum})",
                at,
                path,
            )
            return None
    if spec.kind == "enum" and (not isinstance(value, str) or value not in spec.values):
        allowed = ", ".join(spec.values)
        extra = (
            " ('undetermined' reads as unknown: use 'unknown: true')"
            if value == UNDETERMINED
            else ""
        )
        ctx.add(f"{value!r} is not a value of '{path}' (one of: {allowed}){extra}", at, path)
        return None
    return cast(bool | int | str, value)
