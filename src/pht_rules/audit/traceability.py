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

Drift is checked by :mod:`pht_rules.audit.drift`; the report model is
:mod:`pht_rules.audit.report` and :mod:`pht_rules.audit.rendering` writes it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pht_rules.audit.drift import SectionDrift, check_drift
from pht_rules.audit.report import (
    AuditFinding,
    AuditReport,
    Deviation,
    EntryTrace,
    ParameterRow,
    RuleTrace,
    StatementTrace,
)
from pht_rules.definitions.catalogue import SourceSection, normalise
from pht_rules.definitions.ruleset import Profile, Rule, RuleSet
from pht_rules.loading import CATALOGUE

__all__ = ["audit"]

_EVIDENCE_KINDS = ("literature", "secondary", "not-verified")
# The catalogue kinds that back each parameter provenance.
_BACKING: Mapping[str, tuple[str, ...]] = {
    "article": ("article",),
    "literature": _EVIDENCE_KINDS,
    "assumption": ("assumption",),
}


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
    citing = ruleset.rules_citing()
    using = ruleset.parameters_citing()
    users = ruleset.parameter_users()
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
