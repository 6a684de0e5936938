# SPDX-License-Identifier: MIT
"""Fixtures for the FHIR and CDS Hooks tests: keys, JWKS, tokens, and real uvicorn processes.

The service runs as ``python -m pht_rules.service`` on 127.0.0.1 with a free port; each start waits
for discovery to answer (at most 30 s) and every process is terminated by the fixture that made it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import pht_rules
from pht_rules.fhir import state_to_response

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
FHIR_EXAMPLES = ROOT / "examples" / "fhir"
ISSUER = "https://ehr.test.invalid"
URL_ISSUER = "https://ehr-remote-keys.test.invalid"
SERVICE = "pht-patient-view"
READY_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Keys:
    rsa: Any
    ec: Any
    untrusted: Any
    remote: Any

    def jwk(self, key: Any, alg: str, kid: str) -> dict[str, Any]:
        data = json.loads(jwt.get_algorithm_by_name(alg).to_jwk(key.public_key()))
        data.update(kid=kid, use="sig", alg=alg)
        return dict(data)


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec=ec.generate_private_key(ec.SECP384R1()),
        untrusted=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        remote=ec.generate_private_key(ec.SECP256R1()),
    )


@pytest.fixture(scope="session")
def jwks_file(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jwks") / "ehr-jwks.json"
    jwks = {"keys": [keys.jwk(keys.rsa, "RS384", "rsa-1"), keys.jwk(keys.ec, "ES384", "ec-1")]}
    path.write_text(json.dumps(jwks), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def jwks_url(keys: Keys) -> Iterator[str]:
    """A JWKS served over HTTP on loopback, for an issuer configured by URL."""
    body = json.dumps({"keys": [keys.jwk(keys.remote, "ES256", "remote-1")]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Server:
    """A running service process."""

    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    database_url: str
    args: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


def start_server(workdir: Path, *args: str, database_url: str | None = None) -> Server:
    """Start ``python -m pht_rules.service`` on a free loopback port and wait until it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{workdir / 'feedback.sqlite3'}"
    port = free_port()
    log_path = workdir / f"service-{port}.log"
    command = [
        sys.executable,
        "-m",
        "pht_rules.service",
        "--port",
        str(port),
        "--database",
        database_url,
        *args,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", proc, log_path, database_url, list(args))
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"service exited with {proc.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/cds-services", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"service not ready after {READY_TIMEOUT} s:\n{server.log()}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def server(
    jwks_file: Path, jwks_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The secured service: two trusted issuers (a JWKS file and a JWKS URL)."""
    workdir = tmp_path_factory.mktemp("service")
    srv = start_server(
        workdir,
        "--trusted-issuer",
        f"{ISSUER}={jwks_file}",
        "--trusted-issuer",
        f"{URL_ISSUER}={jwks_url}",
        "--max-body-bytes",
        "65536",
        "--guideline-url",
        "https://guideline.test.invalid/pht",
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=15) as c:
        yield c


TokenFactory = Callable[..., str]


@pytest.fixture(scope="session")
def make_token(keys: Keys, server: Server) -> TokenFactory:
    """Sign a token; keyword arguments override claims (``None`` drops one) or the header."""

    def make(
        *,
        key: Any = None,
        alg: str = "RS384",
        kid: str | None = "rsa-1",
        service: str = SERVICE,
        expires_in: int = 120,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER,
            "sub": "test-ehr-client",
            "aud": f"{server.url}/cds-services/{service}",
            "iat": now,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
        }
        for name, value in claims.items():
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        headers = {"kid": kid} if kid is not None else {}
        return jwt.encode(
            body, key if key is not None else keys.rsa, algorithm=alg, headers=headers
        )

    return make


@pytest.fixture
def auth(make_token: TokenFactory) -> Callable[..., dict[str, str]]:
    def headers(**kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(**kwargs)}"}

    return headers


def example(name: str) -> Path:
    """The example patient file ``examples/<name>.json``."""
    path = ROOT / "examples" / f"{name}.json"
    assert path.is_file(), path
    return path


def example_state(path: Path) -> pht_rules.PatientState:
    return pht_rules.parse_state(path.read_text(encoding="utf-8"))


def hook_request(
    response: dict[str, Any] | None,
    *,
    patient_id: str,
    bundle: bool = True,
    observations: dict[str, Any] | None = None,
) -> dict[str, Any]:
    prefetch: dict[str, Any] = {}
    if response is not None:
        prefetch["questionnaireResponse"] = (
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": 1,
                "entry": [{"resource": response, "search": {"mode": "match"}}],
            }
            if bundle
            else response
        )
    if observations is not None:
        prefetch["observations"] = observations
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/test", "patientId": patient_id},
        "prefetch": prefetch,
    }


def example_hook(path: Path, *, response_id: str | None = None) -> dict[str, Any]:
    name = path.stem
    response = state_to_response(
        example_state(path),
        response_id=response_id or f"qr-{name}",
        subject=f"Patient/example-{name}",
        authored="2026-03-02T09:30:00Z",
    )
    return hook_request(response, patient_id=f"example-{name}")
