# SPDX-License-Identifier: MIT
"""Rule definitions -> a durable-rules ruleset definition (plain JSON-able data).

Three-valued conditions compile to durable's two-valued tests by pushing negation down to the
leaves: a rule fires exactly when its condition is TRUE. A comparison is TRUE only on a present
field (durable never matches a missing field except with ``$nex``), which is how *unknown* stays
out of every comparison. Every rule starts with a positive test on ``stage`` (a field every fact
has), as durable requires, and every multi-part test is wrapped in ``$and``/``$or`` because a
condition object with two keys silently tests only the first.
"""

from __future__ import annotations

from typing import Any

from pht_rules.definitions.conditions import (
    NEGATED,
    AllOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
)
from pht_rules.definitions.ruleset import ResolvedRuleSet

__all__ = ["STAGE_KEY", "compile_condition", "compile_ruleset", "fact_key"]

STAGE_KEY = "stage"
_DURABLE_OP = {
    "is_not": "$neq",
    "at_least": "$gte",
    "at_most": "$lte",
    "above": "$gt",
    "below": "$lt",
}


def fact_key(path: str) -> str:
    """The flat fact property for a field path (durable reads dots as nesting)."""
    return path.replace(".", "__")


def _leaf(path: str, op: str, value: Any) -> dict[str, Any]:
    key = fact_key(path)
    if op == "is":
        return {"$and": [{key: value}]}
    if op == "one_of":
        return {"$or": [{key: v} for v in value]}
    if op == "none_of":
        return {"$and": [{"$neq": {key: v}} for v in value]}
    return {_DURABLE_OP[op]: {key: value}}


def compile_condition(cond: Condition, want: bool = True) -> dict[str, Any]:
    """The durable test that holds exactly when ``cond`` is TRUE (``want``) or FALSE (not ``want``).

    ``cond`` must be resolved (no parameter references).
    """
    if isinstance(cond, Compare):
        op = cond.op if want else NEGATED[cond.op]
        return _leaf(cond.field, op, cond.value)
    if isinstance(cond, IsUnknown):
        absent = cond.expect == want
        return {("$nex" if absent else "$ex"): {fact_key(cond.field): 1}}
    if isinstance(cond, Not):
        return compile_condition(cond.part, not want)
    parts = [compile_condition(p, want) for p in cond.parts]
    conjunctive = isinstance(cond, AllOf) == want  # De Morgan: FALSE(all) = any part FALSE
    return {"$and" if conjunctive else "$or": parts}


def compile_ruleset(resolved: ResolvedRuleSet) -> dict[str, Any]:
    """The durable-rules ruleset for a rule set under its resolved parameter values."""
    out: dict[str, Any] = {}
    for decision in resolved.ruleset.decisions:
        for rule in decision.rules:
            test = compile_condition(resolved.conditions[rule.id])
            out[rule.id] = {
                "all": [{"m": {"$and": [{STAGE_KEY: decision.stage}, test]}}],
            }
    return out
