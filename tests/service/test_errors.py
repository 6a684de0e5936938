# SPDX-License-Identifier: MIT
"""An unexpected failure inside the service: a 500 OperationOutcome, and a log without data."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

from pht_rules.service import ServiceSettings, create_app
from pht_rules.service.patient_view import PatientViewService

from .conftest import SERVICE, example, example_hook
from .shapes import check_outcome


def test_unexpected_error_is_a_clean_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The error's message (which might quote data) is neither returned nor logged."""

    def explode(
        self: PatientViewService, hook: object, fetched: object = None
    ) -> tuple[bytes, list[object]]:
        raise RuntimeError("SECRET value 4711 from the request")

    monkeypatch.setattr(PatientViewService, "respond", explode)
    settings = ServiceSettings(
        insecure_no_auth=True, database_url=f"sqlite:///{tmp_path / 'fb.sqlite3'}"
    )
    caplog.set_level(logging.INFO, logger="pht_rules")
    app = create_app(settings)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                f"/cds-services/{SERVICE}", json=example_hook(example("incomplete-first-contact"))
            )

    r = asyncio.run(call())
    app.state.store.close()
    assert r.status_code == 500
    issues = check_outcome(r.json(), code="exception")
    assert issues[0]["diagnostics"] == "internal error"
    assert "unexpected RuntimeError" in caplog.text
    assert "SECRET" not in caplog.text and "SECRET" not in r.text
