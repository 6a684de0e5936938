# SPDX-License-Identifier: MIT
"""The source-section fingerprints recorded in a rule directory's catalogue file."""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from pht_rules.definitions.catalogue import SourceSection, normalise
from pht_rules.errors import RuleFileError, RuleProblem
from pht_rules.loading._loader import bundled_rules
from pht_rules.loading._yaml import CATALOGUE, _line, _LineLoader

__all__ = ["read_source_sections"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def read_source_sections(
    directory: str | Path | Traversable | None = None,
) -> tuple[SourceSection, ...]:
    """The section fingerprints recorded under ``source.sections`` in a rule directory's
    ``catalogue.yaml`` (default: the bundled rules); empty when none are recorded.

    Raises :class:`~pht_rules.errors.RuleFileError` naming the line and field of a malformed
    entry (the rest of the catalogue is checked by the loader).
    """
    root: Traversable | Path = (
        bundled_rules()
        if directory is None
        else Path(directory)
        if isinstance(directory, str | Path)
        else directory
    )
    try:
        text = root.joinpath(CATALOGUE).read_text(encoding="utf-8")
        doc = yaml.load(text, Loader=_LineLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleFileError([RuleProblem(CATALOGUE, f"cannot be read: {exc}")]) from None
    source = doc.get("source") if isinstance(doc, dict) else None
    raw = source.get("sections") if isinstance(source, dict) else None
    if raw is None:
        return ()
    line = _line(source)
    if not isinstance(raw, list):
        raise RuleFileError(
            [RuleProblem(CATALOGUE, "must be a list", line, None, "source.sections")]
        )
    problems: list[RuleProblem] = []
    out: list[SourceSection] = []
    for i, item in enumerate(raw):
        where = f"source.sections[{i}]"
        at = _line(item) if isinstance(item, dict) else line
        if not isinstance(item, dict):
            problems.append(RuleProblem(CATALOGUE, "must be a mapping", at, None, where))
            continue
        heading, digest = item.get("heading"), item.get("sha256")
        extra = sorted(k for k in item if k not in ("heading", "sha256"))
        if extra:
            problems.append(RuleProblem(CATALOGUE, f"unknown keys {extra}", at, None, where))
        if not isinstance(heading, str) or not heading.strip():
            problems.append(
                RuleProblem(CATALOGUE, "needs a 'heading' (text)", at, None, f"{where}.heading")
            )
        if not isinstance(digest, str) or not _SHA256.match(digest):
            problems.append(
                RuleProblem(
                    CATALOGUE,
                    "'sha256' must be 64 lower-case hex digits",
                    at,
                    None,
                    f"{where}.sha256",
                )
            )
        if isinstance(heading, str) and isinstance(digest, str):
            out.append(SourceSection(normalise(heading), digest))
    if problems:
        raise RuleFileError(problems)
    return tuple(out)
