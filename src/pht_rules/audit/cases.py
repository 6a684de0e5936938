# SPDX-License-Identifier: MIT
"""Clinical test cases as data, and the runner behind ``pht-rules check``.

A case file is YAML (or JSON) of this shape::

    bases:                      # optional: named partial states that cases build on
      typical-runner:
        age_years: 34
        presentation: {onset: gradual, pain_site: ischial-tuberosity}
    cases:
      - id: irritable-rest-pain             # unique within the file
        description: Pain at rest makes the case irritable; running stops.
        base: typical-runner                # optional; `state` is merged into it, key by key
        profile: {stop_running_days: 21}    # optional parameter overrides
        state:
          symptoms: {pain_at_rest: true}
        expect:
          outcomes: {irritability: irritable, running: stop}   # decisions checked
          outcome_sets: {load-management: [hill-work]}         # collect decisions: exact set
          fired: [running.irritable-stop]                      # must fire (selected or not)
          not_fired: [running.less-irritable-restricted]       # must not fire
          needs_information: [symptoms.pain_on_walking]        # must be asked
          gaps: [running]                                      # decisions with a guideline gap

Every key under ``expect`` is optional, but a case must expect something.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pht_rules.definitions.ruleset import Profile, RuleSet
from pht_rules.errors import CaseFileError, PhtRulesError, RuleProblem
from pht_rules.evaluation.evaluator import Evaluator

__all__ = ["CaseResult", "CaseRunner", "ClinicalCase", "load_cases"]

_EXPECT_KEYS = ("outcomes", "outcome_sets", "fired", "not_fired", "needs_information", "gaps")


@dataclass(frozen=True, slots=True)
class ClinicalCase:
    """One clinical test case: a patient state and what the rules must make of it."""

    id: str
    description: str
    state: Mapping[str, Any]
    expect: Mapping[str, Any]
    profile: Mapping[str, int] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of running one case: ``failures`` is empty when it passed."""

    case: ClinicalCase
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_cases(path: str | Path) -> list[ClinicalCase]:
    """Every case in a case file, or in every ``*.yaml``/``*.yml``/``*.json`` file of a directory.

    Raises :class:`~pht_rules.errors.CaseFileError` (a :class:`~pht_rules.errors.RuleFileError`) for a malformed file (naming file and case).
    """
    root = Path(path)
    if root.is_dir():
        paths = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    elif root.is_file():
        paths = [root]
    else:
        raise CaseFileError([RuleProblem(str(root), "no such case file or directory")])
    cases: list[ClinicalCase] = []
    seen: dict[str, str] = {}
    for p in paths:
        for case in _read_file(p):
            qualified = f"{p}::{case.id}"
            if qualified in seen:
                raise CaseFileError([RuleProblem(str(p), f"duplicate case id '{case.id}'")])
            seen[qualified] = str(p)
            cases.append(case)
    return cases


def _read_file(path: Path) -> Iterator[ClinicalCase]:
    name = str(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CaseFileError([RuleProblem(name, f"cannot be read as a case file: {exc}")]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise CaseFileError([RuleProblem(name, "a case file needs a top-level 'cases' list")])
    bases = doc.get("bases") or {}
    if not isinstance(bases, dict):
        raise CaseFileError([RuleProblem(name, "'bases' must map names to partial states")])
    for raw in doc["cases"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise CaseFileError([RuleProblem(name, f"every case needs an 'id'; got {raw!r:.60}")])
        cid = raw["id"]
        unknown = set(raw) - {"id", "description", "base", "state", "profile", "expect"}
        if unknown:
            raise CaseFileError(
                [RuleProblem(name, f"case '{cid}': unknown keys {sorted(unknown)}")]
            )
        state = raw.get("state") or {}
        base_name = raw.get("base")
        if base_name is not None:
            if base_name not in bases:
                raise CaseFileError(
                    [RuleProblem(name, f"case '{cid}': unknown base '{base_name}'")]
                )
            state = _merge(bases[base_name], state)
        expect = raw.get("expect")
        if not isinstance(expect, dict) or not expect or set(expect) - set(_EXPECT_KEYS):
            raise CaseFileError(
                [
                    RuleProblem(
                        name,
                        f"case '{cid}': 'expect' must hold one or more of {', '.join(_EXPECT_KEYS)}",
                    )
                ]
            )
        problem = _expectation_problem(expect)
        if problem:
            raise CaseFileError([RuleProblem(name, f"case '{cid}': {problem}")])
        yield ClinicalCase(
            id=cid,
            description=" ".join(str(raw.get("description", "")).split()),
            state=state,
            expect=expect,
            profile=raw.get("profile") or {},
            source=name,
        )


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _expectation_problem(expect: Mapping[str, Any]) -> str | None:
    """What is wrong with the shape of an ``expect`` block, or None."""
    outcomes = expect.get("outcomes", {})
    if not isinstance(outcomes, dict) or not all(isinstance(v, str) for v in outcomes.values()):
        return "'expect.outcomes' must map decision ids to one outcome each"
    sets = expect.get("outcome_sets", {})
    if not isinstance(sets, dict) or not all(_is_text_list(v) for v in sets.values()):
        return "'expect.outcome_sets' must map decision ids to lists of outcomes"
    for key in ("fired", "not_fired", "needs_information", "gaps"):
        if key in expect and not _is_text_list(expect[key] or []):
            return f"'expect.{key}' must be a list of ids"
    return None


class CaseRunner:
    """Runs clinical cases against a rule set, compiling one evaluator per profile."""

    def __init__(self, ruleset: RuleSet | None = None, *, engine: str = "durable") -> None:
        from pht_rules.loading import load_rules

        self.ruleset = ruleset if ruleset is not None else load_rules()
        self.engine = engine
        self._evaluators: dict[tuple[tuple[str, int], ...], Evaluator] = {}

    def _evaluator(self, profile: Mapping[str, int]) -> Evaluator:
        key = tuple(sorted(profile.items()))
        if key not in self._evaluators:
            self._evaluators[key] = Evaluator(
                self.ruleset,
                profile=Profile(dict(profile)),
                engine="interpreter" if self.engine == "interpreter" else "durable",
            )
        return self._evaluators[key]

    def run(self, case: ClinicalCase) -> CaseResult:
        """Evaluate ``case`` and compare the assessment with every expectation."""
        try:
            assessment = self._evaluator(case.profile).evaluate(case.state)
        except PhtRulesError as exc:
            return CaseResult(case, (f"evaluation failed: {exc}",))
        failures: list[str] = []
        expect = case.expect
        results = {d.decision_id: d for d in assessment.decisions}
        for decision_id, wanted in (expect.get("outcomes") or {}).items():
            got = results.get(decision_id)
            if got is None:
                failures.append(f"no decision '{decision_id}' in the rule set")
            elif got.outcome != wanted:
                failures.append(f"{decision_id}: expected {wanted!r}, got {got.outcome!r}")
        for decision_id, wanted in (expect.get("outcome_sets") or {}).items():
            got = results.get(decision_id)
            if got is None:
                failures.append(f"no decision '{decision_id}' in the rule set")
            elif sorted(got.outcomes) != sorted(wanted):
                failures.append(
                    f"{decision_id}: expected outcomes {sorted(wanted)}, got {sorted(got.outcomes)}"
                )
        fired = {h.rule_id for d in assessment.decisions for h in d.hits}
        for rule_id in expect.get("fired") or []:
            if rule_id not in fired:
                failures.append(f"rule '{rule_id}' did not fire")
        for rule_id in expect.get("not_fired") or []:
            if rule_id in fired:
                failures.append(f"rule '{rule_id}' fired but must not")
        asked = {n.field for n in assessment.needs_information}
        for path in expect.get("needs_information") or []:
            if path not in asked:
                failures.append(f"'{path}' is not among the questions to ask ({sorted(asked)})")
        if "gaps" in expect:
            gaps = sorted(g.decision_id for g in assessment.guideline_gaps)
            if gaps != sorted(expect["gaps"] or []):
                failures.append(
                    f"guideline gaps: expected {sorted(expect['gaps'] or [])}, got {gaps}"
                )
        return CaseResult(case, tuple(failures))

    def run_all(self, cases: list[ClinicalCase]) -> list[CaseResult]:
        """Run every case, in order."""
        return [self.run(c) for c in cases]

    def close(self) -> None:
        """Release every compiled evaluator."""
        for ev in self._evaluators.values():
            ev.close()
        self._evaluators.clear()
