# SPDX-License-Identifier: MIT
"""JWT authentication of CDS clients: every failure is a 401 OperationOutcome saying why."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from .conftest import SERVICE, Keys, Server, example, example_hook
from .shapes import check_cards, check_outcome

HOOK = f"/cds-services/{SERVICE}"
TokenFactory = Callable[..., str]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _expect_401(r: httpx.Response, words: str) -> None:
    assert r.status_code == 401, r.text
    issues = check_outcome(r.json(), code="login")
    assert words in issues[0]["diagnostics"], issues[0]["diagnostics"]
    assert r.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def _post(client: httpx.Client, headers: dict[str, str] | None) -> httpx.Response:
    return client.post(
        HOOK, json=example_hook(example("less-irritable-marathoner")), headers=headers or {}
    )


def test_valid_token_passes(client: httpx.Client, make_token: TokenFactory) -> None:
    """The baseline: a fresh RS384 token from the trusted issuer."""
    r = _post(client, {"Authorization": f"Bearer {make_token()}"})
    assert r.status_code == 200
    check_cards(r.json())


def test_missing_header(client: httpx.Client) -> None:
    """No Authorization header."""
    _expect_401(_post(client, None), "missing Authorization header")


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "bearer,abc", "token"])
def test_not_a_bearer_header(client: httpx.Client, value: str) -> None:
    """Not 'Bearer <JWT>'."""
    _expect_401(_post(client, {"Authorization": value}), "must be 'Bearer <JWT>'")


def test_garbage_token(client: httpx.Client) -> None:
    """Not a JWT at all."""
    _expect_401(_post(client, {"Authorization": "Bearer abc.def"}), "not a well-formed JWT")


def test_unsigned_token(client: httpx.Client, server: Server) -> None:
    """alg 'none' is refused."""
    claims = {
        "iss": "https://ehr.test.invalid",
        "aud": f"{server.url}{HOOK}",
        "exp": int(time.time()) + 60,
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
    }
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    _expect_401(_post(client, {"Authorization": f"Bearer {token}"}), "'none' is not accepted")


def test_symmetric_algorithm_with_the_public_key(
    client: httpx.Client, server: Server, keys: Keys
) -> None:
    """HS256 signed with the issuer's public key (algorithm confusion) is refused."""
    public = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {
        "iss": "https://ehr.test.invalid",
        "aud": f"{server.url}{HOOK}",
        "exp": now + 60,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    import hashlib
    import hmac

    signing_input = f"{header}.{_b64(claims)}"
    sig = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"
    _expect_401(_post(client, {"Authorization": f"Bearer {token}"}), "'HS256' is not accepted")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"iss": "https://intruder.test.invalid"}, "is not trusted"),
        ({"iss": None}, "no 'iss' claim"),
        ({"kid": "nope"}, "no signing key with kid 'nope'"),
        ({"kid": "ec-1"}, "is not for RS384"),
        ({"untrusted_key": True}, "signature does not verify"),
        ({"expires_in": -120}, "has expired"),
        ({"aud": "https://other-service.test.invalid/cds-services/x"}, "'aud' is not this service"),
        ({"service": "other"}, "'aud' is not this service"),
        ({"aud": None}, "no 'aud' claim"),
        ({"exp": None}, "no 'exp' claim"),
        ({"jti": None}, "no 'jti' claim"),
        ({"iat": None}, "no 'iat' claim"),
        ({"expires_in": 3600}, "more than 300 seconds ahead"),
        ({"iat": int(time.time()) + 3600}, "not valid yet"),
    ],
    ids=[
        "untrusted-issuer",
        "no-issuer",
        "unknown-kid",
        "key-for-another-alg",
        "bad-signature",
        "expired",
        "wrong-audience",
        "audience-of-another-service",
        "no-audience",
        "no-exp",
        "no-jti",
        "no-iat",
        "too-long-lived",
        "issued-in-the-future",
    ],
)
def test_token_failures(
    kwargs: dict[str, Any], words: str, client: httpx.Client, make_token: TokenFactory, keys: Keys
) -> None:
    """Each way a token can be wrong gets its own clear message."""
    if kwargs.pop("untrusted_key", False):
        kwargs["key"] = keys.untrusted
    if kwargs.get("iat") is not None and kwargs["iat"] > time.time():
        kwargs["expires_in"] = 3700
        kwargs["exp"] = kwargs["iat"] + 60
    token = make_token(**kwargs)
    _expect_401(_post(client, {"Authorization": f"Bearer {token}"}), words)


def test_replayed_token(client: httpx.Client, make_token: TokenFactory) -> None:
    """A token's jti is accepted once; the same token again is a replay."""
    headers = {"Authorization": f"Bearer {make_token()}"}
    assert _post(client, headers).status_code == 200
    _expect_401(_post(client, headers), "already used (replayed token)")


def test_feedback_needs_a_token_too(client: httpx.Client) -> None:
    """The feedback endpoint authenticates like the service."""
    r = client.post(f"{HOOK}/feedback", json={"feedback": []})
    _expect_401(r, "missing Authorization header")


def test_token_is_never_echoed(client: httpx.Client, make_token: TokenFactory) -> None:
    """The 401 body does not repeat the token."""
    token = make_token(iss="https://intruder.test.invalid")
    r = _post(client, {"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert token not in r.text and token.split(".")[1] not in r.text


def test_tokens_decode_as_sent(make_token: TokenFactory) -> None:
    """Self-check of the test factory: the claims are what the tests think they are."""
    claims = jwt.decode(make_token(), options={"verify_signature": False})
    assert claims["iss"] == "https://ehr.test.invalid"
    assert claims["aud"].endswith(HOOK)
