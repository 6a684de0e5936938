# SPDX-License-Identifier: MIT
"""HTTP plumbing of the CDS Hooks service: bounded JSON bodies and ``OperationOutcome`` replies."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from pht_rules.errors import UsageError
from pht_rules.fhir.errors import FhirProblem
from pht_rules.fhir.validation import operation_outcome

__all__ = ["FHIR_JSON", "JSON", "bad", "json_response", "outcome_response", "read_json"]

JSON = "application/json"
FHIR_JSON = "application/fhir+json"


class _Reject(Exception):
    """Stop handling a request with ``status`` and an ``OperationOutcome`` of ``problems``."""

    def __init__(self, status: int, problems: list[FhirProblem], reason: str) -> None:
        self.status = status
        self.problems = problems
        self.reason = reason  # a fixed code for the log
        super().__init__(reason)


def outcome_response(status: int, problems: list[FhirProblem], **headers: str) -> Response:
    """An ``OperationOutcome`` reply with ``status``."""
    body = json.dumps(operation_outcome(problems), ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type=FHIR_JSON, headers=headers or None)


def json_response(data: Any, status: int = 200) -> Response:
    """A compact JSON reply."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type=JSON)


async def read_json(request: Request, limit: int) -> Any:
    """The request body as JSON, at most ``limit`` bytes; :class:`_Reject` (400/413) otherwise."""
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


def bad(message: str, expression: str | None = None, code: str = "invalid") -> _Reject:
    """A 400 naming ``expression``."""
    return _Reject(400, [FhirProblem(message, None, expression, code)], "request")
