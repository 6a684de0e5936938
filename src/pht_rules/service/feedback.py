# SPDX-License-Identifier: MIT
"""CDS Hooks feedback entries: checked against the card they name, ready to store.

An ``overrideReason.reason`` is one of the card's ``overrideReasons``, or a coding the client
added (the specification lets a CDS client augment the reasons it shows); ``outcomeTimestamp``
is an RFC 3339 ``date-time`` (zone required).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pht_rules.fhir.codes import OVERRIDE_REASONS
from pht_rules.fhir.codes import OVERRIDE_REASONS_SYSTEM as REASONS_SYSTEM
from pht_rules.fhir.errors import FhirProblem
from pht_rules.service._http import _Reject, bad
from pht_rules.service.store import FeedbackItem, FeedbackStore, IssuedCard

__all__ = [
    "SERVICE_ID",
    "feedback_items",
    "is_rfc3339",
]

SERVICE_ID = "pht-patient-view"
_MAX_FEEDBACK_ITEMS = 100
_MAX_COMMENT = 4000
_MAX_CODE = 100
_MAX_SYSTEM = 200
_MAX_DISPLAY = 300
_REASON_CODES = frozenset(code for code, _ in OVERRIDE_REASONS)


def feedback_items(body: Any, store: FeedbackStore) -> list[tuple[FeedbackItem, IssuedCard]]:
    """The entries of a feedback request, each with its card; :class:`_Reject` (400) if bad."""
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list):
        raise bad("the body must be an object with a 'feedback' array", "feedback", "structure")
    entries = body["feedback"]
    if not entries or len(entries) > _MAX_FEEDBACK_ITEMS:
        raise bad(f"'feedback' must hold 1 to {_MAX_FEEDBACK_ITEMS} entries", "feedback")
    items = []
    for i, entry in enumerate(entries):
        at = f"feedback[{i}]"
        if not isinstance(entry, Mapping):
            raise bad("each feedback entry must be an object", at, "structure")
        card_id = entry.get("card")
        if not isinstance(card_id, str):
            raise bad("card (the card's uuid) is required", f"{at}.card", "required")
        card = store.card(card_id)
        if card is None or card.service_id != SERVICE_ID:
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
            raise bad("outcome must be 'accepted' or 'overridden'", f"{at}.outcome", "value")
        timestamp = entry.get("outcomeTimestamp")
        if not isinstance(timestamp, str) or not is_rfc3339(timestamp):
            raise bad(
                "outcomeTimestamp is required: an RFC 3339 date-time with a zone "
                "(such as 2026-03-02T09:30:00Z)",
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
                raise bad(
                    "acceptedSuggestions must be a list of {'id': suggestion uuid}",
                    f"{at}.acceptedSuggestions",
                    "structure",
                )
            accepted = [s["id"] for s in raw]
            unknown = [s for s in accepted if s not in card.suggestion_uuids]
            if unknown:
                raise bad(
                    "acceptedSuggestions names a suggestion that is not on this card",
                    f"{at}.acceptedSuggestions",
                    "value",
                )
            if card.suggestion_uuids and not accepted:
                raise bad(
                    "an accepted card needs acceptedSuggestions",
                    f"{at}.acceptedSuggestions",
                    "required",
                )
            if entry.get("overrideReason") is not None:
                raise bad("overrideReason is only for overridden cards", f"{at}.overrideReason")
        else:
            reason = entry.get("overrideReason")
            if reason is not None:
                if not isinstance(reason, Mapping):
                    raise bad(
                        "overrideReason must be an object", f"{at}.overrideReason", "structure"
                    )
                coding = reason.get("reason")
                if coding is not None:
                    system, code, display = _reason_coding(coding, f"{at}.overrideReason.reason")
                user_comment = reason.get("userComment")
                if user_comment is not None:
                    if not isinstance(user_comment, str) or len(user_comment) > _MAX_COMMENT:
                        raise bad(
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


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def is_rfc3339(text: str) -> bool:
    """Whether ``text`` is an RFC 3339 ``date-time``: zone required, ``t``/``z`` in either case."""
    if not _RFC3339.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.upper())
    except ValueError:
        return False
    return True


def _reason_coding(coding: object, at: str) -> tuple[str, str, str | None]:
    """One of the card's reasons, or a reason the client added (CDS Hooks lets it augment them)."""
    if not isinstance(coding, Mapping):
        raise bad("overrideReason.reason must be a Coding object", at, "structure")
    system, code, display = coding.get("system"), coding.get("code"), coding.get("display")
    if system == REASONS_SYSTEM:
        if code not in _REASON_CODES:
            raise bad(
                f"{code!r} is not one of the card's overrideReasons ({REASONS_SYSTEM})",
                at,
                "code-invalid",
            )
        return REASONS_SYSTEM, str(code), dict(OVERRIDE_REASONS)[str(code)]
    if not isinstance(code, str) or not code or len(code) > _MAX_CODE:
        raise bad(f"overrideReason.reason.code must be text of 1 to {_MAX_CODE} characters", at)
    if system is not None and (not isinstance(system, str) or len(system) > _MAX_SYSTEM):
        raise bad(f"overrideReason.reason.system must be a URI of at most {_MAX_SYSTEM}", at)
    if display is not None and (not isinstance(display, str) or len(display) > _MAX_DISPLAY):
        raise bad(f"overrideReason.reason.display must be text of at most {_MAX_DISPLAY}", at)
    return (system or ""), code, display
