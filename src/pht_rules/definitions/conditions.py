# SPDX-License-Identifier: MIT
"""Rule conditions as data, and their meaning.

A condition is a tree of :class:`AllOf`, :class:`AnyOf`, :class:`Not`, :class:`Compare` and
:class:`IsUnknown`. Its meaning is three-valued (Kleene logic): a comparison with an unknown field is
:data:`Truth.UNKNOWN`, never false, so a rule fires only when its condition is definitely
:data:`Truth.TRUE`. Only :class:`IsUnknown` looks at unknown-ness itself.

Values are read from a *snapshot*: a mapping from field path to value that holds only the known
fields (an absent path is unknown).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from pht_rules.definitions.text import show_value
from pht_rules.errors import UsageTypeError
from pht_rules.patient.fields import Scalar

__all__ = [
    "NEGATED",
    "OPERATORS",
    "ORDERING_OPERATORS",
    "SET_OPERATORS",
    "AllOf",
    "AnyOf",
    "Compare",
    "Condition",
    "IsUnknown",
    "Not",
    "Operand",
    "Operator",
    "ParamRef",
    "Truth",
    "compare",
    "describe",
    "fields_read",
    "leaves",
    "resolve",
]

Operator = Literal["is", "is_not", "one_of", "none_of", "at_least", "at_most", "above", "below"]

OPERATORS: tuple[Operator, ...] = (
    "is",
    "is_not",
    "one_of",
    "none_of",
    "at_least",
    "at_most",
    "above",
    "below",
)
ORDERING_OPERATORS: frozenset[str] = frozenset({"at_least", "at_most", "above", "below"})
SET_OPERATORS: frozenset[str] = frozenset({"one_of", "none_of"})

# The operator that holds exactly when the key does not (for a known value).
NEGATED: Mapping[Operator, Operator] = {
    "is": "is_not",
    "is_not": "is",
    "one_of": "none_of",
    "none_of": "one_of",
    "at_least": "below",
    "below": "at_least",
    "at_most": "above",
    "above": "at_most",
}


class Truth(enum.Enum):
    """A three-valued truth: unknown is its own value, never folded into false."""

    FALSE = 0
    TRUE = 1
    UNKNOWN = 2


@dataclass(frozen=True, slots=True)
class ParamRef:
    """A reference to a named threshold, resolved against the parameters in force."""

    name: str


Operand = Scalar | tuple[Scalar, ...] | ParamRef


@dataclass(frozen=True, slots=True)
class Compare:
    """``field <op> value``; unknown when the field is unknown."""

    field: str
    op: Operator
    value: Operand


@dataclass(frozen=True, slots=True)
class IsUnknown:
    """True when the field is unknown (``expect=True``) or known (``expect=False``); never unknown."""

    field: str
    expect: bool = True


@dataclass(frozen=True, slots=True)
class AllOf:
    """True when every part is true; false when any part is false; otherwise unknown."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """True when any part is true; false when every part is false; otherwise unknown."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """True when the part is false; false when it is true; unknown stays unknown."""

    part: Condition


Condition = Compare | IsUnknown | AllOf | AnyOf | Not


def leaves(cond: Condition) -> Iterator[Compare | IsUnknown]:
    """Every leaf test of ``cond``, depth first, in written order."""
    if isinstance(cond, Compare | IsUnknown):
        yield cond
    elif isinstance(cond, Not):
        yield from leaves(cond.part)
    else:
        for part in cond.parts:
            yield from leaves(part)


def fields_read(cond: Condition) -> tuple[str, ...]:
    """The distinct field paths ``cond`` reads, in first-use order."""
    return tuple(dict.fromkeys(leaf.field for leaf in leaves(cond)))


def resolve(cond: Condition, params: Mapping[str, int]) -> Condition:
    """``cond`` with every :class:`ParamRef` replaced by its value in ``params``."""
    if isinstance(cond, Compare):
        if isinstance(cond.value, ParamRef):
            return Compare(cond.field, cond.op, params[cond.value.name])
        return cond
    if isinstance(cond, IsUnknown):
        return cond
    if isinstance(cond, Not):
        return Not(resolve(cond.part, params))
    parts = tuple(resolve(p, params) for p in cond.parts)
    return AllOf(parts) if isinstance(cond, AllOf) else AnyOf(parts)


def compare(op: Operator, value: Scalar, key: Operand) -> bool:
    """Apply ``op`` to a known ``value`` and a resolved ``key`` (no :class:`ParamRef` left)."""
    if op == "is":
        return value == key
    if op == "is_not":
        return value != key
    if isinstance(key, tuple):
        return (value in key) if op == "one_of" else (value not in key)
    if isinstance(key, str | ParamRef) or isinstance(value, str):
        raise UsageTypeError(f"operator {op!r} needs numbers, got {value!r} and {key!r}")
    if op == "at_least":
        return value >= key
    if op == "at_most":
        return value <= key
    if op == "above":
        return value > key
    return value < key


def describe(leaf: Compare | IsUnknown) -> str:
    """A short readable form of one test, e.g. ``at least 30`` or ``is unknown``."""
    if isinstance(leaf, IsUnknown):
        return "is unknown" if leaf.expect else "is known"
    value = leaf.value
    if isinstance(value, ParamRef):
        shown = "{" + value.name + "}"
    elif isinstance(value, tuple):
        shown = "[" + ", ".join(show_value(v) for v in value) + "]"
    else:
        shown = show_value(value)
    return f"{leaf.op.replace('_', ' ')} {shown}"
