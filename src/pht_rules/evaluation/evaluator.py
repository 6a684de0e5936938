# SPDX-License-Identifier: MIT
# Over 400 lines: the evaluator's stages (hit policies, evidence, information needs, gaps) share its compiled state.
"""Patient state -> :class:`~pht_rules.evaluation.assessment.Assessment`.

An :class:`Evaluator` holds one rule set compiled for one profile. Decisions are evaluated stage by
stage (a decision that reads another decision's outcome runs after it); the engine says which rules
are TRUE, then each decision's hit policy is enforced here, the same way for every engine. The
reference interpreter supplies what the engine cannot: the evidence behind each rule that fired,
and the unknown answers that could still change a decision.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from operator import attrgetter
from typing import Any, Literal, overload

from pht_rules.definitions.ruleset import Profile, RuleSet
from pht_rules.engine.interface import EngineName, RuleEngine, create_engine, resolve_engine
from pht_rules.errors import UsageError
from pht_rules.evaluation._decisions import CompiledDecision, Decided
from pht_rules.evaluation._lazy import JsonTexts, LazyAssessment, Parts
from pht_rules.evaluation._templates import CompiledRule, Explainer
from pht_rules.evaluation.assessment import (
    DISCLAIMER,
    NO_RULE_MATCHED,
    Assessment,
    Citation,
    Evidence,
    InformationNeed,
    ParameterInForce,
    RuleSetInfo,
    _compact,
)
from pht_rules.evaluation.outcomes import GapKind, Outcomes
from pht_rules.patient.fields import UNDETERMINED, Scalar, input_fields
from pht_rules.patient.model import PatientState, parse_state
from pht_rules.patient.plausibility import Derived, derive

__all__ = ["Detail", "Evaluator"]

# Results kept per evaluator for the patient states seen last (oldest evicted first), so that
# memory stays bounded; a state seen again costs its validation and one lookup.
_STATE_CACHE_LIMIT = 4096

Detail = Literal["full", "outcomes"]
"""How much :meth:`Evaluator.evaluate` returns: the explained :class:`Assessment` (``"full"``)
or :class:`~pht_rules.evaluation.outcomes.Outcomes` only (``"outcomes"``)."""


class Evaluator:
    """A rule set compiled for one parameter profile; evaluates patient states. Thread-safe.

    >>> from pht_rules import Evaluator
    >>> with Evaluator() as ev:
    ...     ev.evaluate({"symptoms": {"pain_at_rest": True}}).decision("irritability").outcome
    'irritable'
    """

    def __init__(
        self,
        ruleset: RuleSet | None = None,
        *,
        profile: Profile | Mapping[str, int] | None = None,
        engine: EngineName = "auto",
    ) -> None:
        # ``auto``: durable-rules where it imports, else the reference interpreter.
        self.engine_name = resolve_engine(engine)
        if ruleset is None:
            from pht_rules.loading import load_rules

            ruleset = load_rules()
        self.ruleset = ruleset
        resolved = ruleset.resolved(profile)
        self.params = resolved.params
        self.profile_name = profile.name if isinstance(profile, Profile) else None
        self._paths = tuple(f.path for f in input_fields())
        self._get_inputs = attrgetter(*self._paths)
        read = {f for d in ruleset.decisions for r in d.rules for f in r.fields}
        decisions: list[CompiledDecision] = []
        index = 0
        for d in ruleset.decisions:
            rules: list[CompiledRule] = []
            for r in d.rules:
                rules.append(CompiledRule.build(r, index, self.params, resolved.conditions[r.id]))
                index += 1
            decisions.append(
                CompiledDecision(d, tuple(rules), f"decision.{d.id}" in read, len(decisions))
            )
        self._decisions = tuple(decisions)
        self._stages = tuple(
            (stage, tuple(cd for cd in decisions if cd.decision.stage == stage))
            for stage in sorted({d.stage for d in ruleset.decisions})
        )
        self._info = RuleSetInfo(ruleset.name, ruleset.version, ruleset.fingerprint)
        defaults = ruleset.defaults
        self._parameters = tuple(
            ParameterInForce(
                name=p.name,
                value=self.params[p.name],
                default=defaults[p.name],
                unit=p.unit,
                provenance=p.provenance,
                sources=p.sources,
                overridden=self.params[p.name] != defaults[p.name],
            )
            for p in ruleset.parameters
        )
        cat = ruleset.catalogue
        self._citations: dict[str, Citation] = {}
        for e in cat.entries:
            self._citations[e.id] = Citation(
                e.id, e.kind, e.text, e.section, e.citation, e.rationale
            )
        self._citation_order = {e.id: i for i, e in enumerate(cat.entries)}
        fields = ruleset.fields
        self._questions = {path: spec.question for path, spec in fields.items()}
        self._texts = JsonTexts(
            ruleset=_compact(_json_data_of(self._info)),
            parameters=_compact([_json_data_of(p) for p in self._parameters]),
            disclaimer=_compact(DISCLAIMER),
            citations={cid: _compact(_json_data_of(c)) for cid, c in self._citations.items()},
            needs={
                path: f'{{"field":{_compact(path)},"question":{_compact(q)},"decisions":'
                for path, q in self._questions.items()
            },
        )
        self._explainer = Explainer()
        self._state_cache: OrderedDict[tuple[Any, ...], list[Decided]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._engine: RuleEngine = create_engine(self.engine_name, resolved)

    # ------------------------------------------------------------------------------------------

    @overload
    def evaluate(
        self,
        state: PatientState | Mapping[str, Any] | str | bytes,
        detail: Literal["full"] = "full",
    ) -> Assessment: ...

    @overload
    def evaluate(
        self, state: PatientState | Mapping[str, Any] | str | bytes, detail: Literal["outcomes"]
    ) -> Outcomes: ...

    def evaluate(
        self, state: PatientState | Mapping[str, Any] | str | bytes, detail: Detail = "full"
    ) -> Assessment | Outcomes:
        """Assess one patient state (a model, a mapping, or JSON text).

        ``detail="full"`` (the default) gives the explained :class:`Assessment`; its rule hits
        and evidence are built when first read. ``detail="outcomes"`` gives
        :class:`~pht_rules.evaluation.outcomes.Outcomes` only: outcomes, the rules that fired, open
        questions and guideline gaps, equal to what the full assessment says.

        Raises :class:`~pht_rules.errors.PatientStateError` for invalid input and
        :class:`~pht_rules.errors.EvaluationError` if the rules cannot be applied; never returns a
        partial result.
        """
        if detail != "full" and detail != "outcomes":
            raise UsageError(f"unknown detail {detail!r}; choose 'full' or 'outcomes'")
        model = state if isinstance(state, PatientState) else parse_state(state)
        # Unknown answers that follow from given ones (rest pain 9/10: pain at rest) are filled
        # in; the full assessment marks them as derived in its evidence.
        model, derived = derive(model)
        values = self._get_inputs(model)
        results = self._state_cache.get(values)
        if results is None:
            results = self._decide_all(values)
            cache = self._state_cache
            with self._cache_lock:
                if len(cache) >= _STATE_CACHE_LIMIT:
                    cache.popitem(last=False)
                cache[values] = results
        if detail == "outcomes":
            return self._outcomes(results)
        if derived:
            return _marked_derived(self._assessment(results), derived)
        return self._assessment(results)

    __call__ = evaluate

    def _decide_all(self, values: tuple[Scalar | None, ...]) -> list[Decided]:
        # Every decision's result is a function of the input values alone.
        pairs = tuple(zip(self._paths, values, strict=True))
        snapshot: dict[str, Scalar] = {p: v for p, v in pairs if v is not None}
        unknown: set[str] = {p for p, v in pairs if v is None}
        decided: list[Decided | None] = [None] * len(self._decisions)
        matches = self._engine.matches
        explainer = self._explainer
        for stage, stage_decisions in self._stages:
            fired = set(matches(stage, snapshot))
            for cd in stage_decisions:
                done = cd.decide(fired, snapshot, unknown, explainer)
                decided[cd.index] = done
                if cd.exported:
                    key = cd.field
                    outcome = done.plan.outcome
                    if outcome in (UNDETERMINED, NO_RULE_MATCHED):
                        unknown.add(key)
                    else:
                        snapshot[key] = outcome
        return decided  # type: ignore[return-value]  # every slot is filled

    def _needs(self, decided: list[Decided]) -> list[tuple[str, dict[str, None]]]:
        needs: dict[str, dict[str, None]] = {}
        for done in decided:
            for path in done.asks:
                needs.setdefault(path, {})[done.decision_id] = None
        if len(needs) < 2:
            return list(needs.items())
        return sorted(needs.items(), key=lambda kv: _field_rank(kv[0]))

    def _outcomes(self, decided: list[Decided]) -> Outcomes:
        outcomes: dict[str, str] = {}
        every: dict[str, tuple[str, ...]] = {}
        fired: list[str] = []
        gaps: dict[str, GapKind] = {}
        asked = False
        for done in decided:
            plan = done.plan
            did = done.decision_id
            outcomes[did] = plan.outcome
            every[did] = plan.outcomes
            fired += plan.fired
            if plan.gap is not None:
                gaps[did] = plan.gap.kind
            asked = asked or bool(done.asks)
        needs = tuple([path for path, _ in self._needs(decided)]) if asked else ()
        return Outcomes(outcomes, every, tuple(fired), needs, gaps)

    def _assessment(self, decided: list[Decided]) -> Assessment:
        # Decisions, questions, gaps and citations are built when first read.
        return LazyAssessment.pending(
            self._info,
            self._parameters,
            self.profile_name,
            DISCLAIMER,
            partial(self._assessment_parts, decided),
            partial(self._outcome_map, decided),
            self._texts,
            self.engine_name,
        )

    @staticmethod
    def _outcome_map(decided: list[Decided]) -> dict[str, str]:
        return {done.decision_id: done.plan.outcome for done in decided}

    def _assessment_parts(self, decided: list[Decided]) -> Parts:
        cited: dict[str, None] = {}
        for done in decided:
            cited.update(dict.fromkeys(done.plan.cites))
        questions = self._questions
        need_items = tuple(
            InformationNeed(path, questions[path], tuple(decisions))
            for path, decisions in self._needs(decided)
        )
        order = self._citation_order
        citations = tuple(self._citations[c] for c in sorted(cited, key=order.__getitem__))
        return (
            tuple(done.result for done in decided),
            need_items,
            tuple(done.plan.gap for done in decided if done.plan.gap is not None),
            citations,
        )

    # ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the compiled engine. The evaluator cannot be used afterwards."""
        self._engine.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_RANK = {f.path: i for i, f in enumerate(input_fields())}


def _field_rank(path: str) -> int:
    return _RANK.get(path, len(_RANK))


def _json_data_of(obj: Any) -> Any:
    """JSON data of a plain dataclass of the assessment (tuples become lists)."""
    return {f: _plain(getattr(obj, f)) for f in obj.__dataclass_fields__}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _marked_derived(assessment: Assessment, derived: tuple[Derived, ...]) -> Assessment:
    """``assessment`` with the evidence on derived answers saying so (a rare, plain path)."""
    reasons = {d.field: d.reason for d in derived}

    def mark(e: Evidence) -> Evidence:
        reason = reasons.get(e.field)
        return e if reason is None else replace(e, test=f"{e.test}; derived: {reason}")

    decisions = tuple(
        replace(
            d,
            hits=tuple(replace(h, evidence=tuple(map(mark, h.evidence))) for h in d.hits),
        )
        for d in assessment.decisions
    )
    a = assessment
    return Assessment(
        ruleset=a.ruleset,
        decisions=decisions,
        needs_information=a.needs_information,
        guideline_gaps=a.guideline_gaps,
        citations=a.citations,
        parameters=a.parameters,
        profile=a.profile,
        disclaimer=a.disclaimer,
        engine=a.engine,
    )
