# SPDX-License-Identifier: MIT
"""Durable record of the cards issued and of the clinicians' feedback on them (SQLAlchemy).

Each card issued is remembered with the decision, rule ids and rule-set version behind it, so that
feedback, which names only the card, is attributed to rules. Feedback is committed before the
request that carries it is answered: what was acknowledged is on disk. SQLite (the default) runs in
WAL mode, with ``synchronous=FULL`` while feedback is written; any SQLAlchemy URL works.

The database holds no patient identifiers, but a clinician's free-text override comment may hold
anything: protect it like clinical data.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

__all__ = [
    "FEEDBACK_FIELDS",
    "FeedbackItem",
    "FeedbackRecord",
    "FeedbackStore",
    "IssuedCard",
    "cards_table",
    "create_db_engine",
    "create_schema",
    "feedback_table",
    "replays_table",
]

_metadata = sa.MetaData()

cards_table = sa.Table(
    "cds_cards",
    _metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("service_id", sa.String(100), nullable=False),
    sa.Column("decision_id", sa.String(100), nullable=True),
    sa.Column("outcomes", sa.JSON, nullable=False),
    sa.Column("rule_ids", sa.JSON, nullable=False),
    sa.Column("suggestion_uuids", sa.JSON, nullable=False),
    sa.Column("ruleset_name", sa.String(100), nullable=False),
    sa.Column("ruleset_version", sa.String(50), nullable=False),
    sa.Column("ruleset_fingerprint", sa.String(64), nullable=False),
    sa.Column("first_issued_at", sa.String(40), nullable=False),
)

feedback_table = sa.Table(
    "cds_feedback",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.String(40), nullable=False),
    sa.Column("service_id", sa.String(100), nullable=False),
    sa.Column("card_uuid", sa.String(36), sa.ForeignKey("cds_cards.uuid"), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("accepted_suggestions", sa.JSON, nullable=False),
    sa.Column("override_system", sa.String(200), nullable=True),
    sa.Column("override_code", sa.String(100), nullable=True),
    sa.Column("override_display", sa.String(300), nullable=True),
    sa.Column("user_comment", sa.Text, nullable=True),
    sa.Column("outcome_timestamp", sa.String(40), nullable=True),
    sa.Column("decision_id", sa.String(100), nullable=True),
    sa.Column("rule_ids", sa.JSON, nullable=False),
    sa.Column("ruleset_name", sa.String(100), nullable=False),
    sa.Column("ruleset_version", sa.String(50), nullable=False),
    sa.Column("ruleset_fingerprint", sa.String(64), nullable=False),
    sa.Column("client_issuer", sa.String(300), nullable=True),
    sa.Column("client_subject", sa.String(300), nullable=True),
)


replays_table = sa.Table(
    "cds_token_ids",
    _metadata,
    sa.Column("issuer", sa.String(300), primary_key=True),
    sa.Column("jti", sa.String(200), primary_key=True),
    sa.Column("expires", sa.Float, nullable=False, index=True),
)
"""The token ids seen, shared by every worker: a second insert of one (issuer, jti) fails."""

_SCHEMA_LOCK = 0x7068745F72756C65  # "pht_rule": PostgreSQL advisory lock of schema creation


@dataclass(frozen=True, slots=True)
class IssuedCard:
    """A card as issued: what it was about and which rules and rule set produced it."""

    uuid: str
    service_id: str
    decision_id: str | None
    outcomes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    suggestion_uuids: tuple[str, ...]
    ruleset_name: str
    ruleset_version: str
    ruleset_fingerprint: str


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """One CDS Hooks feedback entry, validated."""

    card: str
    outcome: str  # accepted | overridden
    accepted_suggestions: tuple[str, ...] = ()
    override_system: str | None = None
    override_code: str | None = None
    override_display: str | None = None
    user_comment: str | None = None
    outcome_timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """Feedback as stored, attributed to the card's decision, rules and rule-set version.

    Its fields are the columns of ``cds_feedback``, in order (:data:`FEEDBACK_FIELDS`).
    """

    id: int
    received_at: str
    service_id: str
    card_uuid: str
    outcome: str
    accepted_suggestions: tuple[str, ...]
    override_system: str | None
    override_code: str | None
    override_display: str | None
    user_comment: str | None
    outcome_timestamp: str | None
    decision_id: str | None
    rule_ids: tuple[str, ...]
    ruleset_name: str
    ruleset_version: str
    ruleset_fingerprint: str
    client_issuer: str | None
    client_subject: str | None


FEEDBACK_FIELDS: tuple[str, ...] = tuple(c.name for c in feedback_table.columns)
"""The feedback columns, which are also :class:`FeedbackRecord`'s fields (a test keeps them so)."""
_LIST_COLUMNS = frozenset({"accepted_suggestions", "rule_ids"})


def _record(row: Any) -> FeedbackRecord:
    values = row._mapping
    fields: dict[str, Any] = {
        name: tuple(values[name]) if name in _LIST_COLUMNS else values[name]
        for name in FEEDBACK_FIELDS
    }
    return FeedbackRecord(**fields)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # FULL while feedback is written
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, full sync, a busy timeout and foreign keys."""
    options: dict[str, Any] = {}
    if url in ("sqlite://", "sqlite:///:memory:"):
        options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    engine = sa.create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _insert_ignoring_duplicates(engine: Engine, table: sa.Table) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL (others: a plain insert)."""
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    return table.insert()


def create_schema(engine: Engine, attempts: int = 20) -> None:
    """Create the tables that are missing, safely when several workers start at once.

    PostgreSQL: under a transaction-scoped advisory lock, so one worker creates and the others
    then find the tables. SQLite: a worker that loses the race ("already exists", or the
    database locked by the creator) retries, finding the tables the next time.
    """
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
                _metadata.create_all(conn, checkfirst=True)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


class FeedbackStore:
    """The cards issued and the feedback received, in one database. Thread-safe."""

    def __init__(self, url: str, *, memory: int = 100_000) -> None:
        self.engine = create_db_engine(url)
        create_schema(self.engine)
        self._known: OrderedDict[str, IssuedCard] = OrderedDict()
        self._limit = memory
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def _remember(self, card: IssuedCard) -> None:
        with self._lock:
            self._known[card.uuid] = card
            self._known.move_to_end(card.uuid)
            while len(self._known) > self._limit:
                self._known.popitem(last=False)

    def unknown(self, cards: Iterable[IssuedCard]) -> list[IssuedCard]:
        """Those of ``cards`` not yet known to be stored (cheap: no database access)."""
        with self._lock:
            return [c for c in cards if c.uuid not in self._known]

    def remember_cards(self, cards: Sequence[IssuedCard]) -> None:
        """Store the cards not stored yet (same uuid = same card); committed on return."""
        fresh = self.unknown(cards)
        if not fresh:
            return
        rows = [_card_row(c) for c in fresh]
        with self.engine.connect() as conn:
            # Connections run at synchronous=NORMAL (a card can be issued again); feedback
            # (below) is written at FULL. One statement: a card stored meanwhile is skipped.
            conn.execute(_insert_ignoring_duplicates(self.engine, cards_table), rows)
            conn.commit()
        for c in fresh:
            self._remember(c)

    def card(self, uuid: str) -> IssuedCard | None:
        """The issued card with ``uuid``, or ``None``."""
        with self._lock:
            known = self._known.get(uuid)
        if known is not None:
            return known
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(cards_table).where(cards_table.c.uuid == uuid)).first()
        if row is None:
            return None
        card = IssuedCard(
            uuid=row.uuid,
            service_id=row.service_id,
            decision_id=row.decision_id,
            outcomes=tuple(row.outcomes),
            rule_ids=tuple(row.rule_ids),
            suggestion_uuids=tuple(row.suggestion_uuids),
            ruleset_name=row.ruleset_name,
            ruleset_version=row.ruleset_version,
            ruleset_fingerprint=row.ruleset_fingerprint,
        )
        self._remember(card)
        return card

    def record_feedback(
        self,
        items: Sequence[tuple[FeedbackItem, IssuedCard]],
        *,
        client_issuer: str | None = None,
        client_subject: str | None = None,
    ) -> list[int]:
        """Store feedback entries, all or none, committed before returning their ids."""
        received = _now()
        with self.engine.connect() as conn:
            self._synchronous(conn, "FULL")
            try:
                with conn.begin():
                    ids = [
                        self._insert_feedback(
                            conn, item, card, received, client_issuer, client_subject
                        )
                        for item, card in items
                    ]
            finally:
                self._synchronous(conn, "NORMAL")
        return ids

    def _synchronous(self, conn: sa.Connection, level: str) -> None:
        if self.engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA synchronous={level}")
            conn.commit()

    @staticmethod
    def _insert_feedback(
        conn: sa.Connection,
        item: FeedbackItem,
        card: IssuedCard,
        received: str,
        client_issuer: str | None,
        client_subject: str | None,
    ) -> int:
        values: dict[str, Any] = {
            "received_at": received,
            "service_id": card.service_id,
            "card_uuid": card.uuid,
            "decision_id": card.decision_id,
            "rule_ids": list(card.rule_ids),
            "ruleset_name": card.ruleset_name,
            "ruleset_version": card.ruleset_version,
            "ruleset_fingerprint": card.ruleset_fingerprint,
            "client_issuer": client_issuer,
            "client_subject": client_subject,
        }
        for name in FeedbackItem.__slots__:
            if name != "card":
                value = getattr(item, name)
                values[name] = list(value) if name in _LIST_COLUMNS else value
        result = conn.execute(feedback_table.insert().values(**values))
        key = result.inserted_primary_key
        return int(key[0]) if key else 0

    def feedback(self) -> list[FeedbackRecord]:
        """Every feedback record, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(feedback_table).order_by(feedback_table.c.id)).all()
        return [_record(r) for r in rows]

    def summary(self) -> list[dict[str, Any]]:
        """Feedback counted per rule-set version, rule and outcome (and override reason)."""
        counts: dict[tuple[str, str, str, str], int] = {}
        for r in self.feedback():
            for rule in r.rule_ids or ("(no rule)",):
                key = (r.ruleset_version, rule, r.outcome, r.override_code or "")
                counts[key] = counts.get(key, 0) + 1
        return [
            {
                "ruleset_version": v,
                "rule_id": rule,
                "outcome": outcome,
                "override_reason": reason or None,
                "count": n,
            }
            for (v, rule, outcome, reason), n in sorted(counts.items())
        ]

    def first_use(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        """Record a token id for every worker; ``False`` if an unexpired token already used it."""
        with self.engine.connect() as conn:
            if now >= self._next_purge:
                self._next_purge = now + 10
                conn.execute(replays_table.delete().where(replays_table.c.expires <= now))
                conn.commit()
            try:
                conn.execute(replays_table.insert().values(issuer=issuer, jti=jti, expires=expires))
                conn.commit()
            except IntegrityError:
                conn.rollback()
                return False
        return True

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def _card_row(card: IssuedCard) -> dict[str, Any]:
    return {
        "uuid": card.uuid,
        "service_id": card.service_id,
        "decision_id": card.decision_id,
        "outcomes": list(card.outcomes),
        "rule_ids": list(card.rule_ids),
        "suggestion_uuids": list(card.suggestion_uuids),
        "ruleset_name": card.ruleset_name,
        "ruleset_version": card.ruleset_version,
        "ruleset_fingerprint": card.ruleset_fingerprint,
        "first_issued_at": _now(),
    }
