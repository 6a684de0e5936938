# SPDX-License-Identifier: MIT
"""Population diff: run two rule sets over the same patients and count whose advice changes.

This complements the behavioural diff of :mod:`pht_rules.diff`, which explores regions of the
input domain: here the question is how many of *our* patients would be told something else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pht_rules.population._batch import RuleChoice, evaluate_records
from pht_rules.population._records import InputFormat, detect_format, read_raw

EXAMPLES = 3
"""Example patient ids kept per decision and outcome pair."""


@dataclass
class PopulationDiff:
    """Per decision, how many patients move from outcome A to outcome B, with example ids."""

    source: str
    compared: int = 0
    rejected: int = 0
    changed: int = 0
    transitions: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    examples: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data: counts, then per decision the changed pairs, largest first."""
        return {
            "source": self.source,
            "compared": self.compared,
            "rejected": self.rejected,
            "patients_with_changed_advice": self.changed,
            "decisions": {
                decision: [
                    {
                        "from": a,
                        "to": b,
                        "patients": count,
                        "examples": self.examples[(decision, a, b)],
                    }
                    for (a, b), count in pairs.most_common()
                ]
                for decision, pairs in self.transitions.items()
            },
        }

    def render(self) -> str:
        """Plain text for people."""
        lines = [
            f"Population diff over {self.source}: {self.compared:,} patients compared, "
            f"{self.rejected:,} records rejected; {self.changed:,} patients get different advice.",
        ]
        if not self.changed:
            lines.append("  no patient's outcome changes.")
        for decision, pairs in self.transitions.items():
            lines.append(f"  {decision}:")
            for (a, b), count in pairs.most_common():
                ex = ", ".join(self.examples[(decision, a, b)])
                lines.append(f"    {a} -> {b}: {count:,} patients (e.g. {ex})")
        return "\n".join(lines) + "\n"


def population_diff(
    source: str | Path,
    a: RuleChoice,
    b: RuleChoice,
    *,
    input_format: InputFormat | None = None,
    workers: int = 1,
) -> PopulationDiff:
    """Compare the outcomes of rule sets ``a`` and ``b`` for every patient in ``source``.

    A record rejected by either side (invalid state, evaluation error) is counted as rejected and
    not compared.
    """
    fmt = input_format or detect_format(source)
    report = PopulationDiff(str(source))
    left = evaluate_records(read_raw(source, fmt), fmt, rules=a, workers=workers)
    right = evaluate_records(read_raw(source, fmt), fmt, rules=b, workers=workers)
    for ra, rb in zip(left, right, strict=True):
        if ra.row is None or rb.row is None:
            report.rejected += 1
            continue
        report.compared += 1
        oa, ob = ra.row["outcomes"], rb.row["outcomes"]
        changed = False
        for decision in dict.fromkeys([*oa, *ob]):
            pair = (str(oa.get(decision, "absent")), str(ob.get(decision, "absent")))
            if pair[0] == pair[1]:
                continue
            changed = True
            report.transitions.setdefault(decision, Counter())[pair] += 1
            examples = report.examples.setdefault((decision, *pair), [])
            if len(examples) < EXAMPLES:
                examples.append(ra.row["id"])
        report.changed += changed
    return report


__all__ = [
    "EXAMPLES",
    "PopulationDiff",
    "population_diff",
]
