# SPDX-License-Identifier: MIT
# Over 400 lines: reading and writing a QuestionnaireResponse mirror each other answer type by answer type.
"""``QuestionnaireResponse`` / ``Observation`` <-> :class:`~pht_rules.PatientState`.

Reading is strict, like the patient model: an answer must use the type and codes of the shipped
``Questionnaire``, an unknown ``linkId`` is an error, and every problem names the ``linkId`` at
fault. A question left unanswered, or answered Don't know, is unknown (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import ValidationError

from pht_rules.errors import PatientStateError
from pht_rules.fhir.codes import (
    ANSWERS_SYSTEM,
    ITEMS_SYSTEM,
    LOINC,
    LOINC_AGE,
    NO,
    QUESTIONNAIRE_URL,
    QUESTIONNAIRE_VERSION,
    UCUM,
    UCUM_UNITS,
    UNKNOWN,
    YES,
    YES_NO_SYSTEM,
)
from pht_rules.fhir.errors import FhirInputError, FhirProblem
from pht_rules.fhir.questionnaire import answer_display
from pht_rules.fhir.units import convert_ucum
from pht_rules.patient.fields import FieldSpec, Scalar, input_fields
from pht_rules.patient.model import PatientState, parse_state

__all__ = [
    "SUPPORTED_QUESTIONNAIRE_VERSIONS",
    "Values",
    "latest_response",
    "observations_to_state",
    "response_to_state",
    "state_to_response",
]

SUPPORTED_QUESTIONNAIRE_VERSIONS: frozenset[str] = frozenset({"1.0.0", QUESTIONNAIRE_VERSION})
"""1.0.0 grouped the items by model section; its responses read the same."""
"""Questionnaire versions whose responses this release reads."""

_ACCEPTED_RESPONSE_STATUS = ("completed", "amended")
_ACCEPTED_OBSERVATION_STATUS = ("final", "amended", "corrected")

Values = dict[str, Scalar | None]


@cache
def _fields() -> dict[str, FieldSpec]:
    return {f.path: f for f in input_fields()}


@cache
def _groups() -> frozenset[str]:
    return frozenset(p.rpartition(".")[0] for p in _fields() if "." in p)


def _item_expr(parent: str, link_id: str) -> str:
    return f"{parent}.item.where(linkId='{link_id}')"


# --------------------------------------------------------------------------------------------
# QuestionnaireResponse -> values


@dataclass
class _Reader:
    values: Values
    where: dict[str, str]  # field path -> FHIRPath of the answer, for error reports
    problems: list[FhirProblem]

    def problem(self, message: str, link_id: str | None, expr: str, code: str = "invalid") -> None:
        self.problems.append(FhirProblem(message, link_id, expr, code))


def _check_header(response: Mapping[str, Any], reader: _Reader) -> None:
    kind = response.get("resourceType")
    if kind != "QuestionnaireResponse":
        reader.problem(
            f"expected a QuestionnaireResponse, got resourceType {kind!r}",
            None,
            "resourceType",
            "structure",
        )
        return
    status = response.get("status")
    if status not in _ACCEPTED_RESPONSE_STATUS:
        reader.problem(
            f"status is {status!r}: only a completed (or amended) response can be assessed",
            None,
            "QuestionnaireResponse.status",
            "business-rule",
        )
    canonical = response.get("questionnaire")
    if not isinstance(canonical, str):
        reader.problem(
            f"questionnaire is missing: expected {QUESTIONNAIRE_URL}",
            None,
            "QuestionnaireResponse.questionnaire",
            "required",
        )
        return
    url, _, version = canonical.partition("|")
    if url != QUESTIONNAIRE_URL:
        reader.problem(
            f"answers questionnaire {url!r}, not {QUESTIONNAIRE_URL}",
            None,
            "QuestionnaireResponse.questionnaire",
            "not-supported",
        )
    elif version and version not in SUPPORTED_QUESTIONNAIRE_VERSIONS:
        supported = ", ".join(sorted(SUPPORTED_QUESTIONNAIRE_VERSIONS))
        reader.problem(
            f"questionnaire version {version!r} is not supported (supported: {supported})",
            None,
            "QuestionnaireResponse.questionnaire",
            "not-supported",
        )


def _walk_items(items: object, parent: str, reader: _Reader) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        reader.problem("item must be a list", None, f"{parent}.item", "structure")
        return
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
            reader.problem("an item without a linkId", None, f"{parent}.item[{index}]", "structure")
            continue
        link_id = item["linkId"]
        expr = _item_expr(parent, link_id)
        if link_id in _groups():
            if item.get("answer"):
                reader.problem("a group item cannot have an answer", link_id, expr, "structure")
            _walk_items(item.get("item"), expr, reader)
        elif link_id in _fields():
            _read_leaf(item, _fields()[link_id], expr, reader)
        else:
            reader.problem(
                "is not an item of the questionnaire " + QUESTIONNAIRE_URL, link_id, expr, "value"
            )


def _read_leaf(item: Mapping[str, Any], spec: FieldSpec, expr: str, reader: _Reader) -> None:
    link_id = spec.path
    if link_id in reader.where:
        reader.problem("is answered more than once", link_id, expr, "structure")
        return
    reader.where[link_id] = expr
    if item.get("item"):
        reader.problem("has nested items, which this question does not", link_id, expr, "structure")
    answers = item.get("answer")
    if answers is None or answers == []:
        return  # unanswered: unknown
    if not isinstance(answers, list):
        reader.problem("answer must be a list", link_id, expr, "structure")
        return
    if len(answers) > 1:
        reader.problem(f"has {len(answers)} answers; it takes one", link_id, expr, "structure")
        return
    answer = answers[0]
    if not isinstance(answer, Mapping):
        reader.problem("answer must be an object", link_id, expr, "structure")
        return
    if answer.get("item"):
        reader.problem("answer has nested items, which this question does not", link_id, expr)
    keys = [k for k in answer if k.startswith("value")]
    if len(keys) != 1:
        reader.problem("answer must have exactly one value[x]", link_id, expr, "structure")
        return
    ok, value, message = _answer_value(spec, keys[0], answer[keys[0]])
    if not ok:
        reader.problem(message, link_id, f"{expr}.answer.{keys[0]}", "value")
        return
    reader.values[link_id] = value


def _answer_value(spec: FieldSpec, key: str, raw: Any) -> tuple[bool, Scalar | None, str]:
    if spec.kind == "int":
        if key != "valueInteger":
            return False, None, f"expected valueInteger, got {key}"
        if isinstance(raw, bool) or not isinstance(raw, int):
            return False, None, "valueInteger must be a whole number"
        return True, raw, ""
    if key != "valueCoding":
        return False, None, f"expected valueCoding (one of the item's answerOptions), got {key}"
    if not isinstance(raw, Mapping):
        return False, None, "valueCoding must be an object"
    return _coded_value(spec, raw.get("system"), raw.get("code"))


def _coded_value(spec: FieldSpec, system: object, code: object) -> tuple[bool, Scalar | None, str]:
    if system == UNKNOWN["system"] and code == UNKNOWN["code"]:
        return True, None, ""
    if spec.kind == "bool" and system == YES_NO_SYSTEM and code in ("Y", "N"):
        return True, code == "Y", ""
    if spec.kind == "enum" and system == ANSWERS_SYSTEM and code in spec.values:
        return True, str(code), ""
    if spec.kind == "bool":
        allowed = f"{YES_NO_SYSTEM}|Y or |N, or {UNKNOWN['system']}|{UNKNOWN['code']}"
    elif spec.kind == "enum":
        allowed = f"{ANSWERS_SYSTEM}|{{{', '.join(spec.values)}}} or Asked But Unknown"
    else:
        allowed = "a number"
    return False, None, f"{system}|{code} is not an answer option (expected {allowed})"


def _read_response(response: object) -> _Reader:
    reader = _Reader({}, {}, [])
    if not isinstance(response, Mapping):
        reader.problem("a QuestionnaireResponse must be a JSON object", None, "", "structure")
        return reader
    _check_header(response, reader)
    if response.get("resourceType") == "QuestionnaireResponse":
        _walk_items(response.get("item"), "QuestionnaireResponse", reader)
    return reader


# --------------------------------------------------------------------------------------------
# Observations -> values


@cache
def _codes() -> dict[tuple[str, str], FieldSpec]:
    codes = {(ITEMS_SYSTEM, f.path): f for f in input_fields()}
    codes[(LOINC, LOINC_AGE)] = _fields()["age_years"]
    return codes


def _observation_entries(observations: object) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(observations, Mapping) and observations.get("resourceType") == "Bundle":
        for i, entry in enumerate(observations.get("entry") or ()):
            resource = entry.get("resource") if isinstance(entry, Mapping) else None
            if isinstance(resource, Mapping) and resource.get("resourceType") == "Observation":
                yield f"Bundle.entry[{i}].resource", resource
    elif isinstance(observations, Mapping) and observations.get("resourceType") == "Observation":
        yield "Observation", observations
    elif isinstance(observations, Sequence) and not isinstance(observations, str | bytes):
        for i, resource in enumerate(observations):
            if isinstance(resource, Mapping) and resource.get("resourceType") == "Observation":
                yield f"Observation[{i}]", resource


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    # FHIR dateTime may be partial (YYYY, YYYY-MM, YYYY-MM-DD); pad to a comparable instant.
    padded = {4: "-01-01", 7: "-01"}.get(len(text), "")
    try:
        moment = datetime.fromisoformat(text + padded)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _observation_time(obs: Mapping[str, Any]) -> datetime | None:
    period = obs.get("effectivePeriod")
    period_end = None
    if isinstance(period, Mapping):
        period_end = period.get("end") or period.get("start")
    for candidate in (obs.get("effectiveDateTime"), obs.get("effectiveInstant"), period_end):
        moment = _parse_time(candidate)
        if moment is not None:
            return moment
    return _parse_time(obs.get("issued"))


def _observation_field(obs: Mapping[str, Any]) -> FieldSpec | None:
    code = obs.get("code")
    codings = code.get("coding") if isinstance(code, Mapping) else None
    for coding in codings or ():
        if isinstance(coding, Mapping):
            spec = _codes().get((str(coding.get("system")), str(coding.get("code"))))
            if spec is not None:
                return spec
    return None


def _observation_value(spec: FieldSpec, obs: Mapping[str, Any]) -> tuple[bool, Scalar | None, str]:
    keys = [k for k in obs if k.startswith("value")]
    if not keys:
        if obs.get("dataAbsentReason") is not None:
            return True, None, ""
        return False, None, "has neither a value nor a dataAbsentReason"
    key, raw = keys[0], obs[keys[0]]
    if spec.kind == "int":
        if key == "valueInteger" and isinstance(raw, int) and not isinstance(raw, bool):
            return True, raw, ""
        if key == "valueQuantity" and isinstance(raw, Mapping):
            return _quantity_value(spec, raw)
        return False, None, f"expected valueQuantity or valueInteger, got {key}"
    if spec.kind == "bool" and key == "valueBoolean" and isinstance(raw, bool):
        return True, raw, ""
    if key != "valueCodeableConcept" or not isinstance(raw, Mapping):
        wanted = (
            "valueBoolean or valueCodeableConcept"
            if spec.kind == "bool"
            else "valueCodeableConcept"
        )
        return False, None, f"expected {wanted}, got {key}"
    last: tuple[bool, Scalar | None, str] = (False, None, "valueCodeableConcept has no coding")
    for coding in raw.get("coding") or ():
        if isinstance(coding, Mapping):
            last = _coded_value(spec, coding.get("system"), coding.get("code"))
            if last[0]:
                return last
    return last


def _quantity_value(spec: FieldSpec, quantity: Mapping[str, Any]) -> tuple[bool, int | None, str]:
    if quantity.get("comparator") is not None:
        return False, None, "a valueQuantity with a comparator cannot be used"
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False, None, "valueQuantity.value must be a number"
    expected = UCUM_UNITS[spec.unit][0] if spec.unit in UCUM_UNITS else None
    code, system = quantity.get("code"), quantity.get("system")
    if code is None and system is None:
        return _whole(value, "")
    if system != UCUM or not isinstance(code, str) or expected is None:
        return False, None, f"unit {system}|{code} is not a UCUM unit ({UCUM})"
    if code == expected:
        return _whole(value, "")
    converted, message = convert_ucum(float(value), code, expected)
    if converted is None:
        return False, None, message
    return _whole(converted, f" ({value} {code} is {converted:g} {expected})")


def _whole(value: float, note: str) -> tuple[bool, int | None, str]:
    rounded = round(value)
    if abs(value - rounded) > 1e-6:
        return (
            False,
            None,
            f"valueQuantity.value must be a whole number of the unit, got {value:g}{note}",
        )
    return True, int(rounded), ""


def _read_observations(observations: object, reader: _Reader) -> None:
    chosen: dict[str, tuple[datetime | None, Scalar | None, str]] = {}
    for expr, obs in _observation_entries(observations):
        if obs.get("status") not in _ACCEPTED_OBSERVATION_STATUS:
            continue  # preliminary, cancelled, entered-in-error...: not a result to use
        spec = _observation_field(obs)
        if spec is None:
            continue  # not one of ours: a search may return others
        ok, value, message = _observation_value(spec, obs)
        if not ok:
            reader.problem(message, spec.path, expr, "value")
            continue
        moment = _observation_time(obs)
        previous = chosen.get(spec.path)
        if previous is None or (
            moment is not None and (previous[0] is None or moment > previous[0])
        ):
            chosen[spec.path] = (moment, value, expr)
        elif moment == previous[0] and value != previous[1]:
            reader.problem(
                f"two observations of the same time disagree ({previous[2]} and {expr})",
                spec.path,
                expr,
                "invariant",
            )
    for path, (_moment, value, expr) in chosen.items():
        if value is None:
            continue
        answered = reader.values.get(path)
        if answered is not None and answered != value:
            reader.problem(
                f"the questionnaire answer ({answered!r}) disagrees with {expr} ({value!r})",
                path,
                expr,
                "invariant",
            )
        elif answered is None:
            reader.values[path] = value
            reader.where.setdefault(path, expr)


# --------------------------------------------------------------------------------------------
# values -> PatientState


def _to_state(reader: _Reader) -> PatientState:
    if reader.problems:
        raise FhirInputError(reader.problems)
    nested: dict[str, Any] = {}
    for path, value in reader.values.items():
        if value is None:
            continue
        *groups, leaf = path.split(".")
        target = nested
        for group in groups:
            target = target.setdefault(group, {})
        target[leaf] = value
    try:
        return parse_state(nested)
    except PatientStateError as exc:
        raise FhirInputError(
            [
                FhirProblem(
                    p.message,
                    p.field_path or None,
                    reader.where.get(p.field_path, "QuestionnaireResponse"),
                    "value",
                )
                for p in exc.problems
            ]
        ) from None
    except ValidationError as exc:  # pragma: no cover - parse_state converts these
        raise FhirInputError([FhirProblem(str(exc))]) from None


def response_to_state(response: Mapping[str, Any], *, observations: object = None) -> PatientState:
    """Read a completed ``QuestionnaireResponse`` to the shipped Questionnaire as a patient state.

    ``observations`` (a ``Bundle``, one ``Observation`` or a list) may fill questions the response
    leaves unanswered; an observation that disagrees with an answer is an error. Raises
    :class:`~pht_rules.fhir.FhirInputError` whose problems name each ``linkId`` at fault; the
    patient model's own checks (ranges, contradictions) are reported the same way.
    """
    reader = _read_response(response)
    if observations is not None:
        _read_observations(observations, reader)
    return _to_state(reader)


def observations_to_state(observations: object) -> PatientState:
    """Read a patient state from ``Observation`` resources (a ``Bundle``, one, or a list).

    An observation counts when its status is final, amended or corrected and its code is a
    question of the project's item system (code = field path) or LOINC 30525-0 (age). Numbers come
    as ``valueQuantity`` (UCUM unit of the question, whole number) or ``valueInteger``; yes/no as
    ``valueBoolean`` or a Y/N ``valueCodeableConcept``; choices as a ``valueCodeableConcept`` of the
    answers system. The latest observation of each question wins. Other observations are ignored.
    """
    reader = _Reader({}, {}, [])
    _read_observations(observations, reader)
    return _to_state(reader)


# --------------------------------------------------------------------------------------------
# PatientState -> QuestionnaireResponse


def _answer(spec: FieldSpec, value: Scalar | None) -> dict[str, Any]:
    if value is None:
        return {"valueCoding": dict(UNKNOWN)}
    if spec.kind == "int":
        return {"valueInteger": value}
    if spec.kind == "bool":
        return {"valueCoding": dict(YES if value else NO)}
    text = str(value)
    return {
        "valueCoding": {"system": ANSWERS_SYSTEM, "code": text, "display": answer_display(text)}
    }


def _get(state: PatientState, path: str) -> Scalar | None:
    target: Any = state
    for part in path.split("."):
        target = getattr(target, part)
    value: Scalar | None = target
    return value


def state_to_response(
    state: PatientState | Mapping[str, Any],
    *,
    response_id: str | None = None,
    subject: str | None = None,
    authored: str | None = None,
    explicit_unknown: bool = False,
) -> dict[str, Any]:
    """A completed ``QuestionnaireResponse`` holding ``state``'s known answers.

    Unknown fields are left out, or answered Don't know when ``explicit_unknown`` is true (for
    choice questions; a number has no Don't know). ``subject`` is a reference such as
    ``Patient/123``; ``authored`` a FHIR dateTime. :func:`response_to_state` reads it back to an
    equal state.
    """
    model = parse_state(state) if not isinstance(state, PatientState) else state
    items: list[dict[str, Any]] = []
    for spec in input_fields():
        value = _get(model, spec.path)
        if value is None and not (explicit_unknown and spec.kind != "int"):
            continue
        items.append({"linkId": spec.path, "text": spec.question, "answer": [_answer(spec, value)]})
    response: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if response_id is not None:
        response["id"] = response_id
    response["questionnaire"] = f"{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}"
    response["status"] = "completed"
    if subject is not None:
        response["subject"] = {"reference": subject}
    if authored is not None:
        response["authored"] = authored
    response["item"] = items
    return response


# --------------------------------------------------------------------------------------------
# Choosing the response to assess


def _responses(resource: object) -> Iterable[Mapping[str, Any]]:
    if not isinstance(resource, Mapping):
        return ()
    if resource.get("resourceType") == "QuestionnaireResponse":
        return (resource,)
    if resource.get("resourceType") != "Bundle":
        return ()
    found = []
    for entry in resource.get("entry") or ():
        res = entry.get("resource") if isinstance(entry, Mapping) else None
        if isinstance(res, Mapping) and res.get("resourceType") == "QuestionnaireResponse":
            found.append(res)
    return found


def latest_response(resource: object) -> Mapping[str, Any] | None:
    """The latest completed (or amended) response to the shipped Questionnaire in ``resource``.

    ``resource`` is a ``Bundle`` (a search result) or a single ``QuestionnaireResponse``. Responses
    to other questionnaires and unfinished ones are skipped; among the rest the latest ``authored``
    wins (the first listed when none has a date). ``None`` when there is none.
    """
    best: Mapping[str, Any] | None = None
    best_time: datetime | None = None
    for res in _responses(resource):
        canonical = res.get("questionnaire")
        if not isinstance(canonical, str) or canonical.partition("|")[0] != QUESTIONNAIRE_URL:
            continue
        if res.get("status") not in _ACCEPTED_RESPONSE_STATUS:
            continue
        moment = _parse_time(res.get("authored"))
        if best is None or (moment is not None and (best_time is None or moment > best_time)):
            best, best_time = res, moment
    return best
