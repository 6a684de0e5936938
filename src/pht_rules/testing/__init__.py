# SPDX-License-Identifier: MIT
"""The property-testing kit: strategies, invariants, relations, differential checks, a pytest suite.

Needs the ``testing`` extra (``pip install 'pht-rules[testing]'``), which brings hypothesis; the
pytest suite (:func:`safety_suite`) needs pytest too. Without them the package still imports (the
pytest plugin lives here and loads in every pytest run), and the names that need them raise an
``ImportError`` saying what to install. See ``docs/testing-tutorial.md``.

Strategies (:mod:`~pht_rules.testing.strategies`, :mod:`~pht_rules.testing.pictures`):
    :func:`patient_states`, :func:`patient_dicts`, :func:`boundary_patient_states`,
    :func:`boundary_values`, :func:`profiles`, :func:`irritable_patients`,
    :func:`less_irritable_patients`, :func:`red_flag_patients`, :func:`recalcitrant_patients`,
    :func:`inadequate_trial_patients`,
    :func:`loading_phase_patients`, :data:`PICTURES`.
Invariants (:mod:`pht_rules.audit.invariants`):
    :class:`Invariant`, :data:`INVARIANTS`, :func:`check_invariants`, :class:`Violation`,
    :class:`Advice`.
Metamorphic relations (:mod:`~pht_rules.testing.metamorphic`):
    :class:`Relation`, :data:`RELATIONS`, :func:`check_relations`, :func:`aggression`,
    :class:`Variant`.
Differential checks (:mod:`~pht_rules.testing.differential`):
    :func:`engine_differences`, :func:`exhaustive_differential`,
    :func:`assessment_differences`.
Integrations (:mod:`~pht_rules.testing.adapters`, :mod:`~pht_rules.testing.checks`,
:mod:`~pht_rules.testing.suite`):
    :class:`Wrapper`, the ``as_*`` input adapters, :func:`read_outcomes`,
    :func:`from_assessment_json`, :func:`assert_invariants`, :func:`assert_relations`,
    :func:`assert_conforms`, :func:`run_property`, :func:`default_states`,
    :class:`SafetySuite`, :func:`safety_suite` (needs pytest), :class:`SafetyViolation`,
    :func:`case_yaml`, :func:`failure_case`, :func:`kit_settings`, :data:`BUDGETS`.
"""

import typing as _typing

from pht_rules.audit.invariants import (
    INVARIANTS,
    Advice,
    Invariant,
    Violation,
    check_invariants,
)
from pht_rules.testing.adapters import (
    Wrapper,
    as_answered_dict,
    as_dict,
    as_flat,
    as_is,
    as_json,
    as_model,
    from_assessment_json,
    read_outcomes,
)
from pht_rules.testing.differential import (
    DifferentialReport,
    assessment_differences,
    engine_differences,
    exhaustive_differential,
)
from pht_rules.testing.metamorphic import (
    RELATIONS,
    Relation,
    RelationContext,
    Variant,
    aggression,
    check_relations,
)
from pht_rules.testing.reporting import (
    SafetyViolation,
    case_yaml,
    failure_case,
)

# What a name that did not import needs: the suite's own message, else the kit's (None: nothing).
_kit_needs: str | None = None
_suite_needs: str | None = None
_SUITE_NAMES = ("SafetySuite", "safety_suite")

try:
    from pht_rules.testing.budget import (
        BUDGETS,
        PROFILE_ENV,
        kit_settings,
        register_profiles,
    )
    from pht_rules.testing.checks import (
        assert_conforms,
        assert_invariants,
        assert_relations,
        conformance_check,
        default_states,
        invariant_check,
        relation_check,
        run_property,
    )
    from pht_rules.testing.pictures import (
        PICTURES,
        inadequate_trial_patients,
        irritable_patients,
        less_irritable_patients,
        loading_phase_patients,
        recalcitrant_patients,
        red_flag_patients,
    )
    from pht_rules.testing.strategies import (
        boundary_patient_states,
        boundary_values,
        patient_dicts,
        patient_states,
        profiles,
    )
except ModuleNotFoundError as _error:  # the testing extra is not installed
    if _error.name != "hypothesis":
        raise
    _kit_needs = "hypothesis (pip install 'pht-rules[testing]')"
try:
    from pht_rules.testing.suite import (
        SafetySuite,
        safety_suite,
    )
except ModuleNotFoundError as _error:  # hypothesis or pytest is not installed
    if _error.name not in ("hypothesis", "pytest"):
        raise
    _suite_needs = f"{_error.name} (pip install 'pht-rules[test]')"

if not _typing.TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """Say what to install when a name of the kit needs a missing dependency."""
        needs = _suite_needs if name in _SUITE_NAMES else None
        needs = needs or (_kit_needs if name in __all__ else None)
        if needs is not None:
            raise ImportError(f"pht_rules.testing.{name} needs {needs}")
        raise AttributeError(f"module 'pht_rules.testing' has no attribute {name!r}")


# Plain sorted() order, which tests/unit/test_public_api.py checks (isort-style differs).
__all__ = [  # noqa: RUF022
    "Advice",
    "BUDGETS",
    "DifferentialReport",
    "INVARIANTS",
    "Invariant",
    "PICTURES",
    "PROFILE_ENV",
    "RELATIONS",
    "Relation",
    "RelationContext",
    "SafetySuite",
    "SafetyViolation",
    "Variant",
    "Violation",
    "Wrapper",
    "aggression",
    "as_answered_dict",
    "as_dict",
    "as_flat",
    "as_is",
    "as_json",
    "as_model",
    "assert_conforms",
    "assert_invariants",
    "assert_relations",
    "assessment_differences",
    "boundary_patient_states",
    "boundary_values",
    "case_yaml",
    "check_invariants",
    "check_relations",
    "conformance_check",
    "default_states",
    "engine_differences",
    "exhaustive_differential",
    "failure_case",
    "from_assessment_json",
    "inadequate_trial_patients",
    "invariant_check",
    "irritable_patients",
    "kit_settings",
    "less_irritable_patients",
    "loading_phase_patients",
    "patient_dicts",
    "patient_states",
    "profiles",
    "read_outcomes",
    "recalcitrant_patients",
    "red_flag_patients",
    "register_profiles",
    "relation_check",
    "run_property",
    "safety_suite",
]
