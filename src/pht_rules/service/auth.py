# SPDX-License-Identifier: MIT
"""CDS Hooks client authentication: signed JWTs from trusted issuers.

Every call to a CDS service carries ``Authorization: Bearer <JWT>``. The token must be signed with
an asymmetric algorithm (RS/PS/ES 256-512; CDS Hooks requires clients to support ES384 and RS384)
by a key in its issuer's JWKS, name a trusted ``iss`` and this service as ``aud``, expire (``exp``)
no more than the configured lifetime ahead, and carry a ``jti`` never seen before. Any failure is an
:class:`AuthError` whose message says what is wrong, never echoing the token.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt

from pht_rules.errors import PhtRulesError, UsageError
from pht_rules.service.settings import ServiceSettings, TrustedIssuer

__all__ = [
    "ALGORITHMS",
    "AuthError",
    "ClientIdentity",
    "ReplayCache",
    "Replays",
    "TokenVerifier",
    "log",
]

ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
_REQUIRED = ["iss", "aud", "exp", "iat", "jti"]

log = logging.getLogger("pht_rules.service")


class AuthError(PhtRulesError):
    """A request is not authenticated; ``message`` is safe to return to the client.

    ``reason`` is a short, fixed code (``missing``, ``malformed``, ``algorithm``, ``issuer``,
    ``key``, ``signature``, ``expired``, ``audience``, ``claims``, ``lifetime``, ``replay``,
    ``jwks``) for logs and metrics.
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """Who called: the token's issuer and subject (the client id), and its ``jti``."""

    issuer: str
    subject: str | None
    jti: str


class _KeySource(Protocol):
    def key(self, kid: str | None) -> jwt.PyJWK: ...


def _select(keys: list[jwt.PyJWK], kid: str | None, where: str) -> jwt.PyJWK:
    usable = [k for k in keys if k.public_key_use in (None, "sig")]
    if kid is None:
        if len(usable) == 1:
            return usable[0]
        raise AuthError("key", f"the token has no 'kid' and {where} holds {len(usable)} keys")
    for k in usable:
        if k.key_id == kid:
            return k
    raise AuthError("key", f"no signing key with kid '{kid}' in {where}")


class _FileKeys:
    """A JWKS read once from a file at start-up (invalid files fail at start-up)."""

    def __init__(self, path: str) -> None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, list) or not keys:
            raise UsageError(f"{path}: not a JWKS (expected an object with a non-empty 'keys')")
        self._keys = [jwt.PyJWK(k) for k in keys]
        for k in self._keys:
            if k.key_type not in ("RSA", "EC"):
                raise UsageError(f"{path}: key '{k.key_id}' is {k.key_type}; only RSA and EC")
        self._where = "the issuer's JWKS file"

    def key(self, kid: str | None) -> jwt.PyJWK:
        return _select(self._keys, kid, self._where)


class _UrlKeys:
    r"""A JWKS fetched from a URL, cached, refetched for an unknown ``kid`` at most every 30 s.

    Forged tokens naming a trusted issuer and unknown ``kid``\ s cause at most one fetch per
    ``refetch_seconds``; a failed fetch is not retried sooner either. What the fetch failed with
    is logged as its type only and never returned to the caller.
    """

    def __init__(self, url: str, lifespan: int, refetch_seconds: float = 30.0) -> None:
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan, timeout=5)
        self._refetch = refetch_seconds
        self._lock = threading.Lock()
        self._next_fetch = 0.0
        self.fetches = 0
        """How many times the JWKS was fetched (for tests and metrics)."""

    def _fetch(self, refresh: bool) -> list[jwt.PyJWK]:
        with self._lock:
            cached = None if refresh else self._client.jwk_set_cache
            if cached is not None and cached.get() is not None:
                return self._client.get_signing_keys()
            now = time.monotonic()
            if now < self._next_fetch:
                raise AuthError("jwks", "the issuer's JWKS is not available; try again later")
            self._next_fetch = now + self._refetch
            self.fetches += 1
            try:
                return self._client.get_signing_keys(refresh=True)
            except jwt.PyJWKClientError as exc:
                log.warning("JWKS fetch failed: %s", type(exc).__name__)
                raise AuthError("jwks", "the issuer's JWKS cannot be fetched or used") from None

    def key(self, kid: str | None) -> jwt.PyJWK:
        keys = self._fetch(refresh=False)
        try:
            return _select(keys, kid, "the issuer's JWKS")
        except AuthError:
            if kid is None:
                raise
            return _select(self._fetch(refresh=True), kid, "the issuer's JWKS")


class Replays(Protocol):
    r"""Where the ``jti``\ s seen are kept: this process (:class:`ReplayCache`) or the database."""

    def first_use(self, issuer: str, jti: str, expires: float, now: float) -> bool: ...


class ReplayCache:
    """The ``jti``s seen, per issuer, until their tokens expire, in this process only.

    Thread-safe, bounded by expiry. Several workers share the database's replay record instead
    (:meth:`pht_rules.service.store.FeedbackStore.first_use`).
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def first_use(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        """Record ``jti``; ``False`` if it was already used by an unexpired token."""
        with self._lock:
            if now >= self._next_purge:
                self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
                self._next_purge = now + 10
            key = (issuer, jti)
            if key in self._seen:
                return False
            self._seen[key] = expires
            return True

    def __len__(self) -> int:
        return len(self._seen)


class TokenVerifier:
    """Verifies CDS Hooks bearer tokens against the trusted issuers of ``settings``."""

    def __init__(self, settings: ServiceSettings, replays: Replays | None = None) -> None:
        self._sources: dict[str, _KeySource] = {
            t.issuer: self._source(t, settings.jwks_cache_seconds) for t in settings.trusted_issuers
        }
        self.remote = any(t.jwks_is_url for t in settings.trusted_issuers)
        """Whether verifying may fetch a JWKS over the network (then call it off the event loop)."""
        self._extra_audiences = frozenset(settings.audiences)
        self._skew = settings.clock_skew_seconds
        self._max_lifetime = settings.max_token_lifetime_seconds
        self.replays: Replays = replays if replays is not None else ReplayCache()

    @staticmethod
    def _source(trusted: TrustedIssuer, lifespan: int) -> _KeySource:
        if trusted.jwks_is_url:
            return _UrlKeys(trusted.jwks, lifespan)
        return _FileKeys(trusted.jwks)

    def verify(self, authorization: str | None, audiences: Collection[str]) -> ClientIdentity:
        """Check the ``Authorization`` header; the token's ``aud`` must be one of ``audiences``.

        Raises :class:`AuthError` with a clear message for every failure.
        """
        token = _bearer(authorization)
        try:
            unverified_token = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError("malformed", "the bearer token is not a well-formed JWT") from None
        header = unverified_token["header"]
        unverified = unverified_token["payload"]
        if header.get("typ") != "JWT":
            raise AuthError("malformed", "the token's header must have typ 'JWT' (CDS Hooks)")
        if not isinstance(unverified, Mapping):
            raise AuthError("malformed", "the token's payload is not a JSON object")
        for claim in ("iat", "exp"):
            value = unverified.get(claim)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise AuthError("claims", f"the token's '{claim}' must be a number (NumericDate)")
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise AuthError(
                "algorithm",
                f"token algorithm {alg!r} is not accepted (use an asymmetric one: RS384 or ES384)",
            )
        iss = unverified.get("iss")
        if not isinstance(iss, str):
            raise AuthError("claims", "the token has no 'iss' claim")
        source = self._sources.get(iss)
        if source is None:
            raise AuthError("issuer", f"issuer '{iss}' is not trusted by this service")
        kid = header.get("kid")
        jwk = source.key(kid if isinstance(kid, str) else None)
        expected_kty = _KEY_TYPES[str(alg)[:2]]
        # A JWK that names its algorithm (RFC 7517 "alg") is used with that algorithm only.
        declared = getattr(jwk, "_jwk_data", {}).get("alg")
        if jwk.key_type != expected_kty or declared not in (None, alg):
            raise AuthError("key", f"the issuer's key '{jwk.key_id}' is not for {alg}")
        accepted = list(dict.fromkeys([*audiences, *self._extra_audiences]))
        claims = _decode(token, jwk, str(alg), accepted, iss, self._skew)
        now = time.time()
        exp = float(claims["exp"])
        if exp > now + self._max_lifetime + self._skew:
            raise AuthError(
                "lifetime",
                f"the token expires more than {self._max_lifetime} seconds ahead; "
                "CDS Hooks tokens must be short-lived",
            )
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthError("claims", "the token's 'jti' must be a non-empty string")
        if not self.replays.first_use(iss, jti, exp + self._skew, now):
            raise AuthError("replay", "the token's 'jti' was already used (replayed token)")
        sub = claims.get("sub")
        return ClientIdentity(iss, sub if isinstance(sub, str) else None, jti)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing", "missing Authorization header: send 'Bearer <JWT>'")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("malformed", "the Authorization header must be 'Bearer <JWT>'")
    return token.strip()


def _decode(
    token: str, jwk: jwt.PyJWK, alg: str, audiences: list[str], iss: str, skew: int
) -> Mapping[str, Any]:
    try:
        claims: Mapping[str, Any] = jwt.decode(
            token,
            jwk.key,
            algorithms=[alg],
            audience=audiences,
            issuer=iss,
            leeway=skew,
            options={"require": _REQUIRED, "verify_aud": True},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("expired", "the token has expired") from None
    except jwt.InvalidAudienceError:
        raise AuthError(
            "audience",
            "the token's 'aud' is not this service (expected one of: " + ", ".join(audiences) + ")",
        ) from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError("claims", f"the token has no '{exc.claim}' claim") from None
    except jwt.InvalidSignatureError:
        raise AuthError("signature", "the token's signature does not verify") from None
    except jwt.ImmatureSignatureError:
        raise AuthError("claims", "the token is not valid yet (nbf or iat in the future)") from None
    except jwt.PyJWTError as exc:
        raise AuthError("claims", f"the token is invalid ({type(exc).__name__})") from None
    return claims
