# SPDX-License-Identifier: MIT
"""The feedback database and replay record on a real PostgreSQL server.

Marked ``postgresql``: deselected by the default test run (pyproject's addopts), selected by CI
(``.ci/run`` starts PostgreSQL on 127.0.0.1 and runs ``pytest -m postgresql`` with
``PHT_TEST_DATABASE_URL`` set). Selected without that variable, these tests fail: they never
pass without a server.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from pht_rules.service.store import FeedbackStore, create_schema

from .conftest import ISSUER, Keys, Server, example, example_hook, start_server
from .shapes import check_cards
from .test_interop import HOOK, _token

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def database_url() -> str:
    url = os.environ.get("PHT_TEST_DATABASE_URL")
    assert url, "set PHT_TEST_DATABASE_URL to a PostgreSQL URL (.ci/run does)"
    assert url.startswith("postgresql"), url
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a fresh schema for this run
        for table in ("cds_feedback", "cds_cards", "cds_token_ids"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    return url


def test_schema_creation_is_safe_when_concurrent(database_url: str) -> None:
    engines = [sa.create_engine(database_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(create_schema, engines))
    finally:
        for e in engines:
            e.dispose()
    store = FeedbackStore(database_url)
    try:
        assert store.first_use("iss", "jti-1", time.time() + 60, time.time())
        assert not store.first_use("iss", "jti-1", time.time() + 60, time.time())
    finally:
        store.close()


@pytest.fixture(scope="module")
def pg_workers(
    database_url: str, jwks_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("pg"),
        "--trusted-issuer",
        f"{ISSUER}={jwks_file}",
        "--workers",
        "2",
        database_url=database_url,
    )
    try:
        yield srv
    finally:
        srv.stop()


def test_two_workers_on_postgresql_share_replays_and_feedback(
    pg_workers: Server, keys: Keys
) -> None:
    body = example_hook(example("less-irritable-marathoner"))
    token = _token(keys, pg_workers.url, str(uuid.uuid4()))

    def send(_: int) -> int:
        with httpx.Client(base_url=pg_workers.url, timeout=15) as c:
            return c.post(HOOK, json=body, headers={"Authorization": f"Bearer {token}"}).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(send, range(12)))
    assert sorted(codes) == [200] + [401] * 11

    fresh = _token(keys, pg_workers.url, str(uuid.uuid4()))
    r = httpx.post(
        f"{pg_workers.url}{HOOK}", json=body, headers={"Authorization": f"Bearer {fresh}"}
    )
    card = check_cards(r.json())[0]

    def post(i: int) -> int:
        entry = {
            "card": card["uuid"],
            "outcome": "overridden",
            "outcomeTimestamp": "2026-03-02T09:30:00Z",
            "overrideReason": {"reason": {"system": "https://ehr.example.org/r", "code": f"p-{i}"}},
        }
        t = _token(keys, pg_workers.url, str(uuid.uuid4()))
        with httpx.Client(timeout=30) as c:
            return c.post(
                f"{pg_workers.url}{HOOK}/feedback",
                json={"feedback": [entry]},
                headers={"Authorization": f"Bearer {t}"},
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(post, range(30))) == [200] * 30
    store = FeedbackStore(pg_workers.database_url)
    try:
        stored = sorted(
            f.override_code or "" for f in store.feedback() if f.card_uuid == card["uuid"]
        )
    finally:
        store.close()
    assert stored == sorted(f"p-{i}" for i in range(30))
