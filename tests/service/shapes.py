# SPDX-License-Identifier: MIT
"""The CDS Hooks 2.0 response shapes, as strict models, and checks built on them."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pht_rules.fhir import validate_resource

_STRICT = ConfigDict(extra="forbid", strict=True)


class Coding(BaseModel):
    model_config = _STRICT
    system: str
    code: str
    display: str | None = None


class Source(BaseModel):
    model_config = _STRICT
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(BaseModel):
    model_config = _STRICT
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(BaseModel):
    model_config = _STRICT
    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(BaseModel):
    model_config = _STRICT
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Card(BaseModel):
    model_config = _STRICT
    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @field_validator("uuid")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is not None:
            uuid.UUID(value)
        return value

    @model_validator(mode="after")
    def _selection(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("selectionBehavior is required with suggestions")
        return self


class CdsResponse(BaseModel):
    model_config = _STRICT
    cards: list[Card]
    systemActions: list[Action] | None = None


class Service(BaseModel):
    model_config = _STRICT
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(BaseModel):
    model_config = _STRICT
    services: list[Service]


def check_cards(payload: Any) -> list[dict[str, Any]]:
    """Validate a CDS Hooks response; return its cards (as JSON data)."""
    CdsResponse.model_validate(payload)
    cards: list[dict[str, Any]] = payload["cards"]
    for card in cards:
        assert card["uuid"], "this service gives every card a uuid"
        for suggestion in card.get("suggestions") or ():
            uuid.UUID(suggestion["uuid"])
    return cards


def check_outcome(payload: Any, *, code: str | None = None) -> list[dict[str, Any]]:
    """Validate an ``OperationOutcome`` with fhir.resources; return its issues."""
    validate_resource(payload, "OperationOutcome")
    issues: list[dict[str, Any]] = payload["issue"]
    assert issues
    if code is not None:
        assert code in [i["code"] for i in issues], issues
    return issues
