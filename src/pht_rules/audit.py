# SPDX-License-Identifier: MIT
"""The audit of a rule set (``pht-rules audit``): traceability both ways, provenance, drift.

:func:`audit` builds an :class:`AuditReport` from a loaded rule set:

- traceability: every article statement with the rules (and parameters) that cite it, or the
  recorded reason it is not encoded; every rule with what it cites; every other catalogue entry
  (evidence, assumptions) with what cites it;
- the parameter table with provenance (article / literature / assumption) and the rules that use
  each parameter; given a profile, every deviation from the defaults;
- given the text of the source article, guideline drift: the catalogue records a fingerprint of
  each section it cites (``source.sections`` in ``catalogue.yaml``); a section whose text changed
  or vanished is reported with the statements, rules and parameters that rest on it.

Findings are ``error`` (the audit fails: an article statement neither encoded nor explained, a
citation that points nowhere, a section that drifted or was never fingerprinted) or ``warning``
(reported, not failing: a catalogue entry nothing cites, a parameter no rule uses, a provenance
that its sources do not back).

A section's fingerprint is the SHA-256 of its text from its heading line up to the next recorded
heading (or the end), Unicode-NFC-normalised with all whitespace collapsed to single spaces, so
re-wrapping the article does not count as drift. To (re)compute them::

    python -m pht_rules.audit fingerprints ARTICLE.txt [--rules DIR]

The report renders as Markdown, JSON or a self-contained HTML page; the verification report of
:mod:`pht_rules.verification` renders here too, as text or JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import html
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml

from pht_rules._loader import CATALOGUE, bundled_rules, load_rules
from pht_rules.conditions import Compare, ParamRef, leaves
from pht_rules.errors import RuleFileError, RuleProblem
from pht_rules.ruleset import Profile, Provenance, Rule, RuleSet
from pht_rules.verification import Finding as VerificationFinding
from pht_rules.verification import VerificationReport

__all__ = [
    "AuditFinding",
    "AuditReport",
    "Deviation",
    "EntryTrace",
    "ParameterRow",
    "RuleTrace",
    "SectionDrift",
    "SourceSection",
    "StatementTrace",
    "audit",
    "audit_json",
    "check_drift",
    "fingerprint_sections",
    "fingerprints_yaml",
    "main",
    "normalise",
    "parameter_users",
    "read_source_sections",
    "render_audit",
    "render_verification",
    "split_sections",
    "verification_json",
]

Severity = Literal["error", "warning"]
AuditFormat = Literal["markdown", "json", "html"]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EVIDENCE_KINDS = ("literature", "secondary", "not-verified")
# The catalogue kinds that back each parameter provenance.
_BACKING: Mapping[str, tuple[str, ...]] = {
    "article": ("article",),
    "literature": _EVIDENCE_KINDS,
    "assumption": ("assumption",),
}


# --------------------------------------------------------------------------------------------
# Source sections and drift


@dataclass(frozen=True, slots=True)
class SourceSection:
    """A section of the source article as the catalogue recorded it: heading and fingerprint."""

    heading: str
    sha256: str


def normalise(text: str) -> str:
    """``text`` in NFC with every run of whitespace collapsed to one space, ends stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


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
        raise ValueError(f"headings not found in the source text: {missing}")
    return tuple(SourceSection(h, _sha(t)) for h, t in found.items())


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the line of each mapping (for error messages)."""


def _mapping_with_line(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = cast(dict[str, Any], loader.construct_mapping(node, deep=True))
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


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
    line = source.get("__line__") if isinstance(source, dict) else None
    if not isinstance(raw, list):
        raise RuleFileError(
            [RuleProblem(CATALOGUE, "must be a list", line, None, "source.sections")]
        )
    problems: list[RuleProblem] = []
    out: list[SourceSection] = []
    for i, item in enumerate(raw):
        where = f"source.sections[{i}]"
        at = item.get("__line__") if isinstance(item, dict) else line
        if not isinstance(item, dict):
            problems.append(RuleProblem(CATALOGUE, "must be a mapping", at, None, where))
            continue
        heading, digest = item.get("heading"), item.get("sha256")
        extra = sorted(k for k in item if k not in ("heading", "sha256", "__line__"))
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
    citing = _citing_rules(ruleset)
    using = _citing_parameters(ruleset)
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
# The report


@dataclass(frozen=True, slots=True)
class AuditFinding:
    """One problem the audit found; ``subject`` is the statement, rule, entry, parameter or
    section it is about."""

    kind: str
    severity: Severity
    subject: str
    message: str
    rule_ids: tuple[str, ...] = ()
    entry_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.severity}: {self.kind} '{self.subject}': {self.message}"


@dataclass(frozen=True, slots=True)
class StatementTrace:
    """An article statement, the rules and parameters that cite it, or why it is not encoded."""

    id: str
    section: str
    text: str
    rules: tuple[str, ...]
    parameters: tuple[str, ...]
    not_encoded: str | None

    @property
    def status(self) -> Literal["encoded", "not-encoded", "unexplained"]:
        """``encoded`` (a rule cites it), ``not-encoded`` (reason recorded) or ``unexplained``."""
        if self.rules:
            return "encoded"
        return "not-encoded" if self.not_encoded else "unexplained"


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """A rule and the catalogue entries it cites, each with its kind (``?``: not in the catalogue)."""

    id: str
    decision: str
    title: str
    outcome: str
    cites: tuple[tuple[str, str], ...]
    location: str


@dataclass(frozen=True, slots=True)
class EntryTrace:
    """A catalogue entry other than an article statement, and what cites it."""

    id: str
    kind: str
    text: str
    rules: tuple[str, ...]
    parameters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParameterRow:
    """A parameter with its default, range, provenance, sources and the rules that use it."""

    name: str
    value: int
    unit: str
    minimum: int
    maximum: int
    provenance: str
    sources: tuple[tuple[str, str], ...]
    rules: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True)
class Deviation:
    """A parameter a profile sets to something other than its default."""

    name: str
    default: int
    value: int
    unit: str
    minimum: int
    maximum: int
    provenance: str
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Everything the audit traced, tabulated and found."""

    ruleset: str
    fingerprint: str
    location: str
    source_title: str
    statements: tuple[StatementTrace, ...]
    rules: tuple[RuleTrace, ...]
    entries: tuple[EntryTrace, ...]
    parameters: tuple[ParameterRow, ...]
    decisions: tuple[str, ...]
    profile: str | None
    deviations: tuple[Deviation, ...]
    sections: tuple[SourceSection, ...]
    drift: tuple[SectionDrift, ...] | None
    source_file: str | None
    findings: tuple[AuditFinding, ...]

    @property
    def errors(self) -> tuple[AuditFinding, ...]:
        """The findings that fail the audit."""
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[AuditFinding, ...]:
        """The findings reported without failing the audit."""
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error finding."""
        return not self.errors

    def counts(self) -> dict[str, int]:
        """Headline numbers: statements by status, rules, parameters by provenance, findings."""
        out = {
            "statements": len(self.statements),
            "statements_encoded": sum(s.status == "encoded" for s in self.statements),
            "statements_not_encoded": sum(s.status == "not-encoded" for s in self.statements),
            "statements_unexplained": sum(s.status == "unexplained" for s in self.statements),
            "rules": len(self.rules),
            "rules_citing_article": sum(
                any(k == "article" for _, k in r.cites) for r in self.rules
            ),
            "parameters": len(self.parameters),
        }
        for kind in get_args(Provenance):
            out[f"parameters_{kind}"] = sum(p.provenance == kind for p in self.parameters)
        out["deviations"] = len(self.deviations)
        out["errors"] = len(self.errors)
        out["warnings"] = len(self.warnings)
        return out


def _citing_rules(ruleset: RuleSet) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for r in ruleset.rules:
        for cid in r.cites:
            out.setdefault(cid, []).append(r.id)
    return {k: tuple(v) for k, v in out.items()}


def _citing_parameters(ruleset: RuleSet) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for p in ruleset.parameters:
        for cid in p.sources:
            out.setdefault(cid, []).append(p.name)
    return {k: tuple(v) for k, v in out.items()}


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{([a-z][a-z0-9_]*)\}", text))


def parameter_users(ruleset: RuleSet) -> dict[str, tuple[str, ...]]:
    """For each parameter, the rules whose condition, advice or details use it."""
    out: dict[str, list[str]] = {p.name: [] for p in ruleset.parameters}
    for r in ruleset.rules:
        used = {
            leaf.value.name
            for leaf in leaves(r.when)
            if isinstance(leaf, Compare) and isinstance(leaf.value, ParamRef)
        }
        used |= _placeholders(r.advice)
        for _, value in r.details:
            for text in value if isinstance(value, tuple) else (value,):
                used |= _placeholders(text)
        for name in sorted(used):
            out.setdefault(name, []).append(r.id)
    return {k: tuple(v) for k, v in out.items()}


def _kind(ruleset: RuleSet, cid: str) -> str:
    entry = ruleset.catalogue.get(cid)
    return entry.kind if entry is not None else "?"


def _location(rule: Rule) -> str:
    return f"{rule.resource}:{rule.line}" if rule.line is not None else rule.resource


def audit(
    ruleset: RuleSet,
    *,
    profile: Profile | Mapping[str, int] | None = None,
    sections: Sequence[SourceSection] = (),
    source_text: str | None = None,
    source_file: str | None = None,
) -> AuditReport:
    """Audit ``ruleset``; see the module docstring for what is traced and what counts as a finding.

    ``sections`` are the fingerprints recorded in the catalogue (:func:`read_source_sections`);
    ``source_text``, when given, is checked against them for drift. A profile is validated
    (:class:`~pht_rules.errors.ProfileError` if invalid) and its deviations listed.
    """
    cat = ruleset.catalogue
    citing = _citing_rules(ruleset)
    using = _citing_parameters(ruleset)
    users = parameter_users(ruleset)
    findings: list[AuditFinding] = []

    statements = tuple(
        StatementTrace(
            id=e.id,
            section=e.section or "",
            text=e.text,
            rules=citing.get(e.id, ()),
            parameters=using.get(e.id, ()),
            not_encoded=e.not_encoded,
        )
        for e in cat.statements
    )
    for s in statements:
        if s.status == "unexplained":
            findings.append(
                AuditFinding(
                    "unexplained-statement",
                    "error",
                    s.id,
                    "no rule cites this article statement and no reason is recorded "
                    "('not_encoded' in catalogue.yaml)",
                    entry_ids=(s.id,),
                )
            )
        elif s.rules and s.not_encoded:
            findings.append(
                AuditFinding(
                    "encoded-but-marked-not-encoded",
                    "warning",
                    s.id,
                    f"cited by {', '.join(s.rules)} yet marked not encoded: {s.not_encoded}",
                    s.rules,
                    (s.id,),
                )
            )

    rules = tuple(
        RuleTrace(
            r.id,
            r.decision,
            r.title,
            r.outcome,
            tuple((c, _kind(ruleset, c)) for c in r.cites),
            _location(r),
        )
        for r in ruleset.rules
    )
    for r in ruleset.rules:
        if not r.cites:
            findings.append(
                AuditFinding("uncited-rule", "error", r.id, "cites no catalogue entry", (r.id,))
            )
        dangling = tuple(c for c in r.cites if c not in cat)
        if dangling:
            findings.append(
                AuditFinding(
                    "dangling-citation",
                    "error",
                    r.id,
                    f"cites {', '.join(dangling)}, not in the catalogue ({_location(r)})",
                    (r.id,),
                    dangling,
                )
            )

    entries = tuple(
        EntryTrace(e.id, e.kind, e.text, citing.get(e.id, ()), using.get(e.id, ()))
        for e in cat.entries
        if e.kind != "article"
    )
    for e in entries:
        if not e.rules and not e.parameters:
            findings.append(
                AuditFinding(
                    "unused-entry",
                    "warning",
                    e.id,
                    f"{e.kind} entry cited by no rule and no parameter",
                    entry_ids=(e.id,),
                )
            )

    parameters = tuple(
        ParameterRow(
            p.name,
            p.value,
            p.unit,
            p.minimum,
            p.maximum,
            p.provenance,
            tuple((c, _kind(ruleset, c)) for c in p.sources),
            users.get(p.name, ()),
            p.description,
        )
        for p in ruleset.parameters
    )
    for row in parameters:
        if not row.rules:
            findings.append(
                AuditFinding("unused-parameter", "warning", row.name, "no rule uses it")
            )
        backing = _BACKING.get(row.provenance, ())
        if not any(kind in backing for _, kind in row.sources):
            findings.append(
                AuditFinding(
                    "unbacked-provenance",
                    "warning",
                    row.name,
                    f"provenance '{row.provenance}' but no source of that kind "
                    f"({', '.join(f'{c} ({k})' for c, k in row.sources) or 'no sources'})",
                    entry_ids=tuple(c for c, _ in row.sources),
                )
            )
        dangling = tuple(c for c, k in row.sources if k == "?")
        if dangling:
            findings.append(
                AuditFinding(
                    "dangling-citation",
                    "error",
                    row.name,
                    f"parameter source {', '.join(dangling)} is not in the catalogue",
                    entry_ids=dangling,
                )
            )

    values = ruleset.parameter_values(profile)
    by_name = {p.name: p for p in ruleset.parameters}
    deviations = tuple(
        Deviation(
            name=p.name,
            default=p.value,
            value=values[p.name],
            unit=p.unit,
            minimum=p.minimum,
            maximum=p.maximum,
            provenance=p.provenance,
            rules=users.get(p.name, ()),
        )
        for p in by_name.values()
        if values[p.name] != p.value
    )
    profile_name = None
    if profile is not None:
        profile_name = (profile.name if isinstance(profile, Profile) else None) or "profile"

    recorded = {s.heading for s in sections}
    if sections:
        for s in statements:
            if normalise(s.section) not in recorded:
                findings.append(
                    AuditFinding(
                        "unfingerprinted-section",
                        "error",
                        s.id,
                        f"section '{s.section}' has no fingerprint in source.sections, so drift "
                        "in it cannot be detected",
                        s.rules,
                        (s.id,),
                    )
                )
    elif source_text is None:
        findings.append(
            AuditFinding(
                "no-section-fingerprints",
                "warning",
                CATALOGUE,
                "the catalogue records no source.sections, so guideline drift cannot be checked",
            )
        )
    drift: tuple[SectionDrift, ...] | None = None
    if source_text is not None:
        if not sections:
            findings.append(
                AuditFinding(
                    "no-section-fingerprints",
                    "error",
                    CATALOGUE,
                    "the catalogue records no source.sections, so drift cannot be checked",
                )
            )
        drift = check_drift(ruleset, sections, source_text)
        for d in drift:
            if d.status == "unchanged":
                continue
            what = "has changed" if d.status == "changed" else "is no longer in the source"
            rests = ", ".join(d.statements) or "no statement"
            findings.append(
                AuditFinding(
                    f"section-{d.status}",
                    "error",
                    d.heading,
                    f"the section {what}; statements resting on it: {rests}; review them and the "
                    f"rules citing them, then update its fingerprint",
                    d.rules,
                    d.statements,
                )
            )

    return AuditReport(
        ruleset=f"{ruleset.name} {ruleset.version}",
        fingerprint=ruleset.fingerprint,
        location=ruleset.location,
        source_title=cat.source_title,
        statements=statements,
        rules=rules,
        entries=entries,
        parameters=parameters,
        decisions=tuple(d.id for d in ruleset.decisions),
        profile=profile_name,
        deviations=deviations,
        sections=tuple(sections),
        drift=drift,
        source_file=source_file,
        findings=tuple(findings),
    )


# --------------------------------------------------------------------------------------------
# Rendering the audit


def audit_json(report: AuditReport) -> dict[str, Any]:
    """The report as JSON-ready data (deterministic: catalogue, rule-set and file order)."""
    data: dict[str, Any] = {
        "ruleset": report.ruleset,
        "fingerprint": report.fingerprint,
        "location": report.location,
        "source": report.source_title,
        "ok": report.ok,
        "counts": report.counts(),
        "findings": [dataclasses.asdict(f) for f in report.findings],
        "statements": [{**dataclasses.asdict(s), "status": s.status} for s in report.statements],
        "matrix": {s.id: list(s.rules) for s in report.statements},
        "rules": [
            {**dataclasses.asdict(r), "cites": [{"id": c, "kind": k} for c, k in r.cites]}
            for r in report.rules
        ],
        "entries": [dataclasses.asdict(e) for e in report.entries],
        "parameters": [
            {**dataclasses.asdict(p), "sources": [{"id": c, "kind": k} for c, k in p.sources]}
            for p in report.parameters
        ],
        "profile": report.profile,
        "deviations": [dataclasses.asdict(d) for d in report.deviations],
        "sections": [dataclasses.asdict(s) for s in report.sections],
        "source_file": report.source_file,
        "drift": None if report.drift is None else [dataclasses.asdict(d) for d in report.drift],
    }
    return data


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _codes(items: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in items) or "-"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return lines


def _summary_lines(report: AuditReport) -> list[str]:
    c = report.counts()
    provenance = ", ".join(f"{k} {c[f'parameters_{k}']}" for k in get_args(Provenance))
    lines = [
        f"- Article statements: {c['statements']} - {c['statements_encoded']} encoded by at least "
        f"one rule, {c['statements_not_encoded']} not encoded with a recorded reason, "
        f"{c['statements_unexplained']} unexplained.",
        f"- Rules: {c['rules']}, {c['rules_citing_article']} of them citing at least one article "
        "statement.",
        f"- Parameters: {c['parameters']} by provenance: {provenance}.",
    ]
    if report.profile is None:
        lines.append("- Profile: none (defaults).")
    else:
        lines.append(
            f"- Profile `{report.profile}`: {c['deviations']} deviation(s) from the defaults."
        )
    if report.drift is None:
        lines.append(
            f"- Source drift: not checked ({len(report.sections)} section fingerprints recorded; "
            "pass `--source FILE`)."
        )
    else:
        moved = sum(d.status != "unchanged" for d in report.drift)
        lines.append(
            f"- Source drift against `{report.source_file or 'source text'}`: "
            f"{len(report.drift)} sections checked, {moved} changed or vanished."
        )
    lines.append(f"- Findings: {c['errors']} error(s), {c['warnings']} warning(s).")
    return lines


def _render_markdown(report: AuditReport) -> str:
    verdict = "PASS" if report.ok else "FAIL"
    lines = [
        f"# Audit of {report.ruleset}",
        "",
        f"Rule set `{report.ruleset}`, fingerprint `{report.fingerprint}`, from "
        f"`{report.location}`. Source article: {_md(report.source_title)}.",
        "",
        f"Result: **{verdict}**",
        "",
        "## Summary",
        "",
        *_summary_lines(report),
        "",
        "## Findings",
        "",
    ]
    if report.findings:
        lines += _table(
            ("Severity", "Kind", "Subject", "Message", "Rules"),
            (
                (f.severity, f.kind, f"`{f.subject}`", f.message, _codes(f.rule_ids))
                for f in report.findings
            ),
        )
    else:
        lines.append("None.")
    short = {d: d for d in report.decisions}
    lines += [
        "",
        "## Traceability: article statements x rules",
        "",
        "Each article statement (the project's paraphrase) against the decisions whose rules cite "
        "it; a rule is shown without its decision prefix. A statement no rule cites must say why.",
        "",
    ]

    def cell(s: StatementTrace, decision: str) -> str:
        ids = [
            r.split(".", 1)[1] if "." in r else r for r in s.rules if r.startswith(decision + ".")
        ]
        return ", ".join(ids)

    lines += _table(
        ("Statement", "Section", *short, "Status"),
        (
            (
                f"`{s.id}`",
                s.section,
                *(cell(s, d) for d in short),
                s.status if s.status != "not-encoded" else f"not encoded: {s.not_encoded}",
            )
            for s in report.statements
        ),
    )
    lines += ["", "## Traceability: rules -> catalogue", ""]
    lines += _table(
        ("Rule", "Outcome", "Cites", "Defined in"),
        (
            (
                f"`{r.id}`",
                f"`{r.outcome}`",
                ", ".join(f"`{c}` ({k})" for c, k in r.cites),
                f"`{r.location}`",
            )
            for r in report.rules
        ),
    )
    lines += ["", "## Evidence and assumptions -> rules and parameters", ""]
    lines += _table(
        ("Entry", "Kind", "Rules", "Parameters"),
        ((f"`{e.id}`", e.kind, _codes(e.rules), _codes(e.parameters)) for e in report.entries),
    )
    lines += ["", "## Parameters and provenance", ""]
    lines += _table(
        ("Parameter", "Default", "Range", "Provenance", "Sources", "Used by"),
        (
            (
                f"`{p.name}`",
                f"{p.value} {p.unit}",
                f"{p.minimum}..{p.maximum}",
                p.provenance,
                ", ".join(f"`{c}` ({k})" for c, k in p.sources),
                _codes(p.rules),
            )
            for p in report.parameters
        ),
    )
    lines += ["", "## Profile deviations", ""]
    if report.profile is None:
        lines.append("No profile given: every parameter is at its default.")
    elif not report.deviations:
        lines.append(f"Profile `{report.profile}` sets every parameter to its default.")
    else:
        lines += _table(
            (
                "Parameter",
                "Default",
                "Profile",
                "Allowed",
                "Provenance of default",
                "Rules affected",
            ),
            (
                (
                    f"`{d.name}`",
                    f"{d.default} {d.unit}",
                    f"{d.value} {d.unit}",
                    f"{d.minimum}..{d.maximum}",
                    d.provenance,
                    _codes(d.rules),
                )
                for d in report.deviations
            ),
        )
        lines += ["", "`pht-rules diff --profile FILE` shows where these change the advice."]
    lines += ["", "## Source drift", ""]
    if report.drift is None:
        lines.append(
            f"Not checked. {len(report.sections)} section fingerprints are recorded in the "
            "catalogue; `pht-rules audit --source FILE` checks them against a copy of the article."
        )
    else:
        lines += _table(
            ("Section", "Status", "Statements", "Rules resting on them"),
            ((d.heading, d.status, _codes(d.statements), _codes(d.rules)) for d in report.drift),
        )
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:none}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3}
.matrix td{text-align:center;min-width:1.2em}
.matrix th.r{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:normal}
.x{background:#2e7d32;color:#fff}
.pass{color:#2e7d32}.fail{color:#c62828}
.error{background:#fdecea}.warning{background:#fff8e1}
.unexplained{background:#fdecea}.not-encoded{background:#eef}
code{font-size:12px}
"""


def _h(text: object) -> str:
    return html.escape(str(text))


def _html_table(header: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _render_html(report: AuditReport) -> str:
    verdict = "PASS" if report.ok else "FAIL"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Audit of {_h(report.ruleset)}</title><style>{_CSS}</style></head><body>",
        f'<h1>Audit of {_h(report.ruleset)} <span class="{verdict.lower()}">{verdict}</span></h1>',
        f"<p>Fingerprint <code>{_h(report.fingerprint)}</code>, from "
        f"<code>{_h(report.location)}</code>. Source: {_h(report.source_title)}.</p>",
        "<h2>Summary</h2><ul>",
        *("<li>" + _h(line[2:]).replace("`", "") + "</li>" for line in _summary_lines(report)),
        "</ul><h2>Findings</h2>",
    ]
    if report.findings:
        rows = "".join(
            f'<tr class="{f.severity}"><td>{_h(f.severity)}</td><td>{_h(f.kind)}</td>'
            f"<td><code>{_h(f.subject)}</code></td><td>{_h(f.message)}</td>"
            f"<td>{_h(', '.join(f.rule_ids))}</td></tr>"
            for f in report.findings
        )
        parts.append(
            "<table><tr><th>Severity</th><th>Kind</th><th>Subject</th><th>Message</th>"
            f"<th>Rules</th></tr>{rows}</table>"
        )
    else:
        parts.append("<p>None.</p>")
    # The full matrix: statements as rows, every rule as a column, grouped by decision.
    parts.append("<h2>Traceability matrix: article statements x rules</h2>")
    groups = "".join(
        f'<th colspan="{n}">{_h(d)}</th>'
        for d in report.decisions
        if (n := sum(r.decision == d for r in report.rules))
    )
    heads = "".join(f'<th class="r">{_h(r.id)}</th>' for r in report.rules)
    body = []
    for s in report.statements:
        cited = set(s.rules)
        cells = "".join(
            f'<td class="x" title="{_h(r.id)}">&#9679;</td>' if r.id in cited else "<td></td>"
            for r in report.rules
        )
        reason = f' title="{_h(s.not_encoded)}"' if s.not_encoded else ""
        body.append(
            f'<tr class="{s.status}"><th title="{_h(s.text)}">{_h(s.id)}</th>'
            f"<td{reason}>{_h(s.status.replace('-', ' '))}</td>{cells}</tr>"
        )
    parts.append(
        f'<table class="matrix"><tr><th></th><th></th>{groups}</tr>'
        f"<tr><th>Statement</th><th>Status</th>{heads}</tr>{''.join(body)}</table>"
    )
    parts.append("<h2>Article statements</h2>")
    parts.append(
        _html_table(
            ("Statement", "Section", "Text", "Rules", "Parameters", "Not encoded because"),
            (
                (
                    f"<code>{_h(s.id)}</code>",
                    _h(s.section),
                    _h(s.text),
                    _h(", ".join(s.rules)),
                    _h(", ".join(s.parameters)),
                    _h(s.not_encoded or ""),
                )
                for s in report.statements
            ),
        )
    )
    parts.append("<h2>Rules and what they cite</h2>")
    parts.append(
        _html_table(
            ("Rule", "Title", "Outcome", "Cites", "Defined in"),
            (
                (
                    f"<code>{_h(r.id)}</code>",
                    _h(r.title),
                    _h(r.outcome),
                    _h(", ".join(f"{c} ({k})" for c, k in r.cites)),
                    f"<code>{_h(r.location)}</code>",
                )
                for r in report.rules
            ),
        )
    )
    parts.append("<h2>Evidence and assumptions</h2>")
    parts.append(
        _html_table(
            ("Entry", "Kind", "Text", "Rules", "Parameters"),
            (
                (
                    f"<code>{_h(e.id)}</code>",
                    _h(e.kind),
                    _h(e.text),
                    _h(", ".join(e.rules)),
                    _h(", ".join(e.parameters)),
                )
                for e in report.entries
            ),
        )
    )
    parts.append("<h2>Parameters and provenance</h2>")
    parts.append(
        _html_table(
            ("Parameter", "Default", "Range", "Provenance", "Sources", "Used by", "Description"),
            (
                (
                    f"<code>{_h(p.name)}</code>",
                    _h(f"{p.value} {p.unit}"),
                    _h(f"{p.minimum}..{p.maximum}"),
                    _h(p.provenance),
                    _h(", ".join(f"{c} ({k})" for c, k in p.sources)),
                    _h(", ".join(p.rules)),
                    _h(p.description),
                )
                for p in report.parameters
            ),
        )
    )
    parts.append("<h2>Profile deviations</h2>")
    if report.deviations:
        parts.append(
            _html_table(
                ("Parameter", "Default", "Profile", "Allowed", "Provenance", "Rules affected"),
                (
                    (
                        f"<code>{_h(d.name)}</code>",
                        _h(f"{d.default} {d.unit}"),
                        _h(f"{d.value} {d.unit}"),
                        _h(f"{d.minimum}..{d.maximum}"),
                        _h(d.provenance),
                        _h(", ".join(d.rules)),
                    )
                    for d in report.deviations
                ),
            )
        )
    else:
        parts.append(f"<p>{'No profile given' if report.profile is None else 'None'}.</p>")
    parts.append("<h2>Source drift</h2>")
    if report.drift is None:
        parts.append("<p>Not checked (pass <code>--source FILE</code>).</p>")
    else:
        parts.append(
            _html_table(
                ("Section", "Status", "Statements", "Rules"),
                (
                    (
                        _h(d.heading),
                        _h(d.status),
                        _h(", ".join(d.statements)),
                        _h(", ".join(d.rules)),
                    )
                    for d in report.drift
                ),
            )
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render_audit(report: AuditReport, fmt: AuditFormat = "markdown") -> str:
    """The report as Markdown, JSON or a self-contained HTML page (no external resources)."""
    if fmt == "json":
        return json.dumps(audit_json(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return _render_html(report)
    return _render_markdown(report)


# --------------------------------------------------------------------------------------------
# Rendering a verification report


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _example_line(example: Mapping[str, Any] | None, key: str) -> str:
    if not example or key not in example:
        return ""
    value = example[key]
    if key == "abstract":
        return ", ".join(f"{k}={_shown(v)}" for k, v in value.items())
    return json.dumps(value, sort_keys=True)


def verification_json(report: VerificationReport) -> dict[str, Any]:
    """A verification report as JSON-ready data."""
    return {
        "ruleset": report.ruleset,
        "fingerprint": report.fingerprint,
        "ok": report.ok,
        "domain_size": report.domain_size,
        "states_checked": report.states_checked,
        "seconds": round(report.seconds, 3),
        "engine_cross_checked": report.engine_cross_checked,
        "engine_check_skipped": report.engine_check_skipped,
        "invariants": list(report.invariants),
        "parameters": dict(report.parameters),
        "decisions": [
            {
                "decision_id": d.decision_id,
                "variables": list(d.variables),
                "domain_size": d.domain_size,
                "impossible": d.impossible,
                "checked": d.checked,
                "findings": len(d.findings),
            }
            for d in report.decisions
        ],
        "findings": [dataclasses.asdict(f) for f in report.findings],
    }


def render_verification(report: VerificationReport, *, profile: str | None = None) -> str:
    """A verification report as readable text: per-decision domain sizes, totals, the time taken,
    and each finding with its rules and an example patient."""
    lines = [
        f"pht-rules verify: {report.ruleset} (fingerprint {report.fingerprint}), "
        + (f"profile '{profile}'" if profile else "default parameters"),
        "",
        f"{'decision':<18}{'variables':>10}{'abstract states':>17}{'impossible':>12}"
        f"{'checked':>10}{'findings':>10}",
    ]
    for d in report.decisions:
        lines.append(
            f"{d.decision_id:<18}{len(d.variables):>10}{d.domain_size:>17}{d.impossible:>12}"
            f"{d.checked:>10}{len(d.findings):>10}"
        )
    impossible = sum(d.impossible for d in report.decisions)
    lines += [
        f"{'total':<18}{'':>10}{report.domain_size:>17}{impossible:>12}"
        f"{report.states_checked:>10}{len(report.findings):>10}",
        "",
        f"domain: {report.domain_size} abstract states ({report.states_checked} made into valid "
        "patients and assessed, "
        f"{impossible} combinations no valid patient can take), checked exhaustively in "
        f"{report.seconds:.1f} s",
        "engine cross-check: "
        + (
            "durable-rules agrees with the reference interpreter on every state"
            if report.engine_cross_checked
            and not any(f.kind == "engine-mismatch" for f in report.findings)
            else "durable-rules compared with the reference interpreter"
            if report.engine_cross_checked
            else f"skipped ({report.engine_check_skipped or '--no-engine-check'})"
        ),
        f"invariants: {', '.join(report.invariants)}",
        "",
    ]
    if report.ok:
        lines.append(
            "result: OK - no gap, conflict, dead or shadowed rule, invariant violation or engine "
            "mismatch"
        )
        return "\n".join(lines) + "\n"
    lines.append(f"result: FAILED - {len(report.findings)} finding(s)")
    # The same problem found in several parts of the domain is shown once, with its first example.
    groups: dict[tuple[str, str, tuple[str, ...], str], list[VerificationFinding]] = {}
    for f in report.findings:
        groups.setdefault((f.kind, f.decision_id, f.rule_ids, f.message), []).append(f)
    for same in groups.values():
        first = same[0]
        more = (
            f" ({len(same)} distinct cases, the first shown; --format json lists all)"
            if len(same) > 1
            else ""
        )
        lines.append(f"  {first}{more}")
        abstract = _example_line(first.example, "abstract")
        if abstract:
            lines.append(f"      where:   {abstract}")
        patient = _example_line(first.example, "patient")
        if patient:
            lines.append(f"      patient: {patient}")
    return "\n".join(lines) + "\n"


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
        ruleset = load_rules(args.rules) if args.rules else load_rules()
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
