# SPDX-License-Identifier: MIT
"""Clinical safety invariants: properties every assessment of every patient must have.

Each invariant is a named object with the catalogue entries it protects. ``check_invariants``
returns the violations for one (state, assessment) pair; an empty list means the assessment is
safe by every invariant. Thresholds are read from the assessment's own parameters, so the checks
follow a profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pht_rules.assessment import Assessment, DecisionResult
from pht_rules.models import PatientState

Check = Callable[[PatientState, Assessment], Iterator[str]]

RED_FLAG_OUTCOMES = frozenset(
    {"refer-emergency", "refer-urgent", "refer-medical-review", "assess-before-loading"}
)
PERMISSIVE_RUNNING = frozenset({"restricted", "graded-return"})
ESCALATING = frozenset({"consider-adjuncts", "consider-surgical-opinion", "review-later"})
PHASE_ORDER = ("isometric", "heavy-load", "plyometric")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant, with what was seen."""

    invariant_id: str
    message: str

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

    def violations(self, state: PatientState, assessment: Assessment) -> list[Violation]:
        """The ways ``assessment`` of ``state`` breaks this invariant (empty: it holds)."""
        return [Violation(self.id, m) for m in self.check(state, assessment)]


def _param(a: Assessment, name: str) -> int:
    for p in a.parameters:
        if p.name == name:
            return p.value
    raise KeyError(name)


def _get(a: Assessment, decision_id: str) -> DecisionResult | None:
    for d in a.decisions:
        if d.decision_id == decision_id:
            return d
    return None


def _selected_phases(d: DecisionResult | None) -> set[str]:
    if d is None:
        return set()
    return {str(h.details["phase"]) for h in d.hits if h.selected and "phase" in h.details}


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


def _irritable_no_running_no_plyometrics(s: PatientState, a: Assessment) -> Iterator[str]:
    irr = _get(a, "irritability")
    if irr is None or irr.outcome != "irritable":
        return
    run = _get(a, "running")
    if run is not None and run.outcome in PERMISSIVE_RUNNING:
        yield f"irritable, yet running is '{run.outcome}'"
    phases = _selected_phases(_get(a, "loading")) - {"isometric"}
    if phases:
        yield f"irritable, yet loading recommends {sorted(phases)}"


def _no_escalation_without_trial(s: PatientState, a: Assessment) -> Iterator[str]:
    esc = _get(a, "escalation")
    if esc is None or esc.outcome not in ESCALATING:
        return
    ld = s.loading
    weeks = _param(a, "adequate_trial_weeks")
    adequate = (ld.weeks_adherent_loading is not None and ld.weeks_adherent_loading >= weeks) or (
        ld.programme_completed is True
    )
    if not adequate:
        yield (
            f"escalation '{esc.outcome}' without an adequate loading trial "
            f"(weeks_adherent_loading={ld.weeks_adherent_loading}, "
            f"programme_completed={ld.programme_completed})"
        )
    if ld.symptoms_improving is not False:
        yield f"escalation '{esc.outcome}' while symptoms_improving={ld.symptoms_improving}"
    if esc.outcome == "consider-surgical-opinion":
        tr = s.treatments
        if "no-lasting-benefit" not in (tr.injection, tr.shockwave):
            yield "surgical opinion before any adjunct failed"
        minimum = _param(a, "surgical_opinion_min_weeks")
        if s.symptom_duration_weeks is None or s.symptom_duration_weeks < minimum:
            yield f"surgical opinion with symptom_duration_weeks={s.symptom_duration_weeks}"


def _red_flag_refers_and_halts(s: PatientState, a: Assessment) -> Iterator[str]:
    flags = red_flags(s, _param(a, "adolescent_age_below"))
    if not flags:
        return
    pres = _get(a, "presentation")
    if pres is None or pres.outcome not in RED_FLAG_OUTCOMES:
        yield f"red flag {flags} but presentation is {pres.outcome if pres else None!r}"
    for decision_id in ("running", "loading", "escalation"):
        d = _get(a, decision_id)
        if d is not None and d.outcome != "withheld":
            yield f"red flag {flags} but {decision_id} is '{d.outcome}' (not withheld)"


def _every_recommendation_cited(s: PatientState, a: Assessment) -> Iterator[str]:
    listed = {c.id for c in a.citations}
    for d in a.decisions:
        for h in d.hits:
            if not h.cites:
                yield f"rule '{h.rule_id}' cites nothing"
            missing = set(h.cites) - listed
            if missing:
                yield f"rule '{h.rule_id}' cites {sorted(missing)}, absent from the citations"
        if not d.hits and d.outcome != "no-rule-matched":
            yield f"decision '{d.decision_id}' has outcome '{d.outcome}' but no rule behind it"


def _unknown_never_read_as_no(s: PatientState, a: Assessment) -> Iterator[str]:
    for d in a.decisions:
        for h in d.hits:
            for ev in h.evidence:
                if ev.value is None and ev.test not in ("is unknown",):
                    yield f"rule '{h.rule_id}' fired on unknown {ev.field} ({ev.test})"
                if ev.value is not None and ev.test == "is unknown":
                    yield f"rule '{h.rule_id}' read known {ev.field}={ev.value!r} as unknown"
    pres = _get(a, "presentation")
    if pres is not None and pres.outcome == "consistent":
        p = s.presentation
        unknown = [
            name
            for name in (
                "onset",
                "pain_site",
                "acute_event_pop_or_bruising",
                "neurological_symptoms",
                "cauda_equina_symptoms",
                "night_pain",
                "systemic_symptoms",
            )
            if getattr(p, name) is None
        ]
        if unknown or s.age_years is None:
            yield f"presentation 'consistent' with unanswered screen items {unknown}"
    run = _get(a, "running")
    if run is not None and run.outcome in PERMISSIVE_RUNNING:
        sy = s.symptoms
        if None in (sy.pain_at_rest, sy.pain_on_walking, sy.pain_on_sitting):
            yield f"running '{run.outcome}' with rest/walking/sitting pain not all known"


def _never_skip_a_phase(s: PatientState, a: Assessment) -> Iterator[str]:
    load = _get(a, "loading")
    if load is None or load.outcome not in ("progress", "start"):
        return
    phases = _selected_phases(load)
    current = s.loading.current_phase
    if load.outcome == "start":
        if phases != {"isometric"}:
            yield f"start recommends {sorted(phases)}, not isometric"
        return
    if current not in PHASE_ORDER[:-1]:
        yield f"progress from phase {current!r}"
        return
    expected = PHASE_ORDER[PHASE_ORDER.index(current) + 1]
    if phases != {expected}:
        yield f"progress from '{current}' recommends {sorted(phases)}, not '{expected}'"


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "INV-IRRITABLE-NO-RUNNING",
        "Irritable: no running, no heavy or plyometric loading",
        "An irritable presentation is never advised to run (beyond stopping) and is never loaded "
        "beyond isometric holds.",
        ("ART-RUN-2", "ART-IRR-1", "ASM-IRRITABLE-PHASE-ONE"),
        _irritable_no_running_no_plyometrics,
    ),
    Invariant(
        "INV-NO-EARLY-ESCALATION",
        "No escalation before an adequate loading trial",
        "Injection, shockwave or a surgical opinion only after an adequate, adherent loading "
        "programme has failed; a surgical opinion only after an adjunct failed and months passed.",
        ("ART-TX-2", "ART-TX-3", "ART-TX-5", "ASM-ADEQUATE-TRIAL", "ASM-SURGICAL-TIMING"),
        _no_escalation_without_trial,
    ),
    Invariant(
        "INV-RED-FLAG-HALTS",
        "A red flag refers and halts progression",
        "Any red flag gives a referral or assessment outcome and withholds running, loading and "
        "escalation advice.",
        ("ASM-SCREEN-FIRST", "SEC-SPINAL-RED-FLAGS", "LIT-SUBBU-2015"),
        _red_flag_refers_and_halts,
    ),
    Invariant(
        "INV-EVERY-RECOMMENDATION-CITED",
        "Every recommendation is cited",
        "Every rule that fired cites at least one catalogue entry, and every cited entry is "
        "listed with the assessment.",
        (),
        _every_recommendation_cited,
    ),
    Invariant(
        "INV-UNKNOWN-NOT-NO",
        "Unknown is never read as no",
        "No rule fires on a comparison with an unknown value; a clear screen and permissive "
        "running need every relevant answer known.",
        ("ASM-SCREEN-FIRST",),
        _unknown_never_read_as_no,
    ),
    Invariant(
        "INV-NO-PHASE-SKIP",
        "Loading phases are never skipped",
        "Starting means isometrics; progressing means exactly the next phase.",
        ("ART-EX-1", "ART-EX-5", "ART-EX-6", "ASM-PHASE-GATES"),
        _never_skip_a_phase,
    ),
)


def check_invariants(state: PatientState, assessment: Assessment) -> list[Violation]:
    """Every violation of every invariant in :data:`INVARIANTS` (empty: all hold)."""
    return [v for inv in INVARIANTS for v in inv.violations(state, assessment)]
