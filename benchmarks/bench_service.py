# SPDX-License-Identifier: MIT
"""Load benchmark of the CDS Hooks service: ``patient-view`` latency and throughput.

Starts the service itself (``python -m pht_rules.service`` on a free loopback port, with a fresh
trusted issuer, JWKS file and SQLite database in a temporary directory) or targets ``--url`` (a
loopback address only). The load comes from this process, a second process: keep-alive HTTP/1.1
connections, one per concurrent client, each sending the example patients' hook requests in turn,
every request with its own freshly signed JWT (signed before the timed run, so signing does not
count). Each level is bounded by ``--requests`` and ``--seconds``.

    python benchmarks/bench_service.py                      # concurrency 1, 8, 32
    python benchmarks/bench_service.py --workers 2          # two service workers
    python benchmarks/bench_service.py --unique-responses   # only the new-patient run
    python benchmarks/bench_service.py --url http://127.0.0.1:8765 --insecure-no-auth

Prints p50/p99 latency, throughput and errors per level; exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import pht_rules
from pht_rules.fhir import state_to_response

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
ISSUER = "https://ehr.bench.invalid"
SERVICE = "pht-patient-view"


@dataclass
class Level:
    concurrency: int
    latencies: list[float]
    errors: int
    seconds: float

    @property
    def count(self) -> int:
        return len(self.latencies) + self.errors


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _private_key(alg: str) -> Any:
    if alg.startswith("ES"):
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
        return ec.generate_private_key(curve)
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks(key: Any, alg: str) -> dict[str, Any]:
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    jwk.update(kid="bench-1", use="sig", alg=alg)
    return {"keys": [jwk]}


@contextmanager
def _server(alg: str, key: Any, log_path: Path, workdir: Path, workers: int = 1) -> Iterator[str]:
    port = _free_port()
    jwks = workdir / "jwks.json"
    jwks.write_text(json.dumps(_jwks(key, alg)), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pht_rules.service",
        "--port",
        str(port),
        "--trusted-issuer",
        f"{ISSUER}={jwks}",
        "--database",
        f"sqlite:///{workdir / 'feedback.sqlite3'}",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready("127.0.0.1", port, proc, deadline=time.monotonic() + 30)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(host: str, port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    request = f"GET /cds-services HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the service exited with code {proc.returncode} before it was ready")
        try:
            with socket.create_connection((host, port), timeout=1) as s:
                s.sendall(request)
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the service did not become ready within 30 s")


def _bodies(unique: bool, total: int) -> list[bytes]:
    """Hook requests for the example patients; with ``unique``, a new patient in every one."""
    states = [pht_rules.parse_state(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    count = total if unique else len(states)
    bodies = []
    for i in range(count):
        state = states[i % len(states)]
        patient = f"bench-new-{i}" if unique else f"bench-{i % len(states)}"
        response = state_to_response(
            state,
            response_id=f"qr-{i}" if unique else f"qr-{i % len(states)}",
            subject=f"Patient/{patient}",
            authored="2026-03-01T09:30:00Z",
        )
        hook = {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"patientId": patient, "userId": "Practitioner/bench"},
            "prefetch": {
                "questionnaireResponse": {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "entry": [{"resource": response}],
                }
            },
        }
        bodies.append(json.dumps(hook, separators=(",", ":")).encode())
    return bodies


def _requests(
    base: str, bodies: list[bytes], n: int, key: Any, alg: str | None, offset: int
) -> list[bytes]:
    parts = urlsplit(base)
    path = f"/cds-services/{SERVICE}"
    audience = f"{base}{path}"
    now = int(time.time())
    out = []
    for i in range(n):
        body = bodies[(offset + i) % len(bodies)]
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        )
        if alg is not None:
            claims = {
                "iss": ISSUER,
                "sub": "bench-client",
                "aud": audience,
                "iat": now,
                "exp": now + 290,
                "jti": str(uuid.uuid4()),
            }
            token = jwt.encode(claims, key, algorithm=alg, headers={"kid": "bench-1"})
            head += f"Authorization: Bearer {token}\r\n"
        out.append((head + "\r\n").encode() + body)
    return out


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _run_level(
    host: str, port: int, requests: list[bytes], concurrency: int, seconds: float
) -> Level:
    queue = iter(range(len(requests)))
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds
    checked = False

    async def client() -> None:
        nonlocal errors, checked
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in queue:
                if time.perf_counter() >= stop_at:
                    break
                start = time.perf_counter()
                try:
                    writer.write(requests[i])
                    status, body = await asyncio.wait_for(_read_response(reader), timeout=10)
                except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                elapsed = time.perf_counter() - start
                if status != 200:
                    errors += 1
                    if errors <= 3:
                        print(f"  error {status}: {body[:300]!r}", file=sys.stderr)
                    continue
                if not checked:  # check one answer's shape fully; the rest by status
                    checked = True
                    if not json.loads(body).get("cards"):
                        errors += 1
                        continue
                latencies.append(elapsed)
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return Level(concurrency, latencies, errors, time.perf_counter() - began)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _check_loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback or parts.port is None:
        raise SystemExit(
            "--url must be http://<loopback address>:<port> (this benchmark stays local)"
        )
    return host, parts.port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running service on loopback (default: start one)")
    parser.add_argument("--concurrency", default="1,8,32", help="levels (default 1,8,32)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per level (max)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time limit per level")
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests first")
    parser.add_argument("--alg", default="RS384", help="JWT algorithm (RS384 or ES384...)")
    parser.add_argument(
        "--insecure-no-auth", action="store_true", help="send no token (--url service only)"
    )
    parser.add_argument(
        "--unique-responses",
        action="store_true",
        help="only the new-patient run (default: the repeated-patient run, then the new-patient run)",
    )
    parser.add_argument("--workers", type=int, default=1, help="service workers (started service)")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    if args.requests < 1 or args.requests > 100_000 or args.seconds <= 0 or args.seconds > 120:
        raise SystemExit("--requests must be 1..100000 and --seconds 0..120")
    alg = None if args.insecure_no_auth else args.alg
    key = _private_key(args.alg)
    total = args.warmup + args.requests * len(levels)
    modes = [True] if args.unique_responses else [False, True]
    bodies = {unique: _bodies(unique, total) for unique in modes}

    with tempfile.TemporaryDirectory(prefix="pht-bench-") as tmp:
        workdir = Path(tmp)
        if args.url:
            context: Any = _nullcontext(args.url)
        else:
            if args.insecure_no_auth:
                raise SystemExit("--insecure-no-auth needs --url (the started service needs auth)")
            context = _server(args.alg, key, workdir / "service.log", workdir, args.workers)
        with context as base:
            host, port = _check_loopback(base)
            print(
                f"target {base}/cds-services/{SERVICE}; {len(EXAMPLES)} example patients; "
                f"auth {alg or 'off'}; workers {args.workers}; {os.cpu_count()} CPUs"
            )
            results = []
            for unique in modes:
                offset = 0
                warm = _requests(base, bodies[unique], args.warmup, key, alg, offset)
                offset += args.warmup
                asyncio.run(_run_level(host, port, warm, 4, 60))
                for c in levels:
                    reqs = _requests(base, bodies[unique], args.requests, key, alg, offset)
                    offset += args.requests
                    level = asyncio.run(_run_level(host, port, reqs, c, args.seconds))
                    results.append(("new" if unique else "repeated", level))
    print(
        f"{'patient':>8} {'concurrency':>11} {'requests':>8} {'errors':>6} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'mean ms':>7} {'req/s':>7}"
    )
    failed = 0
    for mode, r in results:
        ok = r.latencies
        print(
            f"{mode:>8} {r.concurrency:>11} {r.count:>8} {r.errors:>6} "
            f"{_percentile(ok, 0.5) * 1000:>7.2f} {_percentile(ok, 0.99) * 1000:>7.2f} "
            f"{(statistics.fmean(ok) if ok else float('nan')) * 1000:>7.2f} "
            f"{len(ok) / r.seconds:>7.0f}"
        )
        failed += r.errors
    return 1 if failed else 0


@contextmanager
def _nullcontext(url: str) -> Iterator[str]:
    yield url.rstrip("/")


if __name__ == "__main__":
    raise SystemExit(main())
