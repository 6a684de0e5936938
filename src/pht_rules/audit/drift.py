# SPDX-License-Identifier: MIT
"""Guideline drift: the source article's sections, fingerprinted and checked against the record.

A section's fingerprint is the SHA-256 of its text from its heading line up to the next recorded
heading (or the end), Unicode-NFC-normalised with all whitespace collapsed to single spaces, so
re-wrapping the article does not count as drift. To (re)compute them::

    python -m pht_rules.audit fingerprints ARTICLE.txt [--rules DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pht_rules.definitions.catalogue import SourceSection, normalise
from pht_rules.definitions.ruleset import RuleSet
from pht_rules.errors import RuleFileError, UsageError
from pht_rules.loading import load_rules

__all__ = [
    "SectionDrift",
    "check_drift",
    "fingerprint_sections",
    "fingerprints_yaml",
    "main",
    "split_sections",
]


def split_sections(text: str, headings: Iterable[str]) -> dict[str, str]:
    """The normalised text of each heading's section in ``text``.

    A heading is a line whose normalised text equals one of ``headings`` (the first such line
    counts); its section runs up to the next heading line or the end of the text, heading
    included. Headings not found are absent from the result.
    """
    wanted = {normalise(h): h for h in headings}
    starts: list[tuple[int, str]] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        heading = wanted.get(normalise(line))
        if heading is not None and heading not in {h for _, h in starts}:
            starts.append((number, heading))
    out: dict[str, str] = {}
    for i, (start, heading) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        out[heading] = normalise("\n".join(lines[start:end]))
    return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint_sections(text: str, headings: Sequence[str]) -> tuple[SourceSection, ...]:
    """Fingerprints of the sections of ``text`` under ``headings``, in the order they appear.

    Raises :class:`ValueError` naming any heading that does not occur as a line of ``text``.
    """
    found = split_sections(text, headings)
    missing = [h for h in headings if h not in found]
    if missing:
        raise UsageError(f"headings not found in the source text: {missing}")
    return tuple(SourceSection(h, _sha(t)) for h, t in found.items())


@dataclass(frozen=True, slots=True)
class SectionDrift:
    """One recorded section checked against a source text, and what rests on it."""

    heading: str
    status: Literal["unchanged", "changed", "vanished"]
    recorded: str
    current: str | None
    statements: tuple[str, ...]
    rules: tuple[str, ...]
    parameters: tuple[str, ...]


def check_drift(
    ruleset: RuleSet, sections: Sequence[SourceSection], source_text: str
) -> tuple[SectionDrift, ...]:
    """Each recorded section of ``sections`` checked against ``source_text``.

    A section is ``changed`` when its normalised text no longer matches the fingerprint and
    ``vanished`` when its heading no longer occurs as a line. The rules and parameters resting on
    a section are listed in rule-set and parameter-file order.
    """
    found = split_sections(source_text, [s.heading for s in sections])
    citing = ruleset.rules_citing()
    using = ruleset.parameters_citing()
    rule_rank = {r.id: i for i, r in enumerate(ruleset.rules)}
    param_rank = {p.name: i for i, p in enumerate(ruleset.parameters)}
    out: list[SectionDrift] = []
    for s in sections:
        statements = tuple(
            e.id for e in ruleset.catalogue.statements if normalise(e.section or "") == s.heading
        )
        text = found.get(s.heading)
        current = None if text is None else _sha(text)
        status: Literal["unchanged", "changed", "vanished"] = (
            "vanished" if current is None else "unchanged" if current == s.sha256 else "changed"
        )
        out.append(
            SectionDrift(
                heading=s.heading,
                status=status,
                recorded=s.sha256,
                current=current,
                statements=statements,
                rules=tuple(
                    sorted(
                        {r for sid in statements for r in citing.get(sid, ())},
                        key=rule_rank.__getitem__,
                    )
                ),
                parameters=tuple(
                    sorted(
                        {p for sid in statements for p in using.get(sid, ())},
                        key=param_rank.__getitem__,
                    )
                ),
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Command line: computing the fingerprints to record


def fingerprints_yaml(sections: Sequence[SourceSection]) -> str:
    """The ``sections:`` block to paste under ``source:`` in ``catalogue.yaml``."""
    lines = ["  sections:"]
    for s in sections:
        lines.append(f"    - heading: {json.dumps(s.heading, ensure_ascii=False)}")
        lines.append(f"      sha256: {s.sha256}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pht_rules.audit fingerprints ARTICLE [--rules DIR]``: print the section
    fingerprints of every section the catalogue's statements cite (exit 1 if one is missing)."""
    parser = argparse.ArgumentParser(prog="python -m pht_rules.audit")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fingerprints", help="fingerprint the article sections statements cite")
    p.add_argument("article", metavar="ARTICLE")
    p.add_argument("--rules", metavar="DIR")
    args = parser.parse_args(argv)
    try:
        ruleset = load_rules(args.rules or None)
        text = Path(args.article).read_text(encoding="utf-8")
    except RuleFileError as exc:
        for problem in exc.problems:
            print(f"pht_rules.audit: {problem}", file=sys.stderr)
        return 4
    except (OSError, UnicodeDecodeError) as exc:
        print(f"pht_rules.audit: cannot read {args.article}: {exc}", file=sys.stderr)
        return 6
    headings = list(dict.fromkeys(normalise(e.section or "") for e in ruleset.catalogue.statements))
    try:
        sections = fingerprint_sections(text, headings)
    except ValueError as exc:
        print(f"pht_rules.audit: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(fingerprints_yaml(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
