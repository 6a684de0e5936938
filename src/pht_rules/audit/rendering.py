# SPDX-License-Identifier: MIT
# Over 400 lines: Markdown and HTML render the same report section by section and are kept side by side so they stay in step.
"""The audit report as Markdown, JSON or a self-contained HTML page."""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterable, Sequence
from typing import Any, get_args

from pht_rules.audit.report import AuditFormat, AuditReport, StatementTrace
from pht_rules.definitions.ruleset import Provenance

__all__ = ["audit_json", "render_audit"]


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
