# SPDX-License-Identifier: MIT
"""`pht-rules serve` options, and the insecure demo mode."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import pytest

from pht_rules.service import add_serve_arguments, serve, settings_from_args

from .conftest import FHIR_EXAMPLES, SERVICE, example, example_hook, start_server
from .shapes import check_cards


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_are_loopback_and_need_an_issuer() -> None:
    """Loopback by default; without a trusted issuer (or the insecure flag) it will not start."""
    args = _args()
    assert args.host == "127.0.0.1"
    with pytest.raises(ValueError, match="no trusted issuer"):
        settings_from_args(args)


def test_trusted_issuers_and_audiences(tmp_path: Path) -> None:
    """ISS=JWKS pairs (file or URL) and extra audiences become settings."""
    settings = settings_from_args(
        _args(
            "--trusted-issuer",
            "https://a.example=/keys/a.json",
            "--trusted-issuer",
            "https://b.example=https://b.example/jwks",
            "--audience",
            "https://cds.example.org/cds-services/pht-patient-view",
            "--public-url",
            "https://cds.example.org/",
        )
    )
    assert [t.jwks_is_url for t in settings.trusted_issuers] == [False, True]
    assert settings.base_url == "https://cds.example.org"
    with pytest.raises(ValueError, match="ISS=JWKS"):
        settings_from_args(_args("--trusted-issuer", "no-equals-sign"))


def test_insecure_mode_only_on_loopback() -> None:
    """--insecure-no-auth refuses a non-loopback interface."""
    with pytest.raises(ValueError, match="only listens on loopback"):
        settings_from_args(_args("--insecure-no-auth", "--host", "0.0.0.0"))
    assert settings_from_args(_args("--insecure-no-auth", "--host", "::1")).insecure_no_auth


def test_serve_exits_2_on_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    """Bad settings: exit code 2 and a message, before anything starts."""
    assert serve([]) == 2
    assert "no trusted issuer" in capsys.readouterr().err


def test_insecure_demo_is_loud_and_works(tmp_path: Path) -> None:
    """The demo mode answers without a token and says so loudly in the log."""
    srv = start_server(tmp_path, "--insecure-no-auth")
    try:
        r = httpx.post(
            f"{srv.url}/cds-services/{SERVICE}",
            json=example_hook(example("incomplete-first-contact")),
            timeout=15,
        )
        assert r.status_code == 200
        check_cards(r.json())
        # the README's demo request, as shipped
        demo = (FHIR_EXAMPLES / "hook-request-less-irritable-marathoner.json").read_bytes()
        r = httpx.post(
            f"{srv.url}/cds-services/{SERVICE}",
            content=demo,
            headers={"Content-Type": "application/json"},
            timeout=15,
        )
        assert r.status_code == 200
        assert check_cards(r.json())[0]["summary"].startswith("Presentation and red flags: ")
        log = srv.log()
        assert "AUTHENTICATION IS OFF (--insecure-no-auth)" in log
        assert "WARNING" in log
    finally:
        srv.stop()
