# SPDX-License-Identifier: MIT
"""The running service: discovery and patient-view round trips, over HTTP, against uvicorn."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import pht_rules
from pht_rules.fhir import QUESTIONNAIRE_URL, assessment_to_request_group, validate_resource

from .conftest import (
    EXAMPLES,
    SERVICE,
    URL_ISSUER,
    Keys,
    example,
    example_hook,
    example_state,
    hook_request,
)
from .shapes import Discovery, check_cards, check_outcome

Auth = Callable[..., dict[str, str]]
HOOK = f"/cds-services/{SERVICE}"


def test_discovery(client: httpx.Client) -> None:
    """GET /cds-services lists the patient-view service and its prefetch; no token needed."""
    r = client.get("/cds-services")
    assert r.status_code == 200
    discovery = Discovery.model_validate(r.json())
    (service,) = discovery.services
    assert (service.hook, service.id) == ("patient-view", SERVICE)
    assert service.prefetch is not None
    template = service.prefetch["questionnaireResponse"]
    assert template.startswith(f"QuestionnaireResponse?questionnaire={QUESTIONNAIRE_URL}&")
    assert "patient={{context.patientId}}" in template and "status=completed" in template


EXPECTED_FIRST = {
    "incomplete-first-contact": ("info", None),
    "irritable-desk-worker": ("warning", "running.irritable-stop"),
    "less-irritable-marathoner": ("info", "presentation.consistent"),
    "recalcitrant-sprinter": ("warning", "escalation.adjuncts"),
    "suspected-avulsion": ("critical", "presentation.red-flag.avulsion"),
}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_patient_view_round_trip(path: Path, client: httpx.Client, auth: Auth) -> None:
    """Each example patient: a completed response in, valid cards out, most weighty first."""
    r = client.post(HOOK, json=example_hook(path), headers=auth())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    cards = check_cards(r.json())
    assessment = pht_rules.evaluate(example_state(path))
    indicator, rule = EXPECTED_FIRST.get(path.stem, (cards[0]["indicator"], None))
    assert cards[0]["indicator"] == indicator
    if rule is not None:
        assert f"`{rule}`" in cards[0]["detail"]
    order = {"critical": 0, "warning": 1, "info": 2}
    assert [order[c["indicator"]] for c in cards] == sorted(order[c["indicator"]] for c in cards)
    shown = {d.decision_id for d in assessment.decisions} - {
        d.decision_id for d in assessment.decisions if d.outcome in ("withheld", "undetermined")
    }
    assert len(cards) == len(shown) + (1 if assessment.needs_information else 0)
    for card in cards:
        assert assessment.ruleset.fingerprint in card["detail"]
        assert assessment.disclaimer in card["detail"]
        assert card["overrideReasons"]
        label = card["source"]["label"]
        topic = card["source"].get("topic")
        if topic is not None:
            assert label.startswith(topic["code"] + ": ")
    # the same assessment is also a valid RequestGroup
    validate_resource(assessment_to_request_group(assessment), "RequestGroup")


def test_red_flag_card_names_its_statement_and_link(client: httpx.Client, auth: Auth) -> None:
    """A critical card: summary under 140, source names a catalogue statement with a link."""
    r = client.post(HOOK, json=example_hook(example("suspected-avulsion")), headers=auth())
    card = check_cards(r.json())[0]
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("Presentation and red flags: Urgent imaging")
    assert card["source"]["label"].startswith("ART-PRES-3: ")
    assert card["source"]["url"] == "https://guideline.test.invalid/pht"
    assert "withheld until this is dealt with" in card["detail"]


def test_card_uuids_are_stable(client: httpx.Client, auth: Auth) -> None:
    """The same response gives the same uuids; another response version gives new ones."""
    body = example_hook(example("irritable-desk-worker"))
    first = [c["uuid"] for c in client.post(HOOK, json=body, headers=auth()).json()["cards"]]
    again = [c["uuid"] for c in client.post(HOOK, json=body, headers=auth()).json()["cards"]]
    assert first == again
    other = example_hook(example("irritable-desk-worker"), response_id="qr-other")
    third = [c["uuid"] for c in client.post(HOOK, json=other, headers=auth()).json()["cards"]]
    assert not set(first) & set(third)


def test_bare_response_instead_of_bundle(client: httpx.Client, auth: Auth) -> None:
    """A prefetch holding the QuestionnaireResponse itself is accepted too."""
    body = example_hook(example("less-irritable-marathoner"))
    bundle = body["prefetch"]["questionnaireResponse"]
    body["prefetch"]["questionnaireResponse"] = bundle["entry"][0]["resource"]
    r = client.post(HOOK, json=body, headers=auth())
    assert r.status_code == 200 and len(check_cards(r.json())) >= 5


@pytest.mark.parametrize(
    "prefetch",
    [
        None,
        {},
        {"questionnaireResponse": None},
        {"questionnaireResponse": {"resourceType": "OperationOutcome", "issue": []}},
    ],
    ids=["no-prefetch", "empty", "null", "operation-outcome"],
)
def test_unfetchable_questionnaire_response_is_a_412(
    prefetch: Any, client: httpx.Client, auth: Auth
) -> None:
    """Not prefetched (absent, null, an OperationOutcome) and no fhirServer: 412 (CDS Hooks)."""
    body = example_hook(example("less-irritable-marathoner"))
    if prefetch is None:
        body.pop("prefetch")
    else:
        body["prefetch"] = prefetch
    r = client.post(HOOK, json=body, headers=auth())
    assert r.status_code == 412, r.text
    assert r.json()["issue"][0]["code"] == "incomplete"


@pytest.mark.parametrize(
    "prefetch",
    [
        {"questionnaireResponse": {"resourceType": "Bundle", "type": "searchset", "total": 0}},
        "in-progress",
    ],
    ids=["empty-bundle", "only-in-progress"],
)
def test_missing_prefetch_gives_a_card_saying_what_is_needed(
    prefetch: Any, client: httpx.Client, auth: Auth
) -> None:
    """Without a completed response: 200 and one info card naming the questionnaire."""
    body = example_hook(example("less-irritable-marathoner"))
    if prefetch == "in-progress":
        body["prefetch"]["questionnaireResponse"]["entry"][0]["resource"]["status"] = "in-progress"
    elif prefetch is None:
        body.pop("prefetch")
    else:
        body["prefetch"] = prefetch
    r = client.post(HOOK, json=body, headers=auth())
    assert r.status_code == 200, r.text
    (card,) = check_cards(r.json())
    assert card["indicator"] == "info"
    assert "questionnaire" in card["summary"]
    assert QUESTIONNAIRE_URL in card["detail"]


def test_observations_only(client: httpx.Client, auth: Auth) -> None:
    """Observations without a response: cards from what they hold, plus the missing card."""
    from .test_mapping import _observations

    body = hook_request(
        None, patient_id="example-less-irritable-marathoner", observations=_observations()
    )
    body["prefetch"]["questionnaireResponse"] = {"resourceType": "Bundle", "type": "searchset"}
    r = client.post(HOOK, json=body, headers=auth())
    assert r.status_code == 200, r.text
    cards = check_cards(r.json())
    assert "intake questionnaire" in cards[-1]["summary"]
    assert any("question" in c["summary"] for c in cards)


def _mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = example_hook(example("less-irritable-marathoner"))
    response = body["prefetch"]["questionnaireResponse"]["entry"][0]["resource"]
    change(response)
    return body


def test_a_bad_answer_is_a_400_naming_the_link_id(client: httpx.Client, auth: Auth) -> None:
    """An out-of-range answer: 400 OperationOutcome whose issue names the linkId."""

    def change(response: dict[str, Any]) -> None:
        response["item"][0]["answer"] = [{"valueInteger": 500}]

    r = client.post(HOOK, json=_mutated(change), headers=auth())
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/fhir+json")
    issues = check_outcome(r.json(), code="value")
    assert "linkId 'age_years'" in issues[0]["diagnostics"]
    assert issues[0]["expression"] == ["QuestionnaireResponse.item.where(linkId='age_years')"]


def test_malformed_fhir_is_a_400(client: httpx.Client, auth: Auth) -> None:
    """A response that is not valid FHIR (fhir.resources): 400 naming the element."""

    def change(response: dict[str, Any]) -> None:
        response["subject"] = 5

    r = client.post(HOOK, json=_mutated(change), headers=auth())
    assert r.status_code == 400
    issues = check_outcome(r.json(), code="structure")
    assert issues[0]["expression"] == ["QuestionnaireResponse.subject"]


def test_response_about_another_patient_is_refused(client: httpx.Client, auth: Auth) -> None:
    """A response whose subject is not context.patientId: 400, no cards."""

    def change(response: dict[str, Any]) -> None:
        response["subject"] = {"reference": "Patient/someone-else"}

    r = client.post(HOOK, json=_mutated(change), headers=auth())
    assert r.status_code == 400
    check_outcome(r.json(), code="business-rule")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda b: b.update(hook="order-select"), "hook"),
        (lambda b: b.pop("hookInstance"), "hookInstance"),
        (lambda b: b["context"].pop("patientId"), "context.patientId"),
        (lambda b: b.update(context=[]), "context"),
        (lambda b: b.update(prefetch=[]), "prefetch"),
        (
            lambda b: b["prefetch"].update(questionnaireResponse="x"),
            "prefetch.questionnaireResponse",
        ),
        (
            lambda b: b["prefetch"].update(observations={"resourceType": "Patient"}),
            "prefetch.observations",
        ),
    ],
)
def test_bad_hook_requests_are_400(
    change: Callable[[dict[str, Any]], Any], where: str, client: httpx.Client, auth: Auth
) -> None:
    """A hook request missing what CDS Hooks requires: 400 naming the element."""
    body = copy.deepcopy(example_hook(example("less-irritable-marathoner")))
    change(body)
    r = client.post(HOOK, json=body, headers=auth())
    assert r.status_code == 400
    assert check_outcome(r.json())[0]["expression"] == [where]


def test_unknown_service_and_method(client: httpx.Client, auth: Auth) -> None:
    """Unknown service id: 404; wrong method: 405; both OperationOutcomes."""
    r = client.post("/cds-services/other-service", json={}, headers=auth())
    assert r.status_code == 404
    check_outcome(r.json(), code="not-found")
    r = client.get(HOOK)
    assert r.status_code == 405
    check_outcome(r.json())


def test_es384_and_jwks_url_issuers(client: httpx.Client, auth: Auth, keys: Keys) -> None:
    """ES384 from the JWKS file, and ES256 from an issuer whose JWKS is fetched by URL."""
    body = example_hook(example("less-irritable-marathoner"))
    r = client.post(HOOK, json=body, headers=auth(key=keys.ec, alg="ES384", kid="ec-1"))
    assert r.status_code == 200, r.text
    headers = auth(key=keys.remote, alg="ES256", kid="remote-1", iss=URL_ISSUER)
    r = client.post(HOOK, json=body, headers=headers)
    assert r.status_code == 200, r.text
