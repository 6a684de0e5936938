# SPDX-License-Identifier: MIT
"""The episode of care: a patient's first consultation and the dated follow-up visits after it.

Each visit records what was observed on that day as a :class:`~pht_rules.PatientState` (pain
scores, irritability answers, the loading phase done, exercise pain and whether it settled, the
treatments tried), plus what happened since the previous visit: sessions done against sessions
prescribed, running done and treatments given. History that a single consultation has to be told
(weeks in phase, adherent weeks, programme completed, improving) is derived from the visits; a
value typed into a visit's state is kept and compared with the derived one.

Input is strict and immutable, like the patient model. Unknown (``null``) stays unknown. Visits
out of date order, two visits on one date with different facts, and dates after ``today`` are
errors that name the visit and the field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from pht_rules.errors import Problem, ProblemsError
from pht_rules.patient import PatientState

__all__ = [
    "Episode",
    "EpisodeError",
    "RunningDone",
    "Treatment",
    "Visit",
    "VisitProblem",
    "episode_json_schema",
    "parse_episode",
]

RunningDone = Literal["none", "restricted", "unrestricted"]
Treatment = Literal["injection", "shockwave"]

_CONFIG = ConfigDict(strict=True, frozen=True, extra="forbid", validate_default=True)


@dataclass(frozen=True, slots=True)
class VisitProblem(Problem):
    """One invalid part of an episode: the visit (``None`` for the episode itself) and the field
    (``field_path``, dotted from the episode: ``visits[1].date``)."""

    visit: str | None
    field_path: str
    message: str
    code: str = "invalid"
    suggestion: str | None = None

    @property
    def path(self) -> str:
        """The dotted field path in the episode (``<root>`` for the episode as a whole)."""
        return self.field_path or "<root>"

    def _where(self) -> str:
        return f"{self.visit}: {self.path}" if self.visit else self.path


class EpisodeError(ProblemsError[VisitProblem], ValueError):
    """An episode is invalid; ``problems`` names each visit and field at fault. Nothing is evaluated."""

    summary = "invalid episode"
    counted = True

    @property
    def field_paths(self) -> tuple[str, ...]:
        """The dotted paths of every offending field, in the order found."""
        return tuple(p.field_path for p in self.problems)


class _Problems(ValueError):
    def __init__(self, problems: list[VisitProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _count(title: str, description: str) -> Any:
    return Field(
        default=None,
        ge=0,
        le=200,
        title=title,
        description=description + " null: unknown.",
        json_schema_extra={"unit": "sessions"},
    )


class Visit(BaseModel):
    """One consultation: its date, what was observed, and what happened since the previous visit."""

    model_config = _CONFIG

    date: dt.date = Field(title="Date", description="The date of the consultation (ISO 8601).")
    label: str | None = Field(
        default=None,
        max_length=80,
        title="Label",
        description="A short name for the visit (default: 'visit N, DATE').",
    )
    state: PatientState = Field(
        default_factory=PatientState,
        title="Observed state",
        description="What was observed at this visit, in the single-consultation patient model. "
        "loading.current_phase is the phase done since the previous visit.",
    )
    sessions_prescribed: int | None = _count(
        "Sessions prescribed", "Loading sessions prescribed since the previous visit."
    )
    sessions_completed: int | None = _count(
        "Sessions completed", "Loading sessions the patient did since the previous visit."
    )
    running_done: RunningDone | None = Field(
        default=None,
        title="Running done",
        description="Running since the previous visit: none; restricted (short, slow, flat); "
        "unrestricted (hills, speed or usual volume). null: unknown.",
    )
    treatments_given: tuple[Treatment, ...] = Field(
        default=(),
        title="Treatments given",
        description="Adjunct treatments given since the previous visit.",
    )

    def name(self, index: int) -> str:
        """How reports and errors name this visit."""
        return self.label or f"visit {index} ({self.date.isoformat()})"

    def facts(self) -> dict[str, Any]:
        """The visit's facts as JSON data, without the label."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude={"label"})
        return data


_SINCE_LAST = ("sessions_prescribed", "sessions_completed", "running_done")


class Episode(BaseModel):
    """A patient's episode of care: the first consultation (``baseline``) and follow-up visits."""

    model_config = _CONFIG

    patient: str | None = Field(
        default=None,
        max_length=120,
        title="Patient",
        description="A reference or pseudonym for the patient (never needed for evaluation).",
    )
    baseline: Visit = Field(
        title="Baseline", description="The first consultation of the episode (visit 0)."
    )
    visits: tuple[Visit, ...] = Field(
        default=(),
        title="Follow-up visits",
        description="Follow-up visits in date order (visit 1 onwards).",
    )

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Episode:
        context = info.context if isinstance(info.context, Mapping) else {}
        today = context.get("today")
        problems = list(_problems(self, today if isinstance(today, dt.date) else dt.date.today()))
        if problems:
            raise _Problems(problems)
        return self

    @property
    def all_visits(self) -> tuple[Visit, ...]:
        """The baseline and every follow-up, with repeated identical records collapsed."""
        out: list[Visit] = [self.baseline]
        for v in self.visits:
            if v.date == out[-1].date and v.facts() == out[-1].facts():
                continue
            out.append(v)
        return tuple(out)


def _differences(a: Any, b: Any, path: str) -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from _differences(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    elif a != b:
        yield path


def _problems(episode: Episode, today: dt.date) -> Iterator[VisitProblem]:
    visits = (episode.baseline, *episode.visits)
    base = episode.baseline
    for name in _SINCE_LAST:
        if getattr(base, name) is not None:
            yield VisitProblem(
                base.name(0),
                f"baseline.{name}",
                "is about time before the first visit; leave it out",
            )
    if base.treatments_given:
        yield VisitProblem(base.name(0), "baseline.treatments_given", "must be empty at baseline")
    for i, visit in enumerate(visits):
        where = "baseline" if i == 0 else f"visits[{i - 1}]"
        if visit.date > today:
            yield VisitProblem(
                visit.name(i), f"{where}.date", f"{visit.date} is in the future (today is {today})"
            )
        if i > 0:
            prev = visits[i - 1]
            if visit.date < prev.date:
                yield VisitProblem(
                    visit.name(i),
                    f"{where}.date",
                    f"{visit.date} is before the previous visit ({prev.date}); list visits in date order",
                )
            elif visit.date == prev.date and visit.facts() != prev.facts():
                for path in _differences(prev.facts(), visit.facts(), ""):
                    yield VisitProblem(
                        visit.name(i),
                        f"{where}.{path}",
                        f"differs from {prev.name(i - 1)} on the same date",
                    )
        tried = visit.state.treatments
        for treatment in visit.treatments_given:
            if getattr(tried, treatment) == "not-tried":
                yield VisitProblem(
                    visit.name(i),
                    f"{where}.state.treatments.{treatment}",
                    f"is 'not-tried' but treatments_given lists {treatment}",
                )
        done, prescribed = visit.sessions_completed, visit.sessions_prescribed
        if done is not None and prescribed == 0 and done > 0:
            yield VisitProblem(
                visit.name(i), f"{where}.sessions_prescribed", "is 0 but sessions were completed"
            )


def _from_validation(exc: ValidationError) -> Iterator[VisitProblem]:
    for err in exc.errors(include_url=False):
        cause = (err.get("ctx") or {}).get("error")
        loc = [str(p) for p in err["loc"]]
        prefix = _path(loc)
        if isinstance(cause, _Problems):
            yield from cause.problems
            continue
        inner = getattr(cause, "problems", None)
        if isinstance(inner, list):  # the patient model's contradictions, one per field
            for p in inner:
                path = getattr(p, "field_path", "")
                yield VisitProblem(
                    _visit_of(loc), f"{prefix}.{path}", str(getattr(p, "message", p))
                )
            continue
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        if "input" in err and err["type"] not in ("extra_forbidden", "missing"):
            text = repr(err["input"])
            message += f" (got {text if len(text) <= 40 else text[:37] + '...'})"
        yield VisitProblem(_visit_of(loc), prefix, message)


def _path(loc: list[str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _visit_of(loc: list[str]) -> str | None:
    if loc[:1] == ["baseline"]:
        return "visit 0"
    if len(loc) >= 2 and loc[0] == "visits" and loc[1].isdigit():
        return f"visit {int(loc[1]) + 1}"
    return None


def parse_episode(
    data: Episode | Mapping[str, Any] | str | bytes, *, today: dt.date | None = None
) -> Episode:
    """Validate ``data`` (a model, a mapping of JSON data, or JSON text) into an :class:`Episode`.

    ``today`` (default: the current date) is the latest date a visit may have. Raises
    :class:`EpisodeError` naming every visit and field at fault.
    """
    if isinstance(data, Episode):
        return data
    context = {"today": today or dt.date.today()}
    try:
        if isinstance(data, str | bytes):
            return Episode.model_validate_json(data, context=context)
        if not isinstance(data, Mapping):
            raise EpisodeError(
                [VisitProblem(None, "", f"expected a JSON object, got {type(data).__name__}")]
            )
        # Through JSON so that dates are read the strict way JSON input is.
        return Episode.model_validate_json(json.dumps(dict(data), default=str), context=context)
    except ValidationError as exc:
        raise EpisodeError(list(_from_validation(exc))) from None


def episode_json_schema() -> dict[str, Any]:
    """The JSON Schema of an episode (:class:`Episode`)."""
    return Episode.model_json_schema()
