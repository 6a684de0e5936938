# SPDX-License-Identifier: MIT
"""A readable trace of an assessment: each decision, the rules that fired, why, and what they cite."""

from __future__ import annotations

import textwrap

from pht_rules.definitions.text import show_value
from pht_rules.evaluation.assessment import Assessment

__all__ = ["render_explanation"]

_WIDTH = 96


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_explanation(assessment: Assessment) -> str:
    """The assessment as plain text for a clinician or an auditor."""
    info = assessment.ruleset
    lines = [
        f"pht_rules assessment - rule set {info.name} {info.version} ({info.fingerprint})",
        _wrap(assessment.disclaimer, ""),
    ]
    if assessment.profile or any(p.overridden for p in assessment.parameters):
        changed = ", ".join(
            f"{p.name}={p.value} (default {p.default})"
            for p in assessment.parameters
            if p.overridden
        )
        lines.append(f"Profile {assessment.profile or '(unnamed)'}: {changed or 'no changes'}")
    for d in assessment.decisions:
        lines.append("")
        shown = ", ".join(d.outcomes)
        lines.append(f"== {d.title}: {shown}")
        lines.append(_wrap(d.question, "   "))
        if not d.hits:
            lines.append("   No rule fired.")
        for hit in d.hits:
            mark = "*" if hit.selected else "-"
            status = "" if hit.selected else " (outranked)"
            lines.append(f" {mark} {hit.rule_id} [priority {hit.priority}]{status}: {hit.title}")
            for ev in hit.evidence:
                lines.append(f"     because {ev.field} = {show_value(ev.value)} ({ev.test})")
            if hit.selected:
                lines.append(_wrap(hit.advice, "     > "))
                for key, detail in hit.details.items():
                    if isinstance(detail, tuple):
                        lines.append(f"     {key.replace('_', ' ')}:")
                        lines.extend(f"       - {item}" for item in detail)
                    else:
                        lines.append(_wrap(f"{key.replace('_', ' ')}: {detail}", "     "))
            lines.append(f"     cites: {', '.join(hit.cites)}")
        if d.provisional_on:
            lines.append(f"   Could change once known: {', '.join(d.provisional_on)}")
    if assessment.needs_information:
        lines.append("")
        lines.append("== Questions to ask")
        for need in assessment.needs_information:
            lines.append(f" ? {need.question} [{need.field}; for {', '.join(need.decisions)}]")
    if assessment.guideline_gaps:
        lines.append("")
        lines.append("== Outside the guideline (clinician judgement)")
        for gap in assessment.guideline_gaps:
            lines.append(_wrap(f"{gap.decision_id}: {gap.message}", " ! "))
    lines.append("")
    lines.append("== Cited")
    for c in assessment.citations:
        where = f" [{c.section}]" if c.section else ""
        lines.append(_wrap(f"{c.id} ({c.kind}){where}: {c.text}", "   "))
        if c.reference:
            lines.append(_wrap(c.reference, "      "))
    return "\n".join(lines) + "\n"
