# SPDX-License-Identifier: MIT
"""Rules as precompiled templates, and their verdicts explained on demand.

Everything about a rule that does not depend on the patient is resolved once, when the evaluator
is built: advice and detail texts with the parameters in force, its hit as JSON-ready data, the
readable form of every leaf test, generated code for the fields that keep it undecided, and
whether it can ask about an unknown field at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pht_rules.definitions.conditions import Condition, IsUnknown, Truth, describe, leaves
from pht_rules.definitions.ruleset import Rule
from pht_rules.definitions.text import fill_placeholders as _format
from pht_rules.engine.compiled import Blocking, compile_blocking
from pht_rules.engine.interpreter import explain
from pht_rules.evaluation.assessment import Evidence, RuleHit, _compact
from pht_rules.patient.fields import Scalar

__all__ = ["RULE_CACHE_LIMIT", "CompiledRule", "Explained", "Explainer"]

# Rule verdicts kept per evaluator (oldest evicted first), so that memory stays bounded.
RULE_CACHE_LIMIT = 16384


def _json_value(value: str | tuple[str, ...]) -> str | list[str]:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule with everything that does not depend on the patient resolved."""

    rule: Rule
    when: Condition  # parameters resolved
    index: int
    advice: str
    details: dict[str, str | tuple[str, ...]]
    fields: frozenset[str]
    field_list: tuple[str, ...]
    cites: dict[str, None]
    may_ask: bool  # has an "is unknown" test: a TRUE verdict may rest on an unknown field
    tests: dict[Condition, str]  # the readable form of each leaf test
    blocking: Blocking  # the unknown fields that keep the condition UNKNOWN, generated code
    hit_json: tuple[dict[str, Any], dict[str, Any]]  # the hit without evidence, by "selected"
    hit_text: tuple[str, str]  # the same as JSON text, up to the evidence

    @staticmethod
    def build(rule: Rule, index: int, params: Mapping[str, int], when: Condition) -> CompiledRule:
        """``rule`` under parameter values ``params``; ``when`` is its resolved condition."""
        advice = _format(rule.advice, params)
        details = {
            k: (
                tuple(_format(x, params) for x in v) if isinstance(v, tuple) else _format(v, params)
            )
            for k, v in rule.details
        }
        found = tuple(leaves(when))

        def hit_json(selected: bool) -> dict[str, Any]:
            return {
                "rule_id": rule.id,
                "title": rule.title,
                "outcome": rule.outcome,
                "priority": rule.priority,
                "selected": selected,
                "advice": advice,
                "details": {k: _json_value(v) for k, v in details.items()},
                "cites": list(rule.cites),
            }

        return CompiledRule(
            rule=rule,
            when=when,
            index=index,
            advice=advice,
            details=details,
            fields=frozenset(rule.fields),
            field_list=rule.fields,
            cites=dict.fromkeys(rule.cites),
            may_ask=any(isinstance(leaf, IsUnknown) and leaf.expect for leaf in found),
            tests={leaf: describe(leaf) for leaf in found},
            blocking=compile_blocking(when),
            hit_json=(hit_json(False), hit_json(True)),
            hit_text=tuple(_compact(hit_json(sel))[:-1] + ',"evidence":' for sel in (False, True)),  # type: ignore[arg-type]  # a 2-tuple, built from 2 items
        )


class Explained:
    """A rule's verdict on some input values: its evidence, the fields blocking it, and the
    :class:`RuleHit` and JSON evidence shown for it (built on first use)."""

    __slots__ = (
        "asks",
        "blocking",
        "evidence",
        "evidence_json",
        "evidence_text",
        "hits",
        "verdict",
    )

    def __init__(
        self,
        verdict: Truth,
        evidence: tuple[Evidence, ...],
        blocking: tuple[str, ...],
        asks: tuple[str, ...],
    ) -> None:
        self.verdict = verdict
        self.evidence = evidence  # the tests behind a TRUE verdict
        self.blocking = blocking  # the unknown fields behind an UNKNOWN verdict
        self.asks = asks  # unknown input fields a TRUE verdict rests on ("is unknown" tests)
        self.hits: dict[bool, RuleHit] = {}  # by "selected"
        self.evidence_json: list[dict[str, Any]] | None = None
        self.evidence_text: str | None = None


class Explainer:
    """Explains rules over snapshots, cached per rule and the values it reads (bounded)."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[Any, ...], Explained] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, cr: CompiledRule, snapshot: Mapping[str, Scalar]) -> Explained:
        # A rule's verdict depends only on the values it reads, which repeat far more often than
        # whole patients do.
        key = (cr.index, tuple(map(snapshot.get, cr.field_list)))
        done = self._cache.get(key)
        if done is None:
            verdict, found = explain(cr.when, snapshot)
            unique = tuple(dict.fromkeys(found))
            if verdict is Truth.TRUE:
                tests = cr.tests
                evidence = tuple(
                    Evidence(leaf.field, snapshot.get(leaf.field), tests[leaf]) for leaf in unique
                )
                asks = tuple(
                    leaf.field for leaf in unique if isinstance(leaf, IsUnknown) and leaf.expect
                )
                done = Explained(verdict, evidence, (), asks)
            elif verdict is Truth.UNKNOWN:
                blocking = tuple(dict.fromkeys(leaf.field for leaf in unique))
                done = Explained(verdict, (), blocking, ())
            else:
                done = Explained(verdict, (), (), ())
            cache = self._cache
            with self._lock:
                if len(cache) >= RULE_CACHE_LIMIT:
                    cache.popitem(last=False)
                cache[key] = done
        return done

    def __len__(self) -> int:
        return len(self._cache)
