# SPDX-License-Identifier: MIT
"""The whole kit as a pytest test class: ``TestMyApp = safety_suite(my_wrapper)``.

:class:`SafetySuite` runs, against its ``target`` (see :mod:`pht_rules.testing.checks`): the
invariants over a broad mix of patients, the invariants within each clinical picture, conformance
to the wrapped rules (for an app), and each metamorphic relation. Budgets and case files come from
the plugin's options (:mod:`pht_rules.testing.plugin`) when it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pytest
from hypothesis import settings

from pht_rules.audit.invariants import INVARIANTS, Invariant
from pht_rules.errors import UsageError
from pht_rules.testing.adapters import Wrapper
from pht_rules.testing.budget import kit_settings
from pht_rules.testing.checks import (
    PICTURE_NAMES,
    assert_conforms,
    assert_invariants,
    assert_relations,
    picture_states,
)
from pht_rules.testing.metamorphic import RELATIONS
from pht_rules.testing.reporting import SafetyViolation, write_case_file

__all__ = ["SafetySuite", "safety_suite"]


def _config_settings(request: pytest.FixtureRequest, weight: float) -> settings:
    config = request.config
    budget = config.getoption("pht_rules_budget", default=None) or None
    if budget is None:
        try:
            budget = config.getini("pht_rules_budget") or None
        except ValueError:  # the plugin is not loaded, so the ini key is unknown
            budget = None
    return kit_settings(weight, budget=budget)


def _saving(
    request: pytest.FixtureRequest, run: Callable[..., None], *args: Any, **kw: Any
) -> None:
    """``run(*args, **kw)``, writing the case of a failure to ``--pht-rules-case-dir``."""
    __tracebackhide__ = True
    try:
        run(*args, **kw)
    except SafetyViolation as exc:
        directory = request.config.getoption("pht_rules_case_dir", default=None)
        if directory:
            path = write_case_file(directory, request.node.name, [exc.case])
            exc.args = (f"{exc.args[0]}\n(also written to {path})",)
        raise


@pytest.mark.pht_rules_safety
class SafetySuite:
    """The whole kit as a pytest test class; subclass it (or use :func:`safety_suite`) and set
    ``target``.

    ``skip`` lists ids to leave out: invariant ids (``INV-...``), relation ids (``REL-...``),
    ``conformance``, or picture names. ``weights`` scales the share of the example budget each
    kind of test gets.
    """

    target: ClassVar[Any] = None
    skip: ClassVar[tuple[str, ...]] = ()
    weights: ClassVar[dict[str, float]] = {
        "invariants": 1.0,
        "picture": 0.2,
        "conformance": 1.0,
        "relation": 0.15,
    }

    def _invariants(self) -> tuple[Invariant, ...]:
        return tuple(inv for inv in INVARIANTS if inv.id not in self.skip)

    def test_invariants(self, request: pytest.FixtureRequest) -> None:
        """Every safety invariant holds for every generated patient."""
        chosen = _config_settings(request, self.weights["invariants"])
        invariants = self._invariants()
        _saving(request, assert_invariants, self.target, invariants=invariants, settings=chosen)

    @pytest.mark.parametrize("picture", PICTURE_NAMES)
    def test_invariants_in_picture(self, request: pytest.FixtureRequest, picture: str) -> None:
        """Every safety invariant holds for the patients of one clinical picture."""
        if picture in self.skip:
            pytest.skip(f"{picture} is skipped for this target")
        chosen = _config_settings(request, self.weights["picture"])
        states, invariants = picture_states(self.target, picture), self._invariants()
        _saving(
            request, assert_invariants, self.target, states, invariants=invariants, settings=chosen
        )

    def test_conforms_to_rules(self, request: pytest.FixtureRequest) -> None:
        """The app never advises more aggressively than its rules, and shows every referral."""
        if "conformance" in self.skip:
            pytest.skip("conformance is skipped for this target")
        if Wrapper.of(self.target).kind == "rules":
            pytest.skip("the target is the rules themselves")
        chosen = _config_settings(request, self.weights["conformance"])
        _saving(request, assert_conforms, self.target, settings=chosen)

    @pytest.mark.parametrize("relation", [r.id for r in RELATIONS])
    def test_relation(self, request: pytest.FixtureRequest, relation: str) -> None:
        """One metamorphic relation holds around every generated patient."""
        if relation in self.skip:
            pytest.skip(f"{relation} is skipped for this target")
        chosen = _config_settings(request, self.weights["relation"])
        chosen_relations = tuple(r for r in RELATIONS if r.id == relation)
        _saving(request, assert_relations, self.target, relations=chosen_relations, settings=chosen)


def safety_suite(
    target: Any = None,
    *,
    skip: Sequence[str] = (),
    weights: dict[str, float] | None = None,
    name: str = "TestSafety",
) -> type[SafetySuite]:
    """A :class:`SafetySuite` for ``target``, for one-line use in a test module::

        TestMyAppSafety = safety_suite(Wrapper(my_app.advise, to_input=as_dict, from_output=...))

    Unknown ids in ``skip`` raise ``ValueError`` at once.
    """
    wrapper = Wrapper.of(target)
    known = {inv.id for inv in INVARIANTS} | {r.id for r in RELATIONS} | {"conformance"}
    known |= set(PICTURE_NAMES)
    unknown = sorted(set(skip) - known)
    if unknown:
        raise UsageError(f"unknown ids in skip: {unknown}; known: {sorted(known)}")
    shares = dict(SafetySuite.weights)
    if weights:
        bad = sorted(set(weights) - set(shares))
        if bad:
            raise UsageError(f"unknown keys in weights: {bad}; known: {sorted(shares)}")
        shares.update(weights)
    attrs: dict[str, Any] = {
        "target": wrapper,
        "skip": tuple(skip),
        "weights": shares,
        "__doc__": f"The pht_rules safety kit against {wrapper}.",
    }
    return type(name, (SafetySuite,), attrs)
