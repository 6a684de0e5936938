# SPDX-License-Identifier: MIT
# Over 400 lines: the strategies share the field-by-field construction of a consistent patient.
"""Hypothesis strategies over the whole valid patient-state domain, unknowns included.

States are built to satisfy the model's cross-field rules by construction (no filtering), so
generation is fast and shrinking ends at small, readable patients: every field shrinks towards
*unknown*, so a minimal failing patient lists only the answers that matter.

- :func:`patient_states` / :func:`patient_dicts`: the whole domain.
- :func:`boundary_patient_states`: the same domain, with numbers concentrated on the thresholds
  the loaded rules actually compare them with (see :func:`boundary_values`), so a changed
  threshold, in the rule files or in a profile, moves the search with it.
- :func:`profiles`: valid parameter overrides, keeping every range and every constraint between
  parameters.

Named clinical pictures (irritable, red flag, ...) are in :mod:`pht_rules.testing.pictures`.
Every strategy takes keyword-only options, rejects impossible ones at once (``ValueError``), and
has a repr that shows how it was built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from pht_rules.audit.abstraction import thresholds
from pht_rules.definitions.ruleset import Profile, RuleSet
from pht_rules.errors import UsageError, UsageTypeError
from pht_rules.patient.fields import FieldSpec, input_fields
from pht_rules.patient.model import PatientState
from pht_rules.testing._rules import ProfileLike, options, params_of, rules_of, unwrap

__all__ = [
    "CLEAR_SCREEN",
    "OLDEST_CLEAR_SCREEN_AGE",
    "Draw",
    "adult_ages",
    "boundary_patient_states",
    "boundary_values",
    "check_weight",
    "coin",
    "draw_flat",
    "field_strategies",
    "known_values",
    "make_consistent",
    "maybe_unknown",
    "nest",
    "patient_dicts",
    "patient_states",
    "prepared",
    "profiles",
]

Draw = Callable[[st.SearchStrategy[Any]], Any]

CLEAR_SCREEN: dict[str, Any] = {
    "onset": "gradual",
    "pain_site": "ischial-tuberosity",
    "acute_event_pop_or_bruising": False,
    "neurological_symptoms": False,
    "cauda_equina_symptoms": False,
    "night_pain": False,
    "systemic_symptoms": False,
}
"""A presentation typical of PHT with every red flag answered "no"."""

OLDEST_CLEAR_SCREEN_AGE = 90
"""Clear-screen patients are adults from the adolescent threshold up to this age."""

_SLOTS = 100  # resolution of the unknown and boundary weights (1%)


def check_weight(name: str, value: object) -> float:
    """``value`` if it is a probability, else ``ValueError`` naming the option."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise UsageError(f"{name} must be a number between 0 and 1, got {value!r}")
    return float(value)


@lru_cache(maxsize=256)
def coin(weight: float) -> st.SearchStrategy[bool]:
    """``True`` with probability ``weight``; shrinks towards ``True`` whenever that is possible."""
    hits = round(weight * _SLOTS)
    return st.sampled_from([True] * hits + [False] * (_SLOTS - hits))


@st.composite
def _either(
    draw: Draw, weight: float, first: st.SearchStrategy[Any], second: st.SearchStrategy[Any]
) -> Any:
    return draw(first) if draw(coin(weight)) else draw(second)


def known_values(
    spec: FieldSpec, boundary: tuple[int, ...] = (), boundary_weight: float = 0.0
) -> st.SearchStrategy[Any]:
    """Every known value of one field; integers favour ``boundary`` with ``boundary_weight``."""
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "enum":
        return st.sampled_from(spec.values)
    lo = spec.minimum if spec.minimum is not None else 0
    hi = spec.maximum if spec.maximum is not None else 1000
    anywhere = st.integers(lo, hi)
    if not boundary or boundary_weight <= 0:
        return anywhere
    near = st.sampled_from(boundary)
    return near if boundary_weight >= 1 else _either(boundary_weight, near, anywhere)


def maybe_unknown(known: st.SearchStrategy[Any], unknown_weight: float) -> st.SearchStrategy[Any]:
    """``known``, or ``None`` (unknown) with probability ``unknown_weight``; shrinks to unknown."""
    if unknown_weight <= 0:
        return known
    if unknown_weight >= 1:
        return st.none()
    return _either(unknown_weight, st.none(), known)


def make_consistent(data: dict[str, Any]) -> dict[str, Any]:
    """Adjust a nested patient mapping in place so that it satisfies the model's contradiction
    rules, changing as little as possible; returns it."""
    sy, ld = data["symptoms"], data["loading"]
    if sy["pain_at_rest"] is False and sy["pain_at_rest_nrs"] not in (None, 0):
        sy["pain_at_rest_nrs"] = 0
    if sy["pain_at_rest"] is True and sy["pain_at_rest_nrs"] == 0:
        sy["pain_at_rest_nrs"] = 1
    if sy["pain_when_running"] is False:
        sy["minutes_into_run_before_pain"] = None
    if ld["current_phase"] == "not-started":
        ld["weeks_in_phase"] = ld["exercise_pain_nrs"] = ld["pain_settled_next_day"] = None
        if ld["programme_completed"] is True:
            ld["programme_completed"] = False
    if ld["programme_completed"] is True and ld["current_phase"] in ("isometric", "heavy-load"):
        ld["programme_completed"] = False
    duration, weeks = data["symptom_duration_weeks"], ld["weeks_adherent_loading"]
    if duration is not None and weeks is not None and weeks > duration:
        ld["weeks_adherent_loading"] = duration
    return data


_make_consistent = make_consistent  # the name of the first release


def boundary_values(
    *, ruleset: RuleSet | None = None, profile: ProfileLike = None
) -> dict[str, tuple[int, ...]]:
    """For every integer field the rules compare: the values at and just below each threshold,
    and the field's own minimum and maximum, in ascending order.

    Derived from ``ruleset`` (default: the bundled rules) under ``profile``, so it follows any
    change of a threshold. Raises :class:`~pht_rules.ProfileError` for an invalid profile.
    """
    rules = rules_of(ruleset)
    params = params_of(ruleset, profile)
    out: dict[str, tuple[int, ...]] = {}
    for path, values in thresholds(rules, params).items():
        spec = rules.fields[path]
        ends = {v for v in (spec.minimum, spec.maximum) if v is not None}
        out[path] = tuple(sorted(set(values) | ends))
    return out


def field_strategies(
    *,
    unknown_weight: float,
    boundary: Mapping[str, tuple[int, ...]] | None = None,
    boundary_weight: float = 0.0,
) -> dict[str, st.SearchStrategy[Any]]:
    """One strategy per input field path, unknown included, in model order."""
    out: dict[str, st.SearchStrategy[Any]] = {}
    for spec in input_fields():
        edges = tuple((boundary or {}).get(spec.path, ()))
        out[spec.path] = maybe_unknown(known_values(spec, edges, boundary_weight), unknown_weight)
    return out


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """A flat ``{dotted.path: value}`` mapping in the nested patient-state shape."""
    data: dict[str, Any] = {}
    for path, value in flat.items():
        head, _, tail = path.partition(".")
        if tail:
            data.setdefault(head, {})[tail] = value
        else:
            data[head] = value
    return data


def adult_ages(params: Mapping[str, int]) -> st.SearchStrategy[int]:
    """Ages that raise no adolescent flag under ``params``."""
    return _ages_from(params.get("adolescent_age_below", 18))


@lru_cache(maxsize=64)
def _ages_from(start: int) -> st.SearchStrategy[int]:
    return st.integers(start, max(start, OLDEST_CLEAR_SCREEN_AGE))


def draw_flat(
    draw: Draw,
    fields: Mapping[str, st.SearchStrategy[Any]],
    *,
    clear_screen: bool,
    params: Mapping[str, int],
) -> dict[str, Any]:
    """Draw every field in model order (``path -> value``), fixing the screen when asked."""
    flat: dict[str, Any] = {}
    for path, strategy in fields.items():
        if clear_screen and path.startswith("presentation."):
            flat[path] = CLEAR_SCREEN[path.split(".", 1)[1]]
        elif clear_screen and path == "age_years":
            flat[path] = draw(adult_ages(params))
        else:
            flat[path] = draw(strategy)
    return flat


def _named_composite(name: str, body: Callable[..., Any]) -> Callable[..., st.SearchStrategy[Any]]:
    """``st.composite(body)`` whose strategies' repr reads ``name(options)``."""
    body.__name__ = body.__qualname__ = name
    return st.composite(body)


@lru_cache(maxsize=64)
def _prepared(
    rules: RuleSet | None,
    overrides: tuple[tuple[str, int], ...],
    unknown_weight: float,
    boundary_weight: float,
) -> tuple[dict[str, int], dict[str, st.SearchStrategy[Any]]]:
    """Thresholds in force and per-field strategies, built once per set of options."""
    profile = dict(overrides)
    params = params_of(rules, profile)
    edges = boundary_values(ruleset=rules, profile=profile) if boundary_weight > 0 else None
    fields = field_strategies(
        unknown_weight=unknown_weight, boundary=edges, boundary_weight=boundary_weight
    )
    return params, fields


def prepared(
    opts: Mapping[str, Any], *, unknown_weight: float, boundary_weight: float
) -> tuple[dict[str, int], dict[str, st.SearchStrategy[Any]]]:
    """:func:`_prepared` for a strategy's options (``ruleset`` and ``profile`` possibly shown)."""
    rules = unwrap(opts.get("ruleset"))
    overrides = unwrap(opts.get("profile")) or {}
    if isinstance(overrides, Profile):
        overrides = dict(overrides.overrides)
    key = tuple(sorted(overrides.items()))
    return _prepared(rules, key, unknown_weight, boundary_weight)


def _draw_patient(
    draw: Draw,
    *,
    unknown_weight: float = 0.3,
    clear_screen: bool = False,
    ruleset: Any = None,
    profile: Any = None,
    boundary_weight: float = 0.0,
) -> dict[str, Any]:
    params, fields = prepared(
        {"ruleset": ruleset, "profile": profile},
        unknown_weight=unknown_weight,
        boundary_weight=boundary_weight,
    )
    flat = draw_flat(draw, fields, clear_screen=clear_screen, params=params)
    return make_consistent(nest(flat))


def _patient_dicts_body(draw: Draw, **opts: Any) -> dict[str, Any]:
    return _draw_patient(draw, **opts)


def _patient_states_body(draw: Draw, **opts: Any) -> PatientState:
    return PatientState.model_validate(_draw_patient(draw, **opts))


_patient_dicts = _named_composite("patient_dicts", _patient_dicts_body)
_patient_states = _named_composite("patient_states", _patient_states_body)
_boundary_patient_states = _named_composite("boundary_patient_states", _patient_states_body)


def _validate(
    unknown_weight: float, ruleset: RuleSet | None, profile: ProfileLike
) -> dict[str, int]:
    check_weight("unknown_weight", unknown_weight)
    if ruleset is not None and not isinstance(ruleset, RuleSet):
        raise UsageTypeError(
            f"ruleset must be a RuleSet (from pht_rules.load_rules), got {ruleset!r}"
        )
    return params_of(ruleset, profile)  # raises ProfileError for an invalid profile, at once


def patient_dicts(
    *,
    unknown_weight: float = 0.3,
    clear_screen: bool = False,
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid patient states as plain JSON-like dicts (every field present; ``None`` = unknown).

    ``unknown_weight`` is the chance that any one field is unknown: 0 gives fully answered
    patients, 1 fully unknown ones. ``clear_screen`` fixes the presentation to
    :data:`CLEAR_SCREEN` and the age to an adult's (from the ``adolescent_age_below`` threshold of
    ``ruleset`` under ``profile``), so that the whole pathway after the screen is exercised.

    .. versionchanged:: 0.1.0
       ``unknown_weight`` is a probability (it used to only order the choices); added
       ``ruleset`` and ``profile``.
    """
    _validate(unknown_weight, ruleset, profile)
    return _patient_dicts(
        **options(
            unknown_weight=unknown_weight,
            clear_screen=clear_screen,
            ruleset=ruleset,
            profile=profile,
        )
    )


def patient_states(
    *,
    unknown_weight: float = 0.3,
    clear_screen: bool = False,
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
) -> st.SearchStrategy[PatientState]:
    """Valid :class:`~pht_rules.PatientState` objects over the whole domain.

    Options as for :func:`patient_dicts`.
    """
    _validate(unknown_weight, ruleset, profile)
    return _patient_states(
        **options(
            unknown_weight=unknown_weight,
            clear_screen=clear_screen,
            ruleset=ruleset,
            profile=profile,
        )
    )


def boundary_patient_states(
    *,
    unknown_weight: float = 0.1,
    boundary_weight: float = 0.8,
    clear_screen: bool = False,
    ruleset: RuleSet | None = None,
    profile: ProfileLike = None,
) -> st.SearchStrategy[PatientState]:
    """Valid patient states whose numbers sit on the rules' thresholds.

    Each integer field that a rule compares takes, with probability ``boundary_weight``, one of
    its :func:`boundary_values` (at or just below a threshold of ``ruleset`` under ``profile``, or
    the field's minimum or maximum), and otherwise any value in its range. Everything else is as
    for :func:`patient_states`. Because the values come from the loaded rules, moving a threshold
    (in a rule file or a profile) moves the search.
    """
    _validate(unknown_weight, ruleset, profile)
    check_weight("boundary_weight", boundary_weight)
    if boundary_weight == 0:
        raise UsageError("boundary_weight=0 never seeks a boundary; use patient_states()")
    return _boundary_patient_states(
        **options(
            unknown_weight=unknown_weight,
            boundary_weight=boundary_weight,
            clear_screen=clear_screen,
            ruleset=ruleset,
            profile=profile,
        )
    )


# ------------------------------------------------------------------------------------------------
# Profiles


def _profiles_body(
    draw: Draw,
    *,
    ruleset: Any = None,
    min_overrides: int = 0,
    max_overrides: int | None = None,
) -> Profile:
    rules: RuleSet = rules_of(unwrap(ruleset))
    params = rules.parameters
    top = len(params) if max_overrides is None else max_overrides
    # How many, then which (a prefix of a permutation): no duplicates to reject, and it shrinks
    # towards fewer overrides of the first-declared parameters.
    count = draw(st.integers(min_overrides, top))
    names = draw(st.permutations([p.name for p in params]))[:count]
    chosen = set(names)
    values = dict(rules.defaults)
    by_name = {p.name: p for p in params}
    for name in names:  # each constraint is kept by whichever of its two sides is drawn last
        param = by_name[name]
        lo, hi = param.minimum, param.maximum
        for low, op, high in rules.constraints:
            strict = 1 if op == "<" else 0
            if high == name and (low not in chosen or names.index(low) < names.index(name)):
                lo = max(lo, values[low] + strict)
            if low == name and (high not in chosen or names.index(high) < names.index(name)):
                hi = min(hi, values[high] - strict)
        if lo > hi:  # no value fits beside the others drawn so far: leave the default
            chosen.discard(name)
            continue
        values[name] = draw(st.integers(lo, hi))
    overrides = {n: values[n] for n in names if n in chosen}
    rules.parameter_values(overrides)  # by construction valid; raises if a rule set proves not
    return Profile(overrides)


_profiles = _named_composite("profiles", _profiles_body)


def profiles(
    *,
    ruleset: RuleSet | None = None,
    min_overrides: int = 0,
    max_overrides: int | None = None,
) -> st.SearchStrategy[Profile]:
    """Valid :class:`~pht_rules.Profile` objects: parameter overrides of ``ruleset`` (default: the
    bundled rules), each within its range, together keeping every constraint between parameters.

    Between ``min_overrides`` and ``max_overrides`` (default: all) parameters are overridden.
    Shrinks towards no overrides, then towards the lowest allowed values.
    """
    rules = rules_of(ruleset)
    count = len(rules.parameters)
    if isinstance(min_overrides, bool) or not isinstance(min_overrides, int) or min_overrides < 0:
        raise UsageError(f"min_overrides must be a whole number >= 0, got {min_overrides!r}")
    if max_overrides is not None and (
        isinstance(max_overrides, bool) or not isinstance(max_overrides, int)
    ):
        raise UsageError(f"max_overrides must be a whole number or None, got {max_overrides!r}")
    if min_overrides > count:
        raise UsageError(f"min_overrides={min_overrides}, but the rule set has {count} parameters")
    if max_overrides is not None and max_overrides < min_overrides:
        raise UsageError(
            f"max_overrides={max_overrides} is less than min_overrides={min_overrides}"
        )
    return _profiles(
        **options(ruleset=ruleset, min_overrides=min_overrides, max_overrides=max_overrides)
    )
