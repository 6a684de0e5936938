# SPDX-License-Identifier: MIT
"""The records of derived history: a derived value beside the typed one, flare-ups, the trend,
and the history at one visit; and how a derived and a typed value are combined."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pht_rules.episodes.thresholds import WEEKS_TOLERANCE
from pht_rules.errors import UnknownIdError

__all__ = [
    "TREND_MEASURE",
    "Derived",
    "FlareUp",
    "History",
    "Scalar",
    "Trend",
    "TrendDirection",
    "combine",
]

Scalar = bool | int | str
TrendDirection = Literal["improving", "static", "worse", "unknown"]
TREND_MEASURE = "symptoms.pain_during_activity_nrs"


@dataclass(frozen=True, slots=True)
class Derived:
    """One derived value at a visit, the typed value beside it, and what the rules were given.

    ``conflict`` is true when the typed value contradicts the derived one; ``used`` is then
    ``None`` (unknown) so that neither is silently preferred.
    """

    field: str
    value: Scalar | None
    typed: Scalar | None
    used: Scalar | None
    basis: str
    visits: tuple[str, ...]
    conflict: bool


@dataclass(frozen=True, slots=True)
class FlareUp:
    """A visit at which exercise pain went above the ceiling or did not settle by the next day."""

    visit: str
    date: dt.date
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Trend:
    """Activity pain now against baseline, the thresholds used and their provenance."""

    direction: TrendDirection
    measure: str
    baseline_nrs: int | None
    current_nrs: int | None
    basis: str
    provenance: str
    visits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class History:
    """The derived history at one visit."""

    derived: tuple[Derived, ...]
    flare_up: FlareUp | None
    trend: Trend
    running_stopped_on: dt.date | None
    days_since_running_stopped: int | None
    adequate_trial: Derived

    @property
    def conflicts(self) -> tuple[Derived, ...]:
        """Derived values that contradict a typed one."""
        return tuple(d for d in (*self.derived, self.adequate_trial) if d.conflict)

    def get(self, field_path: str) -> Derived:
        """The derived value for ``field_path`` (``UnknownIdError``, a ``KeyError``, if it is not derived)."""
        for d in (*self.derived, self.adequate_trial):
            if d.field == field_path:
                return d
        raise UnknownIdError(field_path)


def combine(
    field_path: str,
    value: Scalar | None,
    typed: Scalar | None,
    basis: str,
    visits: tuple[str, ...],
    *,
    weeks: bool = False,
) -> Derived:
    """A derived value and the typed one: agreeing, the typed is used; disagreeing, the conflict
    is marked and the rules get unknown; nothing derivable, the typed is used and says so."""
    if value is None:
        used = typed
        if typed is not None:
            basis = f"not derivable ({basis}); the typed value is used"
        return Derived(field_path, None, typed, used, basis, visits, False)
    if typed is None:
        return Derived(field_path, value, None, value, basis, visits, False)
    agrees = (
        abs(int(value) - int(typed)) <= WEEKS_TOLERANCE.value
        if weeks and isinstance(value, int) and isinstance(typed, int)
        else value == typed
    )
    if agrees:
        return Derived(field_path, value, typed, typed, basis, visits, False)
    return Derived(field_path, value, typed, None, basis, visits, True)
