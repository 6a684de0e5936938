# SPDX-License-Identifier: MIT
"""Settings of the CDS Hooks service: where it listens, whom it trusts, where feedback goes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pht_rules.errors import UsageError

__all__ = ["DEFAULT_PORT", "ServiceSettings", "TrustedIssuer", "default_database_url"]

DEFAULT_PORT = 8765


def default_database_url() -> str:
    """SQLite in the platform's user data directory (``platformdirs``), created if need be."""
    from pathlib import Path

    from platformdirs import user_data_dir

    folder = Path(user_data_dir("pht-rules", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'feedback.sqlite3'}"


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """A CDS client allowed to call: its ``iss`` and where its public keys are (JWKS file or URL)."""

    issuer: str
    jwks: str

    @property
    def jwks_is_url(self) -> bool:
        """Whether ``jwks`` is an ``http(s)://`` URL rather than a file path."""
        return self.jwks.startswith(("https://", "http://"))


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Everything :func:`~pht_rules.service.create_app` needs.

    ``public_url`` is the base URL clients use (it defaults to ``http://host:port``); a token's
    ``aud`` must be that URL's ``/cds-services`` or ``/cds-services/{id}`` (as the CDS Hooks
    specification has it), or one of ``audiences``. ``insecure_no_auth`` turns authentication off
    for local demos only. ``max_token_lifetime_seconds`` caps ``exp`` (CDS Hooks: at most 5
    minutes ahead), which also bounds the memory of the ``jti`` replay cache.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = None
    database_url: str | None = None
    trusted_issuers: tuple[TrustedIssuer, ...] = ()
    audiences: tuple[str, ...] = ()
    insecure_no_auth: bool = False
    max_body_bytes: int = 1_048_576
    rules_dir: str | None = None
    profile: Mapping[str, int] = field(default_factory=dict)
    guideline_url: str | None = None
    clock_skew_seconds: int = 30
    max_token_lifetime_seconds: int = 300
    jwks_cache_seconds: int = 300
    cors_origins: tuple[str, ...] = ()
    workers: int = 1
    fhir_timeout_seconds: float = 5.0

    @property
    def database(self) -> str:
        """The feedback database URL: ``database_url``, else :func:`default_database_url`."""
        return self.database_url or default_database_url()

    @property
    def base_url(self) -> str:
        """The service's public base URL, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def check(self) -> None:
        """Raise ``ValueError`` for settings the service cannot run with."""
        if not self.insecure_no_auth and not self.trusted_issuers:
            raise UsageError(
                "no trusted issuer: give --trusted-issuer ISS=JWKS (a JWKS file or URL), "
                "or --insecure-no-auth for a local demo"
            )
        issuers = [t.issuer for t in self.trusted_issuers]
        if len(set(issuers)) != len(issuers):
            raise UsageError("a trusted issuer is given more than once")
        if self.max_body_bytes < 1024:
            raise UsageError("max_body_bytes must be at least 1024")
        if not 0 < self.max_token_lifetime_seconds <= 3600:
            raise UsageError("max_token_lifetime_seconds must be within 1..3600")
        if not 1 <= self.workers <= 64:
            raise UsageError("workers must be within 1..64")
        if not 0 < self.fhir_timeout_seconds <= 60:
            raise UsageError("fhir_timeout_seconds must be within 0..60")
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("https://", "http://")):
                raise UsageError(
                    f"--cors-origin {origin!r}: give an origin such as https://ehr.example.org"
                )
        if not 0 <= self.clock_skew_seconds <= 300:
            raise UsageError("clock_skew_seconds must be within 0..300")
