# SPDX-License-Identifier: MIT
"""No patient data in the logs: ids, answers, comments and tokens never reach the log."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from pht_rules.fhir import state_to_response

from .conftest import SERVICE, Server, example, example_state, hook_request
from .shapes import check_cards

HOOK = f"/cds-services/{SERVICE}"


def test_logs_hold_no_patient_data(
    client: httpx.Client, server: Server, make_token: Callable[..., str]
) -> None:
    """Round trips, errors and feedback with marked data: none of the marks is logged."""
    patient = "pt-SECRET-4711"
    response_id = "qr-SECRET-0815"
    user = "Practitioner/SECRET-DOC"
    comment = "SECRET-COMMENT about the patient"
    state = example_state(example("irritable-desk-worker")).model_copy(update={"age_years": 97})
    response = state_to_response(state, response_id=response_id, subject=f"Patient/{patient}")
    body = hook_request(response, patient_id=patient)
    body["prefetch"]["observations"] = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    body["context"]["userId"] = user
    body["fhirServer"] = "https://SECRET-fhir.example"
    body["fhirAuthorization"] = {"access_token": "SECRET-ACCESS-TOKEN", "token_type": "Bearer"}
    token = make_token()
    r = client.post(HOOK, json=body, headers={"Authorization": f"Bearer {token}"})
    cards = check_cards(r.json())
    # a rejected answer (its value must not be logged either)
    bad = hook_request(
        {**response, "item": [{"linkId": "age_years", "answer": [{"valueInteger": 987654}]}]},
        patient_id=patient,
    )
    client.post(HOOK, json=bad, headers={"Authorization": f"Bearer {make_token()}"})
    # a refused token and a replay
    client.post(HOOK, json=body, headers={"Authorization": f"Bearer {token}"})
    client.post(
        HOOK, content=b'{"SECRET-BROKEN', headers={"Authorization": f"Bearer {make_token()}"}
    )
    feedback = {
        "card": cards[0]["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": cards[0]["overrideReasons"][0], "userComment": comment},
        "outcomeTimestamp": "2026-03-02T09:41:00Z",
    }
    r = client.post(
        f"{HOOK}/feedback",
        json={"feedback": [feedback]},
        headers={"Authorization": f"Bearer {make_token()}"},
    )
    assert r.status_code == 200
    time.sleep(0.3)  # let the server's log lines land
    log = server.log()
    assert "POST /cds-services/{service_id} 200" in log, "the access log is there"
    for secret in ("SECRET", patient, response_id, "987654", token, token.split(".")[1]):
        assert secret not in log, secret
    for card in cards:
        assert card["uuid"] not in log
