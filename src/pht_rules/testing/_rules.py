# SPDX-License-Identifier: MIT
"""Shared plumbing of the testing kit: which rules and thresholds an option names, and evaluators.

Nothing here imports hypothesis, so the pytest plugin can use it at no cost.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from pht_rules.definitions.ruleset import Profile, RuleSet
from pht_rules.engine.interface import EngineName
from pht_rules.evaluation.evaluator import Evaluator

__all__ = [
    "ProfileLike",
    "Shown",
    "T",
    "bundled",
    "evaluator",
    "options",
    "overrides_of",
    "params_of",
    "rules_of",
    "show_profile",
    "show_rules",
    "unwrap",
]

T = TypeVar("T")

ProfileLike = Profile | Mapping[str, int] | None
"""A profile as the kit accepts it: a :class:`~pht_rules.Profile`, plain overrides, or ``None``."""


def bundled() -> RuleSet:
    """The bundled rule set, loaded once."""
    from pht_rules.loading import bundled_ruleset

    return bundled_ruleset()


def rules_of(ruleset: RuleSet | None) -> RuleSet:
    """``ruleset``, or the bundled rules when it is ``None``."""
    return ruleset if ruleset is not None else bundled()


def overrides_of(profile: ProfileLike) -> dict[str, int]:
    """The parameter overrides of ``profile`` as a plain dict."""
    if profile is None:
        return {}
    if isinstance(profile, Profile):
        return dict(profile.overrides)
    return dict(profile)


def params_of(ruleset: RuleSet | None, profile: ProfileLike) -> dict[str, int]:
    """The thresholds in force for ``ruleset`` (default: bundled) under ``profile`` (validated)."""
    return rules_of(ruleset).parameter_values(overrides_of(profile))


class Shown(Generic[T]):
    """An option value with a short ``repr``, so that a strategy's repr stays readable."""

    __slots__ = ("text", "value")

    def __init__(self, value: T, text: str) -> None:
        self.value = value
        self.text = text

    def __repr__(self) -> str:
        return self.text


def show_rules(ruleset: RuleSet) -> Shown[RuleSet]:
    """``ruleset`` with a one-line repr."""
    return Shown(ruleset, f"<RuleSet {ruleset.name} {ruleset.version} {ruleset.fingerprint}>")


def show_profile(profile: ProfileLike) -> Shown[dict[str, int]]:
    """The overrides of ``profile`` with a repr that shows them."""
    overrides = overrides_of(profile)
    return Shown(overrides, repr(overrides))


def options(**given: Any) -> dict[str, Any]:
    """The options that were set (not ``None``), rule sets and profiles given a short repr; for
    building strategies whose repr shows exactly how they were built."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if isinstance(value, RuleSet):
            value = show_rules(value)
        elif name == "profile":
            value = show_profile(value)
        out[name] = value
    return out


def unwrap(value: Any) -> Any:
    """The value behind a :class:`Shown` (anything else is returned as is)."""
    return value.value if isinstance(value, Shown) else value


_LOCK = threading.Lock()
_EVALUATORS: OrderedDict[tuple[Any, ...], Evaluator] = OrderedDict()
_EVALUATOR_LIMIT = 32  # compiled evaluators kept; the least recently used is closed beyond this


def evaluator(
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
    engine: EngineName = "durable",
) -> Evaluator:
    """A shared, compiled evaluator for (rule set, profile, engine), built on first use.

    At most a few dozen are kept; the least recently used is closed when the limit is reached, so
    property tests over many generated profiles use bounded memory. Callers must not close it.
    """
    rules = rules_of(ruleset)
    overrides = overrides_of(profile)
    key = (id(rules), tuple(sorted(overrides.items())), engine)
    with _LOCK:
        ev = _EVALUATORS.get(key)
        if ev is not None and ev.ruleset is rules:
            _EVALUATORS.move_to_end(key)
            return ev
        ev = Evaluator(rules, profile=Profile(overrides), engine=engine)
        _EVALUATORS[key] = ev
        while len(_EVALUATORS) > _EVALUATOR_LIMIT:
            _, old = _EVALUATORS.popitem(last=False)
            old.close()
        return ev
