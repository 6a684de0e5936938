# SPDX-License-Identifier: MIT
# Over 400 lines: the app factory, its middleware and the routes share the factory's state.
"""The CDS Hooks 2.0 service: discovery, ``patient-view`` and feedback (FastAPI).

- ``GET /cds-services``: discovery (no authentication; it holds no patient data).
- ``POST /cds-services/pht-patient-view``: cards for the patient's latest completed intake
  questionnaire response (prefetched); a card saying what is needed when there is none.
- ``POST /cds-services/pht-patient-view/feedback``: accepted/overridden outcomes, stored with the
  card's rules and rule-set version, committed before the reply.

Errors are FHIR ``OperationOutcome``\\ s: 400 (malformed JSON, FHIR or hook request), 401 (with
``WWW-Authenticate``), 404, 413 (body over the limit). Logs carry method, route, status, duration
and error codes only: never a body, a patient or user id, a token or an answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pht_rules._version import __version__
from pht_rules.definitions.ruleset import Profile, RuleSet
from pht_rules.errors import PhtRulesError, UsageError
from pht_rules.evaluation.evaluator import Evaluator
from pht_rules.fhir.codes import ITEMS_SYSTEM, LOINC, LOINC_AGE, OVERRIDE_REASONS, QUESTIONNAIRE_URL
from pht_rules.fhir.codes import OVERRIDE_REASONS_SYSTEM as REASONS_SYSTEM
from pht_rules.fhir.errors import FhirInputError, FhirProblem
from pht_rules.fhir.response import latest_response, response_to_state
from pht_rules.fhir.validation import operation_outcome, validate_resource
from pht_rules.loading import load_rules
from pht_rules.service.auth import AuthError, ClientIdentity, TokenVerifier
from pht_rules.service.cards import CardSet, assessment_cards, missing_input_card
from pht_rules.service.settings import ServiceSettings
from pht_rules.service.store import FeedbackItem, FeedbackStore, IssuedCard

__all__ = [
    "PATIENT_VIEW_ID",
    "PREFETCH",
    "PatientViewService",
    "create_app",
    "discovery_document",
    "log",
]

log = logging.getLogger("pht_rules.service")

PATIENT_VIEW_ID = "pht-patient-view"
PREFETCH = {
    "questionnaireResponse": (
        f"QuestionnaireResponse?questionnaire={QUESTIONNAIRE_URL}&patient={{{{context.patientId}}}}"
        "&status=completed,amended&_sort=-authored&_count=1"
    ),
    "observations": (
        f"Observation?patient={{{{context.patientId}}}}&code={LOINC}|{LOINC_AGE},{ITEMS_SYSTEM}|"
        "&status=final,amended,corrected&_sort=-date&_count=100"
    ),
}
"""Prefetch templates: the latest completed intake response; optionally, coded observations."""

_JSON = "application/json"
_FHIR_JSON = "application/fhir+json"
_MAX_FEEDBACK_ITEMS = 100
_MAX_COMMENT = 4000
_REASON_CODES = frozenset(code for code, _ in OVERRIDE_REASONS)


class _Reject(Exception):
    """Stop handling a request with ``status`` and an ``OperationOutcome`` of ``problems``."""

    def __init__(self, status: int, problems: list[FhirProblem], reason: str) -> None:
        self.status = status
        self.problems = problems
        self.reason = reason  # a fixed code for the log
        super().__init__(reason)


def _outcome_response(status: int, problems: list[FhirProblem], **headers: str) -> Response:
    body = json.dumps(operation_outcome(problems), ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type=_FHIR_JSON, headers=headers or None)


def _json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type=_JSON)


def discovery_document() -> dict[str, Any]:
    """The CDS Hooks discovery response."""
    return {
        "services": [
            {
                "hook": "patient-view",
                "id": PATIENT_VIEW_ID,
                "title": "Proximal hamstring tendinopathy: guideline suggestions",
                "description": (
                    "Suggestions on red flags, irritability, running, the loading programme, "
                    "load management and escalation for proximal hamstring tendinopathy, from the "
                    "patient's latest completed pht_rules intake questionnaire; each cites its "
                    "guideline statement. Decision support for a clinician, not a diagnosis."
                ),
                "prefetch": dict(PREFETCH),
                "usageRequirements": (
                    "Needs a completed QuestionnaireResponse to "
                    f"{QUESTIONNAIRE_URL}; clients authenticate with a signed JWT."
                ),
            }
        ]
    }


# --------------------------------------------------------------------------------------------
# Request bodies


async def _read_json(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise _Reject(
                400, [FhirProblem("Content-Length is not a number", code="structure")], "length"
            ) from None
        if size > limit:
            raise _too_large(limit)
    chunks = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body:
        raise _Reject(400, [FhirProblem("the request body is empty", code="required")], "empty")
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        where = ""
        if isinstance(exc, json.JSONDecodeError):
            where = f" at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise _Reject(
            400,
            [FhirProblem(f"the request body is not valid JSON{where}", code="structure")],
            "json",
        ) from None


def _no_constant(name: str) -> Any:
    raise UsageError(f"{name} is not JSON")


def _too_large(limit: int) -> _Reject:
    return _Reject(
        413,
        [
            FhirProblem(
                f"the request body is larger than the limit of {limit} bytes", code="too-long"
            )
        ],
        "too-large",
    )


def _bad(message: str, expression: str | None = None, code: str = "invalid") -> _Reject:
    return _Reject(400, [FhirProblem(message, None, expression, code)], "request")


# --------------------------------------------------------------------------------------------
# The service


class _ResultCache:
    """Answers already computed, by digest of the FHIR input (a pure function of it).

    ``patient-view`` fires each time a chart opens, usually with the same latest response: the
    answer (cards and JSON) is kept for the last ``size`` distinct inputs, and FHIR validation
    (about 1.5 ms per response with ``fhir.resources``), mapping and evaluation are skipped.
    """

    def __init__(self, size: int = 1024) -> None:
        # Used from the event loop only, so it needs no lock.
        self._items: OrderedDict[bytes, tuple[bytes, list[IssuedCard]]] = OrderedDict()
        self._size = size

    def get(self, key: bytes) -> tuple[bytes, list[IssuedCard]] | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: bytes, value: tuple[bytes, list[IssuedCard]]) -> None:
        self._items[key] = value
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def _digest(*parts: object) -> bytes:
    text = json.dumps(parts, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).digest()


class PatientViewService:
    """The ``patient-view`` logic, free of HTTP: hook request in, cards out."""

    def __init__(
        self, evaluator: Evaluator, ruleset: RuleSet, guideline_url: str | None = None
    ) -> None:
        self.evaluator = evaluator
        self.ruleset = ruleset
        self.guideline_url = guideline_url
        self._results = _ResultCache()

    def respond(self, body: Any) -> tuple[bytes, list[IssuedCard]]:
        """The JSON answer to a hook request and the cards in it; :class:`_Reject` (400) if bad."""
        if not isinstance(body, Mapping):
            raise _bad("the hook request must be a JSON object", None, "structure")
        if body.get("hook") != "patient-view":
            raise _bad(f"hook is {body.get('hook')!r}; this service answers 'patient-view'", "hook")
        if not isinstance(body.get("hookInstance"), str) or not body["hookInstance"]:
            raise _bad("hookInstance is required (a string)", "hookInstance", "required")
        context = body.get("context")
        if not isinstance(context, Mapping):
            raise _bad("context is required (an object)", "context", "required")
        patient_id = context.get("patientId")
        if not isinstance(patient_id, str) or not patient_id:
            raise _bad("context.patientId is required (a string)", "context.patientId", "required")
        prefetch = body.get("prefetch")
        if prefetch is None:
            prefetch = {}
        if not isinstance(prefetch, Mapping):
            raise _bad("prefetch must be an object", "prefetch", "structure")
        found = prefetch.get("questionnaireResponse")
        if found is not None and not isinstance(found, Mapping):
            raise _bad(
                "prefetch.questionnaireResponse must be a Bundle or a QuestionnaireResponse",
                "prefetch.questionnaireResponse",
                "structure",
            )
        observations = prefetch.get("observations")
        if observations is not None and (
            not isinstance(observations, Mapping) or observations.get("resourceType") != "Bundle"
        ):
            raise _bad(
                "prefetch.observations must be a Bundle", "prefetch.observations", "structure"
            )
        response = latest_response(found) if found is not None else None
        if found is not None and response is None:
            kind = found.get("resourceType")
            if kind not in ("Bundle", "QuestionnaireResponse"):
                raise _bad(
                    f"prefetch.questionnaireResponse is a {kind!r}, not a Bundle",
                    "prefetch.questionnaireResponse",
                    "structure",
                )
            self._validate(found, str(kind), "prefetch.questionnaireResponse")
        if response is None and observations is None:
            return _encode(self._missing(found is not None))
        if response is not None:
            _check_subject(response.get("subject"), patient_id, "QuestionnaireResponse.subject")
        if observations is not None:
            for entry in observations.get("entry") or ():
                resource = entry.get("resource") if isinstance(entry, Mapping) else None
                if isinstance(resource, Mapping) and resource.get("resourceType") == "Observation":
                    _check_subject(resource.get("subject"), patient_id, "Observation.subject")
        key = _digest(response, observations)
        cached = self._results.get(key)
        if cached is not None:
            return cached
        answer = _encode(self._cards(response, observations))
        self._results.put(key, answer)
        return answer

    def _missing(self, found: bool) -> CardSet:
        reason = (
            "No completed intake questionnaire response was found for this patient."
            if found
            else "The request carried no prefetched questionnaire response."
        )
        return missing_input_card(
            ruleset=self.ruleset,
            service_id=PATIENT_VIEW_ID,
            prefetch_template=PREFETCH["questionnaireResponse"],
            reason=reason,
        )

    def _cards(
        self, response: Mapping[str, Any] | None, observations: Mapping[str, Any] | None
    ) -> CardSet:
        if response is not None:
            self._validate(response, "QuestionnaireResponse", "prefetch.questionnaireResponse")
        if observations is not None:
            self._validate(observations, "Bundle", "prefetch.observations")
        try:
            if response is not None:
                state = response_to_state(response, observations=observations)
            else:
                state = response_to_state(_EMPTY_RESPONSE, observations=observations)
        except FhirInputError as exc:
            raise _Reject(400, list(exc.problems), "answers") from None
        assessment = self.evaluator.evaluate(state)
        key = _input_key(response, state.model_dump_json())
        cards = assessment_cards(
            assessment,
            ruleset=self.ruleset,
            service_id=PATIENT_VIEW_ID,
            input_key=key,
            guideline_url=self.guideline_url,
        )
        if response is None:
            missing = missing_input_card(
                ruleset=self.ruleset,
                service_id=PATIENT_VIEW_ID,
                prefetch_template=PREFETCH["questionnaireResponse"],
                reason="Only coded observations were available, no questionnaire response.",
            )
            cards = CardSet(cards.cards + missing.cards, cards.issued + missing.issued)
        return cards

    def _validate(self, resource: Mapping[str, Any], expected: str, where: str) -> None:
        try:
            validate_resource(resource, expected)
        except FhirInputError as exc:
            problems = [
                FhirProblem(f"{where}: {p.message}", p.link_id, p.expression, p.code)
                for p in exc.problems
            ]
            raise _Reject(400, problems, "fhir") from None


_EMPTY_RESPONSE = {
    "resourceType": "QuestionnaireResponse",
    "questionnaire": QUESTIONNAIRE_URL,
    "status": "completed",
}


def _encode(cards: CardSet) -> tuple[bytes, list[IssuedCard]]:
    body = json.dumps({"cards": cards.cards}, ensure_ascii=False, separators=(",", ":"))
    return body.encode("utf-8"), cards.issued


def _check_subject(subject: object, patient_id: str, where: str) -> None:
    if subject is None:
        return
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(reference, str):
        return  # an identifier-only subject cannot be compared; the prefetch query chose it
    if reference != f"Patient/{patient_id}" and not reference.endswith(f"/Patient/{patient_id}"):
        raise _Reject(
            400,
            [
                FhirProblem(
                    "the resource is about another patient than context.patientId",
                    None,
                    where,
                    "business-rule",
                )
            ],
            "subject",
        )


def _input_key(response: Mapping[str, Any] | None, state_json: str) -> str:
    digest = hashlib.sha256(state_json.encode("utf-8")).hexdigest()[:32]
    if response is None:
        return f"observations@{digest}"
    meta = response.get("meta")
    version = meta.get("versionId") if isinstance(meta, Mapping) else None
    return f"{response.get('id') or ''}/{version or ''}@{digest}"


def _feedback_items(body: Any, store: FeedbackStore) -> list[tuple[FeedbackItem, IssuedCard]]:
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list):
        raise _bad("the body must be an object with a 'feedback' array", "feedback", "structure")
    entries = body["feedback"]
    if not entries or len(entries) > _MAX_FEEDBACK_ITEMS:
        raise _bad(f"'feedback' must hold 1 to {_MAX_FEEDBACK_ITEMS} entries", "feedback")
    items = []
    for i, entry in enumerate(entries):
        at = f"feedback[{i}]"
        if not isinstance(entry, Mapping):
            raise _bad("each feedback entry must be an object", at, "structure")
        card_id = entry.get("card")
        if not isinstance(card_id, str):
            raise _bad("card (the card's uuid) is required", f"{at}.card", "required")
        card = store.card(card_id)
        if card is None or card.service_id != PATIENT_VIEW_ID:
            raise _Reject(
                400,
                [
                    FhirProblem(
                        "no card with this uuid was issued by this service",
                        None,
                        f"{at}.card",
                        "not-found",
                    )
                ],
                "unknown-card",
            )
        outcome = entry.get("outcome")
        if outcome not in ("accepted", "overridden"):
            raise _bad("outcome must be 'accepted' or 'overridden'", f"{at}.outcome", "value")
        timestamp = entry.get("outcomeTimestamp")
        if not isinstance(timestamp, str) or not _is_datetime(timestamp):
            raise _bad(
                "outcomeTimestamp is required (an ISO 8601 date and time)",
                f"{at}.outcomeTimestamp",
                "required",
            )
        accepted: list[str] = []
        system = code = display = comment = None
        if outcome == "accepted":
            raw = entry.get("acceptedSuggestions") or []
            if not isinstance(raw, list) or not all(
                isinstance(s, Mapping) and isinstance(s.get("id"), str) for s in raw
            ):
                raise _bad(
                    "acceptedSuggestions must be a list of {'id': suggestion uuid}",
                    f"{at}.acceptedSuggestions",
                    "structure",
                )
            accepted = [s["id"] for s in raw]
            unknown = [s for s in accepted if s not in card.suggestion_uuids]
            if unknown:
                raise _bad(
                    "acceptedSuggestions names a suggestion that is not on this card",
                    f"{at}.acceptedSuggestions",
                    "value",
                )
            if card.suggestion_uuids and not accepted:
                raise _bad(
                    "an accepted card needs acceptedSuggestions",
                    f"{at}.acceptedSuggestions",
                    "required",
                )
            if entry.get("overrideReason") is not None:
                raise _bad("overrideReason is only for overridden cards", f"{at}.overrideReason")
        else:
            reason = entry.get("overrideReason")
            if reason is not None:
                if not isinstance(reason, Mapping):
                    raise _bad(
                        "overrideReason must be an object", f"{at}.overrideReason", "structure"
                    )
                coding = reason.get("reason")
                if coding is not None:
                    if (
                        not isinstance(coding, Mapping)
                        or coding.get("system") != REASONS_SYSTEM
                        or (coding.get("code") not in _REASON_CODES)
                    ):
                        raise _bad(
                            "overrideReason.reason must be one of the card's overrideReasons",
                            f"{at}.overrideReason.reason",
                            "code-invalid",
                        )
                    system, code = REASONS_SYSTEM, str(coding["code"])
                    display = dict(OVERRIDE_REASONS)[code]
                user_comment = reason.get("userComment")
                if user_comment is not None:
                    if not isinstance(user_comment, str) or len(user_comment) > _MAX_COMMENT:
                        raise _bad(
                            f"userComment must be text of at most {_MAX_COMMENT} characters",
                            f"{at}.overrideReason.userComment",
                            "value",
                        )
                    comment = user_comment
        items.append(
            (
                FeedbackItem(
                    card=card_id,
                    outcome=outcome,
                    accepted_suggestions=tuple(accepted),
                    override_system=system,
                    override_code=code,
                    override_display=display,
                    user_comment=comment,
                    outcome_timestamp=timestamp,
                ),
                card,
            )
        )
    return items


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# HTTP


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
    verifier = None if settings.insecure_no_auth else TokenVerifier(settings)
    store = FeedbackStore(settings.database_url)
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

    def audiences(service_id: str) -> list[str]:
        return [f"{base}/cds-services", f"{base}/cds-services/{service_id}"]

    async def authenticate(request: Request, service_id: str) -> ClientIdentity | None:
        if verifier is None:
            return None
        header = request.headers.get("authorization")
        accepted = audiences(service_id)
        try:
            if verifier.remote:
                return await run_in_threadpool(verifier.verify, header, accepted)
            return verifier.verify(header, accepted)
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
                return _outcome_response(
                    401,
                    exc.problems,
                    **{
                        "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{detail}"'
                    },
                )
            log.info("request rejected: %s (%d issue(s))", exc.reason, len(exc.problems))
            return _outcome_response(exc.status, exc.problems)
        except PhtRulesError as exc:
            log.error("evaluation failed: %s", type(exc).__name__)
            return _outcome_response(
                500, [FhirProblem("the rules could not be applied", code="exception")]
            )
        except Exception as exc:  # never let a traceback (which may quote data) reach the log
            log.error("unexpected %s in %s", type(exc).__name__, _where(exc))
            return _outcome_response(500, [FhirProblem("internal error", code="exception")])

    @app.get("/cds-services")
    async def discovery() -> Response:
        return _json_response(discovery_document())

    @app.post("/cds-services/{service_id}")
    async def hook(service_id: str, request: Request) -> Response:
        async def work() -> Response:
            _known_service(service_id)
            await authenticate(request, service_id)
            body = await _read_json(request, limit)
            answer, issued = service.respond(body)
            if store.unknown(issued):
                await run_in_threadpool(store.remember_cards, issued)
            return Response(answer, media_type=_JSON)

        return await guarded(work)

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request) -> Response:
        async def work() -> Response:
            _known_service(service_id)
            identity = await authenticate(request, service_id)
            body = await _read_json(request, limit)

            def record() -> list[int]:
                items = _feedback_items(body, store)
                return store.record_feedback(
                    items,
                    client_issuer=identity.issuer if identity else None,
                    client_subject=identity.subject if identity else None,
                )

            ids = await run_in_threadpool(record)
            log.info("feedback recorded: %d entr%s", len(ids), "y" if len(ids) == 1 else "ies")
            return _json_response({"recorded": len(ids)})

        return await guarded(work)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code = "not-found" if exc.status_code == 404 else "not-supported"
        message = "no such endpoint" if exc.status_code == 404 else str(exc.detail)
        return _outcome_response(exc.status_code, [FhirProblem(message, code=code)])

    app.add_middleware(_AccessLog)
    return app


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
