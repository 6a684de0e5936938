# SPDX-License-Identifier: MIT
"""Rule conditions compiled once to Python code: the engine for Python versions where
durable-rules cannot load, and the fast path for outcomes-only and population work.

Each stage becomes one generated function that reads every field its rules use once and tests each
rule with a plain boolean expression. Three-valued logic is compiled away the way the durable
compiler does it: negation is pushed down to the leaves (``Not`` of a test becomes the opposite
test), and a comparison holds only on a known value, so a rule fires exactly when the reference
interpreter says its condition is TRUE. The generated source is built from the resolved conditions
only: field paths and values are written with ``repr`` and checked to be plain scalars first, so
nothing from a rule file is ever executed as code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pht_rules.definitions.conditions import (
    NEGATED,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
)
from pht_rules.definitions.ruleset import ResolvedRuleSet
from pht_rules.errors import EvaluationError, UsageTypeError
from pht_rules.patient.fields import Snapshot

__all__ = ["Blocking", "CompiledEngine", "StageMatcher", "compile_blocking", "compile_stage"]

StageMatcher = Callable[[Snapshot], list[str]]
Blocking = Callable[[Snapshot], tuple[str, ...]]

_ORDER = {"at_least": ">=", "at_most": "<=", "above": ">", "below": "<"}


def _literal(value: object) -> str:
    """The Python literal of a rule operand (a scalar or a tuple of scalars)."""
    if isinstance(value, tuple):
        return "(" + "".join(_literal(v) + ", " for v in value) + ")"
    if isinstance(value, bool | int | str):
        return repr(value)
    raise UsageTypeError(f"unresolved or unsupported operand {value!r}")


class _Source:
    """Names one local variable per field read (``_v0``, ``_v1``, ...) while expressions are built."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def var(self, path: str) -> str:
        if not isinstance(path, str):
            raise UsageTypeError(f"field path must be text, got {path!r}")
        return self.fields.setdefault(path, f"_v{len(self.fields)}")

    def expr(self, cond: Condition, want: bool = True) -> str:
        """An expression that is true exactly when ``cond`` is TRUE (``want``) or FALSE."""
        if isinstance(cond, Compare):
            v = self.var(cond.field)
            op = cond.op if want else NEGATED[cond.op]
            key = _literal(cond.value)
            if op == "is":  # a known value never equals None; None == key is False
                return f"({v} == {key})"
            if op == "one_of":
                return f"({v} in {key})"
            if op == "is_not":
                return f"({v} is not None and {v} != {key})"
            if op == "none_of":
                return f"({v} is not None and {v} not in {key})"
            return f"({v} is not None and {v} {_ORDER[op]} {key})"
        if isinstance(cond, IsUnknown):
            # As in the interpreter: unknown means absent from the snapshot.
            absent = cond.expect == want
            return f"({_literal(cond.field)} {'not in' if absent else 'in'} _s)"
        if isinstance(cond, Not):
            return self.expr(cond.part, not want)
        parts = [self.expr(p, want) for p in cond.parts]
        conjunctive = isinstance(cond, AllOf) == want  # De Morgan: FALSE(all) = any part FALSE
        if not parts:
            return "True" if conjunctive else "False"
        return "(" + (" and " if conjunctive else " or ").join(parts) + ")"

    def blocking(self, cond: Condition, out: list[str], depth: int) -> None:
        """Statements appending the unknown fields that keep ``cond`` UNKNOWN, in the order
        :func:`~pht_rules.interpreter.explain` lists them; only reached when ``cond`` is UNKNOWN."""
        pad = "    " * depth
        if isinstance(cond, Compare):
            out.append(f"{pad}_out.append({_literal(cond.field)})")
        elif isinstance(cond, Not):
            self.blocking(cond.part, out, depth)
        elif isinstance(cond, AllOf | AnyOf):
            # An UNKNOWN AllOf has no FALSE part, so a part that is not TRUE is UNKNOWN; an
            # UNKNOWN AnyOf has no TRUE part, so a part that is not FALSE is UNKNOWN.
            want = isinstance(cond, AllOf)
            for part in cond.parts:
                if isinstance(part, IsUnknown):
                    continue  # never UNKNOWN
                out.append(f"{pad}if not {self.expr(part, want)}:")
                size = len(out)
                self.blocking(part, out, depth + 1)
                if len(out) == size:  # a part that cannot be UNKNOWN (e.g. "not unknown")
                    out.append(f"{pad}    pass")
        # IsUnknown is never UNKNOWN: nothing to add


def compile_blocking(cond: Condition) -> Blocking:
    """One function giving the unknown fields that keep a resolved ``cond`` UNKNOWN over a
    snapshot (``()`` when it is TRUE or FALSE), as
    :func:`~pht_rules.interpreter.undecided_fields` does."""
    src = _Source()
    decided = f"{src.expr(cond, True)} or {src.expr(cond, False)}"
    body: list[str] = []
    src.blocking(cond, body, 1)
    lines = ["def _blocking(_s):", "    _g = _s.get"]
    lines += [f"    {name} = _g({_literal(path)})" for path, name in src.fields.items()]
    lines.append(f"    if {decided}:")
    lines.append("        return ()")
    lines.append("    _out = []")
    lines += body
    lines.append("    return tuple(dict.fromkeys(_out))")
    namespace: dict[str, object] = {}
    exec(compile("\n".join(lines), "<pht_rules compiled blocking>", "exec"), namespace)
    blocking: Blocking = namespace["_blocking"]  # type: ignore[assignment]  # exec output
    return blocking


def compile_stage(rules: Sequence[tuple[str, Condition]]) -> StageMatcher:
    """One function returning, in order, the ids of ``rules`` whose resolved condition is TRUE."""
    src = _Source()
    tests = [(rule_id, src.expr(cond)) for rule_id, cond in rules]
    for cond in (c for _, c in rules):
        if not isinstance(cond, AllOf | AnyOf | Not | Compare | IsUnknown):
            raise UsageTypeError(f"not a condition: {cond!r}")
    lines = ["def _match(_s):", "    _g = _s.get"]
    lines += [f"    {name} = _g({_literal(path)})" for path, name in src.fields.items()]
    lines.append("    _out = []")
    for rule_id, test in tests:
        lines.append(f"    if {test}:")
        lines.append(f"        _out.append({_literal(rule_id)})")
    lines.append("    return _out")
    namespace: dict[str, object] = {}
    exec(compile("\n".join(lines), "<pht_rules compiled stage>", "exec"), namespace)
    matcher: StageMatcher = namespace["_match"]  # type: ignore[assignment]  # exec output
    return matcher


class CompiledEngine:
    """The rule conditions compiled to Python once, at construction; thread-safe (no state)."""

    def __init__(self, resolved: ResolvedRuleSet) -> None:
        stages: dict[int, list[tuple[str, Condition]]] = {}
        for decision in resolved.ruleset.decisions:
            bucket = stages.setdefault(decision.stage, [])
            bucket.extend((r.id, resolved.conditions[r.id]) for r in decision.rules)
        self._stages = {stage: compile_stage(rules) for stage, rules in stages.items()}
        self._closed = False

    def matches(self, stage: int, snapshot: Snapshot) -> Sequence[str]:
        if self._closed:
            raise EvaluationError("this engine has been closed")
        matcher = self._stages.get(stage)
        return [] if matcher is None else matcher(snapshot)

    def close(self) -> None:
        self._closed = True
