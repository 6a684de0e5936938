# SPDX-License-Identifier: MIT
"""The reference interpreter of rule conditions, independent of any rule engine.

It gives a condition's three-valued truth over a snapshot, the leaf tests that make it true (the
evidence shown to a clinician), and the unknown fields that keep it undecided (the questions to
ask). The same code serves evaluation, verification, property tests and differential checks
against the compiled engine.
"""

from __future__ import annotations

from pht_rules.definitions.conditions import (
    AllOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
    Truth,
    compare,
)
from pht_rules.patient.fields import Snapshot

__all__ = ["explain", "truth", "undecided_fields", "witness"]


_T, _F, _U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def truth(cond: Condition, snapshot: Snapshot) -> Truth:
    """The Kleene truth of a resolved ``cond`` (no parameter references) over ``snapshot``."""
    if isinstance(cond, Compare):
        value = snapshot.get(cond.field)
        if value is None:
            return _U
        return _T if compare(cond.op, value, cond.value) else _F
    if isinstance(cond, IsUnknown):
        return _T if (cond.field not in snapshot) == cond.expect else _F
    if isinstance(cond, Not):
        inner = truth(cond.part, snapshot)
        return _U if inner is _U else (_F if inner is _T else _T)
    if isinstance(cond, AllOf):
        result = _T
        for part in cond.parts:
            t = truth(part, snapshot)
            if t is _F:
                return _F
            if t is _U:
                result = _U
        return result
    result = _F
    for part in cond.parts:
        t = truth(part, snapshot)
        if t is _T:
            return _T
        if t is _U:
            result = _U
    return result


def explain(cond: Condition, snapshot: Snapshot) -> tuple[Truth, tuple[Compare | IsUnknown, ...]]:
    """The truth of ``cond`` and the leaf tests behind it, in one pass.

    TRUE: the leaves that make it true (every part of an ``AllOf``, each true branch of an
    ``AnyOf``). FALSE: the leaves that make it false. UNKNOWN: the leaves whose field is unknown
    and keeps it undecided.
    """
    t, found = _explain(cond, snapshot)
    return t, tuple(found)


def _explain(cond: Condition, snapshot: Snapshot) -> tuple[Truth, list[Compare | IsUnknown]]:
    if isinstance(cond, Compare):
        value = snapshot.get(cond.field)
        if value is None:
            return _U, [cond]
        return (_T if compare(cond.op, value, cond.value) else _F), [cond]
    if isinstance(cond, IsUnknown):
        return (_T if (cond.field not in snapshot) == cond.expect else _F), [cond]
    if isinstance(cond, Not):
        inner, found = _explain(cond.part, snapshot)
        return (_U if inner is _U else (_F if inner is _T else _T)), found
    parts = [_explain(part, snapshot) for part in cond.parts]
    # AllOf: one FALSE part decides; AnyOf: one TRUE part decides.
    decisive = _F if isinstance(cond, AllOf) else _T
    other = _T if decisive is _F else _F
    for wanted in (decisive, _U):
        chosen = [leaf for t, found in parts if t is wanted for leaf in found]
        if chosen:
            return wanted, chosen
    return other, [leaf for _, found in parts for leaf in found]


def witness(
    cond: Condition, snapshot: Snapshot, want: Truth = Truth.TRUE
) -> tuple[Compare | IsUnknown, ...]:
    """The leaf tests that make ``cond`` come out as ``want`` (TRUE or FALSE) over ``snapshot``;
    ``()`` when ``cond`` does not have that truth."""
    t, found = explain(cond, snapshot)
    return found if t is want else ()


def undecided_fields(cond: Condition, snapshot: Snapshot) -> tuple[str, ...]:
    """The unknown fields that keep ``cond`` UNKNOWN (``()`` when it is decided)."""
    t, found = explain(cond, snapshot)
    return tuple(dict.fromkeys(leaf.field for leaf in found)) if t is _U else ()
