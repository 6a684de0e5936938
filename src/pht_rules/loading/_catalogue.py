# SPDX-License-Identifier: MIT
"""The manifest and the catalogue of a rule directory, and the citations rules make."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from pht_rules.definitions.catalogue import Catalogue, CatalogueEntry, EntryKind
from pht_rules.errors import closest
from pht_rules.loading._yaml import (
    _EVIDENCE_STATUS,
    CATALOGUE,
    MANIFEST,
    _check_keys,
    _mapping,
    _Problems,
    _text,
)

__all__: list[str] = []

_ENTRY_ID = re.compile(r"^[A-Z][A-Z0-9-]*$")


def _manifest(doc: Any, problems: _Problems) -> Mapping[str, Any]:
    node = _mapping(doc, MANIFEST, problems, "the manifest")
    _check_keys(
        node,
        ("name", "version", "title", "source", "decisions"),
        ("name", "version", "decisions"),
        MANIFEST,
        problems,
    )
    decisions = node.get("decisions")
    if "decisions" in node and (
        not isinstance(decisions, list) or not all(isinstance(d, str) for d in decisions)
    ):
        problems.add(MANIFEST, "'decisions' must be a list of decision ids", at=node)
    return node


def _catalogue(doc: Any, problems: _Problems) -> Catalogue:
    node = _mapping(doc, CATALOGUE, problems, "the catalogue")
    _check_keys(
        node,
        ("source", "statements", "evidence", "assumptions"),
        ("source", "statements"),
        CATALOGUE,
        problems,
    )
    source = _mapping(node.get("source", {}), CATALOGUE, problems, "'source'")
    entries: list[CatalogueEntry] = []
    seen: set[str] = set()

    def entry_id(item: Mapping[str, Any]) -> str | None:
        raw = item.get("id")
        if not isinstance(raw, str) or not _ENTRY_ID.match(raw):
            problems.add(CATALOGUE, f"entry id {raw!r} must look like 'ART-RUN-2'", at=item)
            return None
        if raw in seen:
            problems.add(CATALOGUE, f"duplicate catalogue id '{raw}'", at=item)
            return None
        seen.add(raw)
        return raw

    sections = {
        "statements": (("id", "section", "text", "not_encoded"), ("id", "section", "text")),
        "evidence": (
            ("id", "status", "citation", "finding"),
            ("id", "status", "citation", "finding"),
        ),
        "assumptions": (("id", "text", "rationale"), ("id", "text", "rationale")),
    }
    for section, (allowed, required) in sections.items():
        items = node.get(section, [])
        if not isinstance(items, list):
            problems.add(CATALOGUE, f"'{section}' must be a list", at=node)
            continue
        for item in items:
            item = _mapping(item, CATALOGUE, problems, f"an entry of '{section}'")
            _check_keys(item, allowed, required, CATALOGUE, problems)
            eid = entry_id(item)
            if eid is None or any(k not in item for k in required):
                continue
            if section == "statements":
                entries.append(
                    CatalogueEntry(
                        id=eid,
                        kind="article",
                        text=_text(item["text"]),
                        section=str(item["section"]),
                        not_encoded=_text(item["not_encoded"]) if "not_encoded" in item else None,
                    )
                )
            elif section == "evidence":
                status = item["status"]
                if status not in _EVIDENCE_STATUS:
                    problems.add(
                        CATALOGUE,
                        f"entry '{eid}': status must be one of {', '.join(_EVIDENCE_STATUS)}",
                        at=item,
                    )
                    continue
                entries.append(
                    CatalogueEntry(
                        id=eid,
                        kind=cast(EntryKind, status),
                        text=_text(item["finding"]),
                        citation=_text(item["citation"]),
                    )
                )
            else:
                entries.append(
                    CatalogueEntry(
                        id=eid,
                        kind="assumption",
                        text=_text(item["text"]),
                        rationale=_text(item["rationale"]),
                    )
                )
    return Catalogue(
        source_title=str(source.get("title", "")),
        source_publisher=str(source.get("publisher", "")),
        entries=tuple(entries),
    )


def _cites(
    raw: Any,
    catalogue: Catalogue,
    resource: str,
    problems: _Problems,
    at: object,
    rule_id: str | None,
) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add(resource, "must cite at least one catalogue entry", at=at, rule_id=rule_id)
        return ()
    out: list[str] = []
    for cid in raw:
        if not isinstance(cid, str) or cid not in catalogue:
            problems.add(
                resource,
                f"cites '{cid}', which is not in the catalogue",
                at=at,
                suggestion=closest(str(cid), (e.id for e in catalogue.entries)),
                rule_id=rule_id,
            )
        elif cid not in out:
            out.append(cid)
    return tuple(out)
