# SPDX-License-Identifier: MIT
"""CDS Hooks 2.0.1 probes: fetching from a real FHIR server, 412, tokens, CORS, 405, workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from pht_rules.fhir import state_to_response
from pht_rules.fhir.codes import QUESTIONNAIRE_URL
from pht_rules.service.feedback import is_rfc3339

from .conftest import (
    ISSUER,
    SERVICE,
    Keys,
    Server,
    TokenFactory,
    example,
    example_hook,
    example_state,
    free_port,
    start_server,
)
from .shapes import check_cards

HOOK = f"/cds-services/{SERVICE}"
ROOT = Path(__file__).resolve().parents[2]
FHIR_TOKEN = "fhir-access-token-1"


@pytest.fixture(scope="module")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fhirstarter FHIR server on loopback holding one patient's responses."""
    workdir = tmp_path_factory.mktemp("fhir")
    state = example_state(example("less-irritable-marathoner"))
    older = state_to_response(
        state.model_copy(update={"age_years": 30}),
        response_id="old",
        subject="Patient/p-1",
        authored="2026-01-01T09:00:00Z",
    )
    newer = state_to_response(
        state, response_id="new", subject="Patient/p-1", authored="2026-03-01T09:00:00Z"
    )
    data = workdir / "data.json"
    data.write_text(json.dumps({"token": FHIR_TOKEN, "resources": [older, newer]}))
    port = free_port()
    log = (workdir / "fhir.log").open("wb")
    env = {**os.environ, "FHIR_SEQUENCE": "R4B", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.service.fhir_server", str(port), str(data)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            assert proc.poll() is None, (workdir / "fhir.log").read_text()
            try:
                httpx.get(f"{url}/metadata", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "FHIR server not ready"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def _no_prefetch(patient: str, server: str, token: str = FHIR_TOKEN) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/t", "patientId": patient},
        "fhirServer": server,
        "fhirAuthorization": {"access_token": token, "token_type": "Bearer", "expires_in": 300},
    }


def test_missing_prefetch_is_fetched_from_the_fhir_server(
    fhir_server: str, client: httpx.Client, auth: Any
) -> None:
    """No prefetch: the latest response is fetched; the cards equal the prefetched ones."""
    r = client.post(HOOK, json=_no_prefetch("p-1", fhir_server), headers=auth())
    assert r.status_code == 200, r.text
    fetched = check_cards(r.json())
    body = example_hook(example("less-irritable-marathoner"))
    prefetched = check_cards(client.post(HOOK, json=body, headers=auth()).json())
    assert [c["summary"] for c in fetched] == [c["summary"] for c in prefetched]
    assert not any("intake questionnaire" in c["summary"] for c in fetched)


def test_a_patient_with_no_response_on_the_server_gets_the_questionnaire_card(
    fhir_server: str, client: httpx.Client, auth: Any
) -> None:
    r = client.post(HOOK, json=_no_prefetch("p-none", fhir_server), headers=auth())
    assert r.status_code == 200, r.text
    (card,) = check_cards(r.json())
    assert QUESTIONNAIRE_URL in card["detail"]


def test_a_refused_or_unreachable_fhir_server_is_a_412_without_its_text(
    fhir_server: str, client: httpx.Client, auth: Any
) -> None:
    for body in (
        _no_prefetch("p-1", fhir_server, token="wrong"),
        _no_prefetch("p-1", f"http://127.0.0.1:{free_port()}"),
    ):
        r = client.post(HOOK, json=body, headers=auth())
        assert r.status_code == 412, r.text
        assert "SERVER-SECRET-TEXT" not in r.text and "wrong" not in r.text


def test_questionnaire_card_uuid_differs_per_patient(client: httpx.Client, auth: Any) -> None:
    empty = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    uuids = set()
    for patient in ("a-1", "a-2"):
        body = example_hook(example("less-irritable-marathoner"))
        body["context"]["patientId"] = patient
        body["prefetch"] = {"questionnaireResponse": empty}
        (card,) = check_cards(client.post(HOOK, json=body, headers=auth()).json())
        uuids.add(card["uuid"])
    assert len(uuids) == 2


def test_token_typ_and_numeric_iat(client: httpx.Client, keys: Keys, make_token: Any) -> None:
    body = example_hook(example("less-irritable-marathoner"))
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": f"{client.base_url}cds-services/{SERVICE}".replace("//cds", "/cds"),
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    bad_typ = jwt.encode(
        claims, keys.rsa, algorithm="RS384", headers={"kid": "rsa-1", "typ": "at+jwt"}
    )
    r = client.post(HOOK, json=body, headers={"Authorization": f"Bearer {bad_typ}"})
    assert r.status_code == 401 and "typ" in r.text
    r = client.post(
        HOOK, json=body, headers={"Authorization": f"Bearer {make_token(iat=str(now))}"}
    )
    assert r.status_code == 401 and "iat" in r.text


def test_audience_rules(client: httpx.Client, server: Server, make_token: TokenFactory) -> None:
    """A discovery-scoped token is refused on a call; {service}/feedback is taken for feedback."""
    body = example_hook(example("less-irritable-marathoner"))
    token = make_token(aud=f"{server.url}/cds-services")
    assert (
        client.post(HOOK, json=body, headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    token = make_token(aud=f"{server.url}/cds-services/{SERVICE}/feedback")
    r = client.post(
        f"{HOOK}/feedback", json={"feedback": []}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 400, r.text  # authenticated; the empty batch is what is refused


def test_405_names_the_allowed_methods(client: httpx.Client) -> None:
    r = client.get(HOOK)
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2026-03-02T09:30:00Z", True),
        ("2026-03-02t09:30:00.5z", True),
        ("2026-03-02T09:30:00+01:00", True),
        ("2026-03-02T09:30:00", False),
        ("2026-03-02", False),
        ("2026-13-02T09:30:00Z", False),
    ],
)
def test_outcome_timestamp_is_rfc_3339(text: str, valid: bool) -> None:
    assert is_rfc3339(text) is valid


@pytest.fixture(scope="module")
def cors_server(jwks_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("cors"),
        "--trusted-issuer",
        f"{ISSUER}={jwks_file}",
        "--cors-origin",
        "https://sandbox.example.org",
    )
    try:
        yield srv
    finally:
        srv.stop()


def test_cors_preflight_and_response_headers(cors_server: Server) -> None:
    origin = "https://sandbox.example.org"
    r = httpx.options(
        f"{cors_server.url}{HOOK}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == origin
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    r = httpx.get(f"{cors_server.url}/cds-services", headers={"Origin": origin})
    assert r.headers["access-control-allow-origin"] == origin
    r = httpx.get(f"{cors_server.url}/cds-services", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


@pytest.fixture(scope="module")
def two_workers(jwks_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two worker processes on a fresh database (schema created by both at once)."""
    database_url = os.environ.get("PHT_TEST_DATABASE_URL")
    srv = start_server(
        tmp_path_factory.mktemp("workers"),
        "--trusted-issuer",
        f"{ISSUER}={jwks_file}",
        "--workers",
        "2",
        database_url=database_url,
    )
    try:
        yield srv
    finally:
        srv.stop()


def _token(keys: Keys, url: str, jti: str, service: str = SERVICE) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": f"{url}/cds-services/{service}",
        "iat": now,
        "exp": now + 120,
        "jti": jti,
    }
    return jwt.encode(claims, keys.rsa, algorithm="RS384", headers={"kid": "rsa-1"})


def test_two_workers_share_one_replay_record(two_workers: Server, keys: Keys) -> None:
    """One token sent 12 times over fresh connections to 2 workers is accepted once."""
    body = example_hook(example("less-irritable-marathoner"))
    token = _token(keys, two_workers.url, str(uuid.uuid4()))

    def send(_: int) -> int:
        with httpx.Client(base_url=two_workers.url, timeout=15) as c:
            return c.post(HOOK, json=body, headers={"Authorization": f"Bearer {token}"}).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(send, range(12)))
    assert sorted(codes) == [200] + [401] * 11


def test_feedback_from_concurrent_writers_is_neither_lost_nor_duplicated(
    two_workers: Server, keys: Keys
) -> None:
    body = example_hook(example("less-irritable-marathoner"))
    r = httpx.post(
        f"{two_workers.url}{HOOK}",
        json=body,
        headers={"Authorization": f"Bearer {_token(keys, two_workers.url, str(uuid.uuid4()))}"},
    )
    card = check_cards(r.json())[0]
    n = 40

    def post(i: int) -> int:
        entry = {
            "card": card["uuid"],
            "outcome": "overridden",
            "outcomeTimestamp": "2026-03-02T09:30:00Z",
            "overrideReason": {
                "reason": {"system": "https://ehr.example.org/reasons", "code": f"r-{i}"},
            },
        }
        with httpx.Client(timeout=30) as c:
            return c.post(
                f"{two_workers.url}{HOOK}/feedback",
                json={"feedback": [entry]},
                headers={
                    "Authorization": f"Bearer {_token(keys, two_workers.url, str(uuid.uuid4()))}"
                },
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(post, range(n)))
    assert codes == [200] * n
    from pht_rules.service.store import FeedbackStore

    store = FeedbackStore(two_workers.database_url)
    try:
        mine = [f for f in store.feedback() if f.card_uuid == card["uuid"] and f.override_code]
        codes_stored = sorted(f.override_code or "" for f in mine)
    finally:
        store.close()
    assert codes_stored == sorted(f"r-{i}" for i in range(n))


def _counting_jwks_server(body: bytes, status: int = 200) -> tuple[Any, list[int]]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(1)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


@pytest.mark.parametrize("status", [200, 500])
def test_jwks_fetches_are_rate_limited_and_their_errors_not_returned(
    keys: Keys, status: int
) -> None:
    """30 forged tokens (trusted iss, unknown kid) cause one JWKS fetch; no fetch text leaks."""
    from pht_rules.service.auth import AuthError, TokenVerifier
    from pht_rules.service.settings import ServiceSettings, TrustedIssuer

    body = (
        json.dumps({"keys": [keys.jwk(keys.remote, "ES256", "remote-1")]}).encode()
        if status == 200
        else b"JWKS-SERVER-SECRET-TEXT"
    )
    server, hits = _counting_jwks_server(body, status)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
        verifier = TokenVerifier(
            ServiceSettings(trusted_issuers=(TrustedIssuer("https://iss.test", url),))
        )
        now = int(time.time())
        messages = set()
        for i in range(30):
            claims = {
                "iss": "https://iss.test",
                "aud": "x",
                "iat": now,
                "exp": now + 60,
                "jti": f"j{i}",
            }
            token = jwt.encode(
                claims, keys.remote, algorithm="ES256", headers={"kid": f"forged-{i}"}
            )
            with pytest.raises(AuthError) as info:
                verifier.verify(f"Bearer {token}", ["x"])
            messages.add(info.value.message)
        assert len(hits) == 1
        assert not any("SECRET" in m or "500" in m for m in messages)
    finally:
        server.shutdown()
        server.server_close()
