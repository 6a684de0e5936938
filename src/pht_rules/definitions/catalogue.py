# SPDX-License-Identifier: MIT
"""The guideline catalogue: the article's statements, the published evidence, and the assumptions.

Every rule cites catalogue entries by id. An article statement that no rule encodes carries the
reason (``not_encoded``), so traceability holds in both directions.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Catalogue", "CatalogueEntry", "EntryKind", "SourceSection", "normalise"]

EntryKind = Literal["article", "literature", "secondary", "not-verified", "assumption"]


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One citable entry.

    ``kind`` is ``article`` for a statement of the source article, ``literature`` / ``secondary`` /
    ``not-verified`` for published evidence (by how far its details were confirmed), and
    ``assumption`` for an engineering default. ``text`` is the project's own paraphrase or summary.
    """

    id: str
    kind: EntryKind
    text: str
    section: str | None = None
    citation: str | None = None
    rationale: str | None = None
    not_encoded: str | None = None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The entries a rule set may cite, and the source article they paraphrase."""

    source_title: str
    source_publisher: str
    entries: tuple[CatalogueEntry, ...]
    _by_id: dict[str, CatalogueEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> CatalogueEntry | None:
        """The entry with ``entry_id``, or ``None``."""
        return self._by_id.get(entry_id)

    def __contains__(self, entry_id: object) -> bool:
        return isinstance(entry_id, str) and self.get(entry_id) is not None

    @property
    def statements(self) -> tuple[CatalogueEntry, ...]:
        """The source article's statements, in article order."""
        return tuple(e for e in self.entries if e.kind == "article")


@dataclass(frozen=True, slots=True)
class SourceSection:
    """A section of the source article as the catalogue recorded it: heading and fingerprint."""

    heading: str
    sha256: str


def normalise(text: str) -> str:
    """``text`` in NFC with every run of whitespace collapsed to one space, ends stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())
