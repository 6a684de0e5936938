# SPDX-License-Identifier: MIT
# Over 400 lines: one catalogue of safety invariants, each a short predicate with its documentation; splitting would scatter the list a reviewer reads.
"""Clinical safety invariants: properties every assessment of every patient must have.

Each invariant is a named object with the catalogue entries it protects. ``check_invariants``
returns the violations for one (state, assessment) pair; an empty list means the assessment is
safe by every invariant. Thresholds are read from the assessment's own parameters, so the checks
follow a profile.

The invariants read an :class:`Advice`: the decision outcomes a patient is shown, the thresholds in
force and, when available, the loading phases recommended and the full :class:`Assessment`. An
assessment is turned into one automatically; an application that shows only some outcomes (for
example a health app built on :func:`pht_rules.evaluate`) can be checked through
:meth:`Advice.from_outcomes`. Parts of an invariant that need what the advice does not carry (rule
evidence, citations, phases) are skipped for it; everything about outcomes is still checked.

.. versionchanged:: 0.1.0
   Invariants read an :class:`Advice`; three invariants added (pain gates, hills after
   plyometrics, red flags withhold training advice too); :class:`Violation` names the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pht_rules.evaluation.assessment import Assessment, DecisionResult
from pht_rules.patient.model import PatientState

__all__ = [
    "ESCALATING",
    "HALTED_DECISIONS",
    "INVARIANTS",
    "PERMISSIVE_RUNNING",
    "PHASE_ORDER",
    "RED_FLAG_OUTCOMES",
    "SCREEN_FIELDS",
    "Advice",
    "Check",
    "Finding",
    "Invariant",
    "Violation",
    "check_invariants",
    "clinically_irritable",
    "red_flags",
]

Finding = tuple[str | None, str]
"""What a check yields: the decision whose advice breaks the invariant (if one does) and why."""

Check = Callable[[PatientState, "Advice"], Iterator[Finding]]

RED_FLAG_OUTCOMES = frozenset(
    {"refer-emergency", "refer-urgent", "refer-medical-review", "assess-before-loading"}
)
"""Presentation outcomes that refer the patient or call for assessment first."""
PERMISSIVE_RUNNING = frozenset({"restricted", "graded-return"})
"""Running outcomes that let the patient run."""
ESCALATING = frozenset({"consider-adjuncts", "consider-surgical-opinion", "review-later"})
"""Escalation outcomes that go beyond the loading programme."""
PHASE_ORDER = ("isometric", "heavy-load", "plyometric")
"""The loading phases, lightest first."""
HALTED_DECISIONS = ("running", "loading", "load-management", "escalation")
"""Decisions whose advice a red flag withholds."""
SCREEN_FIELDS = (
    "onset",
    "pain_site",
    "acute_event_pop_or_bruising",
    "neurological_symptoms",
    "cauda_equina_symptoms",
    "night_pain",
    "systemic_symptoms",
)
"""The presentation fields of the red-flag screen (``presentation.<name>``)."""


@dataclass(frozen=True, slots=True)
class Advice:
    """What a patient is told, as the invariants and metamorphic relations read it.

    ``outcomes`` maps decision ids to the outcome shown (a decision that is absent was not shown);
    ``parameters`` holds the thresholds in force. ``phases`` maps decision ids to the loading phases
    recommended, or is ``None`` when the source does not say. ``assessment`` is the full assessment
    when there is one (rule evidence and citations are checked only then).
    """

    outcomes: Mapping[str, str]
    parameters: Mapping[str, int]
    phases: Mapping[str, frozenset[str]] | None = None
    assessment: Assessment | None = None

    @classmethod
    def from_assessment(cls, assessment: Assessment) -> Advice:
        """Everything an assessment says."""
        return cls(
            outcomes={d.decision_id: d.outcome for d in assessment.decisions},
            parameters={p.name: p.value for p in assessment.parameters},
            phases={d.decision_id: _selected_phases(d) for d in assessment.decisions},
            assessment=assessment,
        )

    @classmethod
    def from_outcomes(
        cls,
        outcomes: Mapping[str, str],
        parameters: Mapping[str, int],
        *,
        phases: Mapping[str, frozenset[str]] | None = None,
    ) -> Advice:
        """Advice known only by its outcomes (and, optionally, the phases recommended)."""
        return cls(dict(outcomes), dict(parameters), phases)

    @classmethod
    def of(cls, value: Assessment | Advice) -> Advice:
        """``value`` itself if it is advice already, else the advice of an assessment."""
        return value if isinstance(value, Advice) else cls.from_assessment(value)

    def outcome(self, decision_id: str) -> str | None:
        """The outcome shown for ``decision_id``, or ``None`` if it was not shown."""
        return self.outcomes.get(decision_id)

    def recommended_phases(self, decision_id: str = "loading") -> frozenset[str] | None:
        """The loading phases ``decision_id`` recommends (``None``: the advice does not say)."""
        if self.phases is None:
            return None
        return self.phases.get(decision_id, frozenset())

    def param(self, name: str) -> int:
        """The threshold ``name`` in force (KeyError if the rule set has no such parameter)."""
        return self.parameters[name]

    def decision(self, decision_id: str) -> DecisionResult | None:
        """The full decision result, when the advice comes from an assessment that has it."""
        if self.assessment is None:
            return None
        for d in self.assessment.decisions:
            if d.decision_id == decision_id:
                return d
        return None


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant (or metamorphic relation), with what was seen.

    ``decision_id`` names the decision whose advice is at fault, when one is. For a metamorphic
    relation, ``counterpart`` is the changed patient whose advice broke the relation.
    """

    invariant_id: str
    message: str
    decision_id: str | None = None
    counterpart: PatientState | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.invariant_id}: {self.message}"


@dataclass(frozen=True, slots=True)
class Invariant:
    """A clinical safety property with an id, a description and the statements it protects."""

    id: str
    title: str
    description: str
    protects: tuple[str, ...]
    check: Check

    def violations(self, state: PatientState, assessment: Assessment | Advice) -> list[Violation]:
        """The ways ``assessment`` of ``state`` breaks this invariant (empty: it holds)."""
        advice = Advice.of(assessment)
        return [Violation(self.id, m, d) for d, m in self.check(state, advice)]

    def holds(self, state: PatientState, assessment: Assessment | Advice) -> bool:
        """Whether ``assessment`` of ``state`` keeps this invariant."""
        return not self.violations(state, assessment)


def _selected_phases(d: DecisionResult) -> frozenset[str]:
    return frozenset(str(h.details["phase"]) for h in d.hits if h.selected and "phase" in h.details)


def red_flags(s: PatientState, adolescent_below: int) -> list[str]:
    """The red-flag findings present in ``s`` (known and positive), by field path."""
    p = s.presentation
    found = [
        path
        for path, value in (
            ("presentation.cauda_equina_symptoms", p.cauda_equina_symptoms),
            ("presentation.acute_event_pop_or_bruising", p.acute_event_pop_or_bruising),
            ("presentation.systemic_symptoms", p.systemic_symptoms),
            ("presentation.night_pain", p.night_pain),
            ("presentation.neurological_symptoms", p.neurological_symptoms),
        )
        if value is True
    ]
    if p.onset == "sudden":
        found.append("presentation.onset")
    if s.age_years is not None and s.age_years < adolescent_below:
        found.append("age_years")
    return found


def clinically_irritable(s: PatientState) -> bool:
    """Pain at rest, on walking or on sitting: the article's irritable picture (ART-IRR-1)."""
    sy = s.symptoms
    return True in (sy.pain_at_rest, sy.pain_on_walking, sy.pain_on_sitting)


def _irritable_no_running_no_plyometrics(s: PatientState, a: Advice) -> Iterator[Finding]:
    assessed = a.outcome("irritability") == "irritable"
    if not (assessed or clinically_irritable(s)):
        return
    why = "irritable" if assessed else "pain at rest, on walking or on sitting"
    run = a.outcome("running")
    if run in PERMISSIVE_RUNNING:
        yield "running", f"{why}, yet running is '{run}'"
    phases = a.recommended_phases()
    heavier = sorted(phases - {"isometric"}) if phases is not None else []
    if heavier:
        yield "loading", f"{why}, yet loading recommends {heavier}"
    load = a.outcome("loading")
    if load == "progress":
        yield "loading", f"{why}, yet loading is 'progress'"
    elif load == "continue" and s.loading.current_phase in ("heavy-load", "plyometric"):
        yield "loading", f"{why}, yet loading continues phase '{s.loading.current_phase}'"


def _no_escalation_without_trial(s: PatientState, a: Advice) -> Iterator[Finding]:
    esc = a.outcome("escalation")
    if esc not in ESCALATING:
        return
    ld = s.loading
    weeks = a.param("adequate_trial_weeks")
    adequate = (ld.weeks_adherent_loading is not None and ld.weeks_adherent_loading >= weeks) or (
        ld.programme_completed is True
    )
    if not adequate:
        yield (
            "escalation",
            f"escalation '{esc}' without an adequate loading trial "
            f"(weeks_adherent_loading={ld.weeks_adherent_loading}, "
            f"programme_completed={ld.programme_completed})",
        )
    if ld.symptoms_improving is not False:
        yield "escalation", f"escalation '{esc}' while symptoms_improving={ld.symptoms_improving}"
    if esc == "consider-surgical-opinion":
        tr = s.treatments
        if "no-lasting-benefit" not in (tr.injection, tr.shockwave):
            yield "escalation", "surgical opinion before any adjunct failed"
        if "not-tried" in (tr.injection, tr.shockwave) or None in (tr.injection, tr.shockwave):
            yield (
                "escalation",
                f"surgical opinion before both adjuncts were tried "
                f"(injection={tr.injection}, shockwave={tr.shockwave})",
            )
        minimum = a.param("surgical_opinion_min_weeks")
        if s.symptom_duration_weeks is None or s.symptom_duration_weeks < minimum:
            yield (
                "escalation",
                f"surgical opinion with symptom_duration_weeks={s.symptom_duration_weeks}",
            )


def _red_flag_refers_and_halts(s: PatientState, a: Advice) -> Iterator[Finding]:
    flags = red_flags(s, a.param("adolescent_age_below"))
    if not flags:
        return
    pres = a.outcome("presentation")
    if pres not in RED_FLAG_OUTCOMES:
        shown = "not shown" if pres is None else f"'{pres}'"
        yield "presentation", f"red flag {flags} but the presentation outcome is {shown}"
    for decision_id in HALTED_DECISIONS:
        outcome = a.outcome(decision_id)
        if outcome is not None and outcome != "withheld":
            yield decision_id, f"red flag {flags} but {decision_id} is '{outcome}' (not withheld)"


def _every_recommendation_cited(s: PatientState, a: Advice) -> Iterator[Finding]:
    if a.assessment is None:
        return
    listed = {c.id for c in a.assessment.citations}
    for d in a.assessment.decisions:
        for h in d.hits:
            if not h.cites:
                yield d.decision_id, f"rule '{h.rule_id}' cites nothing"
            missing = set(h.cites) - listed
            if missing:
                yield (
                    d.decision_id,
                    f"rule '{h.rule_id}' cites {sorted(missing)}, absent from the citations",
                )
        if not d.hits and d.outcome != "no-rule-matched":
            yield (
                d.decision_id,
                f"decision '{d.decision_id}' has outcome '{d.outcome}' but no rule behind it",
            )


def _unknown_never_read_as_no(s: PatientState, a: Advice) -> Iterator[Finding]:
    if a.assessment is not None:
        for d in a.assessment.decisions:
            for h in d.hits:
                for ev in h.evidence:
                    if ev.value is None and ev.test != "is unknown":
                        yield (
                            d.decision_id,
                            f"rule '{h.rule_id}' fired on unknown {ev.field} ({ev.test})",
                        )
                    if ev.value is not None and ev.test == "is unknown":
                        yield (
                            d.decision_id,
                            f"rule '{h.rule_id}' read known {ev.field}={ev.value!r} as unknown",
                        )
    if a.outcome("presentation") == "consistent":
        p = s.presentation
        unknown = [name for name in SCREEN_FIELDS if getattr(p, name) is None]
        if s.age_years is None:
            unknown.append("age_years")
        if unknown:
            yield (
                "presentation",
                f"presentation 'consistent' with unanswered screen items {unknown}",
            )
    run = a.outcome("running")
    if run in PERMISSIVE_RUNNING:
        sy = s.symptoms
        if None in (sy.pain_at_rest, sy.pain_on_walking, sy.pain_on_sitting):
            yield "running", f"running '{run}' with rest/walking/sitting pain not all known"
    if run == "graded-return":
        missing = _unknown(
            s,
            "loading.current_phase",
            "training.weeks_continuous_flat_running",
            "symptoms.pain_during_activity_nrs",
            "loading.exercise_pain_nrs",
            "loading.pain_settled_next_day",
        )
        if missing:
            yield "running", f"running 'graded-return' with {missing} unknown"
    if a.outcome("loading") == "progress":
        missing = _unknown(
            s,
            "loading.current_phase",
            "loading.weeks_in_phase",
            "loading.exercise_pain_nrs",
            "loading.pain_settled_next_day",
        )
        if missing:
            yield "loading", f"loading 'progress' with {missing} unknown"


def _unknown(s: PatientState, *paths: str) -> list[str]:
    out = []
    for path in paths:
        group, name = path.split(".")
        if getattr(getattr(s, group), name) is None:
            out.append(path)
    return out


def _never_skip_a_phase(s: PatientState, a: Advice) -> Iterator[Finding]:
    load = a.outcome("loading")
    if load not in ("progress", "start"):
        return
    phases = a.recommended_phases()
    current = s.loading.current_phase
    if load == "start":
        if phases is not None and phases != {"isometric"}:
            yield "loading", f"start recommends {sorted(phases)}, not isometric"
        return
    if current not in PHASE_ORDER[:-1]:
        yield "loading", f"progress from phase {current!r}"
        return
    expected = PHASE_ORDER[PHASE_ORDER.index(current) + 1]
    if phases is not None and phases != {expected}:
        yield "loading", f"progress from '{current}' recommends {sorted(phases)}, not '{expected}'"


def _loading_respects_pain(s: PatientState, a: Advice) -> Iterator[Finding]:
    load = a.outcome("loading")
    if load not in ("progress", "continue"):
        return
    ld = s.loading
    pain, settled = ld.exercise_pain_nrs, ld.pain_settled_next_day
    limit_name = "exercise_pain_target" if load == "progress" else "exercise_pain_ceiling"
    limit = a.param(limit_name)
    if pain is not None and pain > limit:
        yield "loading", f"loading '{load}' with exercise pain {pain}/10 above {limit_name} {limit}"
    if settled is False:
        yield "loading", f"loading '{load}' though exercise pain did not settle by the next day"
    if load == "progress" and ld.current_phase in ("isometric", "heavy-load"):
        name = "isometric_min_weeks" if ld.current_phase == "isometric" else "heavy_load_min_weeks"
        weeks = ld.weeks_in_phase
        if weeks is not None and weeks < a.param(name):
            yield (
                "loading",
                f"progress after {weeks} week(s) of '{ld.current_phase}' "
                f"(< {name} {a.param(name)})",
            )


def _hills_after_tolerated_plyometrics(s: PatientState, a: Advice) -> Iterator[Finding]:
    if a.outcome("running") != "graded-return":
        return
    ld, tr, sy = s.loading, s.training, s.symptoms
    problems = []
    if ld.current_phase not in (None, "plyometric"):
        problems.append(f"loading phase '{ld.current_phase}'")
    flat = tr.weeks_continuous_flat_running
    if flat is not None and flat < a.param("hills_min_flat_weeks"):
        problems.append(f"{flat} week(s) of flat running")
    run_pain = sy.pain_during_activity_nrs
    if run_pain is not None and run_pain > a.param("hills_max_running_pain"):
        problems.append(f"running pain {run_pain}/10")
    ex_pain = ld.exercise_pain_nrs
    if ex_pain is not None and ex_pain > a.param("exercise_pain_target"):
        problems.append(f"exercise pain {ex_pain}/10")
    if ld.pain_settled_next_day is False:
        problems.append("exercise pain not settled by the next day")
    if problems:
        yield "running", "hills and speed return with " + ", ".join(problems)


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "INV-IRRITABLE-NO-RUNNING",
        "Irritable: no running, no heavy or plyometric loading",
        "An irritable presentation (assessed as irritable, or pain at rest, on walking or on "
        "sitting) is never advised to run and is never loaded beyond isometric holds: no "
        "progression, and no continuing a heavier phase.",
        ("ART-RUN-2", "ART-IRR-1", "ASM-IRRITABLE-PHASE-ONE"),
        _irritable_no_running_no_plyometrics,
    ),
    Invariant(
        "INV-NO-EARLY-ESCALATION",
        "No escalation before an adequate loading trial",
        "Injection, shockwave or a surgical opinion only after an adequate, adherent loading "
        "programme has failed; a surgical opinion only after both adjuncts were tried, one failed, "
        "and months passed.",
        ("ART-TX-2", "ART-TX-3", "ART-TX-5", "ASM-ADEQUATE-TRIAL", "ASM-SURGICAL-TIMING"),
        _no_escalation_without_trial,
    ),
    Invariant(
        "INV-RED-FLAG-HALTS",
        "A red flag refers and halts progression",
        "Any red flag gives a referral or assessment outcome and withholds running, loading, "
        "training and escalation advice.",
        ("ASM-SCREEN-FIRST", "SEC-SPINAL-RED-FLAGS", "LIT-SUBBU-2015"),
        _red_flag_refers_and_halts,
    ),
    Invariant(
        "INV-EVERY-RECOMMENDATION-CITED",
        "Every recommendation is cited",
        "Every rule that fired cites at least one catalogue entry, and every cited entry is "
        "listed with the assessment (checked when the full assessment is available).",
        (),
        _every_recommendation_cited,
    ),
    Invariant(
        "INV-UNKNOWN-NOT-NO",
        "Unknown is never read as no",
        "No rule fires on a comparison with an unknown value; a clear screen, permissive "
        "running, a return to hills and a loading progression need every answer they rest on.",
        ("ASM-SCREEN-FIRST",),
        _unknown_never_read_as_no,
    ),
    Invariant(
        "INV-NO-PHASE-SKIP",
        "Loading phases are never skipped",
        "Starting means isometrics; progressing means exactly the next phase, from a known phase "
        "that has one.",
        ("ART-EX-1", "ART-EX-5", "ART-EX-6", "ASM-PHASE-GATES"),
        _never_skip_a_phase,
    ),
    Invariant(
        "INV-LOADING-RESPECTS-PAIN",
        "Loading never goes on through too much pain",
        "Progressing needs exercise pain at most the target, settled by the next day, and the "
        "minimum weeks in the phase; continuing needs pain at most the ceiling, settled.",
        ("ART-EX-3", "SEC-GOOM-MONITORING", "LIT-SILBERNAGEL-2007", "ASM-PHASE-GATES"),
        _loading_respects_pain,
    ),
    Invariant(
        "INV-HILLS-AFTER-PLYOMETRICS",
        "Hills and speed return only after tolerated plyometrics",
        "A graded return to hills and speed needs plyometric loading, tolerated (pain at most "
        "the target, settled), enough weeks of flat running and little running pain.",
        ("ART-RUN-4", "ART-CAUSE-2", "ASM-HILLS-RETURN"),
        _hills_after_tolerated_plyometrics,
    ),
)


def check_invariants(
    state: PatientState,
    assessment: Assessment | Advice,
    *,
    invariants: Sequence[Invariant] = INVARIANTS,
) -> list[Violation]:
    """Every violation of every invariant in ``invariants`` (default: :data:`INVARIANTS`).

    ``assessment`` may be an :class:`~pht_rules.Assessment` or an :class:`Advice`; an empty list
    means every invariant holds.
    """
    advice = Advice.of(assessment)
    return [v for inv in invariants for v in inv.violations(state, advice)]
