# SPDX-License-Identifier: MIT
"""The examples in docs/integration.md are real: recorded from the running service.

Each ``<!-- example: NAME -->`` block is compared with what the service answers now (uuids, the
rule-set fingerprint and the test port masked; for the cards of the round trip, their shape only,
so a rewording of a rule does not fail this test). After a deliberate change, rewrite the blocks:

    PHT_UPDATE_DOCS=1 python -m pytest tests/service/test_docs_examples.py
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

import httpx

import pht_rules
from pht_rules.fhir import state_to_response

from .conftest import EXAMPLES, ROOT, SERVICE, Server, example_state, hook_request
from .shapes import check_cards, check_outcome

DOC = ROOT / "docs" / "integration.md"
BLOCK = re.compile(
    r"(<!-- example: (?P<name>[\w-]+) -->\n```json\n)(?P<body>.*?)(?P<end>^```$)", re.S | re.M
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DOC_URL = "http://127.0.0.1:8765"
HOOK = f"/cds-services/{SERVICE}"


def _avulsion_request() -> dict[str, Any]:
    path = next(p for p in EXAMPLES if p.stem == "suspected-avulsion")
    response = state_to_response(
        example_state(path),
        response_id="qr-1001",
        subject="Patient/example-1001",
        authored="2026-03-02T09:30:00Z",
    )
    response["meta"] = {"versionId": "1", "lastUpdated": "2026-03-02T09:30:05Z"}
    body = hook_request(response, patient_id="example-1001")
    body["hookInstance"] = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
    body["context"]["userId"] = "Practitioner/example-77"
    body["fhirServer"] = "https://fhir.example.org/r4"
    entry = body["prefetch"]["questionnaireResponse"]["entry"][0]
    entry["fullUrl"] = "https://fhir.example.org/r4/QuestionnaireResponse/qr-1001"
    return body


def _record(
    client: httpx.Client, server: Server, auth: Callable[..., dict[str, str]]
) -> dict[str, Any]:
    live: dict[str, Any] = {}
    live["discovery-response"] = client.get("/cds-services").json()
    request = _avulsion_request()
    live["hook-request"] = request
    r = client.post(HOOK, json=request, headers=auth())
    assert r.status_code == 200
    live["hook-response"] = r.json()
    cards = check_cards(live["hook-response"])
    feedback = {
        "feedback": [
            {
                "card": cards[0]["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": cards[0]["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-03-02T09:41:12Z",
            },
            {
                "card": cards[1]["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": cards[1]["overrideReasons"][2],
                    "userComment": "Already discussed with the patient",
                },
                "outcomeTimestamp": "2026-03-02T09:41:30Z",
            },
        ]
    }
    live["feedback-request"] = feedback
    r = client.post(f"{HOOK}/feedback", json=feedback, headers=auth())
    assert r.status_code == 200
    live["feedback-response"] = r.json()
    empty = {
        **request,
        "prefetch": {
            "questionnaireResponse": {"resourceType": "Bundle", "type": "searchset", "total": 0}
        },
    }
    r = client.post(HOOK, json=empty, headers=auth())
    live["missing-prefetch-response"] = r.json()
    bad = json.loads(json.dumps(request))
    qr = bad["prefetch"]["questionnaireResponse"]["entry"][0]["resource"]
    onset = next(i for i in qr["item"] if i["linkId"] == "presentation.onset")
    onset["answer"] = [
        {
            "valueCoding": {
                "system": "https://pht-rules.example/fhir/CodeSystem/pht-answers",
                "code": "slowly",
            }
        }
    ]
    r = client.post(HOOK, json=bad, headers=auth())
    assert r.status_code == 400
    check_outcome(r.json())
    live["bad-answer-response"] = r.json()
    r = client.post(HOOK, json=request, headers=auth(expires_in=-600))
    assert r.status_code == 401
    live["unauthorized-response"] = r.json()
    r = client.post(HOOK, json=request, headers=auth(service="other"))
    live["wrong-audience-response"] = r.json()
    text = json.dumps(live).replace(server.url, DOC_URL)
    recorded: dict[str, Any] = json.loads(text)
    return recorded


def _mask(value: Any, fingerprint: str) -> Any:
    return json.loads(UUID.sub("<uuid>", json.dumps(value).replace(fingerprint, "<fingerprint>")))


def _shape(response: Any) -> list[tuple[str, str]]:
    return [
        (c["indicator"], c["source"].get("topic", {}).get("code", "")) for c in response["cards"]
    ]


def test_integration_guide_examples_are_current(
    client: httpx.Client, server: Server, auth: Callable[..., dict[str, str]]
) -> None:
    """Every example block in docs/integration.md matches the service's real exchange."""
    live = _record(client, server, auth)
    text = DOC.read_text(encoding="utf-8")
    names = [m.group("name") for m in BLOCK.finditer(text)]
    assert sorted(names) == sorted(live), "docs/integration.md example blocks"
    if os.environ.get("PHT_UPDATE_DOCS"):
        DOC.write_text(
            BLOCK.sub(
                lambda m: (
                    m.group(1)
                    + json.dumps(live[m.group("name")], indent=2, ensure_ascii=False)
                    + "\n"
                    + m.group("end")
                ),
                text,
            ),
            encoding="utf-8",
        )
        text = DOC.read_text(encoding="utf-8")  # then check the rewritten examples as usual
    fingerprint = pht_rules.load_rules().fingerprint
    hint = "run PHT_UPDATE_DOCS=1 python -m pytest tests/service/test_docs_examples.py"
    documented_fingerprints = set(re.findall(r"fingerprint `([0-9a-f]{16})`", text))
    for match in BLOCK.finditer(text):
        name = match.group("name")
        doc = json.loads(match.group("body"))
        if name == "hook-response":
            check_cards(doc)  # the documented answer is a valid CDS Hooks response
        for old in documented_fingerprints:
            doc = _mask(doc, old)
        now = _mask(live[name], fingerprint)
        if name == "hook-response":
            assert _shape(doc) == _shape(now), f"{name} changed: {hint}"
        elif name == "feedback-request":
            assert doc["feedback"][0]["outcome"] == now["feedback"][0]["outcome"], hint
        else:
            assert doc == now, f"{name} changed: {hint}"
