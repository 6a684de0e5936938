# SPDX-License-Identifier: MIT
"""The CDS Hooks 2.0.1 service: discovery, ``patient-view`` and feedback (FastAPI).

- ``GET /cds-services``: discovery (no authentication; it holds no patient data).
- ``POST /cds-services/pht-patient-view``: cards for the patient's latest completed intake
  questionnaire response, prefetched or fetched from ``fhirServer``
  (:mod:`pht_rules.service.patient_view`); 412 when it cannot be had.
- ``POST /cds-services/pht-patient-view/feedback``: accepted/overridden outcomes, stored with the
  card's rules and rule-set version, committed before the reply.

Errors are FHIR ``OperationOutcome``\\ s: 400 (malformed JSON, FHIR or hook request), 401 (with
``WWW-Authenticate``), 404, 405 (with ``Allow``), 412, 413 (body over the limit). CORS is off
unless origins are configured. Logs carry method, route, status, duration and error codes only:
never a body, a patient or user id, a token or an answer.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pht_rules._version import __version__
from pht_rules.definitions.ruleset import Profile
from pht_rules.errors import PhtRulesError
from pht_rules.evaluation.evaluator import Evaluator
from pht_rules.fhir.errors import FhirProblem
from pht_rules.loading import load_rules
from pht_rules.service._http import JSON, _Reject, json_response, outcome_response, read_json
from pht_rules.service.auth import AuthError, ClientIdentity, TokenVerifier
from pht_rules.service.feedback import feedback_items
from pht_rules.service.fetch import FetchError, fetch_missing
from pht_rules.service.patient_view import (
    PATIENT_VIEW_ID,
    PatientViewService,
    discovery_document,
    parse_hook,
    precondition_failed,
)
from pht_rules.service.settings import ServiceSettings, TrustedIssuer
from pht_rules.service.store import FeedbackStore

__all__ = [
    "SETTINGS_ENV",
    "app_from_environment",
    "create_app",
    "log",
    "settings_to_environment",
]

log = logging.getLogger("pht_rules.service")

SETTINGS_ENV = "PHT_RULES_SERVICE_SETTINGS"
"""The environment variable through which ``serve --workers N`` hands its settings to workers."""


class _AccessLog:
    """Logs each request's method, route template, status and duration; nothing else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "<no route>")
            ms = (time.perf_counter() - start) * 1000
            log.info("%s %s %d %.1fms", scope["method"], path, status, ms)


def create_app(settings: ServiceSettings) -> FastAPI:
    """The CDS Hooks service as a FastAPI application (serve it with any ASGI server).

    Loads and compiles the rules, opens the feedback database and reads the trusted issuers'
    JWKS files at once, so a bad setting fails here, not on the first request.
    """
    settings.check()
    ruleset = load_rules(settings.rules_dir) if settings.rules_dir else load_rules()
    evaluator = Evaluator(ruleset, profile=Profile(dict(settings.profile)))
    store = FeedbackStore(settings.database)
    verifier = None if settings.insecure_no_auth else TokenVerifier(settings, replays=store)
    service = PatientViewService(evaluator, ruleset, settings.guideline_url)
    base = settings.base_url
    limit = settings.max_body_bytes

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if verifier is None:
            _insecure_banner()
        log.info(
            "pht_rules CDS Hooks service %s: rule set %s %s (%s); %d trusted issuer(s)",
            __version__,
            ruleset.name,
            ruleset.version,
            ruleset.fingerprint,
            len(settings.trusted_issuers),
        )
        try:
            yield
        finally:
            store.close()
            evaluator.close()

    app = FastAPI(
        title="pht_rules CDS Hooks service",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.ruleset = ruleset
    app.state.verifier = verifier

    def audiences(service_id: str, feedback: bool) -> list[str]:
        # CDS Hooks: aud is the URL of the service called. A discovery-scoped token
        # ({base}/cds-services) is not one; feedback also takes {service}/feedback, as the
        # CDS Hooks Sandbox signs it.
        service = f"{base}/cds-services/{service_id}"
        return [service, f"{service}/feedback"] if feedback else [service]

    async def authenticate(
        request: Request, service_id: str, feedback: bool = False
    ) -> ClientIdentity | None:
        if verifier is None:
            return None
        header = request.headers.get("authorization")
        accepted = audiences(service_id, feedback)
        try:
            # the replay record is in the database (and a JWKS may be fetched): off the loop
            return await run_in_threadpool(verifier.verify, header, accepted)
        except AuthError as exc:
            log.warning("authentication failed: %s", exc.reason)
            raise _Reject(
                401, [FhirProblem(exc.message, None, None, "login")], f"auth-{exc.reason}"
            ) from None

    async def guarded(work: Callable[[], Awaitable[Response]]) -> Response:
        try:
            return await work()
        except _Reject as exc:
            if exc.status == 401:
                detail = exc.problems[0].message.replace('"', "'")
                return outcome_response(
                    401,
                    exc.problems,
                    **{
                        "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{detail}"'
                    },
                )
            log.info("request rejected: %s (%d issue(s))", exc.reason, len(exc.problems))
            return outcome_response(exc.status, exc.problems)
        except PhtRulesError as exc:
            log.error("evaluation failed: %s", type(exc).__name__)
            return outcome_response(
                500, [FhirProblem("the rules could not be applied", code="exception")]
            )
        except Exception as exc:  # never let a traceback (which may quote data) reach the log
            log.error("unexpected %s in %s", type(exc).__name__, _where(exc))
            return outcome_response(500, [FhirProblem("internal error", code="exception")])

    @app.get("/cds-services")
    async def discovery() -> Response:
        return json_response(discovery_document())

    @app.post("/cds-services/{service_id}")
    async def hook(service_id: str, request: Request) -> Response:
        async def work() -> Response:
            _known_service(service_id)
            await authenticate(request, service_id)
            body = await read_json(request, limit)
            hook = parse_hook(body)
            fetched = {}
            if hook.missing and hook.access is not None:
                try:
                    fetched = await run_in_threadpool(
                        fetch_missing,
                        hook.access,
                        hook.patient_id,
                        response="questionnaireResponse" in hook.missing,
                        observations="observations" in hook.missing,
                        timeout=settings.fhir_timeout_seconds,
                    )
                except FetchError as exc:
                    log.warning("fetching from the FHIR server failed: %s", exc.reason)
                    raise precondition_failed(exc.message) from None
            answer, issued = service.respond(hook, fetched)
            if store.unknown(issued):
                await run_in_threadpool(store.remember_cards, issued)
            return Response(answer, media_type=JSON)

        return await guarded(work)

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request) -> Response:
        async def work() -> Response:
            _known_service(service_id)
            identity = await authenticate(request, service_id, feedback=True)
            body = await read_json(request, limit)

            def record() -> list[int]:
                items = feedback_items(body, store)
                return store.record_feedback(
                    items,
                    client_issuer=identity.issuer if identity else None,
                    client_subject=identity.subject if identity else None,
                )

            ids = await run_in_threadpool(record)
            log.info("feedback recorded: %d entr%s", len(ids), "y" if len(ids) == 1 else "ies")
            return json_response({"recorded": len(ids)})

        return await guarded(work)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code = "not-found" if exc.status_code == 404 else "not-supported"
        message = "no such endpoint" if exc.status_code == 404 else str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and "Allow" not in headers:
            headers["Allow"] = _allowed(_request.url.path)
        return outcome_response(exc.status_code, [FhirProblem(message, code=code)], **headers)

    app.add_middleware(_AccessLog)
    if settings.cors_origins:
        # Browser clients (such as the CDS Hooks Sandbox): the preflight is answered here.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
            max_age=600,
        )
    return app


def _allowed(path: str) -> str:
    methods = "GET" if path.rstrip("/") == "/cds-services" else "POST"
    return f"{methods}, OPTIONS"


def settings_to_environment(settings: ServiceSettings) -> str:
    """``settings`` as JSON, for :data:`SETTINGS_ENV` (what each worker reads)."""
    data = {name: getattr(settings, name) for name in ServiceSettings.__dataclass_fields__}
    data["trusted_issuers"] = [[t.issuer, t.jwks] for t in settings.trusted_issuers]
    data["profile"] = dict(settings.profile)
    data["database_url"] = settings.database
    return json.dumps(data)


def app_from_environment() -> FastAPI:
    """The application for one worker of ``serve --workers N`` (settings from :data:`SETTINGS_ENV`)."""
    data = json.loads(os.environ[SETTINGS_ENV])
    data["trusted_issuers"] = tuple(TrustedIssuer(i, j) for i, j in data["trusted_issuers"])
    for name in ("audiences", "cors_origins"):
        data[name] = tuple(data[name])
    return create_app(ServiceSettings(**data))


def _known_service(service_id: str) -> None:
    if service_id != PATIENT_VIEW_ID:
        raise _Reject(
            404,
            [FhirProblem(f"no CDS service with this id (try {PATIENT_VIEW_ID})", code="not-found")],
            "unknown-service",
        )


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"


def _insecure_banner() -> None:
    line = "!" * 78
    for text in (
        line,
        "AUTHENTICATION IS OFF (--insecure-no-auth): any local process can call this service.",
        "For local demos only. Never use this with real patient data.",
        line,
    ):
        log.warning(text)
