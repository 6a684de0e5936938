# SPDX-License-Identifier: MIT
"""The reference interpreter of rule conditions, independent of any rule engine.

It gives a condition's three-valued truth over a snapshot, the leaf tests that make it true (the
evidence shown to a clinician), and the unknown fields that keep it undecided (the questions to
ask). The same code serves evaluation, verification, property tests and differential checks
against the compiled engine.
"""

from __future__ import annotations

from collections.abc import Mapping

from pht_rules.conditions import (
    AllOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
    Truth,
    compare,
)
from pht_rules.fields import Scalar

Snapshot = Mapping[str, Scalar]
"""Known field values by path; a path that is absent is unknown."""

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


def witness(
    cond: Condition, snapshot: Snapshot, want: Truth = Truth.TRUE
) -> tuple[Compare | IsUnknown, ...]:
    """The leaf tests that make ``cond`` come out as ``want`` (TRUE or FALSE) over ``snapshot``.

    For a true ``AnyOf`` every true branch is given; for a true ``AllOf`` every part. Returns ``()``
    when ``cond`` does not have the wanted truth.
    """
    if truth(cond, snapshot) is not want:
        return ()
    return tuple(_witness(cond, snapshot, want))


def _witness(cond: Condition, snapshot: Snapshot, want: Truth) -> list[Compare | IsUnknown]:
    if isinstance(cond, Compare | IsUnknown):
        return [cond]
    if isinstance(cond, Not):
        return _witness(cond.part, snapshot, _F if want is _T else _T)
    decisive = (want is _T) == isinstance(cond, AllOf)  # every part counts, else the matching ones
    out: list[Compare | IsUnknown] = []
    for part in cond.parts:
        t = truth(part, snapshot)
        if decisive or t is want:
            out.extend(_witness(part, snapshot, want))
    return out


def undecided_fields(cond: Condition, snapshot: Snapshot) -> tuple[str, ...]:
    """The unknown fields read by the parts of ``cond`` that keep it UNKNOWN (``()`` if decided)."""
    if truth(cond, snapshot) is not _U:
        return ()
    return tuple(dict.fromkeys(_undecided(cond, snapshot)))


def _undecided(cond: Condition, snapshot: Snapshot) -> list[str]:
    if isinstance(cond, Compare):
        return [cond.field] if cond.field not in snapshot else []
    if isinstance(cond, IsUnknown):
        return []
    if isinstance(cond, Not):
        return _undecided(cond.part, snapshot)
    out: list[str] = []
    for part in cond.parts:
        if truth(part, snapshot) is _U:
            out.extend(_undecided(part, snapshot))
    return out
