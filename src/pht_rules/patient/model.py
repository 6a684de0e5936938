# SPDX-License-Identifier: MIT
"""The patient state: everything the guideline's criteria read, typed, ranged and immutable.

Every field may be ``null`` (``None``), which means *unknown*: not asked, or not answered. Unknown
is never read as "no": a rule that needs a field that is unknown does not fire, and the assessment
lists the question to ask instead. Input is strict: a number must be a JSON number, a yes/no answer
must be ``true``/``false``/``null``, and unknown keys are rejected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pht_rules.errors import FieldProblem, PatientStateError

__all__ = [
    "LoadingHistory",
    "LoadingPhase",
    "Onset",
    "PainSite",
    "PatientState",
    "Presentation",
    "Symptoms",
    "TrainingLoad",
    "TreatmentOutcome",
    "TreatmentsTried",
    "parse_state",
]

Onset = Literal["gradual", "sudden"]
PainSite = Literal["ischial-tuberosity", "elsewhere"]
LoadingPhase = Literal["not-started", "isometric", "heavy-load", "plyometric"]
TreatmentOutcome = Literal["not-tried", "helped", "no-lasting-benefit"]

_MODEL_CONFIG = ConfigDict(strict=True, frozen=True, extra="forbid", validate_default=True)


def _field(
    title: str,
    question: str,
    description: str,
    *,
    unit: str | None = None,
    ge: int | None = None,
    le: int | None = None,
) -> Any:
    extra: dict[str, Any] = {"question": question}
    if unit is not None:
        extra["unit"] = unit
    return Field(
        default=None,
        title=title,
        description=description + " null: unknown (not asked or not answered).",
        ge=ge,
        le=le,
        json_schema_extra=extra,
    )


class _Contradictions(ValueError):
    """Carries every cross-field contradiction found, so each can be reported with its own path."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class Presentation(BaseModel):
    """How the pain began and where it is, and the red-flag screen."""

    model_config = _MODEL_CONFIG

    onset: Onset | None = _field(
        "Onset",
        "Did the pain come on gradually, or suddenly at one moment?",
        "gradual: built up over days or weeks; sudden: began at one identifiable moment.",
    )
    pain_site: PainSite | None = _field(
        "Pain site",
        "Where exactly is the pain: at the sitting bone (ischial tuberosity) or elsewhere?",
        "ischial-tuberosity: at or just below the sitting bone; elsewhere: any other main site.",
    )
    acute_event_pop_or_bruising: bool | None = _field(
        "Acute event with a pop or bruising",
        "At onset, was there a pop or snap, or bruising at the back of the thigh?",
        "true: a pop/snap during a forceful movement, or posterior-thigh bruising.",
    )
    neurological_symptoms: bool | None = _field(
        "Neurological symptoms",
        "Any numbness, pins and needles, weakness, or pain spreading below the knee?",
        "true: numbness, paraesthesia, weakness, reflex change or pain radiating below the knee.",
    )
    cauda_equina_symptoms: bool | None = _field(
        "Cauda equina symptoms",
        "Any saddle numbness, new bladder or bowel disturbance, or symptoms in both legs?",
        "true: saddle anaesthesia, new bladder/bowel disturbance or bilateral leg symptoms.",
    )
    night_pain: bool | None = _field(
        "Night pain",
        "Does pain wake you at night, not eased by changing position?",
        "true: night pain not eased by changing position.",
    )
    systemic_symptoms: bool | None = _field(
        "Systemic symptoms",
        "Any fever, unexplained weight loss, history of cancer or immunosuppression?",
        "true: fever, unexplained weight loss, past cancer, immunosuppression or IV drug use.",
    )


class Symptoms(BaseModel):
    """Pain now: at rest, in daily activities, and when running."""

    model_config = _MODEL_CONFIG

    pain_at_rest: bool | None = _field(
        "Pain at rest", "Is there pain at rest?", "true: the pain is present at rest."
    )
    pain_on_walking: bool | None = _field(
        "Pain on walking",
        "Does ordinary walking hurt?",
        "true: simple walking provokes the pain.",
    )
    pain_on_sitting: bool | None = _field(
        "Pain on sitting",
        "Does sitting (for example at a desk) hurt enough to affect daily activities?",
        "true: sitting provokes pain that affects daily activities.",
    )
    pain_at_rest_nrs: int | None = _field(
        "Pain at rest (NRS)",
        "On a scale of 0 to 10, how bad is the pain at rest?",
        "Numeric rating scale, 0 = no pain, 10 = worst imaginable.",
        unit="NRS 0-10",
        ge=0,
        le=10,
    )
    pain_during_activity_nrs: int | None = _field(
        "Pain during running or activity (NRS)",
        "On a scale of 0 to 10, how bad is the pain during running or sport?",
        "Numeric rating scale, 0 = no pain, 10 = worst imaginable.",
        unit="NRS 0-10",
        ge=0,
        le=10,
    )
    pain_when_running: bool | None = _field(
        "Pain when running",
        "Does the pain come on while running?",
        "true: the pain appears during runs; false: running does not bring it on.",
    )
    minutes_into_run_before_pain: int | None = _field(
        "Minutes into a run before pain",
        "How many minutes into a run does the pain start?",
        "Minutes of running before the pain starts; only meaningful when pain_when_running is true.",
        unit="min",
        ge=0,
        le=600,
    )
    eases_with_warm_up: bool | None = _field(
        "Eases with warm-up",
        "Does the pain ease once you are warmed up?",
        "true: the pain improves after warming up (typical of tendinopathy).",
    )


class TrainingLoad(BaseModel):
    """Recent changes in running load, and the habits that protect against flare-ups."""

    model_config = _MODEL_CONFIG

    weekly_volume_increase_percent: int | None = _field(
        "Recent rise in weekly running volume",
        "By how much has weekly running distance or time risen, compared with the two weeks before?",
        "Percentage rise of the latest week over the mean of the previous two weeks; 0 if none.",
        unit="%",
        ge=0,
        le=1000,
    )
    speed_work_added: bool | None = _field(
        "Speed or intensity work added",
        "Has faster running, intervals or other intensity work been added recently?",
        "true: speed or intensity work was added recently.",
    )
    hill_work_introduced: bool | None = _field(
        "Hill work introduced",
        "Has hill running been introduced or increased recently?",
        "true: hill work was introduced or increased recently.",
    )
    weeks_continuous_flat_running: int | None = _field(
        "Weeks of continuous flat running",
        "For how many weeks has the patient run continuously on the flat at the restricted dose?",
        "Weeks of continuous, flat running at the restricted dose; 0 if none.",
        unit="weeks",
        ge=0,
        le=520,
    )
    cross_training: bool | None = _field(
        "Cross-training",
        "Does the training plan include cross-training (cycling, swimming and so on)?",
        "true: the plan includes regular cross-training.",
    )
    planned_recovery_weeks: bool | None = _field(
        "Planned recovery weeks",
        "Does the training plan include planned lighter recovery weeks?",
        "true: recovery weeks are planned regularly.",
    )


class LoadingHistory(BaseModel):
    """Where the patient is in the staged loading programme, and how it is going."""

    model_config = _MODEL_CONFIG

    current_phase: LoadingPhase | None = _field(
        "Current loading phase",
        "Which stage of the loading programme is the patient on?",
        "not-started; isometric (phase 1); heavy-load (phase 2, hip flexion); plyometric (phase 3).",
    )
    weeks_in_phase: int | None = _field(
        "Weeks in current phase",
        "How many weeks has the patient been on the current stage?",
        "Completed weeks in the current phase; 0 for a phase just begun.",
        unit="weeks",
        ge=0,
        le=104,
    )
    exercise_pain_nrs: int | None = _field(
        "Pain during the exercises (NRS)",
        "On a scale of 0 to 10, how much do the exercises hurt?",
        "Highest pain during the current exercises, 0-10.",
        unit="NRS 0-10",
        ge=0,
        le=10,
    )
    pain_settled_next_day: bool | None = _field(
        "Exercise pain settled by the next day",
        "Has any pain from the exercises settled by the next morning?",
        "true: exercise pain returns to its usual level by the next morning.",
    )
    weeks_adherent_loading: int | None = _field(
        "Weeks of adherent loading",
        "For how many weeks in total has the patient done most (about 3 in 4) prescribed sessions?",
        "Total weeks of progressive loading with at least about 75% of sessions done.",
        unit="weeks",
        ge=0,
        le=520,
    )
    programme_completed: bool | None = _field(
        "Programme completed",
        "Has the patient completed all three stages of the loading programme?",
        "true: all three phases were completed.",
    )
    symptoms_improving: bool | None = _field(
        "Meaningful improvement",
        "Have symptoms improved meaningfully since loading began (e.g. VISA-H up 10 or more)?",
        "true: a meaningful improvement since loading began (for example VISA-H +10 points, or "
        "monitoring pain down 2 points or 30%).",
    )


class TreatmentsTried(BaseModel):
    """Escalation treatments already tried, with their outcome."""

    model_config = _MODEL_CONFIG

    injection: TreatmentOutcome | None = _field(
        "Ischiogluteal bursa injection",
        "Has an ultrasound-guided injection been tried, and did it help lastingly?",
        "not-tried; helped; no-lasting-benefit.",
    )
    shockwave: TreatmentOutcome | None = _field(
        "Shockwave therapy",
        "Has shockwave therapy been tried, and did it help lastingly?",
        "not-tried; helped; no-lasting-benefit.",
    )


class PatientState(BaseModel):
    """One patient at one consultation: the input to :func:`pht_rules.evaluate`."""

    model_config = _MODEL_CONFIG

    age_years: int | None = _field(
        "Age",
        "How old is the patient?",
        "Age in completed years.",
        unit="years",
        ge=0,
        le=120,
    )
    symptom_duration_weeks: int | None = _field(
        "Symptom duration",
        "How many weeks ago did the symptoms start?",
        "Weeks since symptoms began.",
        unit="weeks",
        ge=0,
        le=1040,
    )
    presentation: Presentation = Field(default_factory=Presentation)
    symptoms: Symptoms = Field(default_factory=Symptoms)
    training: TrainingLoad = Field(default_factory=TrainingLoad)
    loading: LoadingHistory = Field(default_factory=LoadingHistory)
    treatments: TreatmentsTried = Field(default_factory=TreatmentsTried)

    @model_validator(mode="after")
    def _no_contradictions(self) -> PatientState:
        problems = list(_contradictions(self))
        if problems:
            raise _Contradictions(problems)
        return self


def _contradictions(s: PatientState) -> Iterator[FieldProblem]:
    sy, ld = s.symptoms, s.loading
    if sy.pain_at_rest is False and sy.pain_at_rest_nrs not in (None, 0):
        yield FieldProblem(
            "symptoms.pain_at_rest_nrs",
            f"is {sy.pain_at_rest_nrs} but symptoms.pain_at_rest is false",
        )
    if sy.pain_at_rest is True and sy.pain_at_rest_nrs == 0:
        yield FieldProblem("symptoms.pain_at_rest_nrs", "is 0 but symptoms.pain_at_rest is true")
    if sy.pain_when_running is False and sy.minutes_into_run_before_pain is not None:
        yield FieldProblem(
            "symptoms.minutes_into_run_before_pain",
            "is given but symptoms.pain_when_running is false (no pain when running)",
        )
    if ld.current_phase == "not-started":
        for name in ("weeks_in_phase", "exercise_pain_nrs", "pain_settled_next_day"):
            if getattr(ld, name) is not None:
                yield FieldProblem(
                    f"loading.{name}", "is given but loading.current_phase is 'not-started'"
                )
        if ld.programme_completed is True:
            yield FieldProblem(
                "loading.programme_completed", "is true but loading.current_phase is 'not-started'"
            )
    if ld.programme_completed is True and ld.current_phase in ("isometric", "heavy-load"):
        yield FieldProblem(
            "loading.programme_completed",
            f"is true but loading.current_phase is '{ld.current_phase}' (not the last phase)",
        )
    duration = s.symptom_duration_weeks
    weeks = ld.weeks_adherent_loading
    if duration is not None and weeks is not None and weeks > duration:
        yield FieldProblem(
            "loading.weeks_adherent_loading",
            f"is {weeks} weeks, longer than symptom_duration_weeks ({duration})",
        )


def parse_state(data: PatientState | Mapping[str, Any] | str | bytes) -> PatientState:
    """Validate ``data`` (a model, a mapping, or JSON text) into a :class:`PatientState`.

    Raises :class:`~pht_rules.errors.PatientStateError` naming every offending field.
    """
    if isinstance(data, PatientState):
        return data
    try:
        if isinstance(data, str | bytes):
            return PatientState.model_validate_json(data)
        if not isinstance(data, Mapping):
            raise PatientStateError(
                [FieldProblem("", f"expected a JSON object, got {type(data).__name__}")]
            )
        return PatientState.model_validate(dict(data))
    except ValidationError as exc:
        raise PatientStateError(list(_problems_from(exc))) from None


def _problems_from(exc: ValidationError) -> Iterator[FieldProblem]:
    for err in exc.errors(include_url=False):
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, _Contradictions):
            yield from cause.problems
            continue
        path = ".".join(str(p) for p in err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "json_invalid":
            message = f"not valid JSON ({message})"
        if "input" in err and err["type"] not in ("extra_forbidden", "missing"):
            message += f" (got {_short_repr(err['input'])})"
        yield FieldProblem(path, message)


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
