# SPDX-License-Identifier: MIT
"""The audit report: findings, traces both ways, the parameter table and deviations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from pht_rules.audit.drift import SectionDrift
from pht_rules.definitions.catalogue import SourceSection
from pht_rules.definitions.ruleset import Provenance

__all__ = [
    "AuditFinding",
    "AuditFormat",
    "AuditReport",
    "Deviation",
    "EntryTrace",
    "ParameterRow",
    "RuleTrace",
    "Severity",
    "StatementTrace",
]

Severity = Literal["error", "warning"]
AuditFormat = Literal["markdown", "json", "html"]


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
