# SPDX-License-Identifier: MIT
"""``pht-rules serve``: run the CDS Hooks service with uvicorn.

The main command line mounts it with two lines::

    from pht_rules.service.cli import add_serve_arguments, run_serve
    p = sub.add_parser("serve", help="run the CDS Hooks service (needs the 'service' extra)")
    add_serve_arguments(p)
    p.set_defaults(func=run_serve)

``python -m pht_rules.service`` runs the same command on its own.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pht_rules.errors import UsageError
from pht_rules.service.settings import DEFAULT_PORT, ServiceSettings, TrustedIssuer

__all__ = ["add_serve_arguments", "run_serve", "serve", "settings_from_args"]

_LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options to ``parser``."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: loopback)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--public-url",
        help="base URL clients use (default http://HOST:PORT); tokens' aud must match it",
    )
    parser.add_argument(
        "--trusted-issuer",
        action="append",
        default=[],
        metavar="ISS=JWKS",
        help="a CDS client's issuer and its public keys (JWKS file or https URL); repeatable",
    )
    parser.add_argument(
        "--audience",
        action="append",
        default=[],
        metavar="URL",
        help="another accepted token audience; repeatable",
    )
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="accept unauthenticated calls (local demos only; loopback only)",
    )
    parser.add_argument(
        "--database-url",
        "--database",
        dest="database",
        metavar="URL",
        help="SQLAlchemy URL of the feedback database, e.g. postgresql+psycopg://user@host/db "
        "(default: SQLite in the user data directory)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1); they share the database and its token replay record",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin allowed to call (CORS, preflight answered); repeatable",
    )
    parser.add_argument(
        "--fhir-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="time limit of each search on the client's FHIR server (default 5)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=1_048_576,
        help="largest request body accepted (default 1 MiB)",
    )
    parser.add_argument("--rules", metavar="DIR", help="a rule directory of your own")
    parser.add_argument("--profile", metavar="FILE", help="JSON parameter overrides")
    parser.add_argument(
        "--guideline-url",
        metavar="URL",
        help="link to the source article, shown on cards citing its statements",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (default info); logs never hold patient data",
    )


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_from_args(args: argparse.Namespace) -> ServiceSettings:
    """The :class:`ServiceSettings` for parsed ``serve`` options (``ValueError`` if invalid)."""
    issuers = []
    for spec in args.trusted_issuer:
        iss, sep, jwks = spec.partition("=")
        if not sep or not iss or not jwks:
            raise UsageError(f"--trusted-issuer {spec!r}: expected ISS=JWKS_FILE_OR_URL")
        issuers.append(TrustedIssuer(iss, jwks))
    if args.insecure_no_auth and not _is_loopback(args.host):
        raise UsageError("--insecure-no-auth is for local demos: it only listens on loopback")
    profile: dict[str, int] = {}
    if args.profile:
        loaded = json.loads(Path(args.profile).read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise UsageError(f"{args.profile}: a profile is a JSON object of parameter values")
        profile = loaded
    settings = ServiceSettings(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        database_url=args.database,
        trusted_issuers=tuple(issuers),
        audiences=tuple(args.audience),
        insecure_no_auth=args.insecure_no_auth,
        max_body_bytes=args.max_body_bytes,
        rules_dir=args.rules,
        profile=profile,
        guideline_url=args.guideline_url,
        cors_origins=tuple(args.cors_origin),
        workers=args.workers,
        fhir_timeout_seconds=args.fhir_timeout,
    )
    settings.check()
    return settings


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("pht_rules")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


def run_serve(args: argparse.Namespace) -> int:
    """Run the service until interrupted; returns the exit code (2 for bad settings)."""
    try:
        settings = settings_from_args(args)
    except (ValueError, OSError) as exc:
        print(f"pht-rules serve: {exc}", file=sys.stderr)
        return 2
    _configure_logging(args.log_level)
    try:
        import uvicorn

        from pht_rules.service.app import SETTINGS_ENV, create_app, settings_to_environment
    except ImportError as exc:
        print(
            f"pht-rules serve needs the 'service' extra ({exc.name} is missing): "
            "python -m pip install 'pht-rules[service]'",
            file=sys.stderr,
        )
        return 2

    try:
        app = create_app(settings)
    except (ValueError, OSError) as exc:
        print(f"pht-rules serve: {exc}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        # Checked once here; each worker builds its own application from the same settings.
        os.environ[SETTINGS_ENV] = settings_to_environment(settings)
        del app
        uvicorn.run(
            "pht_rules.service.app:app_from_environment",
            factory=True,
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
            log_level=args.log_level,
            access_log=False,
            server_header=False,
            proxy_headers=False,
        )
        return 0
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=False,  # our own access log names routes, never raw paths or queries
        server_header=False,
        proxy_headers=False,
    )
    return 0


def serve(argv: Sequence[str] | None = None) -> int:
    """``pht-rules serve`` as a standalone command (``python -m pht_rules.service``)."""
    parser = argparse.ArgumentParser(
        prog="pht-rules serve", description="Run the pht_rules CDS Hooks service."
    )
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))
