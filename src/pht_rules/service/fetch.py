# SPDX-License-Identifier: MIT
"""Fetching what the CDS client did not prefetch, from its FHIR server (``fhirpy``).

When a hook request lacks a prefetch key (or the client could not fill it: ``null`` or an
``OperationOutcome``) and carries ``fhirServer`` and ``fhirAuthorization``, the service runs the
same searches as its prefetch templates against that server, with the client's bearer token and
a time limit: the patient's latest completed response to the intake Questionnaire, and the coded
Observations. A failure is a :class:`FetchError`, which the service answers with 412 (CDS Hooks:
the service could not obtain the data it needs). The server's error text never reaches the log
or the caller, and neither does the token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pht_rules.errors import PhtRulesError
from pht_rules.fhir.codes import ITEMS_SYSTEM, LOINC, LOINC_AGE, QUESTIONNAIRE_URL

__all__ = ["FetchError", "FhirAccess", "fetch_missing", "fhir_access"]


class FetchError(PhtRulesError):
    """The FHIR server could not give what was needed; ``message`` is safe to return."""

    def __init__(self, message: str, reason: str) -> None:
        self.message = message
        self.reason = reason  # a fixed code for the log
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class FhirAccess:
    """Where and how to read the patient's data: the hook's ``fhirServer`` and bearer token."""

    server: str
    token: str


def fhir_access(body: Mapping[str, Any]) -> FhirAccess | None:
    """The hook request's FHIR server access, ``None`` when it gives none (or only half)."""
    server, auth = body.get("fhirServer"), body.get("fhirAuthorization")
    if not isinstance(server, str) or not isinstance(auth, Mapping):
        return None
    token, kind = auth.get("access_token"), auth.get("token_type")
    parts = urlsplit(server)
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or not isinstance(token, str)
        or not token
        or not isinstance(kind, str)
        or kind.lower() != "bearer"
    ):
        return None
    return FhirAccess(server.rstrip("/"), token)


def _search(access: FhirAccess, resource_type: str, params: dict[str, Any], timeout: float) -> Any:
    from fhirpy import SyncFHIRClient

    client = SyncFHIRClient(
        access.server,
        authorization=f"Bearer {access.token}",
        extra_headers={"Accept": "application/fhir+json"},
        requests_config={"timeout": timeout, "allow_redirects": False},
    )
    try:
        data = client.execute(resource_type, method="get", params=params)
    except Exception:  # fhirpy and requests errors alike; their text may quote the server
        raise FetchError(
            f"the FHIR server did not answer the {resource_type} search", "fetch"
        ) from None
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        raise FetchError(f"the FHIR server's {resource_type} search gave no Bundle", "fetch")
    # fhirpy gives attribute dicts: back to plain JSON data
    plain: dict[str, Any] = json.loads(json.dumps(data))
    return plain


def fetch_missing(
    access: FhirAccess,
    patient_id: str,
    *,
    response: bool,
    observations: bool,
    timeout: float,
) -> dict[str, Any]:
    """The missing prefetch values, by key, from the FHIR server (:class:`FetchError` if not)."""
    found: dict[str, Any] = {}
    if response:
        found["questionnaireResponse"] = _search(
            access,
            "QuestionnaireResponse",
            {
                "questionnaire": QUESTIONNAIRE_URL,
                "patient": patient_id,
                "status": "completed,amended",
                "_sort": "-authored",
                "_count": "1",
            },
            timeout,
        )
    if observations:
        found["observations"] = _search(
            access,
            "Observation",
            {
                "patient": patient_id,
                "code": f"{LOINC}|{LOINC_AGE},{ITEMS_SYSTEM}|",
                "status": "final,amended,corrected",
                "_sort": "-date",
                "_count": "100",
            },
            timeout,
        )
    return found
