# SPDX-License-Identifier: MIT
"""Feedback: recorded with its rules and rule-set version, and still there after a restart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import pht_rules
from pht_rules.fhir.codes import OVERRIDE_REASONS_SYSTEM
from pht_rules.service.store import FeedbackStore

from .conftest import ISSUER, SERVICE, Server, example, example_hook, start_server
from .shapes import check_cards, check_outcome

HOOK = f"/cds-services/{SERVICE}"
FEEDBACK = f"{HOOK}/feedback"
Auth = Callable[..., dict[str, str]]
DESK_WORKER = example("irritable-desk-worker")


def _cards(client: httpx.Client, auth: Auth, path: Path = DESK_WORKER) -> list[dict[str, Any]]:
    r = client.post(HOOK, json=example_hook(path), headers=auth())
    assert r.status_code == 200, r.text
    return check_cards(r.json())


def _overridden(
    card: dict[str, Any], comment: str = "Patient prefers to keep running"
) -> dict[str, Any]:
    return {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": card["overrideReasons"][3], "userComment": comment},
        "outcomeTimestamp": "2026-03-02T09:41:00Z",
    }


def _accepted(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
        "outcomeTimestamp": "2026-03-02T09:40:00Z",
    }


def test_feedback_is_recorded_with_its_rules(
    client: httpx.Client, auth: Auth, server: Server
) -> None:
    """Accepted and overridden outcomes are stored, attributed to rule ids and the rule set."""
    cards = _cards(client, auth)
    running = next(c for c in cards if "`running.irritable-stop`" in c["detail"])
    loading = next(c for c in cards if "`loading.start`" in c["detail"])
    r = client.post(
        FEEDBACK,
        json={"feedback": [_overridden(running), _accepted(loading)]},
        headers=auth(),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"recorded": 2}
    store = FeedbackStore(server.database_url)
    try:
        records = {rec.card_uuid: rec for rec in store.feedback()}
    finally:
        store.close()
    ruleset = pht_rules.load_rules()
    over, acc = records[running["uuid"]], records[loading["uuid"]]
    assert over.outcome == "overridden" and over.rule_ids == ("running.irritable-stop",)
    assert over.decision_id == "running"
    assert over.override_code == "patient-preference"
    assert over.user_comment == "Patient prefers to keep running"
    assert (over.ruleset_version, over.ruleset_fingerprint) == (
        ruleset.version,
        ruleset.fingerprint,
    )
    assert over.client_issuer == ISSUER and over.client_subject == "test-ehr-client"
    assert acc.outcome == "accepted" and acc.rule_ids == ("loading.start",)
    assert acc.accepted_suggestions == (loading["suggestions"][0]["uuid"],)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda f: f.update(card="00000000-0000-0000-0000-000000000000"), "feedback[0].card"),
        (lambda f: f.update(outcome="ignored"), "feedback[0].outcome"),
        (lambda f: f.pop("outcomeTimestamp"), "feedback[0].outcomeTimestamp"),
        (lambda f: f.update(outcomeTimestamp="yesterday"), "feedback[0].outcomeTimestamp"),
        (
            lambda f: f["overrideReason"].update(
                reason={"system": OVERRIDE_REASONS_SYSTEM, "code": "made-up"}
            ),
            "feedback[0].overrideReason.reason",
        ),
        (
            lambda f: f["overrideReason"].update(userComment="x" * 5000),
            "feedback[0].overrideReason.userComment",
        ),
    ],
)
def test_bad_feedback_is_a_400(
    change: Callable[[dict[str, Any]], Any], where: str, client: httpx.Client, auth: Auth
) -> None:
    """Unknown cards, outcomes, reasons and timestamps are refused, naming the element."""
    entry = _overridden(_cards(client, auth)[0])
    change(entry)
    r = client.post(FEEDBACK, json={"feedback": [entry]}, headers=auth())
    assert r.status_code == 400
    assert check_outcome(r.json())[0]["expression"] == [where]


def test_accepting_needs_a_suggestion_of_the_card(client: httpx.Client, auth: Auth) -> None:
    """acceptedSuggestions must name the card's own suggestion."""
    card = _cards(client, auth)[0]
    entry = _accepted(card)
    entry["acceptedSuggestions"] = [{"id": "not-a-suggestion"}]
    r = client.post(FEEDBACK, json={"feedback": [entry]}, headers=auth())
    assert r.status_code == 400
    entry.pop("acceptedSuggestions")
    r = client.post(FEEDBACK, json={"feedback": [entry]}, headers=auth())
    assert r.status_code == 400


def test_all_or_nothing(client: httpx.Client, auth: Auth, server: Server) -> None:
    """One bad entry: nothing of the request is stored."""
    cards = _cards(client, auth, example("recalcitrant-sprinter"))
    store = FeedbackStore(server.database_url)
    try:
        before = len(store.feedback())
        bad = {**_overridden(cards[1]), "outcome": "maybe"}
        r = client.post(FEEDBACK, json={"feedback": [_overridden(cards[0]), bad]}, headers=auth())
        assert r.status_code == 400
        assert len(store.feedback()) == before
    finally:
        store.close()


@pytest.fixture
def own_server(jwks_file: Path, tmp_path: Path) -> Iterator[Callable[[], Server]]:
    """Start (and restart) a service of this test's own, on one database."""
    started: list[Server] = []
    database = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"

    def start() -> Server:
        srv = start_server(
            tmp_path, "--trusted-issuer", f"{ISSUER}={jwks_file}", database_url=database
        )
        started.append(srv)
        return srv

    try:
        yield start
    finally:
        for srv in started:
            srv.stop()


def test_feedback_survives_a_restart(
    own_server: Callable[[], Server], make_token: Callable[..., str]
) -> None:
    """Feedback acknowledged before a restart is there after it; cards issued before the
    restart can still receive feedback after it."""
    first = own_server()

    def headers(srv: Server) -> dict[str, str]:
        aud = f"{srv.url}{HOOK}"
        return {"Authorization": f"Bearer {make_token(aud=aud)}"}

    with httpx.Client(base_url=first.url, timeout=15) as c:
        r = c.post(
            HOOK, json=example_hook(example("recalcitrant-sprinter")), headers=headers(first)
        )
        cards = check_cards(r.json())
        r = c.post(FEEDBACK, json={"feedback": [_accepted(cards[0])]}, headers=headers(first))
        assert r.status_code == 200
    first.stop()
    assert first.proc.returncode is not None

    second = own_server()
    with httpx.Client(base_url=second.url, timeout=15) as c:
        r = c.post(FEEDBACK, json={"feedback": [_overridden(cards[1])]}, headers=headers(second))
        assert r.status_code == 200, r.text
    store = FeedbackStore(second.database_url)
    try:
        records = store.feedback()
        summary = store.summary()
    finally:
        store.close()
    assert [(r.card_uuid, r.outcome) for r in records] == [
        (cards[0]["uuid"], "accepted"),
        (cards[1]["uuid"], "overridden"),
    ]
    assert all(r.rule_ids for r in records)
    assert {s["outcome"] for s in summary} == {"accepted", "overridden"}


def test_feedback_fields_are_listed_once() -> None:
    """The stored record's fields are the table's columns, and the entry's fields are among them."""
    import dataclasses

    from pht_rules.service.store import FEEDBACK_FIELDS, FeedbackItem, FeedbackRecord

    assert tuple(f.name for f in dataclasses.fields(FeedbackRecord)) == FEEDBACK_FIELDS
    assert set(FeedbackItem.__slots__) - {"card"} <= set(FEEDBACK_FIELDS)


def test_default_database_is_in_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --database-url: SQLite in the platform's user data directory, not the cwd."""
    from pht_rules.service.settings import ServiceSettings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    url = ServiceSettings(insecure_no_auth=True).database
    assert url == f"sqlite:///{tmp_path / 'data' / 'pht-rules' / 'feedback.sqlite3'}"
    assert (tmp_path / "data" / "pht-rules").is_dir()
