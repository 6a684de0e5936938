# SPDX-License-Identifier: MIT
"""A FHIR R4B server for the tests, on fhirstarter (a FHIR API framework on FastAPI).

``python -m tests.service.fhir_server PORT DATA.json`` serves ``QuestionnaireResponse`` and
``Observation`` searches over the resources in DATA.json (``{"token": ..., "resources": [...]}``)
on 127.0.0.1, for bearer ``token`` only. Run with ``FHIR_SEQUENCE=R4B``. (No postponed annotations:
fhirstarter reads the handlers' signatures.)
"""

import json
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhirstarter import FHIRProvider, FHIRStarter, InteractionContext
from fhirstarter.exceptions import FHIRUnauthorizedError

DATA: dict[str, Any] = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
app = FHIRStarter()
provider = FHIRProvider()


def _matching(context: InteractionContext, kind: str, patient: str | None) -> Bundle:
    if context.request.headers.get("authorization") != f"Bearer {DATA['token']}":
        raise FHIRUnauthorizedError("SERVER-SECRET-TEXT: bad token")
    found = [
        r
        for r in DATA["resources"]
        if r["resourceType"] == kind and r["subject"]["reference"] == f"Patient/{patient}"
    ]
    found.sort(key=lambda r: str(r.get("authored") or r.get("effectiveDateTime")), reverse=True)
    return Bundle.model_validate(
        {"type": "searchset", "total": len(found), "entry": [{"resource": r} for r in found]}
    )


@provider.search_type(QuestionnaireResponse)
async def questionnaire_response_search(
    context: InteractionContext,
    patient: str | None,
    questionnaire: str | None,
    status: str | None,
) -> Bundle:
    return _matching(context, "QuestionnaireResponse", patient)


@provider.search_type(Observation)
async def observation_search(
    context: InteractionContext, patient: str | None, code: str | None, status: str | None
) -> Bundle:
    return _matching(context, "Observation", patient)


app.add_providers(provider)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
