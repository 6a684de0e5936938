# SPDX-License-Identifier: MIT
"""Episodes in FHIR R4: a ``Bundle`` of dated ``QuestionnaireResponse`` resources -> an
:class:`~pht_rules.episodes.Episode`, and an episode's plan -> a ``CarePlan``.

Each response is one visit, dated by its ``authored``; the earliest is the baseline. What
happened since the previous visit, which the intake Questionnaire does not ask, travels in three
extensions on the response (:data:`SESSIONS_PRESCRIBED`, :data:`SESSIONS_COMPLETED`,
:data:`RUNNING_DONE`; ``valueInteger``, ``valueInteger``, ``valueCode``) and one repeating
extension :data:`TREATMENT_GIVEN` (``valueCode`` ``injection`` or ``shockwave``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from typing import Any

from pht_rules.episodes import Episode, EpisodeAssessment, parse_episode
from pht_rules.episodes.history import LOADING_PHASES
from pht_rules.fhir.codes import BASE, CATALOGUE_SYSTEM, plan_definition_url
from pht_rules.fhir.errors import FhirInputError, FhirProblem
from pht_rules.fhir.response import response_to_state, state_to_response

__all__ = [
    "RUNNING_DONE",
    "SESSIONS_COMPLETED",
    "SESSIONS_PRESCRIBED",
    "TREATMENT_GIVEN",
    "bundle_to_episode",
    "episode_to_bundle",
    "plan_to_care_plan",
]

_EXT = f"{BASE}/StructureDefinition"
SESSIONS_PRESCRIBED = f"{_EXT}/episode-sessions-prescribed"
SESSIONS_COMPLETED = f"{_EXT}/episode-sessions-completed"
RUNNING_DONE = f"{_EXT}/episode-running-done"
TREATMENT_GIVEN = f"{_EXT}/episode-treatment-given"
_SINGLE = {
    SESSIONS_PRESCRIBED: ("sessions_prescribed", "valueInteger"),
    SESSIONS_COMPLETED: ("sessions_completed", "valueInteger"),
    RUNNING_DONE: ("running_done", "valueCode"),
}


def _authored(resource: Mapping[str, Any], expr: str) -> tuple[date | None, FhirProblem | None]:
    text = resource.get("authored")
    if not isinstance(text, str) or len(text) < 10:
        return None, FhirProblem(
            "authored is missing: every visit of an episode needs its date",
            None,
            f"{expr}.authored",
            "required",
        )
    try:
        return date.fromisoformat(text[:10]), None
    except ValueError:
        return None, FhirProblem(
            f"authored {text!r} is not a FHIR date", None, f"{expr}.authored", "value"
        )


def _extensions(
    resource: Mapping[str, Any], expr: str, problems: list[FhirProblem]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    given: list[Any] = []
    for i, ext in enumerate(resource.get("extension") or ()):
        if not isinstance(ext, Mapping):
            continue
        url = ext.get("url")
        if url in _SINGLE:
            name, key = _SINGLE[url]
            if key not in ext:
                problems.append(
                    FhirProblem(f"{url} needs {key}", None, f"{expr}.extension[{i}]", "structure")
                )
            out[name] = ext.get(key)
        elif url == TREATMENT_GIVEN:
            given.append(ext.get("valueCode"))
    if given:
        out["treatments_given"] = given
    return out


def bundle_to_episode(
    bundle: Mapping[str, Any], *, patient: str | None = None, today: date | None = None
) -> Episode:
    """Read an episode from a ``Bundle`` of ``QuestionnaireResponse`` resources (one per visit).

    Responses are put in ``authored`` order. Raises :class:`~pht_rules.fhir.FhirInputError`
    naming the entry (and ``linkId``) at fault, or :class:`~pht_rules.episodes.EpisodeError` when
    the visits themselves do not make a valid episode.
    """
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise FhirInputError([FhirProblem("expected a Bundle", None, "resourceType", "structure")])
    problems: list[FhirProblem] = []
    visits: list[tuple[date, int, dict[str, Any]]] = []
    for i, entry in enumerate(bundle.get("entry") or ()):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        expr = f"Bundle.entry[{i}].resource"
        if not isinstance(resource, Mapping):
            continue
        if resource.get("resourceType") != "QuestionnaireResponse":
            continue
        when, problem = _authored(resource, expr)
        if problem is not None:
            problems.append(problem)
            continue
        try:
            state = response_to_state(resource)
        except FhirInputError as exc:
            problems.extend(
                FhirProblem(
                    p.message, p.link_id, f"{expr}: {p.expression or ''}".rstrip(": "), p.code
                )
                for p in exc.problems
            )
            continue
        assert when is not None
        visit = {"date": when.isoformat(), "state": state.model_dump(mode="json")}
        visit.update(_extensions(resource, expr, problems))
        visits.append((when, i, visit))
    if problems:
        raise FhirInputError(problems)
    if not visits:
        raise FhirInputError(
            [
                FhirProblem(
                    "the Bundle holds no QuestionnaireResponse", None, "Bundle.entry", "required"
                )
            ]
        )
    visits.sort(key=lambda v: (v[0], v[1]))
    data: dict[str, Any] = {"baseline": visits[0][2], "visits": [v[2] for v in visits[1:]]}
    base = data["baseline"]
    for name in ("sessions_prescribed", "sessions_completed", "running_done", "treatments_given"):
        base.pop(name, None)  # nothing happened "since the previous visit" before the first one
    if patient is not None:
        data["patient"] = patient
    return parse_episode(data, today=today)


def episode_to_bundle(episode: Episode, *, subject: str | None = None) -> dict[str, Any]:
    """The episode as a ``collection`` Bundle of dated responses (read back by
    :func:`bundle_to_episode`)."""
    entries = []
    for i, visit in enumerate(episode.all_visits):
        response = state_to_response(
            visit.state, response_id=f"visit-{i}", subject=subject, authored=visit.date.isoformat()
        )
        extensions: list[dict[str, Any]] = []
        for url, (name, key) in _SINGLE.items():
            value = getattr(visit, name)
            if value is not None:
                extensions.append({"url": url, key: value})
        extensions += [{"url": TREATMENT_GIVEN, "valueCode": t} for t in visit.treatments_given]
        if extensions:
            response = {
                "resourceType": response.pop("resourceType"),
                "id": response.pop("id"),
                "extension": extensions,
                **response,
            }
        entries.append({"fullUrl": f"urn:uuid:visit-{i}", "resource": response})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _detail(status: str, code: str, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "detail": {
            "kind": "ServiceRequest",
            "code": {"text": code},
            "status": status,
            "description": description,
            **extra,
        }
    }


def plan_to_care_plan(
    result: EpisodeAssessment, *, subject: str | None = None, ruleset_name: str = "pht-rules"
) -> dict[str, Any]:
    """The plan from the last visit as an R4 ``CarePlan``: one activity per loading phase
    (completed, in progress or not started), running, escalation and the review.

    Every activity carries a ``detail`` and no ``reference`` (invariant cpl-3).
    """
    plan = result.plan
    current = plan.phase
    position = LOADING_PHASES.index(current) if current in LOADING_PHASES else -1
    activities = []
    for i, phase in enumerate(LOADING_PHASES):
        if i < position:
            status = "completed"
        elif i == position:
            status = "in-progress"
        else:
            status = "not-started"
        text = f"Loading phase {i + 1} of 3: {phase}"
        if i == position:
            desc = " ".join(
                x
                for x in (plan.stage, "; ".join(plan.exercises), plan.dosage, plan.move_on_when)
                if x
            )
        else:
            desc = text
        activities.append(_detail(status, text, desc))
    activities.append(
        _detail(
            "on-hold" if plan.running == "stopped" else "in-progress",
            f"Running: {plan.running}",
            " ".join(plan.running_advice) or plan.running,
        )
    )
    if plan.escalation in ("consider-adjuncts", "consider-surgical-opinion", "review-later"):
        activities.append(
            _detail(
                "not-started", f"Escalation: {plan.escalation}", " ".join(plan.escalation_advice)
            )
        )
    if plan.review.on is not None:
        activities.append(
            {
                "detail": {
                    "kind": "Appointment",
                    "code": {"text": "Review"},
                    "status": "scheduled",
                    "scheduledPeriod": {"start": plan.review.on.isoformat()},
                    "description": plan.review.basis,
                }
            }
        )
    who = subject or result.patient
    narrative = (
        f'<div xmlns="http://www.w3.org/1999/xhtml"><p>Plan from {plan.decided_on}: '
        f"{html.escape(plan.stage or plan.loading)}; running {html.escape(plan.running)}.</p></div>"
    )
    care_plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "text": {"status": "generated", "div": narrative},
        "instantiatesCanonical": [plan_definition_url(ruleset_name)],
        "status": "active",
        "intent": "plan",
        "title": "Proximal hamstring tendinopathy loading programme",
        "description": plan.acceptable_pain,
        "subject": {"reference": who} if who and "/" in who else {"display": who or "patient"},
        "period": {"start": plan.decided_on.isoformat()},
        "note": [{"text": f"Call if: {c}"} for c in plan.call_if]
        + [{"text": f"Cites: {', '.join(plan.cites)} ({CATALOGUE_SYSTEM})"}],
        "activity": activities,
    }
    return care_plan
