# SPDX-License-Identifier: MIT
"""The population report: what the rules did across many patients.

From a results file it counts the outcome distribution per decision, how often each rule fired
(and which rules no patient reached: the rule set's coverage by real patients), the questions
most often left open (data quality at intake), and the guideline gaps met. It renders Markdown
(tables) and self-contained HTML (tables and inline SVG bar charts, readable offline).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from pht_rules.definitions import RuleSet

TOP_QUESTIONS = 15


@dataclass
class PopulationSummary:
    """Counts over a population's result rows (see :func:`summarise`)."""

    ruleset: str
    fingerprint: str
    rule_ids: tuple[str, ...]
    decision_ids: tuple[str, ...]
    patients: int = 0
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    fired: Counter[str] = field(default_factory=Counter)
    open_questions: Counter[str] = field(default_factory=Counter)
    gaps: Counter[tuple[str, str]] = field(default_factory=Counter)
    fingerprints: Counter[str] = field(default_factory=Counter)
    engines: Counter[str] = field(default_factory=Counter)
    with_open_questions: int = 0

    @property
    def never_fired(self) -> tuple[str, ...]:
        """Rules of the rule set that fired for no patient, in rule-set order."""
        return tuple(r for r in self.rule_ids if self.fired[r] == 0)

    def share(self, count: int) -> float:
        """``count`` as a percentage of the patients."""
        return 100.0 * count / self.patients if self.patients else 0.0


def summarise(rows: Iterable[Mapping[str, Any]], ruleset: RuleSet) -> PopulationSummary:
    """Count ``rows`` (result rows, streamed) against ``ruleset``'s rules and decisions."""
    decisions = tuple(d.id for d in ruleset.decisions)
    s = PopulationSummary(
        ruleset=f"{ruleset.name} {ruleset.version}",
        fingerprint=ruleset.fingerprint,
        rule_ids=tuple(r.id for d in ruleset.decisions for r in d.rules),
        decision_ids=decisions,
        outcomes={d: Counter() for d in decisions},
    )
    for row in rows:
        s.patients += 1
        for decision, outcome in (row.get("outcomes") or {}).items():
            s.outcomes.setdefault(decision, Counter())[outcome] += 1
        s.fired.update(set(row.get("fired") or ()))
        questions = row.get("open_questions") or ()
        s.open_questions.update(questions)
        s.with_open_questions += bool(questions)
        s.gaps.update((g["decision"], g["kind"]) for g in row.get("gaps") or ())
        s.fingerprints[str(row.get("fingerprint"))] += 1
        s.engines[str(row.get("engine"))] += 1
    return s


def _pct(value: float) -> str:
    return f"{value:.1f} %"


def _sections(s: PopulationSummary) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(title, note, [(label, count)]) per section, the same for both renderings."""
    out: list[tuple[str, str, list[tuple[str, int]]]] = []
    for decision in s.decision_ids:
        out.append(
            (
                f"Outcomes: {decision}",
                "Share of patients per outcome.",
                s.outcomes.get(decision, Counter()).most_common(),
            )
        )
    fired = [(r, s.fired[r]) for r in sorted(s.rule_ids, key=lambda r: (-s.fired[r], r))]
    out.append(("Firing rate per rule", "Share of patients for whom the rule fired.", fired))
    out.append(
        (
            "Questions most often left open",
            f"Share of patients for whom the answer was unknown and a decision needed it "
            f"(top {TOP_QUESTIONS}).",
            s.open_questions.most_common(TOP_QUESTIONS),
        )
    )
    out.append(
        (
            "Guideline gaps met",
            "Share of patients for whom a decision is outside the guideline (clinician "
            "judgement) or no rule covers them.",
            [(f"{d} ({k})", c) for (d, k), c in s.gaps.most_common()],
        )
    )
    return out


def _header_facts(s: PopulationSummary) -> list[str]:
    facts = [
        f"Patients: {s.patients:,}",
        f"Rule set: {s.ruleset}, fingerprint {s.fingerprint}",
        f"Engines: {', '.join(f'{e} ({c:,})' for e, c in s.engines.most_common()) or 'none'}",
        f"Rules that fired for at least one patient: {len(s.rule_ids) - len(s.never_fired)} "
        f"of {len(s.rule_ids)}",
        f"Patients with at least one open question: {s.with_open_questions:,} "
        f"({_pct(s.share(s.with_open_questions))})",
    ]
    other = [f for f in s.fingerprints if f != s.fingerprint]
    if other:
        facts.append(
            f"Warning: {sum(s.fingerprints[f] for f in other):,} rows come from another rule "
            f"set ({', '.join(sorted(other))}); coverage is counted against {s.fingerprint}"
        )
    return facts


def render_markdown(s: PopulationSummary) -> str:
    """The report as Markdown: facts, then one table per section."""
    lines = ["# Population report", ""]
    lines += [f"- {fact}" for fact in _header_facts(s)]
    lines.append("")
    for title, note, items in _sections(s):
        lines += [f"## {title}", "", note, ""]
        if not items:
            lines += ["None.", ""]
            continue
        lines += ["| | patients | share |", "| --- | ---: | ---: |"]
        lines += [f"| `{label}` | {count:,} | {_pct(s.share(count))} |" for label, count in items]
        lines.append("")
    lines += ["## Rules never fired", ""]
    lines += [f"- `{r}`" for r in s.never_fired] or ["None: every rule fired for some patient."]
    lines += ["", _FOOTNOTE, ""]
    return "\n".join(lines)


_FOOTNOTE = (
    "Counts describe what the rules suggested for these patients; they are decision support "
    "for clinicians, not diagnoses or outcomes of care."
)

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 0.9em; }
figure { margin: 0.5rem 0; }
svg { max-width: 100%; height: auto; }
"""


def render_html(s: PopulationSummary) -> str:
    """The report as one self-contained HTML page with inline SVG bar charts."""
    from pht_rules.population._charts import bar_svg

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Population report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Population report</h1>",
        "<ul>" + "".join(f"<li>{escape(f)}</li>" for f in _header_facts(s)) + "</ul>",
    ]
    for index, (title, note, items) in enumerate(_sections(s)):
        section_id = f"section-{index}"
        parts.append(f'<section id="{section_id}"><h2>{escape(title)}</h2><p>{escape(note)}</p>')
        if not items:
            parts.append("<p>None.</p></section>")
            continue
        labels = [label for label, _ in items]
        shares = [s.share(count) for _, count in items]
        parts.append(f"<figure>{bar_svg(title, labels, shares)}</figure>")
        parts.append("<table><tr><th></th><th>patients</th><th>share</th></tr>")
        parts += [
            f"<tr><td><code>{escape(label)}</code></td><td class='n'>{count:,}</td>"
            f"<td class='n'>{_pct(s.share(count))}</td></tr>"
            for label, count in items
        ]
        parts.append("</table></section>")
    parts.append('<section id="never-fired"><h2>Rules never fired</h2>')
    if s.never_fired:
        parts.append("<ul>" + "".join(f"<li><code>{escape(r)}</code></li>" for r in s.never_fired))
        parts.append("</ul>")
    else:
        parts.append("<p>None: every rule fired for some patient.</p>")
    parts.append(f"</section><p><small>{escape(_FOOTNOTE)}</small></p></body></html>")
    return "\n".join(parts) + "\n"


__all__ = [
    "TOP_QUESTIONS",
    "PopulationSummary",
    "render_html",
    "render_markdown",
    "summarise",
]
