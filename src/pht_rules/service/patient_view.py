# SPDX-License-Identifier: MIT
"""The ``patient-view`` service, free of HTTP: hook request in, cards out.

The prefetch keys are read as CDS Hooks 2.0.1 has them: a key that is absent, ``null`` or an
``OperationOutcome`` (the client could not fetch it) is *missing*, and the service fetches it
from ``fhirServer`` when the request gives one (:mod:`pht_rules.service.fetch`); without the
questionnaire response and no way to fetch it, the answer is 412. A search that found no
completed response gives the "questionnaire needed" card. Each input is validated once, with
``fhir.resources``, and only when its answer is not cached.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pht_rules.definitions.ruleset import RuleSet
from pht_rules.evaluation.evaluator import Evaluator
from pht_rules.fhir.codes import ITEMS_SYSTEM, LOINC, LOINC_AGE, QUESTIONNAIRE_URL
from pht_rules.fhir.errors import FhirInputError, FhirProblem
from pht_rules.fhir.response import latest_response, response_to_state
from pht_rules.fhir.validation import validate_resource
from pht_rules.service._http import _Reject, bad
from pht_rules.service.cards import CardSet, assessment_cards, missing_input_card
from pht_rules.service.fetch import FhirAccess, fhir_access
from pht_rules.service.store import IssuedCard

__all__ = [
    "PATIENT_VIEW_ID",
    "PREFETCH",
    "HookInput",
    "PatientViewService",
    "discovery_document",
    "parse_hook",
    "precondition_failed",
]

PATIENT_VIEW_ID = "pht-patient-view"
PREFETCH = {
    "questionnaireResponse": (
        f"QuestionnaireResponse?questionnaire={QUESTIONNAIRE_URL}&patient={{{{context.patientId}}}}"
        "&status=completed,amended&_sort=-authored&_count=1"
    ),
    "observations": (
        f"Observation?patient={{{{context.patientId}}}}&code={LOINC}|{LOINC_AGE},{ITEMS_SYSTEM}|"
        "&status=final,amended,corrected&_sort=-date&_count=100"
    ),
}
"""Prefetch templates: the latest completed intake response; optionally, coded observations."""


def discovery_document() -> dict[str, Any]:
    """The CDS Hooks discovery response."""
    return {
        "services": [
            {
                "hook": "patient-view",
                "id": PATIENT_VIEW_ID,
                "title": "Proximal hamstring tendinopathy: guideline suggestions",
                "description": (
                    "Suggestions on red flags, irritability, running, the loading programme, "
                    "load management and escalation for proximal hamstring tendinopathy, from the "
                    "patient's latest completed pht_rules intake questionnaire; each cites its "
                    "guideline statement. Decision support for a clinician, not a diagnosis."
                ),
                "prefetch": dict(PREFETCH),
                "usageRequirements": (
                    "Needs a completed QuestionnaireResponse to "
                    f"{QUESTIONNAIRE_URL}; clients authenticate with a signed JWT."
                ),
            }
        ]
    }


@dataclass
class HookInput:
    """A checked hook request: the patient, the usable prefetch, what is missing, FHIR access."""

    patient_id: str
    prefetch: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    access: FhirAccess | None = None


def _usable(key: str, value: object) -> Mapping[str, Any] | None:
    """A prefetch value to read; ``None`` if the client could not fetch it (null, OperationOutcome)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise bad(f"prefetch.{key} must be a FHIR resource", f"prefetch.{key}", "structure")
    kind = value.get("resourceType")
    if kind == "OperationOutcome":
        return None
    allowed = ("Bundle", "QuestionnaireResponse") if key == "questionnaireResponse" else ("Bundle",)
    if kind not in allowed:
        raise bad(
            f"prefetch.{key} is a {kind!r}, not a {' or a '.join(allowed)}",
            f"prefetch.{key}",
            "structure",
        )
    return value


def parse_hook(body: Any) -> HookInput:
    """Check a ``patient-view`` request; :class:`_Reject` (400) names the field at fault."""
    if not isinstance(body, Mapping):
        raise bad("the hook request must be a JSON object", None, "structure")
    if body.get("hook") != "patient-view":
        raise bad(f"hook is {body.get('hook')!r}; this service answers 'patient-view'", "hook")
    if not isinstance(body.get("hookInstance"), str) or not body["hookInstance"]:
        raise bad("hookInstance is required (a string)", "hookInstance", "required")
    context = body.get("context")
    if not isinstance(context, Mapping):
        raise bad("context is required (an object)", "context", "required")
    patient_id = context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise bad("context.patientId is required (a string)", "context.patientId", "required")
    prefetch = body.get("prefetch")
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, Mapping):
        raise bad("prefetch must be an object", "prefetch", "structure")
    hook = HookInput(patient_id, access=fhir_access(body))
    missing = []
    for key in PREFETCH:
        value = _usable(key, prefetch.get(key))
        if value is None:
            missing.append(key)
        else:
            hook.prefetch[key] = value
    hook.missing = tuple(missing)
    return hook


def _has_observations(bundle: Mapping[str, Any]) -> bool:
    return any(
        isinstance(e, Mapping)
        and isinstance(e.get("resource"), Mapping)
        and e["resource"].get("resourceType") == "Observation"
        for e in bundle.get("entry") or ()
    )


def precondition_failed(message: str) -> _Reject:
    """412: the data the service needs could not be had (CDS Hooks 2.0.1)."""
    return _Reject(412, [FhirProblem(message, code="incomplete")], "precondition")


class _ResultCache:
    """Answers already computed, by digest of the FHIR input (a pure function of it).

    ``patient-view`` fires each time a chart opens, usually with the same latest response: the
    answer (cards and JSON) is kept for the last ``size`` distinct inputs, and FHIR validation
    (about 1.5 ms per response with ``fhir.resources``), mapping and evaluation are skipped.
    """

    def __init__(self, size: int = 1024) -> None:
        # Used from the event loop only, so it needs no lock.
        self._items: OrderedDict[bytes, tuple[bytes, list[IssuedCard]]] = OrderedDict()
        self._size = size

    def get(self, key: bytes) -> tuple[bytes, list[IssuedCard]] | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: bytes, value: tuple[bytes, list[IssuedCard]]) -> None:
        self._items[key] = value
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def _digest(*parts: object) -> bytes:
    text = json.dumps(parts, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).digest()


class PatientViewService:
    """The ``patient-view`` logic, free of HTTP: hook request in, cards out."""

    def __init__(
        self, evaluator: Evaluator, ruleset: RuleSet, guideline_url: str | None = None
    ) -> None:
        self.evaluator = evaluator
        self.ruleset = ruleset
        self.guideline_url = guideline_url
        self._results = _ResultCache()

    def respond(
        self, hook: HookInput, fetched: Mapping[str, Any] | None = None
    ) -> tuple[bytes, list[IssuedCard]]:
        """The JSON answer and its cards, from the prefetch and what was ``fetched``.

        :class:`_Reject`: 400 for a bad input, 412 when no questionnaire response could be had.
        """
        values = dict(hook.prefetch)
        values.update({k: v for k, v in (fetched or {}).items() if isinstance(v, Mapping)})
        for name, value in values.items():
            _usable(name, value)
        found = values.get("questionnaireResponse")
        observations = values.get("observations")
        patient_id = hook.patient_id
        if found is None:
            raise precondition_failed(
                "the questionnaire response was not prefetched and cannot be fetched: send "
                "prefetch.questionnaireResponse, or fhirServer and fhirAuthorization"
            )
        if observations is not None and not _has_observations(observations):
            observations = None  # an empty search: nothing to read
        response = latest_response(found)
        if response is None:
            self._validate(found, str(found.get("resourceType")), "prefetch.questionnaireResponse")
        if response is None and observations is None:
            return _encode(self._missing(patient_id))
        if response is not None:
            _check_subject(response.get("subject"), patient_id, "QuestionnaireResponse.subject")
        if observations is not None:
            for entry in observations.get("entry") or ():
                resource = entry.get("resource") if isinstance(entry, Mapping) else None
                if isinstance(resource, Mapping) and resource.get("resourceType") == "Observation":
                    _check_subject(resource.get("subject"), patient_id, "Observation.subject")
        key = _digest(response, observations)
        cached = self._results.get(key)
        if cached is not None:
            return cached
        answer = _encode(self._cards(response, observations))
        self._results.put(key, answer)
        return answer

    def _missing(self, patient_id: str) -> CardSet:
        reason = "No completed intake questionnaire response was found for this patient."
        return missing_input_card(
            patient_id=patient_id,
            ruleset=self.ruleset,
            service_id=PATIENT_VIEW_ID,
            prefetch_template=PREFETCH["questionnaireResponse"],
            reason=reason,
        )

    def _cards(
        self, response: Mapping[str, Any] | None, observations: Mapping[str, Any] | None
    ) -> CardSet:
        if response is not None:
            self._validate(response, "QuestionnaireResponse", "prefetch.questionnaireResponse")
        if observations is not None:
            self._validate(observations, "Bundle", "prefetch.observations")
        try:
            if response is not None:
                state = response_to_state(response, observations=observations)
            else:
                state = response_to_state(_EMPTY_RESPONSE, observations=observations)
        except FhirInputError as exc:
            raise _Reject(400, list(exc.problems), "answers") from None
        assessment = self.evaluator.evaluate(state)
        key = _input_key(response, state.model_dump_json())
        state_key = key
        cards = assessment_cards(
            assessment,
            ruleset=self.ruleset,
            service_id=PATIENT_VIEW_ID,
            input_key=key,
            guideline_url=self.guideline_url,
        )
        if response is None:
            missing = missing_input_card(
                patient_id=state_key,
                ruleset=self.ruleset,
                service_id=PATIENT_VIEW_ID,
                prefetch_template=PREFETCH["questionnaireResponse"],
                reason="Only coded observations were available, no questionnaire response.",
            )
            cards = CardSet(cards.cards + missing.cards, cards.issued + missing.issued)
        return cards

    def _validate(self, resource: Mapping[str, Any], expected: str, where: str) -> None:
        try:
            validate_resource(resource, expected)
        except FhirInputError as exc:
            problems = [
                FhirProblem(f"{where}: {p.message}", p.link_id, p.expression, p.code)
                for p in exc.problems
            ]
            raise _Reject(400, problems, "fhir") from None


_EMPTY_RESPONSE = {
    "resourceType": "QuestionnaireResponse",
    "questionnaire": QUESTIONNAIRE_URL,
    "status": "completed",
}


def _encode(cards: CardSet) -> tuple[bytes, list[IssuedCard]]:
    body = json.dumps({"cards": cards.cards}, ensure_ascii=False, separators=(",", ":"))
    return body.encode("utf-8"), cards.issued


def _check_subject(subject: object, patient_id: str, where: str) -> None:
    if subject is None:
        return
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(reference, str):
        return  # an identifier-only subject cannot be compared; the prefetch query chose it
    if reference != f"Patient/{patient_id}" and not reference.endswith(f"/Patient/{patient_id}"):
        raise _Reject(
            400,
            [
                FhirProblem(
                    "the resource is about another patient than context.patientId",
                    None,
                    where,
                    "business-rule",
                )
            ],
            "subject",
        )


def _input_key(response: Mapping[str, Any] | None, state_json: str) -> str:
    digest = hashlib.sha256(state_json.encode("utf-8")).hexdigest()[:32]
    if response is None:
        return f"observations@{digest}"
    meta = response.get("meta")
    version = meta.get("versionId") if isinstance(meta, Mapping) else None
    return f"{response.get('id') or ''}/{version or ''}@{digest}"
