# SPDX-License-Identifier: MIT
"""The diff report as JSON-ready data and as readable text."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pht_rules.audit.diff.report import (
    Answer,
    DiffRegion,
    DiffReport,
)

__all__ = ["diff_json", "render_diff"]


# --------------------------------------------------------------------------------------------
# Rendering


def _answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "outcomes": list(answer.outcomes),
        "rules": list(answer.rules),
        "advice": list(answer.advice),
        "details": list(answer.details),
        "error": answer.error,
    }


def diff_json(report: DiffReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "a": {"label": report.a, "fingerprint": report.a_fingerprint},
        "b": {"label": report.b, "fingerprint": report.b_fingerprint},
        "seconds": round(report.seconds, 3),
        "structural": [
            {
                "kind": c.kind,
                "subject": c.subject,
                "id": c.id,
                "field": c.field,
                "before": c.before,
                "after": c.after,
                "rules": list(c.rules),
            }
            for c in report.structural
        ],
        "behaviour_differs": report.behaviour_differs if report.decisions is not None else None,
        "states": report.states,
        "decisions": None
        if report.decisions is None
        else [
            {
                "decision_id": d.decision_id,
                "status": d.status,
                "variables": list(d.variables),
                "states": d.states,
                "evaluated": d.evaluated,
                "impossible": d.impossible,
                "differing": d.differing,
                "regions": [
                    {
                        "kind": r.kind,
                        "where": {k: v for k, v in r.where},
                        "any_of": [{k: v for k, v in alt} for alt in r.any_of],
                        "states": r.states,
                        "example": r.example,
                        "a": _answer_json(r.a),
                        "b": _answer_json(r.b),
                    }
                    for r in d.regions
                ],
            }
            for d in report.decisions
        ],
    }


_STATUS_TEXT = {
    "identical": "identical (same rules after parameters, same inputs; not enumerated)",
    "same": "same answers everywhere",
    "different": "DIFFERENT",
    "only-in-a": "only in A",
    "only-in-b": "only in B",
}


def _indent(lines: Iterable[str], pad: str) -> list[str]:
    return [pad + line for line in lines]


def _condition(pair: tuple[str, str]) -> str:
    return f"{pair[0]} = {pair[1]}"


def _where_lines(region: DiffRegion) -> list[str]:
    conditions = [_condition(c) for c in region.where]
    if region.any_of:
        conditions.append("any of:")
    if not conditions:
        conditions = ["anywhere"]
    lines = [("  where " if n == 0 else "    and ") + c for n, c in enumerate(conditions)]
    for alternative in region.any_of:
        lines.append(
            "        - " + (" and ".join(_condition(c) for c in alternative) or "anywhere")
        )
    return lines


def render_diff(report: DiffReport) -> str:
    """The report as readable text: the structural changes, then each decision's status and each
    region of difference with what it covers, both answers and an example patient."""
    lines = [
        f"A: {report.a} (fingerprint {report.a_fingerprint})",
        f"B: {report.b} (fingerprint {report.b_fingerprint})",
        "",
        f"Structural diff: {len(report.structural)} change(s)",
    ]
    lines += [f"  {c}" for c in report.structural] or ["  none"]
    if report.decisions is None:
        lines += ["", "Behavioural diff: skipped (--structural-only)"]
        return "\n".join(lines) + "\n"
    different = [d for d in report.decisions if d.status != "identical" and d.status != "same"]
    evaluated = sum(d.evaluated for d in report.decisions)
    lines += [
        "",
        f"Behavioural diff: {len(different)} of {len(report.decisions)} decisions differ; "
        f"{report.states} joint abstract states, {evaluated} assessed on both sides "
        f"(the rest provably agree), {report.seconds:.1f} s",
    ]
    for d in report.decisions:
        extra = ""
        if d.status == "different":
            extra = f": {len(d.regions)} region(s), {d.differing} of {d.states} states"
        lines.append(f"  {d.decision_id:<18}{_STATUS_TEXT[d.status]}{extra}")
    for d in report.decisions:
        for n, r in enumerate(d.regions, start=1):
            lines += [
                "",
                f"{d.decision_id}, region {n} of {len(d.regions)} ({r.kind} differs; "
                f"{r.states} abstract state{'s' if r.states != 1 else ''}):",
            ]
            lines += _where_lines(r)
            lines.append(f"  A: {r.a}")
            lines.append(f"  B: {r.b}")
            if r.kind == "advice":
                for label, answer in (("A", r.a), ("B", r.b)):
                    lines += _indent((*answer.advice, *answer.details), f"     {label} says: ")
            lines.append(f"  example patient: {json.dumps(r.example, sort_keys=True)}")
    if any(r.kind == "error" for r in report.regions):
        lines += [
            "",
            "Note: where one side cannot assess a patient at all (an error above), the decisions "
            "that read the failing decision are compared only for patients both sides can assess.",
        ]
    if not different:
        lines += ["", "No patient gets different advice from A and B."]
    return "\n".join(lines) + "\n"
